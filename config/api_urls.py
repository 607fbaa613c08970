"""/storefront/v1/ (the shopper API) and the OpenAPI schema of both APIs."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

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
]

# The Fleetbase SDK calls paths without a trailing slash; accept both.
urlpatterns = [
    re_path(r"^storefront/v1/", include(storefront_patterns)),
    path("api/v1/accounts/<int:account_id>/", include(management_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]
