import time

from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle


class ApiKeyThrottle(BaseThrottle):
    """Everything a key does, counted per key (THROTTLE_API, e.g. 1200/minute), in fixed
    windows: one atomic increment a request. DRF's SimpleRateThrottle reads and writes back the
    key's whole history (a list of up to 1,200 times, pickled) on every request of every
    endpoint: the largest cost of a cached API request after the view (`make bench`). A fixed
    window lets a key through at most twice the rate across a window's edge; this throttle is
    for load, not for guessing (codes and passwords count their tries in the database)."""

    scope = "api"

    def allow_request(self, request, view) -> bool:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if not rate:
            return True
        allowed, seconds = SimpleRateThrottle.parse_rate(None, rate)
        api_key = getattr(request, "auth", None)
        ident = api_key.pk if api_key is not None else self.get_ident(request)
        now = time.time()
        window = int(now // seconds)
        key = f"throttle_{self.scope}_{ident}_{seconds}_{window}"
        self.retry_after = (window + 1) * seconds - now
        return _count(key, seconds) <= allowed

    def wait(self) -> float:
        return self.retry_after


def _count(key: str, seconds: int) -> int:
    """Add one to the counter `key`, made to last `seconds` by its first increment; its new
    value. One round trip on Redis (config.cache); add then incr on another cache."""
    incr_expiring = getattr(cache, "incr_expiring", None)
    if incr_expiring is not None:
        return incr_expiring(key, seconds)
    if cache.add(key, 1, seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls: a new window
        cache.add(key, 1, seconds)
        return 1
