"""Lists of customers count exactly up to settings.COUNT_CAP and no further: past it a search
or a filter says "N+", and a store's whole list says "about N" (PostgreSQL's estimate). Here
the cap is 3, so that five customers are past it."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from customers.forms import SORTS
from customers.selectors import customer_cursor
from stores.counting import Tally
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_cap(settings):
    settings.COUNT_CAP = 3


@pytest.fixture
def five(store):
    return [
        factories.CustomerFactory(store=store, first_name="Ada", last_name=f"Byron{n}")
        for n in range(5)
    ]


def _analyse():
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")


def _result_count(response) -> str:
    html = response.content.decode()
    start = html.index('data-testid="result-count">') + len('data-testid="result-count">')
    return " ".join(html[start : html.index("</span>", start)].split())


def test_console_search_past_the_cap_says_at_least(staff_client, five):
    response = staff_client.get(reverse("customers:list"), {"q": "ada"})
    assert _result_count(response) == "Showing 1–3 of 3+ customers"
    assert response.content.decode().count('data-testid="customer-row"') == 3


def test_console_search_under_the_cap_is_exact(staff_client, five):
    response = staff_client.get(reverse("customers:list"), {"q": "byron2"})
    assert _result_count(response) == "Showing 1–1 of 1 customer"
    assert 'data-testid="keyset-pages"' not in response.content.decode()


def test_console_whole_store_past_the_cap(staff_client, five):
    if connection.vendor == "postgresql":
        _analyse()
        expected = "Showing 1–3 of about 5 customers"  # the counted rows; then "Next"
    else:  # no estimate to give: the cap
        expected = "Showing 1–3 of 3+ customers"
    assert _result_count(staff_client.get(reverse("customers:list"))) == expected


@pytest.mark.api_key("secret")
def test_management_list_past_the_cap_keeps_paging(api, store, five):
    url = f"/api/v1/accounts/{store.pk}/customers"
    first = api.get(url, {"search": "ada", "items": 2}).json()
    assert first["pagination"] == {
        "count": 3,
        "count_is_exact": False,
        "items": 2,
        "page": 1,
        "pages": 2,
    }
    # Past `pages`, the rows go on until a page comes back short.
    seen = [
        row["id"]
        for page in (1, 2, 3)
        for row in api.get(url, {"search": "ada", "items": 2, "page": page}).json()["customers"]
    ]
    assert sorted(seen) == sorted(customer.pk for customer in five)
    assert api.get(url, {"search": "ada", "items": 2, "page": 4}).json()["customers"] == []


@pytest.mark.api_key("secret")
def test_management_list_under_the_cap_is_exact(api, store, five):
    body = api.get(f"/api/v1/accounts/{store.pk}/customers", {"search": "byron4"}).json()
    assert body["pagination"]["count"] == 1 and body["pagination"]["count_is_exact"] is True


@pytest.mark.api_key("secret")
def test_management_whole_store_is_the_estimate_on_postgresql(api, store, five):
    if connection.vendor != "postgresql":
        pytest.skip("the planner's estimate is PostgreSQL's; this run is on " + connection.vendor)
    _analyse()
    body = api.get(f"/api/v1/accounts/{store.pk}/customers").json()
    assert body["pagination"]["count_is_exact"] is False
    assert body["pagination"]["count"] == 5  # five rows, analysed: the estimate is right
    assert len(body["customers"]) == 5


def test_admin_changelist_says_what_it_knows(client, admin_user, five):
    client.force_login(admin_user)
    url = reverse("admin:customers_customer_changelist")
    searched = client.get(url, {"q": "ada"}).content.decode()
    assert "3+ results" in searched
    assert "3+ customers" in searched
    exact = client.get(url, {"q": "byron2"}).content.decode()
    assert "1 result" in exact and "3+" not in exact
    if connection.vendor == "postgresql":
        _analyse()
        assert "about 5 customers" in client.get(url).content.decode()


def test_dashboard_totals_past_the_cap(staff_client, store, five):
    for customer in five[:4]:
        factories.OrderFactory(customer=customer)
    html = staff_client.get(reverse("console:dashboard")).content.decode()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE customers_customer")
            cursor.execute("ANALYZE orders_order")
        html = staff_client.get(reverse("console:dashboard")).content.decode()
        assert 'data-stat="customers">about 5<' in html
        assert 'data-stat="orders">about 4<' in html
    else:
        assert 'data-stat="customers">3+<' in html
        assert 'data-stat="orders">3+<' in html
    assert 'data-stat="new_customers_this_week">5<' in html


def _listed(response) -> list[int]:
    return [customer.pk for customer in response.context["page_obj"].object_list]


@pytest.mark.parametrize("sort", ["-created", "name", "-name", "email", "orders", "created"])
def test_console_goes_on_past_the_counted_rows_from_the_last_row_shown(
    staff_client, store, five, sort
):
    """Past the cap, "Next" carries on after the last row shown (keyset), in every sort,
    until the rows run out; equal first keys (one first name, one order count) are told apart
    by the next keys."""
    url = reverse("customers:list")
    everyone = _listed(staff_client.get(url, {"q": "ada", "sort": sort, "per_page": 100}))
    assert len(everyone) == 3  # the counted rows
    seen, params = [], {"q": "ada", "sort": sort}
    for _ in range(5):
        response = staff_client.get(url, params)
        seen += _listed(response)
        cursor = response.context["next_cursor"]
        if not cursor:
            break
        assert f"after={cursor}" in response.content.decode()  # the "Next" link
        params = {"q": "ada", "sort": sort, "after": cursor}
    assert len(seen) == 5 and set(seen) == {customer.pk for customer in five}
    assert seen[:3] == everyone
    assert _result_count(response) == "2 more of 3+ customers"


def test_a_cursor_that_is_not_one_is_the_first_page(staff_client, five):
    url = reverse("customers:list")
    first = _listed(staff_client.get(url, {"q": "ada"}))
    for cursor in ("nonsense", "W10", "WyJ4IiwxXQ", "x" * 600, "WzEsMl0"):
        assert _listed(staff_client.get(url, {"q": "ada", "after": cursor})) == first


def test_a_keyset_page_past_the_end_says_so(staff_client, five):
    oldest = min(five, key=lambda customer: (customer.created_at, customer.pk))
    cursor = customer_cursor(oldest, SORTS["-created"])
    response = staff_client.get(reverse("customers:list"), {"q": "ada", "after": cursor})
    assert _result_count(response) == "No more customers"
    assert "Back to the first page" in response.content.decode()


@pytest.mark.api_key("secret")
def test_a_big_stores_size_is_kept_a_minute_an_exact_one_never(api, store, five):
    url = f"/api/v1/accounts/{store.pk}/customers"

    def counts() -> int:
        with CaptureQueriesContext(connection) as queries:
            body = api.get(url).json()
        assert len(body["customers"]) == 5
        return sum("COUNT(" in query["sql"].upper() for query in queries.captured_queries)

    assert counts() == 1
    assert counts() == 0  # past the cap: kept
    cache.clear()
    with override_settings(COUNT_CAP=10):
        assert counts() == 1
        assert counts() == 1  # exact: counted every time


def test_admin_lists_newest_first_and_by_any_column_whatever_the_count(client, admin_user, five):
    """A few matches are fetched and sorted, many are met walking an index: the same order."""
    client.force_login(admin_user)
    url = reverse("admin:customers_customer_changelist")
    newest_first = sorted((customer.pk for customer in five), reverse=True)
    for query in ("ada", "byron"):  # past the cap of 3, and …
        listed = client.get(url, {"q": query}).context["cl"].result_list
        assert [customer.pk for customer in listed] == newest_first
    few = client.get(url, {"q": "byron1"}).context["cl"].result_list
    assert [customer.last_name for customer in few] == ["Byron1"]
    by_store = client.get(url, {"q": "ada", "o": "9"}).context["cl"].result_list  # store column
    assert len(by_store) == 5  # under a page: Django lists every row


@pytest.mark.parametrize(
    ("tally", "shown"),
    [
        (Tally(1_000_978, exact=False, estimated=True), "about 1,000,000"),
        (Tally(35_714, exact=False, estimated=True), "about 36,000"),
        (Tally(2_000, exact=False), "2,000+"),
        (Tally(1_275), "1,275"),
    ],
)
def test_a_tally_reads_as_what_it_knows(tally, shown):
    assert (
        Template("{% load counting %}{{ tally|tally }}").render(Context({"tally": tally})) == shown
    )
