"""Who is calling the shopper API: a store (its publishable key) and, when the app sends
`Customer-Token`, one of that store's customers."""

from dataclasses import dataclass

from rest_framework import exceptions

from customers.models import Customer, CustomerToken
from customers.tokens import customer_token_find
from stores.api.authentication import StoreKeyAuthentication, authenticate_key
from stores.models import ApiKey, Store


@dataclass
class Shopper:
    """`request.user` on the shopper API."""

    store: Store
    api_key: ApiKey
    customer: Customer | None = None
    token: CustomerToken | None = None
    is_authenticated: bool = True  # the store is; whether a customer is, see `customer`


class StorefrontAuthentication(StoreKeyAuthentication):
    """`Authorization: Bearer store_…` (required) and `Customer-Token: …` (optional here; views
    that need a customer use the HasCustomer permission). A token that is sent but invalid,
    expired, revoked, of a closed account or of another store is a 401."""

    kind = ApiKey.Kind.PUBLISHABLE

    def authenticate(self, request):
        api_key = authenticate_key(request, self.kind)
        shopper = Shopper(store=api_key.store, api_key=api_key)
        raw = request.headers.get("Customer-Token", "").strip()
        if raw:
            token = customer_token_find(raw, store=api_key.store)
            if token is None:
                raise exceptions.AuthenticationFailed("The customer token is invalid or expired.")
            shopper.customer, shopper.token = token.customer, token
        request.store = api_key.store
        return shopper, api_key
