"""The management API's customers (/api/v1/accounts/{account_id}/customers…, Leal-compatible):
list and search, create (with a card, card links, idempotent retries), read, update, delete,
and addresses."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from customers import notifications
from customers.models import Address, Customer, CustomerEvent, ExternalReference, Tag
from customers.selectors import customer_search
from loyalty.api.serializers import EnrolmentSerializer
from loyalty.models import StampEntry
from loyalty.selectors import enrolment_list
from orders.models import Order
from stores.services import api_key_create, api_key_revoke
from tests import factories
from tests.helpers import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.api_key("secret")]

CUSTOMER_FIELDS = {
    "id",
    "account_id",
    "first_name",
    "last_name",
    "name",
    "email",
    "phone",
    "birthday",
    "metadata",
    "external_references",
    "customer_cards",
    "stamp_count",
    "status",
    "is_guest",
    "has_password",
    "total_orders_count",
    "tags",
    "customer_group",
    "photo_url",
    "created_at",
    "updated_at",
}
PLACE_FIELDS = {
    "id",
    "name",
    "street1",
    "street2",
    "city",
    "province",
    "postal_code",
    "country",
    "neighborhood",
    "district",
    "building",
    "security_access_code",
    "phone",
    "instructions",
    "location",
    "is_default",
    "created_at",
    "updated_at",
}


@pytest.fixture
def base(store):
    return f"/api/v1/accounts/{store.pk}"


@pytest.fixture
def card(store):
    card = factories.LoyaltyCardFactory(
        store=store, name="Coffee card", stamps_required=10, initial_stamps=2
    )
    factories.RewardFactory(card=card, name="Free cookie", stamps_required=2)
    factories.RewardFactory(card=card, name="Free coffee", stamps_required=8)
    return card


def cards_of(customer):
    """The customer's cards as the API shows them (wallet links built for the test host)."""
    context = {"request": RequestFactory().get("/")}
    return EnrolmentSerializer(enrolment_list(customer=customer), many=True, context=context).data


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["customers"]]


# --- Who may call -------------------------------------------------------------------------

PATHS = [
    ("get", "customers"),
    ("post", "customers"),
    ("get", "customers/{customer}"),
    ("patch", "customers/{customer}"),
    ("put", "customers/{customer}"),
    ("delete", "customers/{customer}"),
    ("get", "customers/{customer}/addresses"),
    ("post", "customers/{customer}/addresses"),
    ("patch", "customers/{customer}/addresses/{address}"),
    ("delete", "customers/{customer}/addresses/{address}"),
    ("get", "customers/{customer}/orders"),
]


@pytest.fixture
def address(customer):
    return factories.AddressFactory(customer=customer, is_default=True)


def _url(base, template, customer, address):
    return f"{base}/" + template.format(customer=customer.pk, address=address.pk)


@pytest.mark.parametrize(("method", "template"), PATHS)
def test_a_live_secret_key_is_required(method, template, store, base, customer, address, key):
    url = _url(base, template, customer, address)
    client = APIClient()
    assert_error(getattr(client, method)(url, {}, format="json"), 401)
    publishable = api_key_create(store=store, kind="publishable")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {publishable.raw}")
    assert_error(getattr(client, method)(url, {}, format="json"), 401)
    api_key_revoke(api_key=key.api_key)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw}")
    assert_error(getattr(client, method)(url, {}, format="json"), 401)
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert Address.objects.filter(pk=address.pk).exists()


@pytest.mark.parametrize(("method", "template"), PATHS)
def test_another_stores_key_finds_nothing_here(
    method, template, other_store, base, customer, address
):
    """Store B's key on store A's path is 404 even though the customer exists (in A)."""
    rival = api_key_create(store=other_store, kind="secret")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {rival.raw}")
    url = _url(base, template, customer, address)
    assert_error(
        getattr(client, method)(url, {"customer": {"first_name": "X"}}, format="json"), 404
    )
    customer.refresh_from_db()
    assert customer.first_name == "Ada"
    assert Address.objects.filter(pk=address.pk).exists()


@pytest.mark.parametrize(("method", "template"), PATHS)
def test_another_stores_customer_is_not_found(method, template, api, base, other_store):
    stranger = factories.CustomerFactory(store=other_store, first_name="Eve")
    place = factories.AddressFactory(customer=stranger)
    if template == "customers":
        return  # no customer in the path
    url = _url(base, template, stranger, place)
    assert_error(getattr(api, method)(url, {"customer": {"first_name": "X"}}), 404)
    stranger.refresh_from_db()
    assert stranger.first_name == "Eve"
    assert Address.objects.filter(pk=place.pk).exists()


@pytest.mark.parametrize("suffix", ["customers/999999", "customers/99999999999999999999999"])
def test_an_unknown_customer_is_not_found(api, base, suffix):
    assert_error(api.get(f"{base}/{suffix}"), 404)
    assert_error(api.get(f"{base}/{suffix}/addresses"), 404)


