"""The shopper API's orders: GET customers/orders and POST orders (checkout), through HTTP as an
app on the Fleetbase SDK calls them."""

import threading
from decimal import Decimal

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from rest_framework.test import APIClient

from customers.models import Customer
from customers.tokens import customer_token_issue
from orders.models import Order
from orders.services import order_checkout
from stores.services import api_key_create, api_key_revoke
from tests import factories
from tests.helpers import as_customer, assert_error

pytestmark = pytest.mark.django_db
API = "/storefront/v1"


@pytest.fixture
def espresso(store):
    return factories.ProductFactory(store=store, name="Espresso", sku="ESP", price=Decimal("2.80"))


@pytest.fixture
def beans(store):
    return factories.ProductFactory(store=store, name="Beans", sku="BEAN", price=Decimal("11.00"))


@pytest.fixture
def registered(customer):
    customer.password = make_password("analytical engine")
    customer.save()
    return customer


PLACE = {"name": "Home", "street1": "1 Market St", "city": "San Francisco", "country": "us"}


def checkout(api, items, **body):
    return api.post(f"{API}/orders", {"items": items, **body}, format="json")


def guest(name="Grace Hopper", **contact):
    return {"name": name, **contact}


# --- GET customers/orders -------------------------------------------------------------------


def test_orders_list_needs_the_key_and_a_customer_token(store, key, customer):
    client = APIClient()
    assert_error(client.get(f"{API}/customers/orders"), 401)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw}")
    assert_error(client.get(f"{API}/customers/orders"), 401)  # no Customer-Token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw}", HTTP_CUSTOMER_TOKEN="forged")
    assert_error(client.get(f"{API}/customers/orders"), 401)
    token = customer_token_issue(customer=customer)
    api_key_revoke(api_key=key.api_key)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw}", HTTP_CUSTOMER_TOKEN=token)
    assert_error(client.get(f"{API}/customers/orders"), 401)


def test_orders_list_shows_the_customers_orders_newest_first(api, store, customer, espresso):
    address = factories.AddressFactory(customer=customer, street1="1 Market St")
    from orders.services import order_create

    first = order_create(
        store=store,
        customer=customer,
        items=[{"product": espresso, "quantity": 2}],
        shipping_address=address,
    )
    second = order_create(store=store, customer=customer, items=[{"product": espresso}])
    someone_else = factories.CustomerFactory(store=store)
    order_create(store=store, customer=someone_else, items=[{"product": espresso}])

    body = as_customer(api, customer).get(f"{API}/customers/orders").json()

    assert [o["id"] for o in body] == [second.public_id, first.public_id]
    assert body[1] == {
        "id": first.public_id,
        "number": 1,
        "status": "created",
        "currency": "USD",
        "subtotal": "5.60",
        "total": "5.60",
        "items": [
            {
                "product": espresso.public_id,
                "name": "Espresso",
                "quantity": 2,
                "unit_price": "2.80",
                "total": "5.60",
            }
        ],
        "shipping_address": {**address.snapshot(), "street1": "1 Market St"},
        "customer": customer.public_id,
        "store": {"id": store.public_id, "name": store.name},
        "created_at": body[1]["created_at"],
    }
    assert first.public_id.startswith("order_")


def test_a_token_of_another_store_is_refused(store, other_store, customer):
    factories.OrderFactory(customer=customer)
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {api_key_create(store=other_store, kind='publishable').raw}",
        HTTP_CUSTOMER_TOKEN=customer_token_issue(customer=customer),
    )
    assert_error(client.get(f"{API}/customers/orders"), 401)


def test_orders_list_pages_with_limit_and_offset(api, customer):
    orders = [factories.OrderFactory(customer=customer) for _ in range(5)]
    newest_first = [o.public_id for o in sorted(orders, key=lambda o: o.pk, reverse=True)]
    as_customer(api, customer)
    page = api.get(f"{API}/customers/orders", {"limit": 2, "offset": 2}).json()
    assert [o["id"] for o in page] == newest_first[2:4]
    assert_error(api.get(f"{API}/customers/orders", {"limit": 101}), 422, "limit")


