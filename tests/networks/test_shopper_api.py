"""The shopper API with a network's key: the network's customers, its member stores' catalogue,
orders placed at a member store, reviews of member stores and their products."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from customers.models import Customer
from customers.tokens import customer_token_issue
from orders.models import Order
from reviews.models import Review
from stores.services import network_create, store_create
from tests import factories
from tests.customers.test_api_accounts import last_code
from tests.helpers import assert_error
from tests.webhooks.conftest import endpoint_for, receiver  # noqa: F401 - a fixture
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db
API = "/storefront/v1"


@pytest.fixture
def chain():
    north = store_create(name="North Street", currency="EUR")
    south = store_create(name="South Pier", currency="EUR")
    outsider = store_create(name="Rival Roasters", currency="EUR")
    network = network_create(
        name="Coffee Chain", store_ids=[south.store.pk, north.store.pk], currency="EUR"
    )
    return {
        "network": network.network,
        "key": network.publishable_key,
        "secret": network.secret_key,
        "north": north.store,
        "north_key": north.publishable_key,
        "south": south.store,
        "outsider": outsider.store,
        "outsider_key": outsider.publishable_key,
        "flat_white": factories.ProductFactory(
            store=north.store, name="Flat white", price=Decimal("3.20"), currency="EUR"
        ),
        "croissant": factories.ProductFactory(
            store=south.store, name="Croissant", price=Decimal("2.10"), currency="EUR"
        ),
        "rival_cake": factories.ProductFactory(
            store=outsider.store, name="Cake", price=Decimal("4.00"), currency="EUR"
        ),
    }


def keyed(raw: str, customer=None) -> APIClient:
    """A shopper API client with the raw key `raw` and, given a customer, a token of theirs."""
    client = APIClient()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    if customer is not None:
        headers["HTTP_CUSTOMER_TOKEN"] = customer_token_issue(customer=customer)
    client.credentials(**headers)
    return client


@pytest.fixture
def ada(chain):
    return factories.CustomerFactory(
        store=chain["network"], first_name="Ada", email="ada@example.com", phone=""
    )


def test_about_says_network_and_lists_the_member_stores(chain):
    body = keyed(chain["key"]).get(f"{API}/about").json()
    assert body["id"] == chain["network"].public_id and body["id"].startswith("network_")
    assert body["is_network"] is True and body["name"] == "Coffee Chain"
    assert body["stores"] == [
        {"id": chain["north"].public_id, "name": "North Street"},
        {"id": chain["south"].public_id, "name": "South Pier"},
    ]
    member = keyed(chain["north_key"]).get(f"{API}/about").json()
    assert member["is_network"] is False and member["stores"] == []


def test_stores_lists_the_member_stores(chain):
    body = keyed(chain["key"]).get(f"{API}/stores").json()
    assert [(store["id"], store["name"], store["is_network"]) for store in body] == [
        (chain["north"].public_id, "North Street", False),
        (chain["south"].public_id, "South Pier", False),
    ]
    assert_error(keyed(chain["north_key"]).get(f"{API}/stores"), 404)


def test_products_are_the_member_stores_and_filter_by_store(chain):
    api = keyed(chain["key"])
    listed = api.get(f"{API}/products").json()
    assert [(p["name"], p["store"]) for p in listed] == [
        ("Croissant", chain["south"].public_id),
        ("Flat white", chain["north"].public_id),
    ]
    north = api.get(f"{API}/products", {"store": chain["north"].public_id}).json()
    assert [p["name"] for p in north] == ["Flat white"]
    for store in (chain["outsider"].public_id, chain["network"].public_id, "store_nope"):
        assert_error(api.get(f"{API}/products", {"store": store}), 422, "store")
    # One product of a member store, by its id; the outsider's is not the network's.
    assert api.get(f"{API}/products/{chain['croissant'].public_id}").status_code == 200
    assert_error(api.get(f"{API}/products/{chain['rival_cake'].public_id}"), 404)
    # A store's key: its own products; `store` may only name itself.
    store_api = keyed(chain["north_key"])
    assert [p["name"] for p in store_api.get(f"{API}/products").json()] == ["Flat white"]
    assert store_api.get(f"{API}/products", {"store": chain["north"].public_id}).status_code == 200
    assert_error(store_api.get(f"{API}/products", {"store": chain["south"].public_id}), 422)


def test_registration_with_the_network_key_makes_a_network_customer(chain):
    api = keyed(chain["key"])
    api.post(
        f"{API}/customers/request-creation-code",
        {"identity": "grace@example.com", "mode": "email"},
        format="json",
    )
    response = api.post(
        f"{API}/customers",
        {"identity": "grace@example.com", "code": last_code(), "name": "Grace Hopper"},
        format="json",
    )
    assert response.status_code == 201, response.content
    grace = Customer.objects.get(public_id=response.json()["id"])
    assert grace.store == chain["network"]
    # The same email at a member store is another account.
    store_api = keyed(chain["north_key"])
    store_api.post(
        f"{API}/customers/request-creation-code",
        {"identity": "grace@example.com", "mode": "email"},
        format="json",
    )
    response = store_api.post(
        f"{API}/customers",
        {"identity": "grace@example.com", "code": last_code(), "name": "Grace at North"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Customer.objects.filter(email="grace@example.com").count() == 2
    assert Customer.objects.get(public_id=response.json()["id"]).store == chain["north"]


def order(api, store, product, quantity=1):
    body = {"items": [{"product": product.public_id, "quantity": quantity}]}
    if store is not None:
        body["store"] = store.public_id
    return api.post(f"{API}/orders", body, format="json")


def test_an_order_at_each_member_store_shows_in_the_history_with_its_store(chain, ada):
    api = keyed(chain["key"], ada)
    first = order(api, chain["north"], chain["flat_white"], 2)
    assert first.status_code == 201, first.content
    assert first.json()["store"] == {"id": chain["north"].public_id, "name": "North Street"}
    second = order(api, chain["south"], chain["croissant"])
    assert second.status_code == 201, second.content

    placed = Order.objects.order_by("id")
    assert [(o.store, o.customer, o.total, o.currency) for o in placed] == [
        (chain["north"], ada, Decimal("6.40"), "EUR"),
        (chain["south"], ada, Decimal("2.10"), "EUR"),
    ]
    assert [o.number for o in placed] == [1, 1]  # each store numbers its own orders
    history = api.get(f"{API}/customers/orders").json()
    assert [(row["id"], row["store"]["name"]) for row in history] == [
        (second.json()["id"], "South Pier"),
        (first.json()["id"], "North Street"),
    ]
    ada.refresh_from_db()
    assert ada.total_orders_count == 2


def test_an_order_with_a_network_key_needs_a_member_store(chain, ada):
    api = keyed(chain["key"], ada)
    assert_error(order(api, None, chain["flat_white"]), 422, "store")
    assert_error(order(api, chain["outsider"], chain["rival_cake"]), 422, "store")
    assert_error(order(api, chain["network"], chain["flat_white"]), 422, "store")
    # A product of another member store than the one named.
    assert_error(order(api, chain["south"], chain["flat_white"]), 422, "items")
    assert not Order.objects.exists()


def test_a_guest_order_with_a_network_key_makes_a_network_guest(chain):
    api = keyed(chain["key"])
    response = api.post(
        f"{API}/orders",
        {
            "store": chain["south"].public_id,
            "items": [{"product": chain["croissant"].public_id}],
            "customer": {"name": "Guest Person", "email": "guest@example.com"},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    placed = Order.objects.get()
    assert placed.store == chain["south"] and placed.customer.store == chain["network"]


def test_the_store_keeps_the_network_order_in_its_reports(chain, ada):
    order(keyed(chain["key"], ada), chain["north"], chain["flat_white"])
    north_owner = factories.MembershipFactory(store=chain["north"], role="owner").user
    south_owner = factories.MembershipFactory(store=chain["south"], role="owner").user

    def orders_on_dashboard(user) -> str:
        client = Client()
        client.force_login(user)
        page = client.get(reverse("console:dashboard")).content.decode()
        start = page.index('data-stat="orders"')
        return page[start : page.index("<", start)]

    network_owner = factories.MembershipFactory(store=chain["network"], role="owner").user
    assert orders_on_dashboard(north_owner).endswith(">1")
    assert orders_on_dashboard(south_owner).endswith(">0")
    # The network counts its member stores' orders.
    assert orders_on_dashboard(network_owner).endswith(">1")


def test_a_network_order_is_an_event_for_the_store_and_the_network(
    chain,
    ada,
    receiver,  # noqa: F811 - the fixture imported above
):
    endpoint_for(chain["north"], receiver.url, events=["order.created"])
    endpoint_for(chain["network"], receiver.url, events=["order.created"])
    endpoint_for(chain["south"], receiver.url, events=["order.created"])
    order(keyed(chain["key"], ada), chain["north"], chain["flat_white"])
    assert sorted(event.store.name for event in WebhookEvent.objects.all()) == [
        "Coffee Chain",
        "North Street",
    ]
    assert {body["data"]["store"]["name"] for body in map(receiver.json, range(2))} == {
        "North Street"
    }


def test_reviews_of_member_stores_and_their_products(chain, ada):
    api = keyed(chain["key"], ada)

    def post(subject, rating=5):
        return api.post(f"{API}/reviews", {"subject": subject, "rating": rating}, format="json")

    for subject in (
        chain["north"].public_id,
        chain["south"].public_id,
        chain["network"].public_id,
        chain["flat_white"].public_id,
    ):
        response = post(subject)
        assert response.status_code == 201, response.content
        assert response.json()["subject"] == subject
    # One review per subject; nothing of a store outside the network.
    assert_error(post(chain["north"].public_id), 422, "subject")
    assert_error(post(chain["outsider"].public_id), 422, "subject")
    assert_error(post(chain["rival_cake"].public_id), 422, "subject")
    assert Review.objects.count() == 4 and {r.store for r in Review.objects.all()} == {
        chain["network"]
    }

    listed = api.get(f"{API}/reviews", {"subject": chain["north"].public_id}).json()
    assert [review["subject"] for review in listed] == [chain["north"].public_id]
    whole = api.get(f"{API}/reviews", {"subject": chain["network"].public_id}).json()
    assert [review["subject"] for review in whole] == [chain["network"].public_id]
    assert len(api.get(f"{API}/reviews").json()) == 4
    product = api.get(f"{API}/products/{chain['flat_white'].public_id}").json()
    assert product["rating"] == {"average": 5.0, "count": 1}
    # A store's key never sees the network's reviews.
    assert keyed(chain["north_key"]).get(f"{API}/reviews").json() == []


def test_a_network_customers_token_works_only_with_the_network_key(chain, ada):
    token = customer_token_issue(customer=ada)
    for raw in (chain["north_key"], chain["outsider_key"]):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_CUSTOMER_TOKEN=token)
        assert_error(client.get(f"{API}/customers/orders"), 401)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {chain['key']}", HTTP_CUSTOMER_TOKEN=token)
    assert client.get(f"{API}/customers/orders").status_code == 200


def test_network_staff_switch_to_the_network_and_set_reviews_enabled(chain):
    owner = factories.MembershipFactory(store=chain["network"], role="owner").user
    factories.MembershipFactory(store=chain["north"], role="owner", user=owner)
    client = Client()
    client.force_login(owner)
    client.post(reverse("console:switch"), {"store": chain["network"].pk})
    page = client.get(reverse("console:settings"))
    assert page.status_code == 200 and page.context["access"].store == chain["network"]
    form = page.context["form"]
    data = {**form.initial, "reviews_enabled": ""}
    data = {key: value for key, value in data.items() if value not in (None, False)}
    response = client.post(reverse("console:settings"), data)
    assert response.status_code == 302, response.context["form"].errors
    chain["network"].refresh_from_db()
    assert chain["network"].reviews_enabled is False
    assert keyed(chain["key"]).get(f"{API}/about").json()["reviews_enabled"] is False
    # The member store's own setting is its own.
    assert keyed(chain["north_key"]).get(f"{API}/about").json()["reviews_enabled"] is True
