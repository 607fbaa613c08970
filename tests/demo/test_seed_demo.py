import json
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from customers.models import Address, Customer, CustomerEvent
from demo.management.commands.seed_demo import PRODUCTS, REVIEW_TEXTS
from loyalty.models import CustomerCard, StampEntry
from loyalty.selectors import ledger_balance
from orders.models import Order
from reviews.models import Review, ReviewVote
from stores.models import Product, Store, StoreMembership
from stores.services import api_key_find
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _credentials_in_tmp(settings, tmp_path):
    settings.DEMO_CREDENTIALS_FILE = tmp_path / "demo-credentials.json"


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_seed_demo_loads_a_store_and_prints_working_credentials(client, settings):
    output = seed("--customers", "40")
    store = Store.objects.get(slug="demo")
    credentials = json.loads(settings.DEMO_CREDENTIALS_FILE.read_text())
    assert credentials["password"] in output and credentials["secret_key"] in output
    assert api_key_find(credentials["publishable_key"], kind="publishable").store == store
    assert api_key_find(credentials["secret_key"], kind="secret").store == store
    membership = StoreMembership.objects.get(user__username="demo", store=store)
    assert membership.role == "owner"
    signed_in = client.post(
        "/console/login/", {"username": "demo", "password": credentials["password"]}
    )
    assert signed_in.status_code == 302 and "_auth_user_id" in client.session

    assert Customer.objects.filter(store=store).count() == 40
    assert Product.objects.filter(store=store).count() >= 10
    assert Address.objects.filter(customer__store=store).exists()
    assert Order.objects.filter(store=store).exists()
    assert Review.objects.filter(store=store).exists()
    enrolments = CustomerCard.objects.filter(store=store)
    assert enrolments.exists()
    for enrolment in enrolments:
        assert ledger_balance(enrolment) == enrolment.stamps_count
    for customer in Customer.objects.filter(store=store):
        assert customer.total_orders_count == customer.orders.count()


def test_seed_demo_is_idempotent_and_tops_up(settings):
    first = seed("--customers", "10")
    counts = _row_counts()
    second = seed("--customers", "10")
    assert _row_counts() == counts
    assert Store.objects.count() == 4  # the demo store, and the demo network with two stores
    for label in ("Login", "network_"):
        line = [line for line in first.splitlines() if label in line]
        assert line and line[0] in second  # same login and keys printed again
    seed("--customers", "25")
    assert Customer.objects.filter(store__slug="demo").count() == 25
    numbers = list(Order.objects.filter(store__slug="demo").values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))


def test_seed_demo_issues_new_keys_when_the_credentials_file_is_gone(settings):
    seed("--customers", "1")
    old = json.loads(settings.DEMO_CREDENTIALS_FILE.read_text())
    settings.DEMO_CREDENTIALS_FILE.unlink()
    seed("--customers", "1")
    new = json.loads(settings.DEMO_CREDENTIALS_FILE.read_text())
    assert new["secret_key"] != old["secret_key"]
    assert api_key_find(old["secret_key"], kind="secret") is None
    assert api_key_find(new["secret_key"], kind="secret") is not None


def test_seed_demo_builds_a_network_of_two_stores_sharing_customers_and_a_card(settings):
    output = seed("--customers", "3")
    credentials = json.loads(settings.DEMO_CREDENTIALS_FILE.read_text())
    network = Store.objects.get(pk=credentials["network_id"])
    assert network.is_network and network.name in output
    harbour, hilltop = network.member_stores.order_by("name")
    assert (harbour.name, hilltop.name) == ("Harbour Coffee", "Hilltop Coffee")
    assert api_key_find(credentials["network_publishable_key"], kind="publishable").store == (
        network
    )
    assert api_key_find(credentials["network_secret_key"], kind="secret").store == network
    assert credentials["network_publishable_key"] in output
    # The demo login owns the network and both its stores, so it can switch to each.
    assert set(
        StoreMembership.objects.filter(user__username="demo", role="owner").values_list(
            "store__name", flat=True
        )
    ) >= {network.name, harbour.name, hilltop.name}

    customers = Customer.objects.filter(store=network)
    assert customers.count() >= 5
    shared = [
        customer
        for customer in customers
        if {order.store_id for order in customer.orders.all()} == {harbour.pk, hilltop.pk}
    ]
    assert shared, "a customer who ordered at both stores"
    stamped_at = set(
        StampEntry.objects.filter(enrolment__card__store=network, kind="stamp").values_list(
            "store_id", flat=True
        )
    )
    assert stamped_at == {harbour.pk, hilltop.pk}
    for enrolment in CustomerCard.objects.filter(card__store=network):
        assert ledger_balance(enrolment) == enrolment.stamps_count
    # Run again: nothing more, the same keys.
    counts = _row_counts()
    seed("--customers", "3")
    assert _row_counts() == counts and Store.objects.filter(kind="network").count() == 1