def test_orders_list_queries_do_not_grow_with_the_page(
    api, store, customer, espresso, beans, django_assert_num_queries, settings
):
    settings.API_KEY_CACHE_SECONDS = 0  # the key is one of the queries counted
    from orders.services import order_create

    for _ in range(12):
        order_create(
            store=store,
            customer=customer,
            items=[{"product": espresso, "quantity": 1}, {"product": beans, "quantity": 2}],
        )
    as_customer(api, customer).get(f"{API}/customers/orders")  # last-used times written once

    # The key, the token (with its customer), the orders (with their customer), the lines.
    with django_assert_num_queries(4):
        assert len(api.get(f"{API}/customers/orders", {"limit": 1}).json()) == 1
    with django_assert_num_queries(4):
        page = api.get(f"{API}/customers/orders", {"limit": 12}).json()
    assert len(page) == 12 and all(len(o["items"]) == 2 for o in page)


# --- POST orders: a logged-in customer ------------------------------------------------------


def test_checkout_as_the_logged_in_customer(api, store, customer, espresso, beans):
    place = factories.AddressFactory(customer=customer, street1="1 Market St")
    as_customer(api, customer)

    response = checkout(
        api,
        [{"product": espresso.public_id, "quantity": 3}, {"product": beans.public_id}],
        shipping_address=place.public_id,
    )

    assert response.status_code == 201, response.content
    body = response.json()
    order = Order.objects.get(public_id=body["id"])
    assert order.customer == customer and body["customer"] == customer.public_id
    assert body["subtotal"] == body["total"] == "19.40"
    assert [(i["product"], i["quantity"], i["total"]) for i in body["items"]] == [
        (espresso.public_id, 3, "8.40"),
        (beans.public_id, 1, "11.00"),
    ]
    assert body["shipping_address"]["street1"] == "1 Market St"
    customer.refresh_from_db()
    assert (customer.total_orders_count, customer.status) == (1, "acquired")
    assert [o["id"] for o in api.get(f"{API}/customers/orders").json()] == [body["id"]]


