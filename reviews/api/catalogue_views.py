"""Shopper API: the store and its catalogue with review ratings (key only, no customer needed).

It lives with reviews because a product is shown with its rating; stores knows nothing above it."""

from django.db.models import Avg, Count, Q
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from customers.api.base import PageSerializer, StorefrontView, page_of
from customers.api.views import valid
from reviews.api.catalogue_serializers import (
    ProductQuerySerializer,
    ProductSerializer,
    StoreSerializer,
)
from reviews.models import Review
from stores.models import Product
from stores.selectors import member_stores, store_of_account

PUBLISHED = Q(reviews__status=Review.Status.PUBLISHED)


def product_queryset(account, store=None):
    """The active products of the account (a network's: its member stores'; `store`: that
    store's only) with their published reviews' average and count, computed by the same query
    (one GROUP BY), whatever the page size."""
    if store is not None:
        products = Product.objects.filter(store=store)
    elif account.is_network:
        products = Product.objects.filter(store__network=account)
    else:
        products = Product.objects.filter(store=account)
    return (
        products.filter(active=True)
        .select_related("store")
        .annotate(
            rating_average=Avg("reviews__rating", filter=PUBLISHED),
            rating_count=Count("reviews", filter=PUBLISHED),
        )
    )


def store_about(store) -> dict:
    """StoreSerializer's answer, written out: its choice fields list every country, currency and
    time zone again for each answer, 2 ms of a request that has nothing else to do
    (tests/stores/test_request_cost.py checks that both give the same bytes)."""
    about = {
        "id": store.public_id,
        "name": store.name,
        "currency": store.currency,
        "reviews_enabled": store.reviews_enabled,
        "phone_region": store.phone_region,
        "timezone": store.timezone,
        "is_network": store.is_network,
        "stores": [
            {"id": member.public_id, "name": member.name} for member in member_stores(store)
        ],
    }
    return about


class AboutView(StorefrontView):
    @extend_schema(responses={200: StoreSerializer}, tags=["Store"])
    def get(self, request):
        """The store or network the key belongs to (a network lists its member stores)."""
        return Response(store_about(self.store))


class StoreListView(StorefrontView):
    @extend_schema(responses={200: StoreSerializer(many=True)}, tags=["Store"])
    def get(self, request):
        """A network's member stores, by name (a store's key: 404)."""
        if not self.store.is_network:
            raise exceptions.NotFound("Only a network has member stores; this key is a store's.")
        return Response([store_about(member) for member in member_stores(self.store)])


class ProductListView(StorefrontView):
    @extend_schema(
        parameters=[ProductQuerySerializer, PageSerializer],
        responses={200: ProductSerializer(many=True)},
        tags=["Products"],
    )
    def get(self, request):
        """The active products by name (a network's: its member stores', or `store`'s);
        `query` searches names and SKUs."""
        params = valid(ProductQuerySerializer, request.query_params)
        query = (params.get("query") or "").strip()
        store = store_of_account(self.store, params.get("store"), required=False)
        products = product_queryset(self.store, store)
        if query:
            products = products.filter(Q(name__icontains=query) | Q(sku__icontains=query))
        products = page_of(request, products.order_by("name", "id"))
        return Response(ProductSerializer(products, many=True).data)


class ProductDetailView(StorefrontView):
    @extend_schema(responses={200: ProductSerializer}, tags=["Products"])
    def get(self, request, public_id):
        """One active product of the store (another store's, or an inactive one, is a 404)."""
        product = product_queryset(self.store).filter(public_id=public_id).first()
        if product is None:
            raise exceptions.NotFound()
        return Response(ProductSerializer(product).data)
