from customers.api.urls import route
from reviews.api import catalogue_views
from reviews.api import views as review_views

urlpatterns = [
    route("about", catalogue_views.AboutView),
    route("stores", catalogue_views.StoreListView),
    route("products", catalogue_views.ProductListView),
    route(r"products/(?P<public_id>product_\w+)", catalogue_views.ProductDetailView),
    route("reviews", review_views.ReviewListView),
    route("reviews/count", review_views.ReviewCountView),
    route(r"reviews/(?P<public_id>review_\w+)", review_views.ReviewDetailView),
    route(r"reviews/(?P<public_id>review_\w+)/vote", review_views.ReviewVoteView),
]
