from customers.api.urls import route
from reviews.api import catalogue_views as views

urlpatterns = [
    route("about", views.AboutView),
    route("products", views.ProductListView),
    route(r"products/(?P<public_id>product_\w+)", views.ProductDetailView),
]
