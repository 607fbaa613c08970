"""The management API's orders of a customer: GET customers/{id}/orders (Leal-compatible paths,
integer ids, page/items pagination)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from orders.models import OrderLine
from orders.services import order_checkout
from stores.services import api_key_create, api_key_revoke
from tests import factories
from tests.helpers import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.api_key("secret")]

ORDER_FIELDS = {
    "id",
    "number",
    "status",
    "currency",
    "subtotal",
    "total",
    "items",
    "shipping_address",
    "store",
    "created_at",
}


@pytest.fixture
def url(store, customer):
    return f"/api/v1/accounts/{store.pk}/customers/{customer.pk}/orders"


@pytest.fixture
def espresso(store):
    return factories.ProductFactory(store=store, name="Espresso", sku="ESP", price=Decimal("2.80"))


def test_a_customers_orders_newest_first_with_their_lines(api, url, store, customer, espresso):
    address = factories.AddressFactory(customer=customer, street1="1 Market Street")
    order = order_checkout(
        store=store,
        customer=customer,
        items=[{"product": espresso.public_id, "quantity": 2}],
        shipping_address=address.public_id,
    )
    older = factories.OrderFactory(
        customer=customer, number=100, created_at=order.created_at - timedelta(days=1)
    )
    someone_else = factories.CustomerFactory(store=store)
    factories.OrderFactory(customer=someone_else, number=101)

    response = api.get(url)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["pagination"] == {"count": 2, "items": 25, "page": 1, "pages": 1}
    assert [row["id"] for row in body["orders"]] == [order.pk, older.pk]
    row = body["orders"][0]
    assert set(row) == ORDER_FIELDS
    assert (row["number"], row["status"], row["currency"]) == (order.number, "created", "USD")
    assert (row["subtotal"], row["total"]) == ("5.60", "5.60")
    assert row["items"] == [
        {
            "product": espresso.pk,
            "name": "Espresso",
            "sku": "ESP",
            "quantity": 2,
            "unit_price": "2.80",
            "total": "5.60",
        }
    ]
    assert row["shipping_address"]["street1"] == "1 Market Street"
    assert body["orders"][1]["shipping_address"] is None


def test_a_deleted_product_leaves_its_line(api, url, store, customer, espresso):
    order_checkout(store=store, customer=customer, items=[{"product": espresso.public_id}])
    espresso.delete()
    line = api.get(url).json()["orders"][0]["items"][0]
    assert line["product"] is None and line["name"] == "Espresso"


def test_orders_page(api, url, customer):
    start = datetime(2025, 1, 1, tzinfo=UTC)
    orders = [
        factories.OrderFactory(customer=customer, created_at=start + timedelta(days=i))
        for i in range(5)
    ]
    body = api.get(url, {"items": 2, "page": 2}).json()
    assert [row["id"] for row in body["orders"]] == [orders[2].pk, orders[1].pk]
    assert body["pagination"] == {"count": 5, "items": 2, "page": 2, "pages": 3}
    assert_error(api.get(url, {"items": 500}), 422, "items")
    assert_error(api.get(url, {"page": -1}), 422, "page")


def test_orders_take_the_same_queries_for_any_number(
    api, url, customer, espresso, django_assert_max_num_queries
):
    def order_with_lines():
        order = factories.OrderFactory(customer=customer)
        for _ in range(3):
            OrderLine.objects.create(
                order=order,
                product=espresso,
                name="Espresso",
                quantity=1,
                unit_price=Decimal("2.80"),
                total=Decimal("2.80"),
            )

    api.get(url)  # the key's last-used time is written once
    order_with_lines()
    with CaptureQueriesContext(connection) as one:
        assert len(api.get(url).json()["orders"]) == 1
    for _ in range(40):
        order_with_lines()
    with django_assert_max_num_queries(len(one)):
        body = api.get(url, {"items": 100}).json()
    assert len(body["orders"]) == 41
    assert all(len(row["items"]) == 3 for row in body["orders"])
    assert len(one) <= 5  # key, customer, count, orders, lines


def test_orders_need_a_live_secret_key_of_the_store(
    store, other_store, customer, url, key, espresso
):
    factories.OrderFactory(customer=customer)
    client = APIClient()
    assert_error(client.get(url), 401)
    shopper = api_key_create(store=store, kind="publishable")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {shopper.raw}")
    assert_error(client.get(url), 401)
    rival = api_key_create(store=other_store, kind="secret")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {rival.raw}")
    assert_error(client.get(url), 404)
    api_key_revoke(api_key=key.api_key)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw}")
    assert_error(client.get(url), 401)


def test_another_stores_customer_or_an_unknown_one_is_not_found(api, store, other_store):
    stranger = factories.CustomerFactory(store=other_store)
    factories.OrderFactory(customer=stranger)
    base = f"/api/v1/accounts/{store.pk}/customers"
    assert_error(api.get(f"{base}/{stranger.pk}/orders"), 404)
    assert_error(api.get(f"{base}/424242/orders"), 404)
