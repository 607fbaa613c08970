"""Store keys on API requests: `Authorization: Bearer store_…` (shopper) or `sk_…` (management).

Keys are looked up by their SHA-256 (never compared in clear), through a cache when every
process shares one (stores.services.api_key_find). A missing, unknown or revoked key is a 401;
the key's store is then `request.store` for every view.
"""

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from stores.models import ApiKey
from stores.services import api_key_find


def bearer_token(request) -> str:
    header = get_authorization_header(request).decode("latin-1", errors="replace").split()
    if len(header) != 2 or header[0].lower() != "bearer":
        return ""
    return header[1]


def authenticate_key(request, kind: str) -> ApiKey:
    raw = bearer_token(request)
    if not raw:
        raise exceptions.NotAuthenticated("Send the store's key as 'Authorization: Bearer <key>'.")
    api_key = api_key_find(raw, kind=kind)
    if api_key is None:
        raise exceptions.AuthenticationFailed("This key is not valid, or it was revoked.")
    return api_key


class StoreKeyAuthentication(BaseAuthentication):
    """Base class: subclasses name the kind of key they accept."""

    kind = ApiKey.Kind.PUBLISHABLE

    def authenticate_header(self, request):
        return 'Bearer realm="api"'  # makes DRF answer 401 (not 403) to a missing key
