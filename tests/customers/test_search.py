import pytest
from django.db import connection
from django.urls import reverse

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


def test_search_finds_a_customer_by_the_public_id_on_their_page(store, other_store, people):
    ada, _ = people
    assert names(store, ada.public_id) == ["Ada Lovelace"]
    assert names(store, f"  {ada.public_id} ") == ["Ada Lovelace"]
    assert names(store, ada.public_id.upper()) == []  # public ids are case-sensitive
    assert customer_list(store=other_store, query=ada.public_id).count() == 0


def test_a_public_id_is_found_through_its_unique_index(store, people):
    ada, _ = people
    Customer.objects.bulk_create(factories.CustomerFactory.build_batch(300, store=store))
    with connection.cursor() as cursor:  # statistics, as a real table has them
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "ANALYZE customers_customer")
    plan = customer_list(store=store, query=ada.public_id).explain()
    if connection.vendor == "sqlite":
        assert "USING INDEX sqlite_autoindex_customers_customer" in plan, plan
    else:
        assert "Index Cond: ((public_id)::text = " in plan and "Seq Scan" not in plan, plan


@pytest.mark.parametrize("typed", ["ab12-cd34", "AB12 CD34", "ab12cd34", " AB-12-CD-34 "])
def test_search_finds_a_card_code_typed_with_spaces_or_dashes(store, other_store, people, typed):
    ada, grace = people
    factories.CustomerCardFactory(customer=ada, code="AB12CD34")
    factories.CustomerCardFactory(customer=grace, code="900100000042")
    stranger = factories.CustomerFactory(store=other_store)
    factories.CustomerCardFactory(customer=stranger, code="AB12CD35")
    assert names(store, typed) == ["Ada Lovelace"]
    assert names(store, "9001 0000 0042") == ["Grace Hopper"]
    assert names(store, "9001-0000-0042") == ["Grace Hopper"]
    assert customer_list(store=other_store, query=typed).count() == 0


def test_search_by_id_or_code_is_one_query(store, people, django_assert_num_queries):
    ada, grace = people
    factories.CustomerCardFactory(customer=grace, code="AB12CD34")
    for query in (ada.public_id, "ab12-cd34", "AB12 CD34", "ada love", "4155550123"):
        with django_assert_num_queries(1):
            assert len(list(customer_list(store=store, query=query))) == 1, query


# Where staff search customers: (client fixture, page, what its search box says, the results).
SEARCH_BOXES = {
    "console": (
        "staff_client",
        "customers:list",
        'placeholder="Name, email, phone, card code or customer id"',
        lambda context: context["page_obj"].object_list,
    ),
    "admin": (
        "admin_client",
        "admin:customers_customer_changelist",
        "card code, external id or customer id",
        lambda context: context["cl"].result_list,
    ),
}


@pytest.mark.parametrize("where", SEARCH_BOXES)
def test_a_search_box_says_it_finds_a_customer_id_and_a_card_code(request, store, people, where):
    fixture, page, says, results = SEARCH_BOXES[where]
    client, url = request.getfixturevalue(fixture), reverse(page)
    ada, grace = people
    factories.CustomerCardFactory(customer=grace, code="900100000042")

    assert says in client.get(url).content.decode()
    for query, name in ((ada.public_id, "Ada Lovelace"), ("9001 0000-0042", "Grace Hopper")):
        found = results(client.get(url, {"q": query}).context)
        assert [customer.name for customer in found] == [name], query


def test_words_and_ids_mix_as_every_word_must_match(store, people):
    """Several words: all in a name or the email, or some of them an id and the others in the
    name (the search reads these two ways at once, and must give the rows of ANDing each
    word's own condition)."""
    ada, grace = people
    ExternalReference.objects.create(store=store, customer=ada, source="erp", external_id="ERP-77")
    factories.CustomerCardFactory(customer=grace, code="GH42XY")
    assert names(store, "ada ERP-77") == ["Ada Lovelace"]
    assert names(store, "ERP-77 lovelace ada") == ["Ada Lovelace"]
    assert names(store, "grace ERP-77") == []
    assert names(store, "gh42xy hopper") == ["Grace Hopper"]
    assert names(store, "GH42XY ERP-77") == []
    assert names(store, "ada hopper") == []


@pytest.mark.parametrize("typed", ["+44 20 7946 0958", "+442079460958", "+44 (0)20 7946 0958"])
def test_a_whole_number_of_another_country_is_found(store, typed):
    factories.CustomerFactory(store=store, first_name="Tim", phone="+442079460958")
    assert names(store, typed) == ["Tim " + Customer.objects.get().last_name]
