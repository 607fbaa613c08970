"""Staff sign-in attempts are limited: after LOGIN_FAILURES_ALLOWED failed passwords for one
username, or from one address, in LOGIN_FAILURE_WINDOW seconds, the sign-in form refuses to
check more until the window passes. Used by the console's and the admin's login pages."""

from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render


def _keys(request) -> list[str]:
    username = (request.POST.get("username") or "").strip().lower()[:150]
    address = request.META.get("REMOTE_ADDR", "")
    return [f"login-failures:user:{username}", f"login-failures:addr:{address}"]


def _blocked(request) -> bool:
    limit = settings.LOGIN_FAILURES_ALLOWED
    return any((cache.get(key) or 0) >= limit for key in _keys(request))


def _count_failure(request) -> None:
    window = settings.LOGIN_FAILURE_WINDOW
    for key in _keys(request):
        if not cache.add(key, 1, timeout=window):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=window)


def login_throttled(view, template="registration/login_blocked.html"):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST" and _blocked(request):
            return render(request, template, status=429)
        response = view(request, *args, **kwargs)
        failed = request.method == "POST" and response.status_code == 200
        if failed:  # a successful sign-in redirects; the form again means it failed
            _count_failure(request)
        return response

    return wrapped
