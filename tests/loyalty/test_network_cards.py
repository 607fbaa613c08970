"""A network's loyalty card is stamped and redeemed at any of its member stores: through the
management API on the network's account paths (`store_id`) and by the services; each ledger
entry records its store, and the daily limit counts the whole card."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone

from customers.models import CustomerEvent
from loyalty.models import CustomerCard, StampEntry
from loyalty.services import (
    card_enrol,
    enrolment_adjust,
    enrolment_expire,
    reward_redeem,
    stamp_add,
    stamps_given_today,
)
from stores.services import api_key_create
from tests import factories
from tests.helpers import FROZEN_NOW, assert_error, client_of

pytestmark = pytest.mark.django_db


# --- Fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def other_network_store(db):
    return factories.StoreFactory(name="Elsewhere", network=factories.NetworkFactory())


@pytest.fixture
def card(network):
    return factories.LoyaltyCardFactory(
        store=network, name="Network coffee card", stamps_required=10, initial_stamps=1
    )


@pytest.fixture
def reward(card):
    return factories.RewardFactory(card=card, name="Free coffee", stamps_required=3)


@pytest.fixture
def cara(network):
    return factories.CustomerFactory(store=network, first_name="Cara", email="cara@example.com")


@pytest.fixture
def enrolment(cara, card):
    return card_enrol(customer=cara, card=card)


@pytest.fixture
def network_api(network):
    return client_of(api_key_create(store=network, kind="secret"))


@pytest.fixture
def card_url(network, cara, enrolment):
    return f"/api/v1/accounts/{network.pk}/customers/{cara.pk}/customer_cards/{enrolment.pk}"


def ledger(enrolment) -> list[tuple]:
    """(kind, delta, store name or None), oldest first, from the database."""
    entries = StampEntry.objects.filter(enrolment=enrolment).order_by("created_at", "id")
    return [(e.kind, e.delta, e.store.name if e.store else None) for e in entries]


def state(enrolment) -> tuple:
    """What a refused call must leave as it was."""
    row = CustomerCard.objects.get(pk=enrolment.pk)
    return (
        row.stamps_count,
        row.last_stamped_at,
        StampEntry.objects.count(),
        CustomerEvent.objects.count(),
    )


# --- Management API -----------------------------------------------------------------------------


def test_stamped_at_a_redeemed_at_b_and_the_history_says_where(
    network_api, card_url, enrolment, reward, store_a, store_b
):
    stamped = network_api.post(f"{card_url}/stamp", {"stamps": 4, "store_id": store_a.pk})
    assert stamped.status_code == 200, stamped.content
    assert stamped.json()["stamps_count"] == 5

    redeemed = network_api.post(
        f"{card_url}/redeem", {"reward_id": reward.pk, "store_id": store_b.pk}
    )
    assert redeemed.status_code == 200, redeemed.content
    assert redeemed.json()["redemption"]["stamps_remaining"] == 2

    assert ledger(enrolment) == [
        ("welcome", 1, None),  # the network enrolled her, at no counter
        ("stamp", 4, "Store A"),
        ("redeem", -3, "Store B"),
    ]
    entries = network_api.get(f"{card_url}/history").json()["entries"]  # newest first
    assert [(e["kind"], e["store"]) for e in entries] == [
        ("redeem", {"id": store_b.public_id, "name": "Store B"}),
        ("stamp", {"id": store_a.public_id, "name": "Store A"}),
        ("welcome", None),
    ]
    assert store_a.public_id.startswith("store_")


def test_without_store_id_the_network_itself_stamps(network_api, card_url, enrolment):
    assert network_api.post(f"{card_url}/stamp", {"stamps": 2}).status_code == 200
    assert network_api.post(f"{card_url}/stamp", {"stamps": 1, "store_id": None}).status_code == (
        200
    )
    assert ledger(enrolment)[1:] == [("stamp", 2, None), ("stamp", 1, None)]


def test_the_history_keeps_its_fields_and_adds_the_store(network_api, card_url, store_a):
    network_api.post(f"{card_url}/stamp", {"store_id": store_a.pk})
    entry = network_api.get(f"{card_url}/history").json()["entries"][0]
    assert set(entry) == {
        "id",
        "kind",
        "delta",
        "balance_after",
        "reward_id",
        "reward_name",
        "note",
        "actor",
        "store",
        "created_at",
    }
    assert entry["actor"].startswith("api key ")


def _refused_store_ids(network, outsider, other_network_store):
    return {
        "outside the network": outsider.pk,
        "of another network": other_network_store.pk,
        "the network itself": network.pk,
        "no store at all": 999_999_999,
        "past any id": 10**20,
        "a string": "store",
        "a number in a string": str(outsider.pk),
        "a public id": outsider.public_id,
        "a boolean": True,
        "a fraction": 1.5,
        "a list": [1],
    }


@pytest.mark.parametrize(
    "case",
    [
        "outside the network",
        "of another network",
        "the network itself",
        "no store at all",
        "past any id",
        "a string",
        "a number in a string",
        "a public id",
        "a boolean",
        "a fraction",
        "a list",
    ],
)
@pytest.mark.parametrize("action", ["stamp", "redeem"])
def test_a_store_id_that_is_not_a_member_store_is_422_and_writes_nothing(
    case, action, network_api, card_url, enrolment, reward, network, outsider, other_network_store
):
    stamp_add(enrolment=enrolment, count=5, at_store=None)
    before = state(enrolment)
    store_id = _refused_store_ids(network, outsider, other_network_store)[case]
    body = {"stamps": 1} if action == "stamp" else {"reward_id": reward.pk}

    response = network_api.post(f"{card_url}/{action}", {**body, "store_id": store_id})

    answer = assert_error(response, 422, "store_id")
    message = " ".join(answer["fields"]["store_id"])
    assert "member stores" in message, message
    assert state(enrolment) == before


def test_a_store_outside_the_network_cannot_reach_the_card_by_its_own_paths(
    outsider, store_a, cara, enrolment, reward
):
    """An outside store's (or a member store's) secret key is another account: the network's
    customer and card are not found on its paths, and the network's paths refuse its key."""
    before = state(enrolment)
    for store in (outsider, store_a):
        api = client_of(api_key_create(store=store, kind="secret"))
        own = f"/api/v1/accounts/{store.pk}/customers/{cara.pk}/customer_cards/{enrolment.pk}"
        assert_error(api.post(f"{own}/stamp", {"store_id": store.pk}), 404)
        assert_error(api.post(f"{own}/redeem", {"reward_id": reward.pk}), 404)
        assert_error(api.get(f"{own}/history"), 404)
        network_path = own.replace(f"accounts/{store.pk}/", f"accounts/{store.network_id or 0}/")
        assert api.post(f"{network_path}/stamp", {}).status_code in (401, 403, 404)
    assert state(enrolment) == before


