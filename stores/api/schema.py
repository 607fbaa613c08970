"""Touches on the generated OpenAPI document."""


def strip_trailing_slashes(result, generator, request, public):
    """Shopper API paths are documented as the Fleetbase SDK calls them: without a trailing
    slash (the routes accept both)."""
    result["paths"] = {
        (path.rstrip("/") if path.startswith("/storefront/") else path): item
        for path, item in result["paths"].items()
    }
    return result
