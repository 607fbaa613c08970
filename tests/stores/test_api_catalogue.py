"""The shopper API's store and catalogue: GET about, products, products/{id}."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from reviews.models import Review
from stores.services import api_key_create, api_key_revoke
from tests import factories
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db
API = "/storefront/v1"


def review(product, rating, status=Review.Status.PUBLISHED):
    author = factories.CustomerFactory(store=product.store)
    return factories.ReviewFactory(
        author=author,
        subject_type=Review.Subject.PRODUCT,
        product=product,
        rating=rating,
        status=status,
    )


def test_about_is_the_keys_store(api, store):
    response = api.get(f"{API}/about")
    assert response.status_code == 200
    assert response.json() == {
        "id": store.public_id,
        "name": "Ada's Coffee",
        "currency": "USD",
        "reviews_enabled": True,
        "phone_region": "US",
        "timezone": "UTC",
        "is_network": False,
        "stores": [],
    }
    assert response.json()["id"].startswith("store_")


def test_catalogue_needs_a_live_store_key(store, key):
    client = APIClient()
    for path in ("about", "products"):
        assert_error(client.get(f"{API}/{path}"), 401)
    client.credentials(HTTP_AUTHORIZATION="Bearer store_not-a-real-key-at-all-0000000000000000")
    assert_error(client.get(f"{API}/products"), 401)
    api_key_revoke(api_key=key.api_key)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw}")
    assert_error(client.get(f"{API}/products"), 401)


def test_a_bad_customer_token_is_401_even_where_none_is_needed(api):
    api.credentials(
        HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"],
        HTTP_CUSTOMER_TOKEN="not-a-token",
    )
    assert_error(api.get(f"{API}/products"), 401)


def test_products_are_the_stores_active_ones_by_name(api, store, other_store):
    beans = factories.ProductFactory(
        store=store, name="Beans", sku="BEAN-1", price=Decimal("11.00"), description="Whole."
    )
    espresso = factories.ProductFactory(store=store, name="Espresso", price=Decimal("2.80"))
    factories.ProductFactory(store=store, name="Retired blend", active=False)
    factories.ProductFactory(store=other_store, name="Rival beans")

    response = api.get(f"{API}/products")

    assert response.status_code == 200
    body = response.json()
    assert [p["id"] for p in body] == [beans.public_id, espresso.public_id]
    assert body[0] == {
        "id": beans.public_id,
        "name": "Beans",
        "sku": "BEAN-1",
        "price": "11.00",
        "currency": "USD",
        "description": "Whole.",
        "rating": {"average": None, "count": 0},
        "store": store.public_id,
    }


def test_rating_counts_published_reviews_only(api, store):
    espresso = factories.ProductFactory(store=store, name="Espresso")
    for rating in (5, 4, 4):
        review(espresso, rating)
    review(espresso, 1, status=Review.Status.HIDDEN)
    factories.ReviewFactory(author=factories.CustomerFactory(store=store), rating=1)  # the store's

    (product,) = api.get(f"{API}/products").json()
    assert product["rating"] == {"average": 4.3, "count": 3}
    assert api.get(f"{API}/products/{espresso.public_id}").json()["rating"]["count"] == 3


def test_query_searches_names_and_skus(api, store):
    factories.ProductFactory(store=store, name="Espresso", sku="ESP-1")
    factories.ProductFactory(store=store, name="Decaf espresso", sku="DEC-1")
    factories.ProductFactory(store=store, name="Beans", sku="BEAN-1")

    names = [p["name"] for p in api.get(f"{API}/products", {"query": "ESPRESSO"}).json()]
    assert names == ["Decaf espresso", "Espresso"]
    assert [p["name"] for p in api.get(f"{API}/products", {"query": "bean-"}).json()] == ["Beans"]
    assert api.get(f"{API}/products", {"query": "tea"}).json() == []


def test_products_page_with_limit_and_offset(api, store):
    for n in range(5):
        factories.ProductFactory(store=store, name=f"Product {n}")

    names = [p["name"] for p in api.get(f"{API}/products", {"limit": 2, "offset": 1}).json()]
    assert names == ["Product 1", "Product 2"]
    assert len(api.get(f"{API}/products").json()) == 5


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 101}, "limit"), ({"limit": 0}, "limit"), ({"offset": -1}, "offset")],
)
def test_bad_paging_is_422(api, params, field):
    assert_error(api.get(f"{API}/products", params), 422, field)


def test_product_detail(api, store, other_store):
    espresso = factories.ProductFactory(store=store, name="Espresso")
    response = api.get(f"{API}/products/{espresso.public_id}")
    assert response.status_code == 200 and response.json()["name"] == "Espresso"

    rival = factories.ProductFactory(store=other_store)
    retired = factories.ProductFactory(store=store, active=False)
    for product in (rival, retired):
        assert_error(api.get(f"{API}/products/{product.public_id}"), 404)
    assert_error(api.get(f"{API}/products/product_doesnotexist"), 404)


def test_another_stores_key_sees_its_own_catalogue(store, other_store):
    factories.ProductFactory(store=store, name="Espresso")
    rival = factories.ProductFactory(store=other_store, name="Rival beans")
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {api_key_create(store=other_store, kind='publishable').raw}"
    )
    assert [p["id"] for p in client.get(f"{API}/products").json()] == [rival.public_id]
    assert client.get(f"{API}/about").json()["id"] == other_store.public_id


def test_product_list_queries_do_not_grow_with_the_page(
    api, store, django_assert_num_queries, settings
):
    settings.API_KEY_CACHE_SECONDS = 0  # the key is one of the queries counted
    for n in range(30):
        product = factories.ProductFactory(store=store, name=f"Product {n:02d}")
        review(product, 1 + n % 5)
    api.get(f"{API}/products")  # the key's last-used time is written once, not per request

    # The key, then the page with its ratings (one aggregate query).
    with django_assert_num_queries(2):
        assert len(api.get(f"{API}/products", {"limit": 1}).json()) == 1
    with django_assert_num_queries(2):
        page = api.get(f"{API}/products", {"limit": 30}).json()
    assert len(page) == 30 and all(p["rating"]["count"] == 1 for p in page)
