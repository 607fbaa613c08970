"""How the shopper API's authentication appears in the OpenAPI document."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class StorefrontAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "customers.api.authentication.StorefrontAuthentication"
    name = ["storeKey", "customerToken"]

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