def test_a_body_that_is_not_json_is_400(api, base, customer):
    for method, url in (("post", "customers"), ("patch", f"customers/{customer.pk}")):
        response = getattr(api, method)(
            f"{base}/{url}", data='{"customer": {', content_type="application/json"
        )
        assert_error(response, 400)


def test_the_body_must_be_wrapped(api, base, customer):
    assert_error(api.post(f"{base}/customers", {"first_name": "Ada"}), 422, "customer")
    assert_error(api.post(f"{base}/customers", [1, 2]), 422, "customer")
    assert_error(api.patch(f"{base}/customers/{customer.pk}", {"email": "x@y.z"}), 422, "customer")


def test_paths_work_without_a_trailing_slash_and_with_one(api, base, customer):
    assert api.get(f"{base}/customers").status_code == 200
    assert api.get(f"{base}/customers/").status_code == 200
    assert api.get(f"{base}/customers/{customer.pk}/").status_code == 200


# --- GET customers ------------------------------------------------------------------------


def test_list_pages_the_stores_customers_newest_first(api, base, store, other_store):
    now = datetime(2025, 3, 1, tzinfo=UTC)
    made = [
        factories.CustomerFactory(store=store, created_at=now - timedelta(days=i)) for i in range(5)
    ]
    factories.CustomerFactory(store=other_store)

    body = api.get(f"{base}/customers", {"items": 2}).json()

    assert [row["id"] for row in body["customers"]] == [made[0].pk, made[1].pk]
    assert body["pagination"] == {
        "count": 5,
        "count_is_exact": True,
        "items": 2,
        "page": 1,
        "pages": 3,
    }
    assert set(body["customers"][0]) == CUSTOMER_FIELDS
    last = api.get(f"{base}/customers", {"items": 2, "page": 3}).json()
    assert [row["id"] for row in last["customers"]] == [made[4].pk]
    past = api.get(f"{base}/customers", {"items": 2, "page": 9}).json()
    assert past == {
        "customers": [],
        "pagination": {"count": 5, "count_is_exact": True, "items": 2, "page": 9, "pages": 3},
    }


def test_an_empty_list_has_no_pages(api, base):
    assert api.get(f"{base}/customers").json() == {
        "customers": [],
        "pagination": {"count": 0, "count_is_exact": True, "items": 25, "page": 1, "pages": 0},
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"items": 101}, "items"),
        ({"items": 0}, "items"),
        ({"page": 0}, "page"),
        ({"page": "two"}, "page"),
        ({"sort": "password"}, "sort"),
        ({"status": "vip"}, "status"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_before": "2025-02-30"}, "created_before"),
        ({"source": "erp"}, "external_id"),
        ({"external_id": "E-1"}, "source"),
    ],
)
def test_bad_list_parameters_are_422_on_their_field(api, base, params, field):
    assert_error(api.get(f"{base}/customers", params), 422, field)


@pytest.fixture
def people(store):
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
    return ada, grace


@pytest.mark.parametrize(
    "search",
    ["ada", "LOVE ada", "analytical", "(415) 555-0123", "+1 415 555 0123", "0123", "ERP-77"],
)
def test_search_finds_a_customer_however_typed(api, base, store, people, search):
    ada, _grace = people
    ExternalReference.objects.create(store=store, customer=ada, source="erp", external_id="ERP-77")
    assert ids(api.get(f"{base}/customers", {"search": search})) == [ada.pk]


def test_search_finds_a_card_code(api, base, people, card):
    _ada, grace = people
    factories.CustomerCardFactory(customer=grace, card=card, code="900100000042")
    assert ids(api.get(f"{base}/customers", {"search": "900100000042"})) == [grace.pk]
    assert ids(api.get(f"{base}/customers", {"search": "nobody"})) == []


def test_source_and_external_id_find_exactly_that_reference(api, base, store, people):
    ada, grace = people
    ExternalReference.objects.create(store=store, customer=ada, source="erp", external_id="E-1")
    ExternalReference.objects.create(store=store, customer=grace, source="pos", external_id="E-1")

    assert ids(api.get(f"{base}/customers", {"source": "erp", "external_id": "E-1"})) == [ada.pk]
    assert ids(api.get(f"{base}/customers", {"source": "pos", "external_id": "E-1"})) == [grace.pk]
    assert ids(api.get(f"{base}/customers", {"source": "erp", "external_id": "E-"})) == []


def test_filter_by_status_and_tag(api, base, store, people):
    ada, grace = people
    Customer.objects.filter(pk=grace.pk).update(status="repeat", total_orders_count=2)
    vip = Tag.objects.create(store=store, name="VIP")
    ada.tags.add(vip)

    assert ids(api.get(f"{base}/customers", {"status": "repeat"})) == [grace.pk]
    assert ids(api.get(f"{base}/customers", {"tag": "vip"})) == [ada.pk]
    assert ids(api.get(f"{base}/customers", {"tag": "unknown"})) == []
    assert ids(api.get(f"{base}/customers", {"tag": "vip", "status": "repeat"})) == []


