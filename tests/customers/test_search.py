import pytest

from customers.models import Customer, ExternalReference
from customers.selectors import customer_list
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(store, other_store):
    ada = factories.CustomerFactory(
        store=store,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@analytical.org",
        phone="+14155550123",
    )
    grace = factories.CustomerFactory(
        store=store,
        first_name="Grace",
        last_name="Hopper",
        email="grace@navy.mil",
        phone="+12025550188",
    )
    factories.CustomerFactory(
        store=other_store,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@elsewhere.org",
        phone="+14155550123",
    )
    return ada, grace


def names(store, query):
    return sorted(c.name for c in customer_list(store=store, query=query))


@pytest.mark.parametrize(
    "query",
    [
        "ada",
        "ADA love",
        "love ada",
        "analytical",
        "+1 415 555 0123",
        "(415) 555-0123",
        "4155550123",
        "0123",
        "555-0123",
    ],
)
def test_search_finds_ada_however_she_is_typed(store, people, query):
    assert names(store, query) == ["Ada Lovelace"]


def test_every_word_must_match(store, people):
    assert names(store, "ada hopper") == []
    assert names(store, "") == ["Ada Lovelace", "Grace Hopper"]


def test_search_finds_an_external_id(store, people):
    ada, _ = people
    ExternalReference.objects.create(store=store, customer=ada, source="erp", external_id="ERP-77")
    assert names(store, "erp-77") == ["Ada Lovelace"]


def test_search_never_crosses_stores(store, other_store, people):
    assert len(customer_list(store=other_store, query="ada")) == 1
    assert customer_list(store=other_store, query="ada").get().email == "ada@elsewhere.org"


def test_search_finds_a_loyalty_card_code(store, people):
    ada, _ = people
    factories.CustomerCardFactory(customer=ada, code="900100000042")
    assert names(store, "900100000042") == ["Ada Lovelace"]
    assert names(store, " 900100000042 ") == ["Ada Lovelace"]


def test_the_search_index_follows_every_change(store):
    """On SQLite the search goes through an FTS5 index kept by triggers; it must never fall
    behind an insert, an update (also a raw one) or a delete."""
    customer = factories.CustomerFactory(store=store, first_name="Augusta", email="aug@x.io")
    assert names(store, "augusta") == [customer.name]
    Customer.objects.filter(pk=customer.pk).update(first_name="Byron", phone="+14155550999")
    assert names(store, "augusta") == []
    assert names(store, "byron") == ["Byron " + customer.last_name]
    assert names(store, "0999") == ["Byron " + customer.last_name]
    customer.delete()
    assert names(store, "byron") == []


def test_short_words_and_quotes_still_search(store, people):
    assert names(store, "ad") == ["Ada Lovelace"]
    assert names(store, 'ada"') == []
    assert names(store, "lo'v") == []
