"""Who is asking: the client's address, the same way everywhere (API throttles, staff sign-in
limits)."""

from rest_framework.throttling import BaseThrottle


def client_address(request) -> str:
    """REMOTE_ADDR; behind NUM_PROXIES proxies, the address the outermost of them saw, from
    X-Forwarded-For (DRF's rule, so a client cannot pick its own address by sending the header)."""
    return BaseThrottle().get_ident(request)
