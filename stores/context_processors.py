from stores.access import access_for


def console(request):
    """`access` (store, role, perms, stores to switch to) for the navbar of every page."""
    access = getattr(request, "access", None)
    if access is None and getattr(request, "user", None) and request.user.is_authenticated:
        path = request.path
        if path.startswith("/console/"):
            access = access_for(request)
    return {"access": access}