def test_seed_demo_sequences_continue_after_the_bulk_load(settings):
    """Rows inserted with explicit ids must not break the next ordinary insert."""
    seed("--customers", "5")
    store = Store.objects.get(slug="demo")
    customer = Customer.objects.create(
        store=store, first_name="New", email="new@example.com", slug="new"
    )
    assert customer.pk > max(Customer.objects.exclude(pk=customer.pk).values_list("pk", flat=True))


def test_seeded_customers_are_searchable(settings):
    from customers.selectors import customer_list

    seed("--customers", "30")
    store = Store.objects.get(slug="demo")
    someone = Customer.objects.filter(store=store).order_by("pk").last()
    found = customer_list(store=store, query=someone.email.split("@")[0])
    assert list(found) == [someone]
    # and the index still follows later changes
    Customer.objects.filter(pk=someone.pk).update(last_name="Quixotic")
    assert list(customer_list(store=store, query="quixotic")) == [someone]


def _row_counts():
    models = (Customer, Order, CustomerCard, StampEntry, Review, ReviewVote, CustomerEvent)
    return [model.objects.count() for model in models]


# --- Coherence: the demo tells one story ------------------------------------------------------

SEEDED_AT = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
TOPPED_UP_AT = SEEDED_AT + timedelta(days=3)


@pytest.fixture
def demo_store(settings):
    """A demo store seeded with 40 customers, then topped up to 90 three days later: the
    clock stays at the top-up, so "now" and "this week" are fixed."""
    with time_machine.travel(SEEDED_AT, tick=False):
        seed("--customers", "40")
    with time_machine.travel(TOPPED_UP_AT, tick=False):
        seed("--customers", "90")
        yield Store.objects.get(slug="demo")


def _sentiment(rating: int) -> str:
    return "good" if rating >= 4 else "mixed" if rating == 3 else "poor"


def test_seeded_reviews_talk_about_what_they_review(demo_store):
    kind_of = {sku: kind for _name, sku, _price, kind in PRODUCTS}
    names = [name.lower() for name, *_ in PRODUCTS]
    reviews = Review.objects.filter(store=demo_store).select_related("product")
    assert reviews.filter(subject_type="product").exists()
    assert reviews.filter(subject_type="store").exists()
    for review in reviews:
        kind = kind_of[review.product.sku] if review.product else "store"
        own_name = review.product.name.lower() if review.product else None
        fitting = {
            text.format(product=own_name) for text in REVIEW_TEXTS[kind][_sentiment(review.rating)]
        }
        assert review.content in fitting | {""}, (review.product, review.rating, review.content)
        # and, whatever the lists say, no text names another product
        mentioned = [name for name in names if name in review.content.lower()]
        assert mentioned in ([], [own_name]), (review.product, review.content)


def test_seeded_product_reviews_come_from_customers_who_bought_the_product(demo_store):
    reviews = Review.objects.filter(store=demo_store, subject_type="product")
    assert reviews.exists()
    for review in reviews:
        bought = Order.objects.filter(
            customer=review.author,
            lines__product=review.product,
            created_at__lte=review.created_at,
        )
        assert bought.exists(), (review.author, review.product)
        assert not review.author.is_guest


def test_seeded_helpful_counts_are_the_votes_cast(demo_store):
    reviews = Review.objects.filter(store=demo_store).select_related("author")
    assert ReviewVote.objects.filter(review__store=demo_store, value=1).exists()
    assert ReviewVote.objects.filter(review__store=demo_store, value=-1).exists()
    for review in reviews:
        votes = ReviewVote.objects.filter(review=review).select_related("customer")
        assert review.upvotes == votes.filter(value=1).count()
        assert review.downvotes == votes.filter(value=-1).count()
        for vote in votes:
            voter = vote.customer
            assert voter.store_id == demo_store.pk and voter.pk != review.author_id
            assert not voter.is_guest
            assert review.created_at <= vote.created_at <= TOPPED_UP_AT
            assert voter.created_at <= vote.created_at


def test_seeded_order_numbers_follow_order_dates_across_a_top_up(demo_store):
    orders = list(Order.objects.filter(store=demo_store).order_by("number"))
    assert len(orders) > 20
    assert [order.number for order in orders] == list(range(1, len(orders) + 1))
    dates = [order.created_at for order in orders]
    assert dates == sorted(dates)
    # the top-up's orders fell between the first run's, which made room for them
    first_run = set(Customer.objects.order_by("pk").values_list("pk", flat=True)[:40])
    first = [o.number for o in orders if o.customer_id in first_run]
    topped_up = [o.number for o in orders if o.customer_id not in first_run]
    assert first and topped_up and min(topped_up) < max(first)
    placed = CustomerEvent.objects.filter(store=demo_store, type="order_placed")
    assert {(e.data["order"], e.data["number"]) for e in placed} == {
        (o.public_id, o.number) for o in orders
    }


