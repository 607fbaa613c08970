"""Who sees a network's customers in the console: a member store sees its own customers and the
network's customers it serves (an order at the store, or a card of the network), read only; the
network's staff change them; nobody sees another store's own customers."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from customers.models import Address, Customer, Tag
from tests import factories
from tests.helpers import form_data

pytestmark = pytest.mark.django_db


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def people(network, store_a, store_b, network_card):
    """Alice (Store A's own), Bob (Store B's own), and the network's Nora (an order at A and
    one at B), Nick (an order at B only), Cara (a network card, an order at B) and Quentin
    (nothing: served by no store)."""
    alice = factories.CustomerFactory(store=store_a, first_name="Alice", last_name="Own")
    bob = factories.CustomerFactory(store=store_b, first_name="Bob", last_name="Own")
    nora = factories.CustomerFactory(store=network, first_name="Nora", last_name="Ordered")
    nick = factories.CustomerFactory(store=network, first_name="Nick", last_name="Elsewhere")
    cara = factories.CustomerFactory(store=network, first_name="Cara", last_name="Carded")
    quentin = factories.CustomerFactory(store=network, first_name="Quentin", last_name="Quiet")
    factories.OrderFactory(customer=nora, store=store_a, number=7001)
    factories.OrderFactory(customer=nora, store=store_b, number=8001)
    factories.OrderFactory(customer=nick, store=store_b, number=8002)
    factories.OrderFactory(customer=cara, store=store_b, number=8003)
    factories.CustomerCardFactory(customer=cara, card=network_card, code="555000111222")
    Customer.objects.filter(pk=nora.pk).update(total_orders_count=2)
    Customer.objects.filter(pk__in=[nick.pk, cara.pk]).update(total_orders_count=1)
    return {
        "alice": alice,
        "bob": bob,
        "nora": nora,
        "nick": nick,
        "cara": cara,
        "quentin": quentin,
    }


def client_of(store, role="staff") -> Client:
    membership = factories.MembershipFactory(store=store, role=role)
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def staff_a(store_a):
    return client_of(store_a)


@pytest.fixture
def manager_a(store_a):
    return client_of(store_a, "manager")


def names(response) -> set[str]:
    """The first names of the rows of a customer list page."""
    rows = response.context["page_obj"].object_list
    return {customer.first_name for customer in rows}


def exported(response) -> dict[str, dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return {row["first_name"]: row for row in csv.DictReader(io.StringIO(text))}


# --- the list -------------------------------------------------------------------------------


def test_a_member_store_lists_its_own_and_the_network_customers_it_serves(staff_a, people):
    response = staff_a.get(reverse("customers:list"))
    assert names(response) == {"Alice", "Nora", "Cara"}
    page = response.content.decode()
    assert page.count('data-testid="customer-row"') == 3
    assert page.count('data-testid="network-badge"') == 2  # Nora and Cara, not Alice


def test_a_network_row_counts_its_orders_at_this_store(staff_a, people):
    rows = {c.first_name: c for c in staff_a.get(reverse("customers:list")).context["page_obj"]}
    assert rows["Nora"].orders_here == 1  # one at A; the one at B is not this store's
    assert rows["Cara"].orders_here == 0  # served for her card; her order was at B


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("nora", {"Nora"}),
        ("Carded", {"Cara"}),
        ("5550 0011 1222", {"Cara"}),  # a network card's code, typed in groups
        ("nick", set()),  # a network customer Store A does not serve
        ("quentin", set()),
        ("bob", set()),  # Store B's own customer
        ("own", {"Alice"}),
    ],
)
def test_search_finds_only_what_the_store_sees(staff_a, people, query, expected):
    assert names(staff_a.get(reverse("customers:list"), {"q": query})) == expected


def test_search_by_public_id_of_an_unserved_customer_finds_nothing(staff_a, people):
    for who in ("nick", "quentin", "bob"):
        response = staff_a.get(reverse("customers:list"), {"q": people[who].public_id})
        assert names(response) == set(), who
    assert names(staff_a.get(reverse("customers:list"), {"q": people["nora"].public_id})) == {
        "Nora"
    }


def test_the_orders_filter_counts_a_network_customers_orders_here(staff_a, people):
    Customer.objects.filter(pk=people["alice"].pk).update(total_orders_count=3)
    assert names(staff_a.get(reverse("customers:list"), {"orders": "yes"})) == {"Alice", "Nora"}
    assert names(staff_a.get(reverse("customers:list"), {"orders": "no"})) == {"Cara"}


def test_filters_sorting_and_paging_keep_working(staff_a, people, store_a):
    response = staff_a.get(reverse("customers:list"), {"sort": "name"})
    assert [c.first_name for c in response.context["page_obj"]] == ["Alice", "Cara", "Nora"]
    response = staff_a.get(reverse("customers:list"), {"sort": "-name"})
    assert [c.first_name for c in response.context["page_obj"]] == ["Nora", "Cara", "Alice"]
    assert names(staff_a.get(reverse("customers:list"), {"kind": "guest"})) == set()
    for n in range(30):
        factories.CustomerFactory(store=store_a, first_name=f"Zed{n:02d}")
    first = staff_a.get(reverse("customers:list"), {"sort": "name"})
    second = staff_a.get(reverse("customers:list"), {"sort": "name", "page": 2})
    assert len(first.context["page_obj"]) == 25 and len(second.context["page_obj"]) == 8
    seen = [c.first_name for c in first.context["page_obj"]] + [
        c.first_name for c in second.context["page_obj"]
    ]
    assert len(set(seen)) == 33 and {"Nora", "Cara"} <= set(seen)


def test_the_htmx_results_carry_the_badge(staff_a, people):
    response = staff_a.get(
        reverse("customers:list"), {"q": "nora"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    body = response.content.decode()
    assert '<nav class="navbar' not in body and 'data-testid="network-badge"' in body


def test_a_member_stores_list_reads_a_constant_number_of_queries(
    staff_a, store_a, network, network_card, django_assert_max_num_queries
):
    def add(n):
        for _ in range(n):
            own = factories.CustomerFactory(store=store_a)
            own.tags.add(Tag.objects.get_or_create(store=store_a, name="vip")[0])
            ordered = factories.CustomerFactory(store=network)
            factories.OrderFactory(customer=ordered, store=store_a)
            carded = factories.CustomerFactory(store=network)
            factories.CustomerCardFactory(customer=carded, card=network_card)

    add(2)
    with django_assert_max_num_queries(12) as small:
        assert staff_a.get(reverse("customers:list"), {"per_page": 100}).status_code == 200
    with django_assert_max_num_queries(12) as small_search:
        staff_a.get(reverse("customers:list"), {"per_page": 100, "q": "first"})
    add(30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = staff_a.get(reverse("customers:list"), {"per_page": 100})
    assert len(response.context["page_obj"]) == 96
    with django_assert_max_num_queries(len(small_search.captured_queries)):
        response = staff_a.get(reverse("customers:list"), {"per_page": 100, "q": "first"})
    assert len(response.context["page_obj"]) == 96


# --- the export -----------------------------------------------------------------------------


def test_the_export_follows_the_same_rule(staff_a, people):
    rows = exported(staff_a.get(reverse("customers:export")))
    assert set(rows) == {"Alice", "Nora", "Cara"}
    assert rows["Nora"]["orders"] == "1" and rows["Cara"]["orders"] == "0"
    rows = exported(staff_a.get(reverse("customers:export"), {"q": "nick"}))
    assert rows == {}


# --- a network customer's page --------------------------------------------------------------


def test_a_member_store_opens_a_served_network_customer_read_only(staff_a, people, store_a):
    nora = people["nora"]
    factories.AddressFactory(customer=nora, is_default=True)
    response = staff_a.get(reverse("customers:detail", args=[nora.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="customer-name"' in page and "Nora Ordered" in page
    assert 'data-testid="network-badge"' in page and 'data-testid="network-note"' in page
    assert "#7001" in page and "#8001" not in page  # the orders at this store only
    assert response.context["order_count"] == 1
    for name in ("edit", "delete", "address_create"):
        assert reverse(f"customers:{name}", args=[nora.pk]) not in page, name
    assert "/addresses/" not in page  # no address edit, default or delete
    assert 'id="timeline"' not in page  # the network's timeline covers the other stores


def test_a_served_network_customers_cards_are_shown(staff_a, people):
    response = staff_a.get(reverse("customers:detail", args=[people["cara"].pk]))
    assert response.status_code == 200
    assert "Network coffee card" in response.content.decode()
    assert len(response.context["enrolments"]) == 1
    assert response.context["enrolable_cards"] == []  # enrolling is a change: the network's


@pytest.mark.parametrize("who", ["nick", "quentin", "bob"])
def test_a_customer_the_store_does_not_see_is_404(staff_a, people, who):
    assert staff_a.get(reverse("customers:detail", args=[people[who].pk])).status_code == 404


def _write_urls(customer, address):
    pk = customer.pk
    return [
        reverse("customers:edit", args=[pk]),
        reverse("customers:delete", args=[pk]),
        reverse("customers:address_create", args=[pk]),
        reverse("customers:address_edit", args=[pk, address.pk]),
    ]


def _state(customer):
    customer.refresh_from_db()
    return (
        customer.first_name,
        customer.email,
        list(Address.objects.filter(customer=customer).values_list("pk", "street1", "is_default")),
    )


def test_no_change_to_a_network_customer_from_a_member_store(manager_a, people):
    nora = people["nora"]
    address = factories.AddressFactory(customer=nora, is_default=True)
    other = factories.AddressFactory(customer=nora, is_default=False)
    before = _state(nora)
    for url in _write_urls(nora, address):
        assert manager_a.get(url).status_code == 403, url
    posts = {
        reverse("customers:edit", args=[nora.pk]): form_data(first_name="Hacked"),
        reverse("customers:delete", args=[nora.pk]): {},
        reverse("customers:address_create", args=[nora.pk]): {"street1": "1 Evil Way"},
        reverse("customers:address_edit", args=[nora.pk, address.pk]): {"street1": "2 Evil"},
        reverse("customers:address_delete", args=[nora.pk, address.pk]): {},
        reverse("customers:address_default", args=[nora.pk, other.pk]): {},
    }
    for url, data in posts.items():
        assert manager_a.post(url, data).status_code == 403, url
    assert _state(nora) == before
    assert Customer.objects.filter(pk=nora.pk).exists()


def test_changes_to_an_unserved_network_customer_are_404(manager_a, people):
    nick = people["nick"]
    address = factories.AddressFactory(customer=nick, is_default=True)
    before = _state(nick)
    for url in _write_urls(nick, address):
        assert manager_a.get(url).status_code == 404, url
        assert manager_a.post(url, form_data(first_name="Hacked")).status_code == 404, url
    assert _state(nick) == before


def test_the_networks_staff_edit_and_delete_a_network_customer(network, people):
    manager = client_of(network, "manager")
    nora = people["nora"]
    url = reverse("customers:detail", args=[nora.pk])
    page = manager.get(url).content.decode()
    assert reverse("customers:edit", args=[nora.pk]) in page
    assert "#7001" in page and "#8001" in page  # the network sees every member store's orders
    response = manager.post(
        reverse("customers:edit", args=[nora.pk]),
        form_data(first_name="Noreen", email=nora.email, phone=nora.phone),
    )
    assert response.status_code == 302
    nora.refresh_from_db()
    assert nora.first_name == "Noreen"
    assert manager.post(reverse("customers:delete", args=[nora.pk])).status_code == 302
    assert not Customer.objects.filter(pk=nora.pk).exists()


# --- isolation, both ways -------------------------------------------------------------------


def test_store_b_never_sees_store_as_own_customers(store_b, people):
    staff_b = client_of(store_b)
    alice = people["alice"]
    assert "Alice" not in names(staff_b.get(reverse("customers:list")))
    assert names(staff_b.get(reverse("customers:list"), {"q": "alice"})) == set()
    assert names(staff_b.get(reverse("customers:list"), {"q": alice.public_id})) == set()
    assert staff_b.get(reverse("customers:detail", args=[alice.pk])).status_code == 404
    assert "Alice" not in exported(staff_b.get(reverse("customers:export")))
    # B serves Nora, Nick and Cara (orders at B), and never Quentin.
    assert names(staff_b.get(reverse("customers:list"))) == {"Bob", "Nora", "Nick", "Cara"}


def test_store_a_never_sees_store_bs_own_customers(staff_a, people):
    bob = people["bob"]
    assert names(staff_a.get(reverse("customers:list"), {"q": bob.email})) == set()
    assert staff_a.get(reverse("customers:detail", args=[bob.pk])).status_code == 404
    assert "Bob" not in exported(staff_a.get(reverse("customers:export")))


def test_a_store_outside_the_network_sees_no_network_customer(outsider, people):
    staff = client_of(outsider)
    factories.CustomerFactory(store=outsider, first_name="Olga")
    assert names(staff.get(reverse("customers:list"))) == {"Olga"}
    for who in ("nora", "cara", "alice"):
        customer = people[who]
        assert names(staff.get(reverse("customers:list"), {"q": customer.public_id})) == set()
        assert staff.get(reverse("customers:detail", args=[customer.pk])).status_code == 404
    assert names(staff.get(reverse("customers:list"), {"q": "555000111222"})) == set()
    assert set(exported(staff.get(reverse("customers:export")))) == {"Olga"}


def test_network_members_switch_to_the_network_as_to_a_store(network, store_a, people):
    user = factories.UserFactory()
    factories.MembershipFactory(user=user, store=store_a)
    factories.MembershipFactory(user=user, store=network, role="manager")
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("console:switch"), {"store": network.pk, "next": "/console/customers/"}
    )
    assert response.status_code == 302
    response = client.get(reverse("customers:list"))
    assert response.context["access"].store == network
    # The network's own customers, served or not; never a member store's own.
    assert names(response) == {"Nora", "Nick", "Cara", "Quentin"}
    assert 'data-testid="network-badge"' not in response.content.decode()
    client.post(reverse("console:switch"), {"store": store_a.pk})
    assert names(client.get(reverse("customers:list"))) == {"Alice", "Nora", "Cara"}


def test_a_network_customers_page_reads_a_constant_number_of_queries(
    staff_a, people, store_a, store_b, network, django_assert_max_num_queries
):
    nora = people["nora"]

    def add_history(n):
        for _ in range(n):
            factories.AddressFactory(customer=nora)
            factories.OrderFactory(customer=nora, store=store_a)
            factories.OrderFactory(customer=nora, store=store_b)
            card = factories.LoyaltyCardFactory(store=network)
            factories.RewardFactory(card=card)
            factories.CustomerCardFactory(customer=nora, card=card)

    add_history(1)
    url = reverse("customers:detail", args=[nora.pk])
    with django_assert_max_num_queries(20) as small:
        staff_a.get(url)
    add_history(6)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = staff_a.get(url)
    assert response.context["order_count"] == 8  # 1 + 7 at Store A; none of Store B's


def test_past_the_count_cap_the_list_goes_on_from_the_last_row(staff_a, people, settings):
    settings.COUNT_CAP = 2
    first = staff_a.get(reverse("customers:list"), {"sort": "name", "q": "e"})
    seen = [c.first_name for c in first.context["page_obj"]]
    assert seen == ["Alice", "Cara"]
    cursor = first.context["next_cursor"]
    assert cursor
    rest = staff_a.get(reverse("customers:list"), {"sort": "name", "q": "e", "after": cursor})
    assert rest.context["keyset"]
    assert [c.first_name for c in rest.context["page_obj"]] == ["Nora"]


def test_a_member_store_sees_the_reviews_about_it_and_its_products_only(
    staff_a, people, store_a, store_b, network
):
    nora = people["nora"]
    here = factories.ProductFactory(store=store_a, name="Here blend")
    there = factories.ProductFactory(store=store_b, name="There blend")
    for product in (here, there):
        factories.ReviewFactory(author=nora, store=network, subject_type="product", product=product)
    factories.ReviewFactory(author=nora, store=network, reviewed_store=store_a, content="Cosy.")
    factories.ReviewFactory(author=nora, store=network, reviewed_store=store_b, content="Loud.")
    shown = staff_a.get(reverse("customers:detail", args=[nora.pk])).context["reviews"]
    assert sorted(
        review.product.name if review.product else review.reviewed_store.name for review in shown
    ) == ["Here blend", "Store A"]
