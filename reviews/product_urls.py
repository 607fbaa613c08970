"""The console's products with their ratings (read-only: the catalogue is edited in admin)."""

from django.urls import path

from reviews import views

app_name = "products"

urlpatterns = [
    path("", views.product_list, name="list"),
    path("<int:pk>/", views.product_detail, name="detail"),
]
