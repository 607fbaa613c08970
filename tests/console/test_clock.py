"""One clock: every date on every console page, the CSV and the date filters read the store's
time zone, whatever the server's."""

import csv
import io
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from customers.models import CustomerEvent
from loyalty.services import stamp_add
from tests import factories

pytestmark = pytest.mark.django_db

# 03:00 UTC on Oct 30 is 20:00 on Oct 29 in Los Angeles (PDT, UTC-7).
EVENING = datetime(2026, 10, 30, 3, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
HTMX_RESULTS = {"HX-Request": "true", "HX-Target": "results"}


@pytest.fixture(autouse=True)
def _clock_at_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def la_store(db):
    return factories.StoreFactory(name="Venice Beans", timezone="America/Los_Angeles")


@pytest.fixture
def la_staff(la_store, client):
    membership = factories.MembershipFactory(store=la_store, role="manager")
    client.force_login(membership.user)
    return client


@pytest.fixture
def ada(la_store):
    return factories.CustomerFactory(
        store=la_store, first_name="Ada", last_name="Lovelace", created_at=EVENING
    )


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def assert_never_the_utc_date(page: str):
    # Nothing on these pages happened on Oct 30 in Los Angeles: an "Oct 30" is a UTC date.
    found = re.search(r"[\s\S]{0,80}Oct\.? 30[\s\S]{0,20}", page)
    assert found is None, found.group()


def shown_created(page: str) -> dict[str, str]:
    """Each customer row of the list: name → the Created date it shows."""
    shown = {}
    for row in re.findall(r'<tr data-testid="customer-row">(.*?)</tr>', page, re.S):
        name = re.search(r'data-testid="customer-name-cell">([^<]+)<', row).group(1).strip()
        created = re.search(r'data-testid="customer-created"[^>]*>([^<]+)<', row).group(1)
        shown[name] = created
    return shown


def test_list_page_csv_and_filter_agree_on_the_stores_date(la_staff, ada):
    listed = text_of(la_staff.get(reverse("customers:list")))
    assert shown_created(listed) == {"Ada Lovelace": "Oct 29, 2026"}
    assert_never_the_utc_date(listed)

    page = text_of(la_staff.get(reverse("customers:detail", args=[ada.pk])))
    assert "Customer since Oct 29, 2026" in page
    assert_never_the_utc_date(page)

    export = la_staff.get(reverse("customers:export"))
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows[0]["created_at"] == "2026-10-29T20:00:00-07:00"

    day = {"created_from": "2026-10-29", "created_to": "2026-10-29"}
    assert shown_created(text_of(la_staff.get(reverse("customers:list"), day))) == {
        "Ada Lovelace": "Oct 29, 2026"
    }


def test_a_day_filter_lists_exactly_the_customers_shown_on_that_day(la_staff, la_store):
    # Around local midnight, and the 25-hour day the clocks go back (Nov 1, 2026).
    moments = {
        "Before Midnight": datetime(2026, 10, 29, 6, 59, 59, tzinfo=UTC),  # Oct 28, 23:59:59
        "At Midnight": datetime(2026, 10, 29, 7, 0, tzinfo=UTC),  # Oct 29, 00:00
        "Last Second": datetime(2026, 10, 30, 6, 59, 59, tzinfo=UTC),  # Oct 29, 23:59:59
        "Next Day": datetime(2026, 10, 30, 7, 0, tzinfo=UTC),  # Oct 30, 00:00
        "Late Sunday": datetime(2026, 11, 2, 7, 30, tzinfo=UTC),  # Nov 1, 23:30 PST
    }
    for name, moment in moments.items():
        first, last = name.split()
        factories.CustomerFactory(
            store=la_store, first_name=first, last_name=last, created_at=moment
        )
    shown = shown_created(text_of(la_staff.get(reverse("customers:list"))))
    assert shown == {
        "Before Midnight": "Oct 28, 2026",
        "At Midnight": "Oct 29, 2026",
        "Last Second": "Oct 29, 2026",
        "Next Day": "Oct 30, 2026",
        "Late Sunday": "Nov 1, 2026",
    }
    for day in ("2026-10-28", "2026-10-29", "2026-10-30", "2026-11-01"):
        response = la_staff.get(reverse("customers:list"), {"created_from": day, "created_to": day})
        label = datetime.fromisoformat(day).strftime("%b %-d, %Y")
        assert set(shown_created(text_of(response))) == {
            name for name, date in shown.items() if date == label
        }, day


def test_a_review_has_the_stores_date_on_every_page(la_staff, ada):
    review = factories.ReviewFactory(author=ada, content="Lovely flat white", created_at=EVENING)

    listed = text_of(la_staff.get(reverse("reviews:list")))
    assert "Oct 29, 2026" in listed
    day = {"created_from": "2026-10-29", "created_to": "2026-10-29"}
    filtered = la_staff.get(reverse("reviews:list"), day)
    assert list(filtered.context["page_obj"]) == [review]

    detail = text_of(la_staff.get(reverse("reviews:detail", args=[review.pk])))
    assert "Oct 29, 2026, 20:00" in detail

    customer_page = text_of(la_staff.get(reverse("customers:detail", args=[ada.pk])))
    assert "Lovely flat white" in customer_page
    for page in (listed, detail, customer_page):
        assert_never_the_utc_date(page)


def test_a_stamp_has_the_stores_date_and_time_everywhere(la_staff, la_store, ada):
    card = factories.LoyaltyCardFactory(store=la_store, name="Coffee card")
    enrolment = factories.CustomerCardFactory(customer=ada, card=card, issued_at=EVENING)
    with time_machine.travel(EVENING, tick=False):
        stamp_add(enrolment=enrolment, count=2)

    history = text_of(la_staff.get(reverse("loyalty:history", args=[enrolment.pk])))
    assert "Oct 29, 2026 20:00" in history

    page = text_of(la_staff.get(reverse("customers:detail", args=[ada.pk])))
    timeline = page.split('id="timeline"', 1)[1]
    assert "Stamps added" in timeline and "Oct 29, 2026 20:00" in timeline
    for shown in (history, page):
        assert_never_the_utc_date(shown)


def test_the_dashboard_dates_are_the_stores(la_staff, la_store, ada):
    CustomerEvent.objects.create(store=la_store, customer=ada, type="note", created_at=EVENING)
    page = text_of(la_staff.get(reverse("console:dashboard")))
    assert page.count("Oct 29, 2026 20:00") == 2  # the newest customer and the latest activity
    assert_never_the_utc_date(page)


def test_the_export_file_is_named_after_the_stores_date(la_staff, ada):
    # 18:00 UTC on Nov 2 is still Nov 2 in Los Angeles; at 05:00 UTC on Nov 3 it is not yet.
    with time_machine.travel(datetime(2026, 11, 3, 5, 0, tzinfo=UTC), tick=False):
        response = la_staff.get(reverse("customers:export"))
    assert 'filename="customers-2026-11-02.csv"' in response["Content-Disposition"]


# --- The date filters' errors, on a full page and on a live (htmx) update --------------------

INVERTED = {"created_from": "2026-10-30", "created_to": "2026-10-20"}
INVERTED_ERROR = "The end date is before the start date."


@pytest.mark.parametrize("url_name", ["customers:list", "reviews:list"])
@pytest.mark.parametrize(
    ("params", "error"),
    [
        (INVERTED, INVERTED_ERROR),
        ({"created_from": "last tuesday"}, "Enter a valid date."),
        ({"created_to": "2026-02-30"}, "Enter a valid date."),
    ],
)
def test_a_live_update_shows_the_date_error_a_full_page_shows(la_staff, url_name, params, error):
    full = text_of(la_staff.get(reverse(url_name), params))
    live = text_of(la_staff.get(reverse(url_name), params, headers=HTMX_RESULTS))
    assert error in full
    assert error in live
    assert "<html" not in live


@pytest.mark.parametrize("headers", [{}, HTMX_RESULTS])
def test_an_inverted_range_lists_nothing_rather_than_dropping_a_bound(la_staff, la_store, headers):
    factories.CustomerFactory(
        store=la_store, first_name="Grace", created_at=datetime(2026, 11, 1, 18, tzinfo=UTC)
    )
    response = la_staff.get(reverse("customers:list"), INVERTED, headers=headers)
    assert list(response.context["page_obj"]) == []
    assert INVERTED_ERROR in text_of(response)


@pytest.mark.parametrize("headers", [{}, HTMX_RESULTS])
def test_an_inverted_range_lists_no_review_either(la_staff, ada, headers):
    factories.ReviewFactory(author=ada, created_at=datetime(2026, 11, 1, 18, tzinfo=UTC))
    response = la_staff.get(reverse("reviews:list"), INVERTED, headers=headers)
    assert list(response.context["page_obj"]) == []
    assert INVERTED_ERROR in text_of(response)


def test_a_live_update_clears_the_error_once_the_dates_are_right(la_staff):
    live = text_of(
        la_staff.get(
            reverse("customers:list"),
            {"created_from": "2026-10-20", "created_to": "2026-10-30"},
            headers=HTMX_RESULTS,
        )
    )
    # The (now empty) error area is still swapped in, so an earlier error disappears.
    assert 'id="filter-errors"' in live and INVERTED_ERROR not in live