def test_a_stores_own_card_takes_only_that_store(store_a, store_b):
    """Outside a network nothing changes: a store's card records the store, and store_id may
    only name it."""
    ada = factories.CustomerFactory(store=store_a)
    card = factories.LoyaltyCardFactory(store=store_a, stamps_required=10)
    enrolment = card_enrol(customer=ada, card=card)
    api = client_of(api_key_create(store=store_a, kind="secret"))
    url = f"/api/v1/accounts/{store_a.pk}/customers/{ada.pk}/customer_cards/{enrolment.pk}"

    assert api.post(f"{url}/stamp", {}).status_code == 200
    assert api.post(f"{url}/stamp", {"store_id": store_a.pk}).status_code == 200
    before = state(enrolment)
    body = assert_error(api.post(f"{url}/stamp", {"store_id": store_b.pk}), 422, "store_id")
    assert "its own store" in body["fields"]["store_id"][0]
    assert state(enrolment) == before

    assert ledger(enrolment) == [("stamp", 1, "Store A"), ("stamp", 1, "Store A")]
    history = api.get(f"{url}/history").json()["entries"]
    assert history[0]["store"] == {"id": store_a.public_id, "name": "Store A"}


# --- Daily limit and expiry, network-wide -------------------------------------------------------


@pytest.mark.usefixtures("frozen_clock")
def test_the_daily_limit_is_shared_by_the_member_stores(
    network_api, card_url, card, enrolment, store_a, store_b
):
    card.max_stamps_per_day = 3
    card.save()

    assert (
        network_api.post(f"{card_url}/stamp", {"stamps": 2, "store_id": store_a.pk}).status_code
        == 200
    )
    before = state(enrolment)
    refused = network_api.post(f"{card_url}/stamp", {"stamps": 2, "store_id": store_b.pk})
    body = assert_error(refused, 422, "stamps")
    assert "1 left today" in body["fields"]["stamps"][0]
    assert state(enrolment) == before
    assert (
        network_api.post(f"{card_url}/stamp", {"stamps": 1, "store_id": store_b.pk}).status_code
        == 200
    )
    assert stamps_given_today(CustomerCard.objects.get(pk=enrolment.pk)) == 3
    with pytest.raises(ValidationError) as refusal:
        stamp_add(enrolment=enrolment, count=1, at_store=store_a)
    assert refusal.value.error_dict["stamps"][0].code == "daily_limit"


