"""The console in a real browser (Debian's Chromium through Playwright), as staff use it."""

import re

import pytest
from django.urls import reverse

from customers.models import Customer
from loyalty.models import CustomerCard
from orders.models import Order
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


@pytest.fixture
def shop(db):
    store = factories.StoreFactory(name="Ada's Coffee")
    manager = factories.MembershipFactory(store=store, role="manager").user
    ada = factories.CustomerFactory(
        store=store,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        phone="+14155550123",
    )
    factories.CustomerFactory(
        store=store, first_name="Grace", last_name="Hopper", phone="+12025550188"
    )
    card = factories.LoyaltyCardFactory(store=store, name="Coffee card", stamps_required=10)
    factories.CustomerCardFactory(customer=ada, card=card, stamps_count=1)
    factories.OrderFactory(customer=ada)
    return store, manager, ada


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/console/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/console/")


def test_staff_work_a_customer_from_search_to_delete(live_server, page, shop):
    store, manager, ada = shop
    log_in(page, live_server, manager)

    # Find Ada by her phone, typed as people type it; the results update as you type.
    page.get_by_role("link", name="Customers").first.click()
    page.get_by_placeholder("Name, email, phone, card code or customer id").fill("(415) 555-0123")
    rows = page.get_by_test_id("customer-row")
    rows.first.wait_for()
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=customer-row]').length === 1"
    )
    assert "Ada Lovelace" in rows.first.inner_text()
    rows.first.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/console/customers/\d+/$"))
    assert page.get_by_test_id("customer-name").inner_text() == "Ada Lovelace"

    # Edit her email.
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Email").fill("countess@example.com")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=Customer Ada Lovelace saved.")
    assert page.get_by_test_id("customer-email").inner_text() == "countess@example.com"

    # Add an address.
    page.get_by_role("link", name="Add address").click()
    page.get_by_label("Name").fill("Home")
    page.get_by_label("Street address*").fill("1 Market Street")
    page.get_by_label("City").fill("San Francisco")
    page.get_by_label("Country").select_option("US")
    page.get_by_role("button", name="Add address").click()
    page.wait_for_selector("text=Address added.")
    assert "1 Market Street" in page.get_by_test_id("address").first.inner_text()

    # Add 3 stamps to her card: the count updates in place.
    enrolment = page.get_by_test_id("enrolment")
    enrolment.get_by_label("Stamps to add").fill("3")
    enrolment.get_by_role("button", name="Add stamps").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stamps-count]')"
        ".textContent.trim().startsWith('4')"
    )
    assert CustomerCard.objects.get(customer=ada).stamps_count == 4

    # Delete her, after the confirmation page.
    page.get_by_role("link", name="Delete").click()
    page.wait_for_selector("text=This cannot be undone.")
    assert Customer.objects.filter(pk=ada.pk).exists()
    page.get_by_test_id("confirm-delete").click()
    page.wait_for_url(f"{live_server.url}{reverse('customers:list')}")
    page.wait_for_selector("text=Customer Ada Lovelace deleted.")
    assert not Customer.objects.filter(pk=ada.pk).exists()
    assert Order.objects.filter(customer_name="Ada Lovelace", customer=None).count() == 1


def test_a_filter_change_keeps_the_sort_a_header_chose(live_server, page, shop):
    store, manager, ada = shop
    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}/console/customers/")
    page.locator("th a.sort", has_text="Name").click()
    page.wait_for_url(re.compile(r"sort=name"))
    page.select_option("#id_status", "prospect")
    page.wait_for_url(re.compile(r"status=prospect"))
    assert "sort=name" in page.url
    names = page.get_by_test_id("customer-row").all_inner_texts()
    assert names and "Ada Lovelace" in names[0]


def test_the_live_date_filter_shows_the_error_a_full_page_shows(live_server, page, shop):
    store, manager, ada = shop
    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}/console/customers/")
    errors = page.get_by_test_id("filter-errors")
    page.fill("#id_created_from", "2026-10-30")
    page.wait_for_url(re.compile(r"created_from=2026-10-30"))
    page.fill("#id_created_to", "2026-10-20")
    page.wait_for_url(re.compile(r"created_to=2026-10-20"))
    errors.get_by_text("The end date is before the start date.").wait_for()
    # Both bounds still apply: nothing is listed, rather than a list ignoring one of them.
    page.get_by_test_id("empty-state").wait_for()
    assert page.get_by_test_id("customer-row").count() == 0

    # Put the range right: the error goes and the customers come back, still without a reload.
    page.fill("#id_created_from", "2020-01-01")
    page.fill("#id_created_to", "2099-12-31")
    page.wait_for_url(re.compile(r"created_to=2099-12-31"))
    page.get_by_test_id("customer-row").first.wait_for()
    assert errors.inner_text().strip() == ""
    assert page.get_by_test_id("customer-row").count() == 2

    # A half-typed date cannot be sent: the filter says so instead of going quiet.
    page.focus("#id_created_to")
    page.keyboard.press("Backspace")  # clears the month: the field holds no date now
    errors.get_by_text("Created to: Enter a valid date.").wait_for()
    page.keyboard.type("12")  # a whole date again: the server's answer clears the message
    page.wait_for_function("() => !document.querySelector('#filter-errors').textContent.trim()")
    assert page.input_value("#id_created_to") == "2099-12-31"


def test_a_stamp_appears_in_the_timeline_without_a_reload(live_server, page, shop):
    store, manager, ada = shop
    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}{reverse('customers:detail', args=[ada.pk])}")
    timeline = page.locator("#timeline")
    assert "Stamps added" not in timeline.inner_text()
    page.evaluate("window.stillThisPage = true")

    page.get_by_test_id("stamp-1").click()
    timeline.get_by_text("Stamps added").wait_for()
    assert "1 stamp on Coffee card" in timeline.get_by_test_id("event").first.inner_text()
    assert page.evaluate("window.stillThisPage") is True  # updated in place, not reloaded
    assert page.get_by_test_id("stamps-count").inner_text().strip() == "2"


def test_staff_add_a_note_and_pin_it_to_the_top(live_server, page, shop):
    store, manager, ada = shop
    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}{reverse('customers:detail', args=[ada.pk])}")
    notes = page.locator("#notes")
    for body in ("Likes the window seat.", "Allergic to hazelnuts."):
        notes.get_by_label("Note").fill(body)
        notes.get_by_role("button", name="Add note").click()
        page.wait_for_url(re.compile(r"#notes$"))
        assert page.get_by_role("alert").filter(has_text="Note added.").is_visible()
    shown = page.locator('[data-testid="note"] .note-body')
    assert shown.all_inner_texts() == ["Allergic to hazelnuts.", "Likes the window seat."]

    older = page.locator('[data-testid="note"]').filter(has_text="Likes the window seat.")
    older.get_by_role("button", name="Pin").click()
    page.wait_for_url(re.compile(r"#notes$"))
    shown = page.locator('[data-testid="note"] .note-body')
    assert shown.all_inner_texts() == ["Likes the window seat.", "Allergic to hazelnuts."]
    assert page.locator('[data-testid="note"]').first.get_by_text("Pinned").is_visible()
    # and the timeline says so
    assert page.locator("#timeline").get_by_text("“Likes the window seat.”").count() >= 1
