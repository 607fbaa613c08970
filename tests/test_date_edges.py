"""Dates and date-times at the edges of what Python holds (years 1 and 9999), in every filter
and date input: a correct answer (all, or nothing) or a 422 / form error, never an
OverflowError 500. In stores west of UTC (Los Angeles) and east of it (Tokyo), where midnight of
0001-01-01 or of the day after 9999-12-31 lies outside those years in UTC.
"""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from tests import factories
from tests.helpers import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

ZONES = ["America/Los_Angeles", "Asia/Tokyo", "Pacific/Kiritimati", "Etc/GMT+12"]

# Each pair: a filter value, and whether every customer (True) or none (False) matches it.
MANAGEMENT_EDGES = [
    ({"created_before": "9999-12-31T23:59:59.999999-12:00"}, True),
    ({"created_before": "9999-12-31T23:59:59.999999"}, True),  # in the store's zone
    ({"created_before": "9999-12-31"}, True),
    ({"created_before": "0001-01-01T00:00:00+01:00"}, False),
    ({"created_before": "0001-01-01T00:00:00+14:00"}, False),
    ({"created_before": "0001-01-01"}, False),
    ({"created_after": "0001-01-01T00:00:00+01:00"}, True),
    ({"created_after": "0001-01-01T00:00:00"}, True),
    ({"created_after": "0001-01-01"}, True),
    ({"created_after": "9999-12-31T23:59:59.999999-12:00"}, False),
    ({"created_after": "9999-12-31"}, False),
    ({"created_after": "0001-01-01", "created_before": "9999-12-31T23:59:59.999999-12:00"}, True),
]

CONSOLE_EDGES = [
    ({"created_to": "9999-12-31"}, True),
    ({"created_from": "0001-01-01"}, True),
    ({"created_from": "0001-01-01", "created_to": "9999-12-31"}, True),
    ({"created_from": "9999-12-31"}, False),
    ({"created_to": "0001-01-01"}, False),
    ({"created_from": "9999-12-31", "created_to": "9999-12-31"}, False),
    ({"created_from": "0001-01-01", "created_to": "0001-01-01"}, False),
]


@pytest.fixture(params=ZONES)
def zoned_store(request, store):
    store.timezone = request.param
    store.save()
    return store


@pytest.fixture
def people(zoned_store):
    return {
        factories.CustomerFactory(
            store=zoned_store, created_at=datetime(2025, 1, 1, 0, 30, tzinfo=UTC)
        ).pk,
        factories.CustomerFactory(store=zoned_store).pk,  # now
    }


# --- The management API ---------------------------------------------------------------------


@pytest.mark.api_key("secret")
def test_management_customer_filters_at_the_edges_of_time(api, zoned_store, people):
    for params, everyone in MANAGEMENT_EDGES:
        response = api.get(f"/api/v1/accounts/{zoned_store.pk}/customers", params)
        assert response.status_code == 200, (params, response.content)
        found = {row["id"] for row in response.json()["customers"]}
        assert found == (people if everyone else set()), params


@pytest.mark.api_key("secret")
@pytest.mark.parametrize("value", ["10000-01-01", "0000-12-31", "9999-12-32", "-0001-01-01"])
def test_management_dates_past_the_years_python_holds_are_422(api, zoned_store, value):
    response = api.get(f"/api/v1/accounts/{zoned_store.pk}/customers", {"created_after": value})
    assert_error(response, 422, "created_after")


# --- The console: customers, their CSV export, reviews ---------------------------------------


def listed_customers(client, params) -> set[int]:
    response = client.get(reverse("customers:list"), params)
    assert response.status_code == 200
    return {customer.pk for customer in response.context["page_obj"]}


def exported_customers(client, params, store) -> set[int]:
    response = client.get(reverse("customers:export"), params)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    public_ids = {row["id"] for row in csv.DictReader(io.StringIO(text))}
    return set(store.customers.filter(public_id__in=public_ids).values_list("pk", flat=True))


def test_console_customer_list_and_export_at_the_edges_of_time(member, zoned_store, people):
    client = member("manager")
    for params, everyone in CONSOLE_EDGES:
        expected = people if everyone else set()
        assert listed_customers(client, params) == expected, params
        assert exported_customers(client, params, zoned_store) == expected, params


