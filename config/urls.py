from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.static import serve

from console import urls as console_urls

admin.site.site_header = "Storefront Customers"
admin.site.site_title = "Storefront Customers admin"
admin.site.index_title = "Administration"

urlpatterns = [
    path("", RedirectView.as_view(url="/console/", permanent=False)),
    path("admin/", admin.site.urls),
    path("console/", include("console.urls")),
    path("console/", include(console_urls.auth_urlpatterns)),
    path("console/customers/", include("console.customer_urls")),
    path("console/loyalty/", include("loyalty.urls")),
    path("console/reviews/", include("reviews.urls")),
    path("console/products/", include("reviews.product_urls")),
    path("wallet/", include("loyalty.wallet_urls")),
    path("", include("config.api_urls")),
]

if settings.DEBUG:
    urlpatterns += [
        path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}),
    ]

handler404 = "stores.api.errors.not_found"
