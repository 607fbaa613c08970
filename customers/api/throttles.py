"""Rate limits on what sends a code or checks a secret (DRF throttles on the cache).

They limit load; they are not the brute-force protection, which is in the database (a code
dies after 5 wrong tries). Each scope is counted per client address and, separately, per
identity (email or phone), so one account cannot be hammered from many addresses.
"""

from rest_framework.throttling import SimpleRateThrottle

from stores.api.throttles import ApiKeyThrottle  # noqa: F401 - the shopper API uses it too


class _ScopedThrottle(SimpleRateThrottle):
    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SendCodeThrottle(_ScopedThrottle):
    scope = "send_code"


class LoginThrottle(_ScopedThrottle):
    scope = "login"


class IdentityThrottle(SimpleRateThrottle):
    """Per identity sent in the body (identity, phone, or email), whoever sends it."""

    scope = "login_identity"
    fields = ("identity", "phone", "email")

    def get_cache_key(self, request, view):
        data = request.data if hasattr(request.data, "get") else {}
        for field in self.fields:
            value = data.get(field)
            if isinstance(value, str) and value.strip():
                ident = "".join(ch for ch in value.lower() if ch.isalnum() or ch in "@.+")
                return self.cache_format % {"scope": self.scope, "ident": ident[:200]}
        return None  # nothing to count by
