"""Touches on the generated OpenAPI document."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class SecretKeyScheme(OpenApiAuthenticationExtension):
    """The management API's secret key in the OpenAPI document."""

    target_class = "stores.api.management.SecretKeyAuthentication"
    name = "secretKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The store's secret key: `Authorization: Bearer sk_…`.",
        }


def strip_trailing_slashes(result, generator, request, public):
    """Shopper API paths are documented as the Fleetbase SDK calls them: without a trailing
    slash (the routes accept both)."""
    result["paths"] = {
        (path.rstrip("/") if path.startswith("/storefront/") else path): item
        for path, item in result["paths"].items()
    }
    return result