def test_prices_sent_by_the_shopper_are_ignored(api, customer, espresso):
    as_customer(api, customer)
    response = checkout(
        api,
        [{"product": espresso.public_id, "quantity": 2, "price": "0.01", "unit_price": "0.01"}],
        total="0.02",
        subtotal="0.02",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["total"] == "5.60" and body["items"][0]["unit_price"] == "2.80"
    assert Order.objects.get().total == Decimal("5.60")


def test_checkout_with_a_new_place(api, customer, espresso):
    as_customer(api, customer)
    place = {**PLACE, "location": {"type": "Point", "coordinates": [-122.4, 37.79]}}
    response = checkout(api, [{"product": espresso.public_id}], shipping_address=place)
    assert response.status_code == 201, response.content
    snapshot = response.json()["shipping_address"]
    assert snapshot["street1"] == "1 Market St" and snapshot["country"] == "US"
    assert snapshot["location"] == {"type": "Point", "coordinates": [-122.4, 37.79]}
    assert not customer.addresses.exists()  # a checkout does not save the place


def test_a_token_wins_over_a_customer_in_the_body(api, customer, espresso):
    as_customer(api, customer)
    response = checkout(
        api, [{"product": espresso.public_id}], customer=customer.public_id
    )  # some SDK versions send the customer's id
    assert response.status_code == 201, response.content
    assert Order.objects.get().customer == customer


def test_another_customers_place_is_refused(api, store, customer, espresso):
    other_place = factories.AddressFactory(customer=factories.CustomerFactory(store=store))
    as_customer(api, customer)
    response = checkout(
        api, [{"product": espresso.public_id}], shipping_address=other_place.public_id
    )
    assert_error(response, 422, "shipping_address")
    assert not Order.objects.exists()


# --- POST orders: validation ----------------------------------------------------------------


@pytest.mark.parametrize(
    "items",
    [
        [],
        "espresso",
        [{"product": "product_doesnotexist", "quantity": 1}],
        [{"product": "ESPRESSO", "quantity": 0}],
        [{"product": "ESPRESSO", "quantity": 1000}],
        [{"product": "ESPRESSO", "quantity": "two"}],
        [{"quantity": 1}],
        [{"product": "RIVAL", "quantity": 1}],
        [{"product": "RETIRED", "quantity": 1}],
    ],
)
def test_bad_items_are_422_on_items(api, store, other_store, customer, espresso, items):
    ids = {
        "ESPRESSO": espresso.public_id,
        "RIVAL": factories.ProductFactory(store=other_store).public_id,
        "RETIRED": factories.ProductFactory(store=store, active=False).public_id,
    }
    if isinstance(items, list):
        items = [
            {**i, "product": ids.get(i["product"], i["product"])} if "product" in i else i
            for i in items
        ]
    as_customer(api, customer)
    assert_error(checkout(api, items), 422, "items")
    assert not Order.objects.exists()


def test_a_bad_place_is_422_on_shipping_address(api, customer, espresso):
    as_customer(api, customer)
    for place in ({"city": "Nowhere"}, {**PLACE, "country": "USA"}, 42):
        assert_error(
            checkout(api, [{"product": espresso.public_id}], shipping_address=place),
            422,
            "shipping_address",
        )


def test_without_token_or_guest_the_checkout_is_422_on_customer(api, espresso):
    assert_error(checkout(api, [{"product": espresso.public_id}]), 422, "customer")


@pytest.mark.parametrize(
    "who",
    [
        {"name": "Grace"},
        {"name": "Grace", "email": "", "phone": ""},
        {"name": "Grace", "email": "not an email"},
        {"name": "Grace", "phone": "12"},
        {"name": "", "email": "grace@example.com"},
        {"email": "grace@example.com"},
        "customer_abc",
    ],
)
def test_a_bad_guest_is_422_on_customer(api, espresso, who):
    assert_error(checkout(api, [{"product": espresso.public_id}], customer=who), 422, "customer")
    assert not Customer.objects.exists() and not Order.objects.exists()


def test_errors_of_every_part_come_together(api):
    response = checkout(api, [{"product": "product_nope"}], shipping_address="place_nope")
    assert_error(response, 422)
    assert set(response.json()["fields"]) == {"items", "customer", "shipping_address"}


def test_a_refused_order_leaves_no_guest_record(api, espresso):
    response = checkout(
        api,
        [{"product": espresso.public_id}, {"product": "product_nope"}],
        customer=guest(email="grace@example.com"),
    )
    assert_error(response, 422, "items")
    assert not Customer.objects.exists()


# --- POST orders: guests --------------------------------------------------------------------


def test_a_guest_checkout_creates_a_guest_record(api, store, espresso):
    response = checkout(
        api,
        [{"product": espresso.public_id, "quantity": 2}],
        customer=guest("Grace  Brewster Hopper", email="Grace@Example.com", phone="(202) 555-0188"),
        shipping_address=PLACE,
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["customer"] is None  # a guest answer never names a record (see the view)
    assert body["total"] == "5.60"
    grace = Customer.objects.get()
    assert grace.is_guest and grace.store == store and not grace.has_password
    assert (grace.first_name, grace.last_name) == ("Grace", "Brewster Hopper")
    assert (grace.email, grace.phone) == ("grace@example.com", "+12025550188")
    assert (grace.total_orders_count, grace.status) == (1, "acquired")
    order = Order.objects.get()
    assert order.customer == grace
    assert (order.customer_name, order.customer_email, order.customer_phone) == (
        "Grace Brewster Hopper",
        "grace@example.com",
        "+12025550188",
    )


def test_a_second_guest_checkout_reuses_the_record(api, espresso):
    first = checkout(
        api, [{"product": espresso.public_id}], customer=guest("Grace", email="g@example.com")
    )
    assert first.status_code == 201, first.content
    second = checkout(
        api,
        [{"product": espresso.public_id}],
        customer=guest("Grace Hopper", email="G@EXAMPLE.COM", phone="202 555 0188"),
    )
    assert second.status_code == 201, second.content

    grace = Customer.objects.get()
    assert (grace.total_orders_count, grace.status) == (2, "repeat")
    assert grace.last_name == "Hopper"  # a missing name is filled in
    assert grace.orders.count() == 2
    assert first.json()["customer"] == second.json()["customer"] is None
    assert Order.objects.order_by("number").last().customer_phone == "+12025550188"


def test_a_guest_found_by_phone_is_reused(api, store, espresso):
    checkout(api, [{"product": espresso.public_id}], customer=guest(phone="+12025550188"))
    checkout(
        api,
        [{"product": espresso.public_id}],
        customer=guest(phone="202-555-0188", email="grace@example.com"),
    )
    grace = Customer.objects.get()
    assert grace.total_orders_count == 2


def test_a_checkout_never_adds_an_email_or_phone_to_a_guest_record(api, store, espresso):
    """Registering with an email turns the guest record holding it into the account: were the
    typed (unverified) email added to the victim's record found by phone, registering with it
    would hand the victim's guest orders to whoever typed it."""
    checkout(api, [{"product": espresso.public_id}], customer=guest(phone="+12025550188"))
    checkout(
        api,
        [{"product": espresso.public_id}],
        customer=guest("Mallory", phone="+12025550188", email="mallory@example.com"),
    )
    victim = Customer.objects.get()
    assert victim.email == "" and victim.phone == "+12025550188"


def test_a_guest_using_a_registered_email_is_not_attached_to_the_account(api, registered, espresso):
    response = checkout(
        api,
        [{"product": espresso.public_id}],
        customer=guest("Mallory", email="ADA@example.com"),
    )

    assert response.status_code == 201, response.content
    assert response.json()["customer"] is None  # the same answer as for an unknown email
    order = Order.objects.get()
    assert order.customer is None and order.customer_email == "ada@example.com"
    assert order.customer_name == "Mallory"
    registered.refresh_from_db()
    assert registered.total_orders_count == 0 and not registered.is_guest
    assert Customer.objects.count() == 1  # no second record with the account's email
    assert as_customer(api, registered).get(f"{API}/customers/orders").json() == []


def test_a_guest_with_a_registered_email_and_a_new_phone_gets_a_guest_record(
    api, store, registered, espresso
):
    response = checkout(
        api,
        [{"product": espresso.public_id}],
        customer=guest("Mallory", email="ada@example.com", phone="202 555 0199"),
    )
    assert response.status_code == 201, response.content
    mallory = Customer.objects.get(is_guest=True)
    assert (mallory.email, mallory.phone) == ("", "+12025550199")
    assert Order.objects.get().customer == mallory
    registered.refresh_from_db()
    assert registered.total_orders_count == 0


def test_a_guest_made_by_checkout_cannot_log_in(api, espresso):
    checkout(api, [{"product": espresso.public_id}], customer=guest(email="grace@example.com"))
    assert Customer.objects.get().is_guest
    for password in ("", "anything", "correct horse battery"):
        response = api.post(
            f"{API}/customers/login",
            {"identity": "grace@example.com", "password": password or "x"},
            format="json",
        )
        assert_error(response, 401)


def test_orders_are_numbered_per_store(api, store, other_store, espresso):
    factories.OrderFactory(customer=factories.CustomerFactory(store=other_store), number=7)
    numbers = [
        checkout(
            api, [{"product": espresso.public_id}], customer=guest(email="g@example.com")
        ).json()["number"]
        for _ in range(2)
    ]
    assert numbers == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_concurrent_guest_checkouts_share_one_record(store):
    product = factories.ProductFactory(store=store)
    barrier = threading.Barrier(6)
    failures = []

    def place():
        try:
            barrier.wait(timeout=30)
            order_checkout(
                store=store,
                customer=None,
                guest={"name": "Grace", "email": "grace@example.com"},
                items=[{"product": product.public_id, "quantity": 1}],
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=place) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    grace = Customer.objects.get()
    assert (grace.total_orders_count, grace.status) == (6, "repeat")
    assert Order.objects.filter(customer=grace).count() == 6
