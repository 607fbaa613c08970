"""Who may do what in the console: the current store of a request and the user's role in it.

A user works in the stores they are a member of (superusers: every store, as owners). The store
they are looking at is kept in the session; a view declares the least role it needs, and an
action that needs more checks `request.access.can(...)` itself.
"""

from dataclasses import dataclass, field
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from stores.models import Store, StoreMembership

SESSION_KEY = "console_store_id"
Role = StoreMembership.Role
RANK = {Role.STAFF: 1, Role.MANAGER: 2, Role.OWNER: 3}

# What each action needs (staff edit and stamp; managers delete, run loyalty and
# moderate; owners manage people, keys and webhooks).
PERMISSIONS = {
    "view_customers": Role.STAFF,
    "edit_customers": Role.STAFF,
    "stamp_cards": Role.STAFF,
    "delete_customers": Role.MANAGER,
    "manage_loyalty": Role.MANAGER,
    "moderate_reviews": Role.MANAGER,
    "manage_store": Role.MANAGER,
    "manage_members": Role.OWNER,
    "manage_keys": Role.OWNER,
    "manage_webhooks": Role.OWNER,
}


@dataclass
class StoreAccess:
    store: Store
    role: str
    stores: list[Store] = field(default_factory=list)  # every store the user may switch to

    def can(self, permission: str) -> bool:
        return RANK[self.role] >= RANK[PERMISSIONS[permission]]

    @property
    def perms(self) -> dict[str, bool]:
        """For templates: {% if access.perms.delete_customers %}."""
        return {name: self.can(name) for name in PERMISSIONS}


def access_for(request) -> StoreAccess | None:
    """The request's store and role, or None when the user belongs to no store."""
    user = request.user
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        stores = list(Store.objects.order_by("name"))
        roles = {store.pk: Role.OWNER for store in stores}
    else:
        memberships = StoreMembership.objects.filter(user=user).select_related("store")
        stores = sorted((m.store for m in memberships), key=lambda s: s.name.lower())
        roles = {m.store_id: m.role for m in memberships}
    if not stores:
        return None
    wanted = request.session.get(SESSION_KEY)
    store = next((s for s in stores if s.pk == wanted), stores[0])
    return StoreAccess(store=store, role=roles[store.pk], stores=stores)


def switch_store(request, store_id: int) -> bool:
    access = access_for(request)
    if access is None or not any(store.pk == store_id for store in access.stores):
        return False
    request.session[SESSION_KEY] = store_id
    return True


def console_view(permission: str = "view_customers"):
    """Decorate a console view: a signed-in member of a store with `permission` gets in, with
    `request.access` set and the store's time zone active while it runs; anonymous users go to
    the login page, others get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            access = access_for(request)
            if access is None:
                return render(request, "console/no_store.html", status=403)
            if not access.can(permission):
                raise PermissionDenied(f"Your role cannot {permission.replace('_', ' ')}.")
            request.access = access
            # One clock: every date the view renders ({{ value|date }}, localtime(), date
            # filters on `__date`) reads the store's time zone, never the server's.
            with timezone.override(access.store.tzinfo):
                return view(request, *args, **kwargs)

        return wrapped

    return decorator


def require(request, permission: str) -> None:
    """For one action inside a view that allows more (a POST a staff member may not make)."""
    if not request.access.can(permission):
        raise PermissionDenied(f"Your role cannot {permission.replace('_', ' ')}.")