def test_filter_by_creation_dates_in_the_stores_time_zone(api, base, store):
    store.timezone = "America/New_York"  # UTC-5 in January
    store.save()
    early = factories.CustomerFactory(store=store, created_at=datetime(2025, 1, 10, 4, tzinfo=UTC))
    late = factories.CustomerFactory(store=store, created_at=datetime(2025, 1, 10, 6, tzinfo=UTC))

    # 2025-01-10 in New York starts at 05:00 UTC: "early" was still the 9th there.
    assert ids(api.get(f"{base}/customers", {"created_after": "2025-01-10"})) == [late.pk]
    assert ids(api.get(f"{base}/customers", {"created_before": "2025-01-10"})) == [early.pk]
    after = {"created_after": "2025-01-10T04:30:00+00:00"}
    assert ids(api.get(f"{base}/customers", after)) == [late.pk]
    naive = {"created_before": "2025-01-10T00:30:00"}  # New York time: 05:30 UTC
    assert ids(api.get(f"{base}/customers", naive)) == [early.pk]
    # An unencoded "+" arrives as a space.
    spaced = api.get(f"{base}/customers?created_after=2025-01-10T04:30:00 00:00")
    assert ids(spaced) == [late.pk]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["ada", "bob", "cy"]),
        ("-name", ["cy", "bob", "ada"]),
        ("email", ["bob", "cy", "ada"]),
        ("-email", ["ada", "cy", "bob"]),
        ("created_at", ["cy", "ada", "bob"]),
        ("-created_at", ["bob", "ada", "cy"]),
        ("total_orders_count", ["ada", "cy", "bob"]),
        ("-total_orders_count", ["bob", "cy", "ada"]),
    ],
)
def test_sort(api, base, store, sort, expected):
    now = datetime(2025, 3, 1, tzinfo=UTC)
    rows = {
        "ada": ("Ada", "z@example.com", 1, 0),
        "bob": ("Bob", "a@example.com", 0, 5),
        "cy": ("Cy", "m@example.com", 2, 1),
    }
    made = {}
    for key, (first, email, age, orders) in rows.items():
        made[key] = factories.CustomerFactory(
            store=store,
            first_name=first,
            email=email,
            created_at=now - timedelta(days=age),
            total_orders_count=orders,
        )
    assert ids(api.get(f"{base}/customers", {"sort": sort})) == [made[k].pk for k in expected]


def _populate(store, card, count):
    vip = Tag.objects.get_or_create(store=store, name="vip")[0]
    for i in range(count):
        customer = factories.CustomerFactory(store=store)
        customer.tags.add(vip)
        ExternalReference.objects.create(
            store=store, customer=customer, source="erp", external_id=f"E-{customer.pk}"
        )
        factories.CustomerCardFactory(customer=customer, card=card, stamps_count=i % 10)


def test_list_takes_the_same_queries_for_5_or_60_customers(
    api, base, store, card, django_assert_max_num_queries
):
    api.get(f"{base}/customers")  # the key's last-used time is written once
    _populate(store, card, 5)
    with CaptureQueriesContext(connection) as few:
        body = api.get(f"{base}/customers", {"items": 100}).json()
    assert len(body["customers"]) == 5
    assert all(len(row["customer_cards"]) == 1 for row in body["customers"])

    _populate(store, card, 55)
    with django_assert_max_num_queries(len(few)):
        body = api.get(f"{base}/customers", {"items": 100}).json()
    assert len(body["customers"]) == 60
    # key, count, page, tags, references, cards, rewards
    assert len(few) <= 7, [q["sql"] for q in few.captured_queries]
    with django_assert_max_num_queries(len(few)):
        api.get(f"{base}/customers", {"items": 100, "search": "first", "tag": "vip"})


