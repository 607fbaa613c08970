from rest_framework.throttling import SimpleRateThrottle


class ApiKeyThrottle(SimpleRateThrottle):
    """Everything a key does, counted per key (THROTTLE_API)."""

    scope = "api"

    def get_cache_key(self, request, view):
        api_key = getattr(request, "auth", None)
        ident = api_key.pk if api_key is not None else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
