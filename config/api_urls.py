"""/storefront/v1/ (the shopper API) and the OpenAPI schema of both APIs."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

storefront_patterns = [
    path("", include("reviews.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("loyalty.api.urls")),
    path("", include("customers.api.urls")),
]

# /api/v1/accounts/{account_id}/ (the management API, Leal-compatible), behind a secret key.
management_patterns = [
    path("", include("loyalty.api.management_urls")),
    path("", include("orders.api.management_urls")),
    path("", include("backoffice.urls")),
    path("", include("customers.api.management_urls")),
    path("", include("webhooks.api.urls")),
]

# The API docs under the Content-Security-Policy (config/settings.py). Swagger UI's split view
# serves its start-up script as a file (/api/docs/?script=), so scripts stay 'self'; its page
# has a <style> block, so styles may be inline there. Redoc builds its styles at run time,
# searches in a worker it makes from a blob, asks Google for its fonts and Redocly for its logo.
swagger_ui = csp_update({"style-src": [UNSAFE_INLINE]})(
    SpectacularSwaggerSplitView.as_view(url_name="schema")
)
redoc = csp_update(
    {
        "style-src": [UNSAFE_INLINE, "https://fonts.googleapis.com"],
        "font-src": [SELF, "https://fonts.gstatic.com"],
        "worker-src": [SELF, "blob:"],
        "img-src": ["https://cdn.redoc.ly"],
    }
)(SpectacularRedocView.as_view(url_name="schema"))

# The Fleetbase SDK calls paths without a trailing slash; accept both.
urlpatterns = [
    re_path(r"^storefront/v1/", include(storefront_patterns)),
    path("api/v1/accounts/<int:account_id>/", include(management_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", swagger_ui, name="api-docs"),
    path("api/redoc/", redoc, name="api-redoc"),
]
