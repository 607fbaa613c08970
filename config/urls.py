from django.conf import settings
from django.contrib import admin
from django.urls import path
from django.views.static import serve

admin.site.site_header = "Storefront Customers"
admin.site.site_title = "Storefront Customers admin"
admin.site.index_title = "Administration"

urlpatterns = [
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    urlpatterns += [
        path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