@pytest.mark.parametrize(
    ("search", "indexes"),
    [
        ("ada POS-1", ["customer_search_document_trgm", "extref_external_id_upper"]),
        # A whole number: its row through the (store, phone) unique index.
        ("(415) 555-0123", ["customer_phone_unique_per_store"]),
        # Part of one: the phone's trigrams, and the email's through the document.
        ("555-0123", ["customer_phone_trgm", "customer_search_document_trgm"]),
    ],
)
def test_on_postgresql_a_search_goes_through_its_indexes(store, search, indexes):
    """The words, emails and external ids are found through the indexes of customers/migrations
    (0002, 0004), never by reading every customer of the store (see `make bench`)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only indexes; this run is on " + connection.vendor)
    # The search alone: with the store's own indexes in the query, an empty table is read
    # through those.
    customers = customer_search(Customer.objects.order_by(), search, store=store)
    sql, params = customers.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be read whole
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    for index in indexes:
        assert index in plan, plan
    assert "SubPlan" not in plan, plan  # an IN (subquery) ORed in: every row filtered


# --- POST customers -----------------------------------------------------------------------


def test_create_a_customer(api, base, store, key):
    response = api.post(
        f"{base}/customers",
        {
            "customer": {
                "first_name": " Ada ",
                "last_name": "Lovelace",
                "email": "ADA@Example.com",
                "phone": "(415) 555-0123",
                "birthday": "1985-12-10",
                "metadata": {"source": "pos", "vip": True},
                "external_references": [{"source": "erp", "external_id": "E-1"}],
                "tags": ["VIP", "newsletter"],
            }
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == CUSTOMER_FIELDS
    customer = Customer.objects.get(pk=body["id"])
    assert customer.store == store
    assert body | {"created_at": None, "updated_at": None} == {
        "id": customer.pk,
        "account_id": store.pk,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "phone": "+14155550123",
        "birthday": "1985-12-10",
        "metadata": {"source": "pos", "vip": True},
        "external_references": [{"source": "erp", "external_id": "E-1"}],
        "customer_cards": [],
        "stamp_count": 0,
        "status": "prospect",
        "is_guest": False,
        "has_password": False,
        "total_orders_count": 0,
        "tags": ["newsletter", "VIP"],
        "customer_group": None,
        "photo_url": None,
        "created_at": None,
        "updated_at": None,
    }
    assert CustomerEvent.objects.filter(customer=customer, type="created").count() == 1


def test_a_phone_alone_is_enough(api, base):
    response = api.post(
        f"{base}/customers", {"customer": {"first_name": "Al", "phone": "+14155550199"}}
    )
    assert response.status_code == 201, response.content
    assert response.json()["email"] == ""


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"email": "x@example.com"}, ["first_name"]),
        ({"first_name": "", "email": "x@example.com"}, ["first_name"]),
        ({"first_name": "X"}, ["email"]),
        ({"first_name": "X", "email": "", "phone": None}, ["email"]),
        ({"first_name": "X", "email": "not an email"}, ["email"]),
        ({"first_name": "X", "phone": "12"}, ["phone"]),
        ({"first_name": "X", "email": "x@example.com", "birthday": "10/12/1815"}, ["birthday"]),
        ({"first_name": "X", "email": "x@example.com", "metadata": [1]}, ["metadata"]),
        ({"first_name": "X", "email": "x@example.com", "tags": "vip"}, ["tags"]),
        (
            {"first_name": "X", "email": "x@example.com", "external_references": [{"source": "e"}]},
            ["external_references"],
        ),
    ],
)
def test_create_refusals_name_their_fields(api, base, fields, errors):
    assert_error(api.post(f"{base}/customers", {"customer": fields}), 422, *errors)
    assert not Customer.objects.exists()


def test_email_and_phone_are_unique_in_the_store(api, base, customer, other_store):
    body = assert_error(
        api.post(
            f"{base}/customers",
            {
                "customer": {
                    "first_name": "Ada",
                    "email": "Ada@Example.com",
                    "phone": "415 555 0123",
                }
            },
        ),
        422,
        "email",
        "phone",
    )
    assert set(body["fields"]) == {"email", "phone"}
    # Another store's customer with the same contact is no conflict.
    factories.CustomerFactory(store=other_store, email="grace@example.com", phone="+14155550177")
    response = api.post(
        f"{base}/customers",
        {
            "customer": {
                "first_name": "Grace",
                "email": "grace@example.com",
                "phone": "+14155550177",
            }
        },
    )
    assert response.status_code == 201, response.content


def test_create_with_a_card_gives_the_welcome_stamps(api, base, card, key):
    response = api.post(
        f"{base}/customers",
        {"customer": {"first_name": "Ada", "email": "ada@example.com"}, "card_id": card.pk},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    customer = Customer.objects.get(pk=body["id"])
    enrolment = customer.cards.get()
    assert body["customer_cards"] == cards_of(customer)
    assert body["customer_cards"][0]["stamps_count"] == 2
    assert [r["name"] for r in body["customer_cards"][0]["available_rewards"]] == ["Free cookie"]
    assert body["stamp_count"] == 2
    welcome = StampEntry.objects.get(enrolment=enrolment)
    assert (welcome.kind, welcome.delta, welcome.actor_api_key) == ("welcome", 2, key.api_key)
    assert mail.outbox == [] and notifications.outbox == []


@pytest.mark.parametrize("flag", [True, "true", 1, "1", "True"])
def test_send_card_links_sends_the_code_by_email_and_sms(api, base, card, flag):
    response = api.post(
        f"{base}/customers",
        {
            "customer": {"first_name": "Ada", "email": "ada@example.com", "phone": "+14155550123"},
            "card_id": card.pk,
            "send_card_links": flag,
        },
    )

    assert response.status_code == 201, response.content
    code = response.json()["customer_cards"][0]["code"]
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    assert code in mail.outbox[0].body
    assert [(s.to, code in s.body) for s in notifications.outbox] == [("+14155550123", True)]


def test_a_mail_server_failure_keeps_the_created_customer_and_answers_201(
    api, base, card, settings, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    body = {
        "customer": {"first_name": "Ada", "email": "ada@example.com", "phone": "+14155550123"},
        "card_id": card.pk,
        "send_card_links": True,
    }
    response = api.post(f"{base}/customers", body)
    assert response.status_code == 201, response.content
    assert Customer.objects.filter(email="ada@example.com").exists()
    assert [s.to for s in notifications.outbox] == ["+14155550123"]  # the SMS still went
    assert "Could not deliver" in caplog.text


@pytest.mark.parametrize("flag", [False, "false", 0, "0"])
def test_card_links_are_not_sent_unless_asked(api, base, card, flag):
    body = {
        "customer": {"first_name": "Ada", "email": "ada@example.com", "phone": "+14155550123"},
        "card_id": card.pk,
        "send_card_links": flag,
    }
    assert api.post(f"{base}/customers", body).status_code == 201
    assert mail.outbox == [] and notifications.outbox == []


def test_a_bad_send_card_links_is_422(api, base, card):
    body = {
        "customer": {"first_name": "Ada", "email": "ada@example.com"},
        "card_id": card.pk,
        "send_card_links": "maybe",
    }
    assert_error(api.post(f"{base}/customers", body), 422, "send_card_links")
    assert not Customer.objects.exists()


def test_a_card_of_another_store_or_unknown_is_422_and_creates_nobody(api, base, other_store):
    theirs = factories.LoyaltyCardFactory(store=other_store)
    for card_id in (theirs.pk, 999999, "seven"):
        body = {"customer": {"first_name": "Ada", "email": "ada@example.com"}, "card_id": card_id}
        assert_error(api.post(f"{base}/customers", body), 422, "card_id")
    assert not Customer.objects.exists()


def test_an_archived_card_is_422_and_creates_nobody(api, base, card):
    card.archived = True
    card.save()
    body = {"customer": {"first_name": "Ada", "email": "ada@example.com"}, "card_id": card.pk}
    assert_error(api.post(f"{base}/customers", body), 422, "card_id")
    assert not Customer.objects.exists()


def test_a_retry_with_the_same_reference_updates_instead_of_duplicating(api, base, card):
    first = {
        "customer": {
            "first_name": "Ada",
            "email": "ada@example.com",
            "metadata": {"source": "pos", "tier": "gold"},
            "external_references": [{"source": "shopify", "external_id": "123"}],
        },
        "card_id": card.pk,
        "send_card_links": True,
    }
    created = api.post(f"{base}/customers", first)
    assert created.status_code == 201, created.content
    mail.outbox.clear()

    retry = {
        "customer": {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "metadata": {"tier": "platinum", "source": None},
            "external_references": [
                {"source": "shopify", "external_id": "123"},
                {"source": "erp", "external_id": "E-9"},
            ],
        },
        "card_id": card.pk,
        "send_card_links": True,
    }
    response = api.post(f"{base}/customers", retry)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == created.json()["id"]
    assert Customer.objects.count() == 1
    assert body["last_name"] == "Lovelace"
    assert body["metadata"] == {"tier": "platinum"}
    assert body["external_references"] == [
        {"source": "erp", "external_id": "E-9"},
        {"source": "shopify", "external_id": "123"},
    ]
    assert len(body["customer_cards"]) == 1  # enrolled once
    assert mail.outbox == []  # the links went out with the first call


def test_a_retry_enrols_in_a_card_not_held_yet(api, base, customer, card, store):
    ExternalReference.objects.create(
        store=store, customer=customer, source="shopify", external_id="7"
    )
    body = {
        "customer": {
            "first_name": "Ada",
            "external_references": [{"source": "shopify", "external_id": "7"}],
        },
        "card_id": card.pk,
        "send_card_links": "1",
    }
    response = api.post(f"{base}/customers", body)
    assert response.status_code == 200, response.content
    assert response.json()["id"] == customer.pk
    assert response.json()["stamp_count"] == 2
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]


def test_a_retry_is_still_checked(api, base, store, customer):
    """The customer found by reference is updated like a PATCH: contact rules still hold."""
    factories.CustomerFactory(store=store, email="taken@example.com")
    ExternalReference.objects.create(store=store, customer=customer, source="erp", external_id="1")
    body = {
        "customer": {
            "first_name": "Ada",
            "email": "taken@example.com",
            "external_references": [{"source": "erp", "external_id": "1"}],
        }
    }
    assert_error(api.post(f"{base}/customers", body), 422, "email")
    customer.refresh_from_db()
    assert customer.email == "ada@example.com"


def test_references_of_two_customers_are_a_conflict(api, base, store, people):
    ada, grace = people
    ExternalReference.objects.create(store=store, customer=ada, source="erp", external_id="A")
    ExternalReference.objects.create(store=store, customer=grace, source="erp", external_id="G")
    body = {
        "customer": {
            "first_name": "Who",
            "email": "who@example.com",
            "external_references": [
                {"source": "erp", "external_id": "A"},
                {"source": "erp", "external_id": "G"},
            ],
        }
    }
    assert_error(api.post(f"{base}/customers", body), 422, "external_references")
    assert Customer.objects.count() == 2


def test_another_stores_reference_is_no_retry(api, base, other_store):
    stranger = factories.CustomerFactory(store=other_store)
    ExternalReference.objects.create(
        store=other_store, customer=stranger, source="erp", external_id="1"
    )
    body = {
        "customer": {
            "first_name": "Ada",
            "email": "ada@example.com",
            "external_references": [{"source": "erp", "external_id": "1"}],
        }
    }
    response = api.post(f"{base}/customers", body)
    assert response.status_code == 201, response.content
    assert response.json()["id"] != stranger.pk


# --- GET customers/{id} -------------------------------------------------------------------


def test_get_a_customer_with_cards_and_stamps(api, base, store, customer, card):
    other_card = factories.LoyaltyCardFactory(store=store, name="Tea card", stamps_required=5)
    factories.CustomerCardFactory(customer=customer, card=card, stamps_count=9)
    factories.CustomerCardFactory(customer=customer, card=other_card, stamps_count=3)
    customer.tags.add(Tag.objects.create(store=store, name="vip"))
    factories.OrderFactory(customer=customer)

    response = api.get(f"{base}/customers/{customer.pk}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == CUSTOMER_FIELDS
    assert body["id"] == customer.pk and body["account_id"] == store.pk
    assert body["customer_cards"] == cards_of(customer)
    assert body["stamp_count"] == 12
    assert body["tags"] == ["vip"]
    assert body["customer_cards"][0]["card_name"] in {"Coffee card", "Tea card"}


# --- PATCH / PUT customers/{id} -----------------------------------------------------------


def test_patch_changes_only_the_fields_sent(api, base, customer, store):
    customer.metadata = {"source": "pos", "tier": "gold"}
    customer.birthday = datetime(1985, 12, 10).date()
    customer.save()
    customer.tags.add(Tag.objects.create(store=store, name="old"))

    response = api.patch(
        f"{base}/customers/{customer.pk}",
        {"customer": {"last_name": "King", "metadata": {"tier": "platinum", "source": None}}},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["first_name"] == "Ada" and body["last_name"] == "King"
    assert body["email"] == "ada@example.com" and body["phone"] == "+14155550123"
    assert body["birthday"] == "1985-12-10"
    assert body["metadata"] == {"tier": "platinum"}
    assert body["tags"] == ["old"]
    event = CustomerEvent.objects.get(customer=customer, type="updated")
    assert event.data == {"fields": ["last_name", "metadata"]}


def test_patch_replaces_tags_and_adds_references(api, base, customer, store):
    customer.tags.add(Tag.objects.create(store=store, name="old"))
    ExternalReference.objects.create(store=store, customer=customer, source="erp", external_id="1")

    body = api.patch(
        f"{base}/customers/{customer.pk}",
        {
            "customer": {
                "tags": ["new", "VIP"],
                "external_references": [
                    {"source": "erp", "external_id": "1"},
                    {"source": "pos", "external_id": "P-1"},
                ],
            }
        },
    ).json()

    assert body["tags"] == ["new", "VIP"]
    assert body["external_references"] == [
        {"source": "erp", "external_id": "1"},
        {"source": "pos", "external_id": "P-1"},
    ]
    assert (
        api.patch(f"{base}/customers/{customer.pk}", {"customer": {"tags": []}}).json()["tags"]
        == []
    )


def test_put_is_patch(api, base, customer):
    response = api.put(f"{base}/customers/{customer.pk}", {"customer": {"first_name": "Augusta"}})
    assert response.status_code == 200, response.content
    assert response.json()["first_name"] == "Augusta"
    assert response.json()["last_name"] == "Lovelace"


def test_patch_refusals(api, base, customer, store):
    other = factories.CustomerFactory(store=store, email="grace@example.com")
    ExternalReference.objects.create(store=store, customer=other, source="erp", external_id="G")
    url = f"{base}/customers/{customer.pk}"

    assert_error(api.patch(url, {"customer": {"email": "GRACE@example.com"}}), 422, "email")
    assert_error(api.patch(url, {"customer": {"first_name": ""}}), 422, "first_name")
    assert_error(api.patch(url, {"customer": {"email": "", "phone": ""}}), 422, "email")
    assert_error(api.patch(url, {"customer": {"birthday": "soon"}}), 422, "birthday")
    refs = {"external_references": [{"source": "erp", "external_id": "G"}], "last_name": "X"}
    assert_error(api.patch(url, {"customer": refs}), 422, "external_references")
    customer.refresh_from_db()
    assert (customer.email, customer.last_name) == ("ada@example.com", "Lovelace")


def test_clearing_one_contact_keeps_the_other(api, base, customer):
    body = api.patch(f"{base}/customers/{customer.pk}", {"customer": {"phone": None}}).json()
    assert body["phone"] == "" and body["email"] == "ada@example.com"


# --- DELETE customers/{id} ----------------------------------------------------------------


def test_delete_keeps_the_orders(api, base, customer, store):
    order = factories.OrderFactory(customer=customer, store=store)

    response = api.delete(f"{base}/customers/{customer.pk}")

    assert response.status_code == 204
    assert not Customer.objects.filter(pk=customer.pk).exists()
    order.refresh_from_db()
    assert order.customer is None and order.customer_email == "ada@example.com"
    assert Order.objects.filter(pk=order.pk).exists()
    assert_error(api.get(f"{base}/customers/{customer.pk}"), 404)
    assert_error(api.delete(f"{base}/customers/{customer.pk}"), 404)


# --- Addresses ----------------------------------------------------------------------------


def test_addresses_list_is_a_bare_array_default_first(api, base, customer):
    second = factories.AddressFactory(customer=customer, name="Office")
    home = factories.AddressFactory(customer=customer, name="Home", is_default=True)

    response = api.get(f"{base}/customers/{customer.pk}/addresses")

    assert response.status_code == 200, response.content
    body = response.json()
    assert [row["id"] for row in body] == [home.pk, second.pk]
    assert set(body[0]) == PLACE_FIELDS


def test_create_an_address(api, base, customer):
    response = api.post(
        f"{base}/customers/{customer.pk}/addresses",
        {
            "name": "Home",
            "street1": "1 Market Street",
            "city": "San Francisco",
            "country": "us",
            "phone": "(415) 555-0100",
            "location": {"type": "Point", "coordinates": [-122.4, 37.79]},
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    address = Address.objects.get(pk=body["id"])
    assert address.customer == customer and address.is_default
    assert body["country"] == "US" and body["phone"] == "+14155550100"
    assert body["location"] == {"type": "Point", "coordinates": [-122.4, 37.79]}


def test_an_address_may_be_wrapped(api, base, customer):
    response = api.post(
        f"{base}/customers/{customer.pk}/addresses", {"address": {"street1": "2 Mission St"}}
    )
    assert response.status_code == 201, response.content
    assert response.json()["street1"] == "2 Mission St"


def test_address_refusals(api, base, customer):
    url = f"{base}/customers/{customer.pk}/addresses"
    assert_error(api.post(url, {"city": "Paris"}), 422, "street1")
    assert_error(api.post(url, {"street1": "1 Rue", "country": "France"}), 422, "country")
    assert not customer.addresses.exists()


def test_update_and_delete_an_address(api, base, customer, address):
    office = factories.AddressFactory(customer=customer, name="Office")
    url = f"{base}/customers/{customer.pk}/addresses"

    response = api.patch(f"{url}/{office.pk}", {"city": "Oakland", "is_default": True})
    assert response.status_code == 200, response.content
    assert response.json()["city"] == "Oakland" and response.json()["is_default"] is True
    address.refresh_from_db()
    assert not address.is_default
    assert api.get(f"{url}/{office.pk}").json()["city"] == "Oakland"
    assert_error(api.patch(f"{url}/{office.pk}", {"street1": ""}), 422, "street1")

    assert api.delete(f"{url}/{office.pk}").status_code == 204
    assert [row["id"] for row in api.get(url).json()] == [address.pk]
    address.refresh_from_db()
    assert address.is_default  # the default went back to the one left
    assert_error(api.delete(f"{url}/{office.pk}"), 404)


def test_another_customers_address_is_not_found(api, base, customer, store):
    other = factories.CustomerFactory(store=store)
    theirs = factories.AddressFactory(customer=other)
    url = f"{base}/customers/{customer.pk}/addresses/{theirs.pk}"
    assert_error(api.patch(url, {"city": "X"}), 404)
    assert_error(api.delete(url), 404)
    assert Address.objects.filter(pk=theirs.pk, city="San Francisco").exists()


# --- Who did it: the key on the timeline --------------------------------------------------


def actors(customer_or_none, **filters) -> list:
    """(type, actor api key id) of the events of a customer (or of deleted customers)."""
    events = CustomerEvent.objects.filter(customer=customer_or_none, **filters).order_by("id")
    return [(event.type, event.actor_api_key_id) for event in events]


def test_every_customer_write_names_its_key_on_the_customers_timeline(api, base, card, key):
    created = api.post(
        f"{base}/customers",
        {
            "customer": {
                "first_name": "Lin",
                "email": "lin@example.com",
                "external_references": [{"source": "pos", "external_id": "L-1"}],
            },
            "card_id": card.pk,
        },
    )
    assert created.status_code == 201, created.content
    lin = Customer.objects.get(pk=created.json()["id"])
    retried = api.post(
        f"{base}/customers",
        {
            "customer": {
                "first_name": "Lin",
                "last_name": "Yu",
                "email": "lin@example.com",
                "external_references": [
                    {"source": "pos", "external_id": "L-1"},
                    {"source": "erp", "external_id": "E-2"},
                ],
            }
        },
    )
    assert retried.status_code == 200, retried.content
    patched = api.patch(
        f"{base}/customers/{lin.pk}",
        {
            "customer": {
                "tags": ["vip"],
                "external_references": [{"source": "web", "external_id": "W-3"}],
            }
        },
    )
    assert patched.status_code == 200, patched.content
    addresses = f"{base}/customers/{lin.pk}/addresses"
    first = api.post(addresses, {"street1": "1 Market St"}).json()
    second = api.post(addresses, {"street1": "2 Mission St"}).json()
    api.patch(f"{addresses}/{second['id']}", {"city": "Oakland", "is_default": True})
    api.delete(f"{addresses}/{first['id']}")

    mine = key.api_key.pk
    assert actors(lin) == [
        ("created", mine),
        ("card_enrolled", mine),
        ("updated", mine),  # the retry's last name
        ("updated", mine),  # and its new reference
        ("updated", mine),  # the tags
        ("updated", mine),  # the new reference
        ("address_added", mine),
        ("address_added", mine),
        ("address_updated", mine),
        ("address_default_set", mine),
        ("address_deleted", mine),
    ]

    assert api.delete(f"{base}/customers/{lin.pk}").status_code == 204
    assert actors(None, type="deleted") == [("deleted", mine)]


def test_the_console_timeline_names_the_key_that_made_a_change(
    api, base, customer, store, staff_client
):
    named = api_key_create(store=store, kind="secret", name="Till sync")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {named.raw}")
    response = client.patch(
        f"{base}/customers/{customer.pk}", {"customer": {"last_name": "King"}}, format="json"
    )
    assert response.status_code == 200, response.content
    page = staff_client.get(f"/console/customers/{customer.pk}/").content.decode()
    assert "by API key Till sync" in page


# --- One rule for every face: names, birthdays, metadata keys -----------------------------


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_a_name_over_100_characters_is_422_on_its_field(api, base, customer, field):
    fields = {"first_name": "Lin", "email": "lin@example.com", field: "x" * 101}
    created = api.post(f"{base}/customers", {"customer": fields})
    assert assert_error(created, 422)["fields"] == {field: ["Use at most 100 characters."]}
    patched = api.patch(f"{base}/customers/{customer.pk}", {"customer": {field: "y" * 101}})
    assert assert_error(patched, 422)["fields"] == {field: ["Use at most 100 characters."]}
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name) == ("Ada", "Lovelace")
    assert not Customer.objects.filter(email="lin@example.com").exists()


@pytest.mark.parametrize(
    ("birthday", "message"),
    [
        ("2025-06-16", "A birthday cannot be in the future."),
        ("1899-12-31", "Enter a birthday from 1900 on."),
    ],
)
def test_a_birthday_in_the_future_or_before_1900_is_422(api, base, customer, birthday, message):
    with time_machine.travel(datetime(2025, 6, 15, 12, tzinfo=UTC), tick=False):
        created = api.post(
            f"{base}/customers",
            {"customer": {"first_name": "Lin", "email": "lin@example.com", "birthday": birthday}},
        )
        patched = api.patch(
            f"{base}/customers/{customer.pk}",
            {"customer": {"birthday": birthday, "last_name": "King"}},
        )
        today = api.patch(
            f"{base}/customers/{customer.pk}", {"customer": {"birthday": "2025-06-15"}}
        )
    assert assert_error(created, 422)["fields"] == {"birthday": [message]}
    assert assert_error(patched, 422)["fields"] == {"birthday": [message]}
    assert today.status_code == 200 and today.json()["birthday"] == "2025-06-15"
    customer.refresh_from_db()
    assert customer.last_name == "Lovelace"


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"": 1}, "Every metadata value needs a key."),
        ({"k" * 41: 1}, "Metadata keys have at most 40 characters"),
        ({"tier ": "gold"}, "cannot start or end with a space"),
        ({f"key{n}": n for n in range(51)}, "at most 50 keys"),
        ({"notes": "x" * 501}, "at most 500 characters"),
    ],
)
def test_metadata_rules_are_422_on_metadata(api, base, customer, metadata, message):
    created = api.post(
        f"{base}/customers",
        {"customer": {"first_name": "Lin", "email": "lin@example.com", "metadata": metadata}},
    )
    patched = api.patch(f"{base}/customers/{customer.pk}", {"customer": {"metadata": metadata}})
    for response in (created, patched):
        fields = assert_error(response, 422)["fields"]
        assert list(fields) == ["metadata"] and message in fields["metadata"][0], fields
    customer.refresh_from_db()
    assert customer.metadata == {}


# --- The schema ---------------------------------------------------------------------------


def test_the_schema_documents_the_customer_endpoints():
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    customers = paths["/api/v1/accounts/{account_id}/customers/"]
    assert {"get", "post"} <= set(customers)
    assert customers["get"]["tags"] == ["Management: customers"]
    detail = paths["/api/v1/accounts/{account_id}/customers/{customer_id}/"]
    assert {"get", "patch", "put", "delete"} <= set(detail)
    assert "/api/v1/accounts/{account_id}/customers/{customer_id}/addresses/{address_id}/" in paths
    assert "/api/v1/accounts/{account_id}/customers/{customer_id}/orders/" in paths
