"""The console at a network's member stores: their staff stamp and redeem the network's cards
from the customer page (htmx), and the card's history says at which store each change was
made. A store outside the network gets 404."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import CustomerEvent
from loyalty.models import CustomerCard, StampEntry
from loyalty.services import card_enrol, stamp_add
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


# --- Fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def card(network):
    return factories.LoyaltyCardFactory(
        store=network, name="Network coffee card", stamps_required=10, initial_stamps=0
    )


@pytest.fixture
def reward(card):
    return factories.RewardFactory(card=card, name="Free coffee", stamps_required=3)


@pytest.fixture
def cara(network):
    return factories.CustomerFactory(store=network, first_name="Cara", last_name="Carded")


@pytest.fixture
def enrolment(cara, card):
    return card_enrol(customer=cara, card=card)


def staff_of(store, role="staff") -> Client:
    membership = factories.MembershipFactory(store=store, role=role)
    client = Client()
    client.force_login(membership.user)
    client.user = membership.user
    return client


def stamp_url(enrolment) -> str:
    return reverse("loyalty:stamp", args=[enrolment.pk])


def redeem_url(enrolment) -> str:
    return reverse("loyalty:redeem", args=[enrolment.pk])


def history_url(enrolment) -> str:
    return reverse("loyalty:history", args=[enrolment.pk])


def ledger(enrolment) -> list[tuple]:
    entries = StampEntry.objects.filter(enrolment=enrolment).order_by("created_at", "id")
    return [(e.kind, e.delta, e.store.name if e.store else None) for e in entries]


def state(enrolment) -> tuple:
    row = CustomerCard.objects.get(pk=enrolment.pk)
    return row.stamps_count, StampEntry.objects.count(), CustomerEvent.objects.count()


def history_stores(response) -> list[str]:
    """The Store column of the history page, newest first."""
    return [entry.store.name if entry.store else None for entry in response.context["page_obj"]]


# --- Stamping and redeeming at member stores ----------------------------------------------------


def test_stamped_at_a_and_redeemed_at_b_by_their_staff(store_a, store_b, enrolment, reward):
    staff_a, staff_b = staff_of(store_a), staff_of(store_b)

    stamped = staff_a.post(stamp_url(enrolment), {"count": "4"}, headers=HTMX)
    assert stamped.status_code == 200
    assert "+4 stamps: 4 of 10" in stamped.content.decode()

    redeemed = staff_b.post(redeem_url(enrolment), {"reward": reward.pk}, headers=HTMX)
    assert redeemed.status_code == 200
    assert "Redeemed Free coffee: 1 stamp left" in redeemed.content.decode()

    assert ledger(enrolment) == [("stamp", 4, "Store A"), ("redeem", -3, "Store B")]
    for client in (staff_a, staff_b):
        page = client.get(history_url(enrolment))
        assert page.status_code == 200
        assert history_stores(page) == ["Store B", "Store A"]
        cells = page.content.decode().split('data-testid="entry-store">')[1:]
        assert [cell.split("</td>")[0] for cell in cells] == ["Store B", "Store A"]
    actors = StampEntry.objects.filter(enrolment=enrolment).order_by("id")
    assert [entry.actor_user for entry in actors] == [staff_a.user, staff_b.user]


def test_without_htmx_the_member_store_goes_back_to_the_customer(store_a, enrolment, cara):
    response = staff_of(store_a).post(stamp_url(enrolment), {"count": "2"})
    assert response.status_code == 302
    assert response.url.endswith(reverse("customers:detail", args=[cara.pk]) + "#loyalty")
    assert ledger(enrolment) == [("stamp", 2, "Store A")]


def test_a_member_store_gets_the_panel_but_not_the_network_timeline(network, store_a, enrolment):
    """The network customer's timeline covers every member store: a member store's answer
    carries the card's panel only; the network's own staff get the timeline too."""
    at_store = staff_of(store_a).post(stamp_url(enrolment), {"count": "1"}, headers=HTMX)
    assert 'id="enrolment-' in at_store.content.decode()
    assert 'id="timeline"' not in at_store.content.decode()
    at_network = staff_of(network).post(stamp_url(enrolment), {"count": "1"}, headers=HTMX)
    assert 'id="timeline"' in at_network.content.decode()


def test_the_networks_own_staff_stamp_without_a_store(network, store_a, enrolment):
    staff_of(store_a).post(stamp_url(enrolment), {"count": "1"}, headers=HTMX)
    response = staff_of(network).post(stamp_url(enrolment), {"count": "2"}, headers=HTMX)
    assert response.status_code == 200
    assert ledger(enrolment) == [("stamp", 1, "Store A"), ("stamp", 2, None)]
    page = staff_of(network).get(history_url(enrolment))
    assert history_stores(page) == [None, "Store A"]
    assert "Bean Network" in page.content.decode().split('data-testid="entry-store">')[1]


@pytest.mark.usefixtures("frozen_clock")
def test_the_daily_limit_counts_every_member_store(store_a, store_b, card, enrolment):
    card.max_stamps_per_day = 3
    card.save()
    staff_of(store_a).post(stamp_url(enrolment), {"count": "2"}, headers=HTMX)
    before = state(enrolment)
    refused = staff_of(store_b).post(stamp_url(enrolment), {"count": "2"}, headers=HTMX)
    assert "at most 3 stamps a day; 1 left today" in refused.content.decode()
    assert state(enrolment) == before
    staff_of(store_b).post(stamp_url(enrolment), {"count": "1"}, headers=HTMX)
    assert ledger(enrolment) == [("stamp", 2, "Store A"), ("stamp", 1, "Store B")]


def test_the_customer_page_offers_stamping_to_a_member_store(store_a, enrolment, reward, cara):
    stamp_add(enrolment=enrolment, count=3, at_store=store_a)
    page = staff_of(store_a).get(reverse("customers:detail", args=[cara.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'action="{stamp_url(enrolment)}"' in html
    assert f'action="{redeem_url(enrolment)}"' in html


# --- Who may not ----------------------------------------------------------------------------


def test_a_store_outside_the_network_gets_404(outsider, enrolment, reward):
    stamp_add(enrolment=enrolment, count=5)
    before = state(enrolment)
    client = staff_of(outsider, role="owner")
    assert client.post(stamp_url(enrolment), {"count": "1"}, headers=HTMX).status_code == 404
    assert client.post(stamp_url(enrolment), {"count": "1"}).status_code == 404
    assert client.post(redeem_url(enrolment), {"reward": reward.pk}).status_code == 404
    assert client.get(history_url(enrolment)).status_code == 404
    assert state(enrolment) == before


def test_a_store_of_another_network_gets_404(enrolment, reward):
    elsewhere = factories.StoreFactory(name="Elsewhere", network=factories.NetworkFactory())
    client = staff_of(elsewhere)
    assert client.post(stamp_url(enrolment), {"count": "1"}).status_code == 404
    assert client.get(history_url(enrolment)).status_code == 404
    assert ledger(enrolment) == []


def test_a_member_store_does_not_reach_another_member_stores_own_cards(store_a, store_b):
    """Sharing the network's cards is not sharing each other's: B's own card is B's."""
    bob = factories.CustomerFactory(store=store_b)
    bobs = card_enrol(customer=bob, card=factories.LoyaltyCardFactory(store=store_b))
    client = staff_of(store_a)
    assert client.post(stamp_url(bobs), {"count": "1"}).status_code == 404
    assert client.get(history_url(bobs)).status_code == 404
    assert ledger(bobs) == []


def test_a_reward_of_another_account_is_404(store_a, outsider, enrolment):
    stamp_add(enrolment=enrolment, count=5)
    foreign = factories.RewardFactory(
        card=factories.LoyaltyCardFactory(store=outsider), stamps_required=1
    )
    own = factories.RewardFactory(card=factories.LoyaltyCardFactory(store=store_a))
    before = state(enrolment)
    client = staff_of(store_a)
    assert client.post(redeem_url(enrolment), {"reward": foreign.pk}).status_code == 404
    # A reward of the store's own card is not one of the network card's.
    assert client.post(redeem_url(enrolment), {"reward": own.pk}, headers=HTMX).status_code == 404
    assert state(enrolment) == before


def test_anonymous_users_go_to_the_login_page(enrolment):
    response = Client().post(stamp_url(enrolment), {"count": "1"})
    assert response.status_code == 302 and "login" in response.url
    assert ledger(enrolment) == []


# --- The history page reads a constant number of queries ----------------------------------------


def test_the_history_page_reads_the_same_queries_for_more_entries(store_a, store_b, enrolment):
    client = staff_of(store_a)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(history_url(enrolment)).status_code == 200
        return len(captured)

    stamp_add(enrolment=enrolment, count=1, at_store=store_a)
    few = queries()
    for store in (store_a, store_b, store_b, store_a, None):
        stamp_add(enrolment=enrolment, count=1, at_store=store)
    assert queries() == few


def test_the_network_timeline_says_where_a_card_was_stamped(network, store_a, enrolment):
    htmx = {"HTTP_HX_REQUEST": "true"}
    assert staff_of(store_a).post(stamp_url(enrolment), {"count": 2}, **htmx).status_code == 200
    page = staff_of(network).get(reverse("customers:detail", args=[enrolment.customer_id]))
    text = " ".join(page.content.decode().split())
    assert "2 stamps on" in text and f"at {store_a.name}" in text
