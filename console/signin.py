"""Staff sign-in limits for the console and the admin, enforced by django-axes (settings AXES_*).

After LOGIN_FAILURES_ALLOWED failed sign-ins for one username (whatever its case, spaces or
Unicode form: "ｄｅｍｏ" and "DEMO" are "demo"), or from one client address
(stores.clients.client_address, as the API throttles see it), within LOGIN_FAILURE_WINDOW
seconds, the sign-in form stops checking passwords and answers 429 until the window passes.
Only failed sign-ins count: a form redisplayed for another reason does not.
"""

import unicodedata
from datetime import timedelta

from django.conf import settings


def failure_limit(request, credentials) -> int:
    return settings.LOGIN_FAILURES_ALLOWED


def failure_window(request) -> timedelta:
    return timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)


def username(request, credentials) -> str:
    credentials = credentials or {}
    raw = credentials.get("username") or request.POST.get("username") or ""
    return normalize_username(str(raw))[:150]


def normalize_username(value: str) -> str:
    """The key a username is counted under: NFKC (as Django's sign-in form and
    AbstractBaseUser.normalize_username compare), case-folded, NFKC again (Unicode's
    NFKC_Casefold: folding can undo the normal form), without surrounding spaces."""
    folded = unicodedata.normalize("NFKC", value).casefold()
    return unicodedata.normalize("NFKC", folded).strip()
