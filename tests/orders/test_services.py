import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from customers.models import Customer
from orders.models import Order
from orders.services import order_create
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def espresso(store):
    return factories.ProductFactory(store=store, name="Espresso", sku="ESP", price=Decimal("2.80"))


@pytest.fixture
def beans(store):
    return factories.ProductFactory(store=store, name="Beans", sku="BEAN", price=Decimal("11.00"))


def test_order_totals_come_from_the_catalogue(store, customer, espresso, beans):
    address = factories.AddressFactory(customer=customer, street1="1 Market St")
    order = order_create(
        store=store,
        customer=customer,
        items=[{"product": espresso, "quantity": 3}, {"product": beans.pk, "quantity": 1}],
        shipping_address=address,
    )
    assert order.number == 1 and order.currency == "USD"
    assert order.subtotal == order.total == Decimal("19.40")
    lines = list(order.lines.values_list("name", "quantity", "unit_price", "total"))
    assert lines == [
        ("Espresso", 3, Decimal("2.80"), Decimal("8.40")),
        ("Beans", 1, Decimal("11.00"), Decimal("11.00")),
    ]
    assert order.customer_name == "Ada Lovelace" and order.customer_email == "ada@example.com"
    assert order.shipping_address["street1"] == "1 Market St"
    assert customer.events.filter(type="order_placed").exists()


def test_customer_status_moves_with_each_order(store, customer, espresso):
    statuses = []
    for _ in range(3):
        order_create(store=store, customer=customer, items=[{"product": espresso, "quantity": 1}])
        statuses.append((customer.status, customer.total_orders_count))
    assert statuses == [("acquired", 1), ("repeat", 2), ("repeat", 3)]
    assert list(Order.objects.order_by("number").values_list("number", flat=True)) == [1, 2, 3]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "at least one item"),
        ([{"product": -1, "quantity": 1}], "not sold"),
        ([{"product": "espresso", "quantity": 0}], "whole number from 1"),
        ([{"product": "espresso", "quantity": "2"}], "whole number from 1"),
    ],
)
def test_order_refuses_bad_items(store, customer, espresso, items, message):
    items = [
        {**item, "product": espresso} if item["product"] == "espresso" else item for item in items
    ]
    with pytest.raises(ValidationError, match=message):
        order_create(store=store, customer=customer, items=items)
    assert Order.objects.count() == 0
    customer.refresh_from_db()
    assert customer.total_orders_count == 0


def test_order_refuses_another_stores_product_or_an_inactive_one(store, other_store, customer):
    foreign = factories.ProductFactory(store=other_store)
    retired = factories.ProductFactory(store=store, active=False)
    for product in (foreign, retired):
        with pytest.raises(ValidationError, match="not sold"):
            order_create(
                store=store, customer=customer, items=[{"product": product, "quantity": 1}]
            )
    assert Order.objects.count() == 0


def test_order_numbers_are_per_store(store, other_store, customer, espresso):
    other_customer = factories.CustomerFactory(store=other_store)
    other_product = factories.ProductFactory(store=other_store)
    order_create(store=store, customer=customer, items=[{"product": espresso, "quantity": 1}])
    other = order_create(
        store=other_store,
        customer=other_customer,
        items=[{"product": other_product, "quantity": 1}],
    )
    assert other.number == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_get_distinct_numbers_and_exact_counts(store):
    customer = factories.CustomerFactory(store=store)
    product = factories.ProductFactory(store=store)
    barrier = threading.Barrier(10)
    failures = []

    def place():
        try:
            barrier.wait(timeout=30)
            order_create(
                store=store,
                customer=Customer.objects.get(pk=customer.pk),
                items=[{"product": product, "quantity": 1}],
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=place) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert sorted(Order.objects.values_list("number", flat=True)) == list(range(1, 11))
    customer.refresh_from_db()
    assert (customer.total_orders_count, customer.status) == (10, "repeat")
