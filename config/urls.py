from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.http import require_safe
from django.views.generic import RedirectView

from config import media
from console import urls as console_urls

admin.site.site_header = "Storefront Customers"
admin.site.site_title = "Storefront Customers admin"
admin.site.index_title = "Administration"


@require_safe
def healthz(request):
    """Liveness for a load balancer: the process answers. No database or cache, so a slow
    database never gets a healthy worker killed; `make bench` also uses it as its ceiling (the
    same middleware as every page, no work behind it)."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", RedirectView.as_view(url="/console/", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("console/", include("console.urls")),
    path("console/", include(console_urls.auth_urlpatterns)),
    path("console/customers/", include("console.customer_urls")),
    path("console/loyalty/", include("loyalty.urls")),
    path("console/reviews/", include("reviews.urls")),
    path("console/products/", include("reviews.product_urls")),
    path("wallet/", include("loyalty.wallet_urls")),
    path("", include("config.api_urls")),
    # Uploaded files on this server's disk (MEDIA_STORAGE=local), with or without DEBUG.
    path("media/<path:path>", media.media_file, name="media"),
]

handler404 = "stores.api.errors.not_found"
