"""An order is in its store's currency and never adds prices of two currencies: a product
priced in another one (left from before the store changed its currency) cannot be ordered."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from customers.models import Customer
from orders.models import Order, OrderLine
from orders.services import order_create
from stores.services import store_update
from tests import factories

pytestmark = pytest.mark.django_db
API = "/storefront/v1"


@pytest.fixture
def espresso(store):
    return factories.ProductFactory(store=store, name="Espresso", price=Decimal("2.80"))


@pytest.fixture
def euro_cake(store):
    # Written before the rule, or left when the store changed its currency.
    return factories.ProductFactory(
        store=store, name="Sachertorte", price=Decimal("4.50"), currency="EUR"
    )


def test_a_guest_checkout_mixing_currencies_is_422_and_saves_nothing(api, espresso, euro_cake):
    response = api.post(
        f"{API}/orders",
        {
            "items": [
                {"product": espresso.public_id, "quantity": 1},
                {"product": euro_cake.public_id, "quantity": 1},
            ],
            "customer": {"name": "Grace Hopper", "email": "grace@example.com"},
        },
        format="json",
    )

    assert response.status_code == 422, response.content
    message = response.json()["fields"]["items"][0]
    assert "Sachertorte" in message and "EUR" in message and "USD" in message
    assert not Order.objects.exists() and not OrderLine.objects.exists()
    assert not Customer.objects.exists()  # no guest record left behind


def test_a_product_of_the_stores_old_currency_cannot_be_ordered(store, customer, espresso):
    store_update(store=store, data={"currency": "EUR"})

    with pytest.raises(ValidationError) as raised:
        order_create(store=store, customer=customer, items=[{"product": espresso, "quantity": 1}])

    assert list(raised.value.message_dict) == ["items"]
    assert not Order.objects.exists()
    customer.refresh_from_db()
    assert customer.total_orders_count == 0


def test_an_order_takes_its_stores_currency(store, customer):
    store_update(store=store, data={"currency": "EUR"})
    cake = factories.ProductFactory(store=store, price=Decimal("4.50"), currency="EUR")

    order = order_create(store=store, customer=customer, items=[{"product": cake, "quantity": 2}])

    assert (order.currency, order.total) == ("EUR", Decimal("9.00"))
