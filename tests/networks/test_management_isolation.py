"""Who sees a network's customers in the management API: the network's secret key works on
/api/v1/accounts/{network_id}/… as a store's does; a member store's key reads the network's
customers it serves (an order at the store, or a card of the network) through its own paths,
and changes none of them; nobody reads another store's own customers."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer, CustomerEvent, ExternalReference, Tag
from stores.services import api_key_create
from tests import factories
from tests.helpers import assert_error, client_of

pytestmark = pytest.mark.django_db


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def people(network, store_a, store_b, network_card):
    """Alice (Store A's own), Bob (Store B's own), and the network's Nora (an order at A), Nick
    (an order at B), Cara (a network card) and Quentin (served by no store)."""
    made = {
        "alice": factories.CustomerFactory(store=store_a, first_name="Alice"),
        "bob": factories.CustomerFactory(store=store_b, first_name="Bob"),
        "nora": factories.CustomerFactory(store=network, first_name="Nora"),
        "nick": factories.CustomerFactory(store=network, first_name="Nick"),
        "cara": factories.CustomerFactory(store=network, first_name="Cara"),
        "quentin": factories.CustomerFactory(store=network, first_name="Quentin"),
    }
    factories.OrderFactory(customer=made["nora"], store=store_a)
    factories.OrderFactory(customer=made["nora"], store=store_b)
    factories.OrderFactory(customer=made["nick"], store=store_b)
    Customer.objects.filter(pk=made["nora"].pk).update(total_orders_count=2)
    factories.CustomerCardFactory(customer=made["cara"], card=network_card)
    return made


def api_of(account):
    return client_of(api_key_create(store=account, kind="secret"))


def base(account) -> str:
    return f"/api/v1/accounts/{account.pk}"


def listed(client, account, **params) -> set[str]:
    response = client.get(f"{base(account)}/customers", params)
    assert response.status_code == 200, response.content
    return {row["first_name"] for row in response.json()["customers"]}


def snapshot() -> list:
    """Every customer's fields that a write could change, and the events: a refused call
    leaves them as they were."""
    return [
        list(Customer.objects.order_by("pk").values_list("pk", "first_name", "email", "metadata")),
        CustomerEvent.objects.count(),
    ]


# --- the network's own key ------------------------------------------------------------------


def test_the_networks_key_lists_creates_reads_and_updates_its_customers(network, people):
    api = api_of(network)
    assert listed(api, network) == {"Nora", "Nick", "Cara", "Quentin"}

    response = api.post(
        f"{base(network)}/customers",
        {"customer": {"first_name": "Nadia", "email": "nadia@example.com"}},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["account_id"] == network.pk
    assert Customer.objects.get(pk=body["id"]).store == network

    url = f"{base(network)}/customers/{people['nick'].pk}"
    assert api.get(url).json()["first_name"] == "Nick"
    response = api.patch(url, {"customer": {"first_name": "Nicholas"}})
    assert response.status_code == 200, response.content
    assert Customer.objects.get(pk=people["nick"].pk).first_name == "Nicholas"


def test_the_networks_key_does_not_reach_a_member_stores_own_customers(network, people):
    api = api_of(network)
    assert "Alice" not in listed(api, network)
    url = f"{base(network)}/customers/{people['alice'].pk}"
    assert_error(api.get(url), 404)
    assert_error(api.patch(url, {"customer": {"first_name": "X"}}), 404)


def test_the_networks_key_cannot_use_a_member_stores_paths(network, store_a, people):
    assert_error(api_of(network).get(f"{base(store_a)}/customers"), 404)


# --- a member store's key -------------------------------------------------------------------


def test_a_member_stores_list_holds_the_network_customers_it_serves(store_a, network, people):
    api = api_of(store_a)
    response = api.get(f"{base(store_a)}/customers")
    rows = {row["first_name"]: row for row in response.json()["customers"]}
    assert set(rows) == {"Alice", "Nora", "Cara"}
    # A network customer says whose they are.
    assert rows["Nora"]["account_id"] == network.pk and rows["Alice"]["account_id"] == store_a.pk
    assert len(rows["Cara"]["customer_cards"]) == 1
    # Their orders at this store, not the network's other stores' (Nora has one at B too).
    assert rows["Nora"]["total_orders_count"] == 1 and rows["Cara"]["total_orders_count"] == 0
    assert response.json()["pagination"]["count"] == 3


def test_a_member_stores_search_finds_served_network_customers_only(store_a, people):
    api = api_of(store_a)
    assert listed(api, store_a, search="nora") == {"Nora"}
    assert listed(api, store_a, search="nick") == set()
    assert listed(api, store_a, search=people["quentin"].email) == set()
    assert listed(api, store_a, search=people["bob"].email) == set()
    ExternalReference.objects.create(
        store=people["nora"].store, customer=people["nora"], source="erp", external_id="N-1"
    )
    assert listed(api, store_a, source="erp", external_id="N-1") == {"Nora"}


def test_a_member_store_reads_a_served_network_customer(store_a, people):
    api = api_of(store_a)
    for who in ("nora", "cara"):
        response = api.get(f"{base(store_a)}/customers/{people[who].pk}")
        assert response.status_code == 200, response.content
        assert response.json()["id"] == people[who].pk
    assert (
        api.get(f"{base(store_a)}/customers/{people['nora'].pk}").json()["total_orders_count"] == 1
    )
    network_api = api_of(people["nora"].store)
    network_url = f"{base(people['nora'].store)}/customers/{people['nora'].pk}"
    assert network_api.get(network_url).json()["total_orders_count"] == 2


@pytest.mark.parametrize("who", ["nick", "quentin", "bob"])
def test_a_customer_the_store_does_not_see_is_404(store_a, people, who):
    api = api_of(store_a)
    url = f"{base(store_a)}/customers/{people[who].pk}"
    before = snapshot()
    assert_error(api.get(url), 404)
    assert_error(api.patch(url, {"customer": {"first_name": "X"}}), 404)
    assert_error(api.put(url, {"customer": {"first_name": "X"}}), 404)
    assert_error(api.delete(url), 404)
    assert snapshot() == before


def test_a_member_store_changes_no_network_customer(store_a, people):
    api = api_of(store_a)
    url = f"{base(store_a)}/customers/{people['nora'].pk}"
    before = snapshot()
    body = assert_error(api.patch(url, {"customer": {"first_name": "Hacked"}}), 403)
    assert "network" in body["errors"][0]
    assert_error(api.put(url, {"customer": {"metadata": {"x": 1}}}), 403)
    assert_error(api.delete(url), 403)
    assert snapshot() == before


def test_a_member_store_still_changes_its_own_customers(store_a, people):
    api = api_of(store_a)
    url = f"{base(store_a)}/customers/{people['alice'].pk}"
    assert api.patch(url, {"customer": {"first_name": "Alicia"}}).status_code == 200
    assert api.delete(url).status_code == 204
    assert not Customer.objects.filter(pk=people["alice"].pk).exists()


def test_a_member_store_creates_its_own_customer(store_a, people):
    api = api_of(store_a)
    response = api.post(
        f"{base(store_a)}/customers",
        {"customer": {"first_name": "Ann", "email": people["nora"].email}},
    )
    assert response.status_code == 201, response.content  # the network's email is not A's
    assert Customer.objects.get(pk=response.json()["id"]).store == store_a


# --- isolation, both ways -------------------------------------------------------------------


def test_store_b_never_reads_store_as_own_customers(store_b, people):
    api = api_of(store_b)
    assert listed(api, store_b) == {"Bob", "Nora", "Nick", "Cara"}  # Cara: a network card
    assert listed(api, store_b, search="alice") == set()
    assert_error(api.get(f"{base(store_b)}/customers/{people['alice'].pk}"), 404)


def test_a_store_outside_the_network_reads_no_network_customer(outsider, people):
    api = api_of(outsider)
    factories.CustomerFactory(store=outsider, first_name="Olga")
    assert listed(api, outsider) == {"Olga"}
    assert listed(api, outsider, search="nora") == set()
    for who in ("nora", "cara", "alice"):
        assert_error(api.get(f"{base(outsider)}/customers/{people[who].pk}"), 404)


# --- query counts ---------------------------------------------------------------------------


def test_a_member_stores_list_takes_the_same_queries_for_any_number(
    store_a, network, network_card, django_assert_max_num_queries
):
    api = api_of(store_a)
    url = f"{base(store_a)}/customers"
    api.get(url)  # the key's last-used time is written once
    vip = Tag.objects.create(store=store_a, name="vip")

    def add(n):
        for _ in range(n):
            own = factories.CustomerFactory(store=store_a)
            own.tags.add(vip)
            ordered = factories.CustomerFactory(store=network)
            factories.OrderFactory(customer=ordered, store=store_a)
            carded = factories.CustomerFactory(store=network)
            factories.CustomerCardFactory(customer=carded, card=network_card)

    add(2)
    with CaptureQueriesContext(connection) as few:
        assert len(api.get(url, {"items": 100}).json()["customers"]) == 6
    with CaptureQueriesContext(connection) as few_search:
        api.get(url, {"items": 100, "search": "first"})
    add(20)
    with django_assert_max_num_queries(len(few)):
        assert len(api.get(url, {"items": 100}).json()["customers"]) == 66
    with django_assert_max_num_queries(len(few_search)):
        assert len(api.get(url, {"items": 100, "search": "first"}).json()["customers"]) == 66


def test_a_member_store_reads_a_served_customers_addresses_and_its_own_orders_only(
    store_a, network, people
):
    nora = people["nora"]
    factories.AddressFactory(customer=nora, street1="1 Network Way")
    client = api_of(store_a)
    url = f"{base(store_a)}/customers/{nora.pk}"

    addresses = client.get(f"{url}/addresses")
    assert addresses.status_code == 200, addresses.content
    assert [row["street1"] for row in addresses.json()] == ["1 Network Way"]
    orders = client.get(f"{url}/orders").json()["orders"]
    assert [row["store"]["name"] for row in orders] == ["Store A"]  # not her order at B
    network_orders = api_of(network).get(f"{base(network)}/customers/{nora.pk}/orders").json()
    assert sorted(row["store"]["name"] for row in network_orders["orders"]) == [
        "Store A",
        "Store B",
    ]

    before = snapshot()
    assert_error(client.post(f"{url}/addresses", {"street1": "2 Other St"}), 403)
    address = nora.addresses.get()
    assert_error(client.delete(f"{url}/addresses/{address.pk}"), 403)
    assert snapshot() == before and nora.addresses.count() == 1
    # Quentin is served by no store: not even his addresses.
    assert_error(client.get(f"{base(store_a)}/customers/{people['quentin'].pk}/addresses"), 404)
