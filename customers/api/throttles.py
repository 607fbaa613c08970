"""Rate limits on what sends a code or checks a secret (DRF throttles on the cache).

They limit load; they are not the brute-force protection, which is in the database (a code
dies after 5 wrong tries). Each scope is counted per client address and, separately, per
identity (email or phone), so one account cannot be hammered from many addresses. The identity
is counted the way the services compare it, so typing it differently does not start a new
count: a phone as E.164 (read with the store's country), an email NFKC-normalised and
case-folded. Counters live in the cache (CACHE_URL): Redis in production, shared by every worker.
"""

import hashlib
import unicodedata

from django.core.exceptions import ValidationError
from rest_framework.throttling import SimpleRateThrottle

from customers.phones import normalize_phone
from stores.api.throttles import ApiKeyThrottle  # noqa: F401 - the shopper API uses it too


class _ScopedThrottle(SimpleRateThrottle):
    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SendCodeThrottle(_ScopedThrottle):
    """Code requests per client address (THROTTLE_SEND_CODE)."""

    scope = "send_code"


class LoginThrottle(_ScopedThrottle):
    """Password, code and social logins per client address (THROTTLE_LOGIN)."""

    scope = "login"


def identity_key(value: str, region: str | None) -> str:
    """One key for every way of typing one email or phone: "email:" and the NFKC, case-folded
    address; "phone:" and E.164 (national numbers read as numbers of `region`); anything else
    (which the services refuse anyway) NFKC, case-folded, without spaces or punctuation."""
    text = unicodedata.normalize("NFKC", value).strip()
    folded = unicodedata.normalize("NFKC", text.casefold())
    if "@" in text:
        return f"email:{folded}"
    try:
        phone = normalize_phone(text, region)
    except ValidationError:
        phone = ""
    if phone:
        return f"phone:{phone}"
    return "other:" + "".join(ch for ch in folded if ch.isalnum() or ch in "@.+")


class IdentityThrottle(SimpleRateThrottle):
    """Per identity sent in the body (identity, phone, or email), whoever sends it and however
    it is typed (THROTTLE_LOGIN_IDENTITY). The key is a hash: no address or number in the cache.
    Counted across stores: one phone is one person whichever store's app asks."""

    scope = "login_identity"
    fields = ("identity", "phone", "email")

    def get_cache_key(self, request, view):
        data = request.data if hasattr(request.data, "get") else {}
        store = getattr(getattr(request, "user", None), "store", None)
        region = getattr(store, "phone_region", None)
        for field in self.fields:
            value = data.get(field)
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)  # the serializers read a JSON number as its digits
            if isinstance(value, str) and value.strip():
                key = identity_key(value, region)
                ident = hashlib.sha256(key.encode()).hexdigest()
                return self.cache_format % {"scope": self.scope, "ident": ident}
        return None  # nothing to count by


class SendCodeIdentityThrottle(IdentityThrottle):
    """Code requests per identity, whoever sends them (THROTTLE_SEND_CODE): one phone or inbox
    gets at most that many codes, from however many addresses."""

    scope = "send_code"
    cache_format = "throttle_%(scope)s_identity_%(ident)s"