def test_the_day_is_the_networks_day_not_a_member_stores(time_machine, network, card, cara):
    """A member store in Tokyo, the network in New York: the limit follows the network's day.
    Past New York's midnight the card takes stamps again, though it is still the same
    afternoon in Tokyo."""
    network.timezone = "America/New_York"
    network.save()
    tokyo = factories.StoreFactory(name="Tokyo", network=network, timezone="Asia/Tokyo")
    card.max_stamps_per_day = 2
    card.save()
    evening = FROZEN_NOW.replace(hour=3, minute=0)  # 23:00 in New York, 12:00 in Tokyo
    time_machine.move_to(evening, tick=False)
    enrolment = card_enrol(customer=cara, card=card)
    stamp_add(enrolment=enrolment, count=2, at_store=tokyo)

    time_machine.move_to(evening + timedelta(minutes=30), tick=False)  # Tokyo's same day
    with pytest.raises(ValidationError):
        stamp_add(enrolment=enrolment, count=1, at_store=tokyo)

    time_machine.move_to(evening + timedelta(hours=1, minutes=30), tick=False)  # NY: next day
    stamp_add(enrolment=enrolment, count=2, at_store=tokyo)
    assert CustomerCard.objects.get(pk=enrolment.pk).stamps_count == 1 + 4


def test_an_expired_network_card_is_refused_at_every_member_store(
    network_api, card_url, enrolment, store_a, store_b, reward
):
    CustomerCard.objects.filter(pk=enrolment.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1), stamps_count=5
    )
    before = state(enrolment)
    for store in (store_a, store_b):
        assert_error(network_api.post(f"{card_url}/stamp", {"store_id": store.pk}), 422, "stamps")
        refused = network_api.post(
            f"{card_url}/redeem", {"reward_id": reward.pk, "store_id": store.pk}
        )
        assert_error(refused, 422, "reward_id")
    assert state(enrolment) == before
    enrolment_expire(enrolment=enrolment)
    assert ledger(enrolment)[-1] == ("expire", -5, None)


# --- Services -----------------------------------------------------------------------------------


def test_services_record_the_member_store_and_refuse_others(
    enrolment, reward, store_a, store_b, outsider, network
):
    stamp_add(enrolment=enrolment, count=3, at_store=store_a)
    reward_redeem(enrolment=enrolment, reward=reward, at_store=store_b)
    enrolment_adjust(enrolment=enrolment, delta=2, note="goodwill", at_store=store_a)
    before = state(enrolment)
    for wrong in (outsider, network):
        for action, arguments in (
            (stamp_add, {}),
            (reward_redeem, {"reward": reward}),
            (enrolment_adjust, {"delta": 1}),
        ):
            with pytest.raises(ValidationError) as refusal:
                action(enrolment=enrolment, at_store=wrong, **arguments)
            assert list(refusal.value.error_dict) == ["store_id"]
    assert state(enrolment) == before
    assert ledger(enrolment) == [
        ("welcome", 1, None),
        ("stamp", 3, "Store A"),
        ("redeem", -3, "Store B"),
        ("adjust", 2, "Store A"),
    ]
    # The ledger still adds up to the balance.
    total = StampEntry.objects.filter(enrolment=enrolment).aggregate(total=Sum("delta"))["total"]
    assert total == CustomerCard.objects.get(pk=enrolment.pk).stamps_count == 3


def test_the_timeline_says_at_which_member_store(enrolment, reward, store_a, store_b, cara):
    stamp_add(enrolment=enrolment, count=3, at_store=store_a)
    reward_redeem(enrolment=enrolment, reward=reward, at_store=store_b)
    stamped = CustomerEvent.objects.get(customer=cara, type=CustomerEvent.Type.STAMPS_ADDED)
    redeemed = CustomerEvent.objects.get(customer=cara, type=CustomerEvent.Type.REWARD_REDEEMED)
    assert stamped.data["store"] == "Store A" and redeemed.data["store"] == "Store B"


def test_a_stores_own_entries_record_the_store_without_being_told(store_a):
    ada = factories.CustomerFactory(store=store_a)
    card = factories.LoyaltyCardFactory(store=store_a, stamps_required=10, initial_stamps=2)
    enrolment = card_enrol(customer=ada, card=card)
    stamp_add(enrolment=enrolment, count=1)
    assert ledger(enrolment) == [("welcome", 2, "Store A"), ("stamp", 1, "Store A")]
    event = CustomerEvent.objects.get(customer=ada, type=CustomerEvent.Type.STAMPS_ADDED)
    assert "store" not in event.data  # a store's own card: its events are as they were