def test_console_review_list_at_the_edges_of_time(member, zoned_store):
    early = factories.ReviewFactory(
        author=factories.CustomerFactory(store=zoned_store),
        created_at=datetime(2025, 1, 1, 0, 30, tzinfo=UTC),
    )
    late = factories.ReviewFactory(author=factories.CustomerFactory(store=zoned_store))
    reviews = {early.pk, late.pk}
    client = member("manager")
    for params, everyone in CONSOLE_EDGES:
        response = client.get(reverse("reviews:list"), params)
        assert response.status_code == 200, params
        found = {review.pk for review in response.context["page_obj"]}
        assert found == (reviews if everyone else set()), params


@pytest.mark.parametrize("value", ["10000-01-01", "0000-12-31"])
@pytest.mark.parametrize("field", ["created_from", "created_to"])
def test_console_dates_past_year_9999_are_shown_as_errors(
    member, zoned_store, people, field, value
):
    client = member("manager")
    response = client.get(reverse("customers:list"), {field: value})
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert {customer.pk for customer in response.context["page_obj"]} == people


# --- Other date inputs: birthdays, a card programme's end -------------------------------------

EDGE_DAYS = ["0001-01-01", "9999-12-31"]


@pytest.mark.api_key("secret")
@pytest.mark.parametrize("birthday", EDGE_DAYS)
def test_management_birthdays_at_the_edges_are_422(api, store, customer, birthday):
    base = f"/api/v1/accounts/{store.pk}/customers"
    created = api.post(
        base, {"customer": {"first_name": "Lin", "email": "lin@example.com", "birthday": birthday}}
    )
    patched = api.patch(f"{base}/{customer.pk}", {"customer": {"birthday": birthday}})
    assert_error(created, 422, "birthday")
    assert_error(patched, 422, "birthday")
    customer.refresh_from_db()
    assert customer.birthday is None
    assert store.customers.count() == 1


@pytest.mark.parametrize("birthday", EDGE_DAYS)
def test_shopper_birthdays_at_the_edges_are_422(shopper, customer, birthday):
    url = f"/storefront/v1/customers/{customer.public_id}"
    assert_error(shopper.put(url, {"birthday": birthday}, format="json"), 422, "birthday")
    customer.refresh_from_db()
    assert customer.birthday is None


@pytest.mark.parametrize("birthday", EDGE_DAYS)
def test_console_birthdays_at_the_edges_are_form_errors(member, customer, birthday):
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone": "+14155550123",
        "birthday": birthday,
        "tags": "",
        "meta_key": [],
        "meta_value": [],
    }
    response = member("manager").post(reverse("customers:edit", args=[customer.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors["birthday"]
    customer.refresh_from_db()
    assert customer.birthday is None


@pytest.mark.api_key("secret")
@pytest.mark.parametrize(
    "expires_at",
    ["9999-12-31T23:59:59.999999-12:00", "0001-01-01T00:00:00+01:00", "10000-01-01T00:00:00Z"],
)
def test_a_card_programme_ending_past_what_a_date_holds_is_422(api, store, expires_at):
    body = {"card": {"name": "Coffee", "stamps_required": 10, "expires_at": expires_at}}
    response = api.post(f"/api/v1/accounts/{store.pk}/cards", body)
    assert_error(response, 422, "expires_at")
    assert not store.loyalty_cards.exists()


@pytest.mark.api_key("secret")
def test_a_card_programme_ending_on_the_last_day_enrols_and_shows_its_end(api, store):
    base = f"/api/v1/accounts/{store.pk}"
    body = {
        "card": {
            "name": "Forever",
            "stamps_required": 10,
            "expires_at": "9999-12-31T23:59:59Z",
            "expiry_days": 36500,
        }
    }
    card = api.post(f"{base}/cards", body)
    assert card.status_code == 201, card.content
    customer = api.post(
        f"{base}/customers",
        {
            "customer": {"first_name": "Lin", "email": "lin@example.com"},
            "card_id": card.json()["id"],
        },
    )
    assert customer.status_code == 201, customer.content
    [enrolment] = customer.json()["customer_cards"]
    assert enrolment["expires_at"].startswith("2125-")  # 36,500 days, before the card's end