def test_every_seeded_customer_has_a_created_event_at_their_creation(demo_store):
    customers = Customer.objects.filter(store=demo_store)
    assert customers.count() == 90
    for customer in customers:
        created = CustomerEvent.objects.filter(customer=customer, type="created")
        assert [event.created_at for event in created] == [customer.created_at]
        # nothing happens to a customer before they exist, nor in the future
        events = CustomerEvent.objects.filter(customer=customer)
        assert all(customer.created_at <= e.created_at <= TOPPED_UP_AT for e in events)
        # their creation is the first line of their timeline (the timeline reads newest first)
        assert list(customer.events.all())[-1].type == "created"


def test_seeded_guests_were_created_by_the_checkout_of_their_first_order(demo_store):
    guests = Customer.objects.filter(store=demo_store, is_guest=True)
    assert guests.exists()
    for guest in guests:
        first_order = guest.orders.order_by("created_at").first()
        assert first_order is not None and first_order.created_at == guest.created_at
        assert not guest.addresses.exists() and not guest.reviews.exists()


def test_seeded_timeline_holds_every_order_enrolment_and_review(demo_store):
    def events(kind):
        return CustomerEvent.objects.filter(store=demo_store, type=kind)

    orders = Order.objects.filter(store=demo_store)
    placed = {(e.customer_id, e.created_at, e.data["number"]) for e in events("order_placed")}
    assert placed == {(o.customer_id, o.created_at, o.number) for o in orders}
    assert all(o.customer.created_at <= o.created_at <= TOPPED_UP_AT for o in orders)

    enrolments = CustomerCard.objects.filter(store=demo_store)
    enrolled = {(e.customer_id, e.created_at, e.data["code"]) for e in events("card_enrolled")}
    assert enrolled == {(c.customer_id, c.issued_at, c.code) for c in enrolments}

    reviews = Review.objects.filter(store=demo_store)
    posted = {(e.customer_id, e.created_at, e.data["rating"]) for e in events("review_posted")}
    assert posted == {(r.author_id, r.created_at, r.rating) for r in reviews}


def test_seeded_stamp_entries_have_their_events(demo_store):
    entries = StampEntry.objects.filter(enrolment__store=demo_store).select_related("enrolment")
    week_ago = TOPPED_UP_AT - timedelta(days=7)
    assert entries.filter(kind="stamp", created_at__gte=week_ago).exists()
    for entry in entries:
        kind = {"welcome": "card_enrolled", "stamp": "stamps_added"}[entry.kind]
        matching = CustomerEvent.objects.filter(
            customer_id=entry.enrolment.customer_id,
            type=kind,
            created_at=entry.created_at,
            data__stamps=entry.delta,
        )
        assert matching.count() == 1, entry
        if entry.kind == "stamp":
            assert matching.get().data["balance"] == entry.balance_after
    added = CustomerEvent.objects.filter(store=demo_store, type="stamps_added")
    assert added.count() == entries.filter(kind="stamp").count()


def test_seeded_stamps_keep_the_cards_rules(demo_store):
    enrolments = CustomerCard.objects.filter(store=demo_store).select_related("card")
    tz = ZoneInfo(demo_store.timezone)
    for enrolment in enrolments:
        card = enrolment.card
        stamps = enrolment.entries.filter(kind="stamp").order_by("created_at")
        per_day = defaultdict(int)
        for entry in stamps:
            per_day[entry.created_at.astimezone(tz).date()] += entry.delta
            assert enrolment.issued_at < entry.created_at <= TOPPED_UP_AT
        assert all(total <= card.max_stamps_per_day for total in per_day.values()), per_day
        last = stamps.last()
        assert enrolment.last_stamped_at == (last.created_at if last else None)
        assert ledger_balance(enrolment) == enrolment.stamps_count < card.stamps_required


def test_demo_dashboard_shows_what_happened_lately(client, demo_store):
    member = factories.MembershipFactory(store=demo_store, role="staff")
    client.force_login(member.user)

    page = client.get("/console/").content.decode()

    assert "Nothing has happened yet" not in page
    latest = CustomerEvent.objects.filter(store=demo_store).order_by("-created_at", "-id")[:8]
    assert len(latest) == 8
    for event in latest:
        assert event.get_type_display() in page
        assert event.customer.name in page
    # the week's stamps on the figure are the stamps the timeline shows for the week
    figure = re.search(r'data-stat="stamps_this_week">([\d,]+)<', page).group(1)
    week = CustomerEvent.objects.filter(
        store=demo_store, type="stamps_added", created_at__gte=TOPPED_UP_AT - timedelta(days=7)
    )
    assert int(figure.replace(",", "")) == sum(e.data["stamps"] for e in week) > 0
