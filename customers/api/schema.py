"""How the shopper API's authentication appears in the OpenAPI document: the publishable key
always, the Customer-Token where the operation needs a customer (and as an option elsewhere:
a token that is sent is checked)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from customers.api.permissions import HasCustomer

STORE_KEY = {"storeKey": []}
STORE_KEY_AND_TOKEN = {"storeKey": [], "customerToken": []}


class StorefrontAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "customers.api.authentication.StorefrontAuthentication"
    name = ["storeKey", "customerToken"]

    def get_security_requirement(self, auto_schema):
        permissions = auto_schema.view.get_permissions()
        if any(isinstance(permission, HasCustomer) for permission in permissions):
            return [STORE_KEY_AND_TOKEN]
        return [STORE_KEY_AND_TOKEN, STORE_KEY]

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "description": "The store's publishable key: `Authorization: Bearer store_…`.",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "Customer-Token",
                "description": "A customer's session token, from a login or registration.",
            },
        ]
