"""The management API's loyalty endpoints (/api/v1/accounts/{account_id}/…, Leal-compatible):
cards, rewards, a customer's cards, stamping, redeeming and the history."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from customers import notifications
from loyalty.api.serializers import EnrolmentSerializer
from loyalty.models import CustomerCard, LoyaltyCard, Reward, StampEntry
from loyalty.selectors import enrolment_list, ledger_balance
from loyalty.services import card_enrol, enrolment_expire, reward_redeem, stamp_add
from stores.services import api_key_create, api_key_revoke
from tests import factories
from tests.helpers import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.api_key("secret")]

CARD_FIELDS = {
    "id",
    "name",
    "description",
    "stamps_required",
    "initial_stamps",
    "card_color",
    "text_color",
    "header_text",
    "expires_at",
    "expiry_days",
    "max_stamps_per_day",
    "archived",
    "rewards",
    "created_at",
    "updated_at",
}
CARD_REWARD_FIELDS = {"id", "name", "stamps_required", "description", "active", "position"}
REWARD_FIELDS = CARD_REWARD_FIELDS | {"card_id", "created_at", "updated_at"}
ENTRY_FIELDS = {
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


@pytest.fixture
def base(store):
    return f"/api/v1/accounts/{store.pk}"


@pytest.fixture
def card(store):
    return factories.LoyaltyCardFactory(
        store=store, name="Coffee card", stamps_required=10, initial_stamps=2
    )


@pytest.fixture
def reward(card):
    return factories.RewardFactory(card=card, name="Free coffee", stamps_required=5)


@pytest.fixture
def enrolment(customer, card):
    return card_enrol(customer=customer, card=card)


@pytest.fixture
def card_url(base, customer, enrolment):
    """The enrolment's own path: …/customers/{customer_id}/customer_cards/{id}."""
    return f"{base}/customers/{customer.pk}/customer_cards/{enrolment.pk}"


def foreign_objects(other_store):
    """Another store's card, reward, customer and enrolment."""
    card = factories.LoyaltyCardFactory(store=other_store, stamps_required=10)
    reward = factories.RewardFactory(card=card, stamps_required=1)
    customer = factories.CustomerFactory(store=other_store)
    enrolment = card_enrol(customer=customer, card=card)
    return card, reward, customer, enrolment


def queries_of(client, url) -> int:
    client.get(url)  # the key's first use of the test writes its last_used_at; not counted
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# --- Keys and accounts --------------------------------------------------------------------------

PATHS = [
    ("get", "cards"),
    ("post", "cards"),
    ("get", "rewards"),
    ("get", "customers/{customer}/customer_cards"),
    ("post", "customers/{customer}/customer_cards/{enrolment}/stamp"),
    ("get", "customers/{customer}/customer_cards/{enrolment}/history"),
]


def _path(base, template, customer, enrolment):
    return f"{base}/" + template.format(customer=customer.pk, enrolment=enrolment.pk)


@pytest.mark.parametrize("method,template", PATHS)
def test_a_secret_key_is_required(method, template, store, base, customer, enrolment, key):
    url = _path(base, template, customer, enrolment)
    client = APIClient()
    assert_error(getattr(client, method)(url, {}), 401)
    publishable = api_key_create(store=store, kind="publishable")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {publishable.raw}")
    assert_error(getattr(client, method)(url, {}), 401)
    client.credentials(HTTP_AUTHORIZATION="Bearer sk_forged0000000000000000000000000000000000")
    assert_error(getattr(client, method)(url, {}), 401)
    api_key_revoke(api_key=key.api_key)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw}")
    assert_error(getattr(client, method)(url, {}), 401)
    enrolment.refresh_from_db()
    assert enrolment.stamps_count == 2


@pytest.mark.parametrize("method,template", PATHS)
def test_another_stores_key_finds_no_store(
    method, template, base, customer, enrolment, other_store
):
    url = _path(base, template, customer, enrolment)
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {api_key_create(store=other_store, kind='secret').raw}"
    )
    assert_error(getattr(client, method)(url, {"stamps": 1}), 404)
    enrolment.refresh_from_db()
    assert enrolment.stamps_count == 2


def test_the_key_reaches_no_other_account(api, other_store):
    assert_error(api.get(f"/api/v1/accounts/{other_store.pk}/cards"), 404)


# --- Cards --------------------------------------------------------------------------------------


def test_cards_list_is_a_bare_array_of_the_stores_cards(
    api, base, card, reward, store, other_store
):
    archived = factories.LoyaltyCardFactory(store=store, name="Old card", archived=True)
    factories.LoyaltyCardFactory(store=other_store, name="Rival card")

    body = api.get(f"{base}/cards").json()

    assert [c["name"] for c in body] == ["Coffee card", "Old card"]
    coffee = body[0]
    assert set(coffee) == CARD_FIELDS
    assert coffee["id"] == card.pk and coffee["stamps_required"] == 10
    assert coffee["initial_stamps"] == 2 and coffee["archived"] is False
    assert coffee["rewards"] == [
        {
            "id": reward.pk,
            "name": "Free coffee",
            "stamps_required": 5,
            "description": "",
            "active": True,
            "position": 0,
        }
    ]
    assert body[1]["id"] == archived.pk and body[1]["archived"] is True


def test_cards_list_takes_the_same_queries_for_any_number_of_cards(api, base, store):
    card = factories.LoyaltyCardFactory(store=store)
    factories.RewardFactory(card=card)
    one = queries_of(api, f"{base}/cards")
    for _ in range(5):
        more = factories.LoyaltyCardFactory(store=store)
        factories.RewardFactory.create_batch(3, card=more, stamps_required=2)
    assert queries_of(api, f"{base}/cards") == one


def test_create_a_card(api, base, store):
    response = api.post(
        f"{base}/cards",
        {
            "card": {
                "name": "Tea card",
                "description": "Ten teas, one free.",
                "stamps_required": 10,
                "initial_stamps": 2,
                "card_color": "#112233",
                "text_color": "#FFEEDD",
                "header_text": "Tea time",
                "expires_at": "2031-01-31T18:00:00+01:00",
                "expiry_days": 365,
                "max_stamps_per_day": 3,
            }
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    card = LoyaltyCard.objects.get(pk=body["id"])
    assert card.store == store
    assert body["name"] == "Tea card" and body["description"] == "Ten teas, one free."
    assert (body["stamps_required"], body["initial_stamps"]) == (10, 2)
    assert (body["card_color"], body["text_color"]) == ("#112233", "#FFEEDD")
    assert body["header_text"] == "Tea time" and body["rewards"] == []
    assert (body["expiry_days"], body["max_stamps_per_day"]) == (365, 3)
    assert card.expires_at == datetime(2031, 1, 31, 17, tzinfo=UTC)
    assert body["archived"] is False and body["created_at"] and body["updated_at"]


def test_a_card_needs_only_a_name_and_stamps(api, base):
    response = api.post(f"{base}/cards", {"card": {"name": "Plain", "stamps_required": 1}})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["initial_stamps"] == 0 and body["expires_at"] is None
    assert body["expiry_days"] is None and body["max_stamps_per_day"] is None
    assert body["card_color"] == "#1F2937" and body["text_color"] == "#FFFFFF"


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"stamps_required": 0}, "stamps_required"),
        ({"stamps_required": 22}, "stamps_required"),
        ({"stamps_required": 10**30}, "stamps_required"),
        ({"stamps_required": "ten"}, "stamps_required"),
        ({"stamps_required": None}, "stamps_required"),
        ({"initial_stamps": 10}, "initial_stamps"),
        ({"initial_stamps": 11}, "initial_stamps"),
        ({"initial_stamps": -1}, "initial_stamps"),
        ({"card_color": "red"}, "card_color"),
        ({"text_color": "#12345"}, "text_color"),
        ({"card_color": "#12345G"}, "card_color"),
        ({"expiry_days": 0}, "expiry_days"),
        ({"expiry_days": 10**12}, "expiry_days"),
        ({"max_stamps_per_day": 0}, "max_stamps_per_day"),
        ({"max_stamps_per_day": 10**30}, "max_stamps_per_day"),
        ({"expires_at": "next week"}, "expires_at"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"header_text": "x" * 101}, "header_text"),
        ({"name": "nul\x00byte"}, "name"),
    ],
)
def test_bad_card_values_are_422_on_their_field(api, base, fields, field):
    card = {"name": "Tea card", "stamps_required": 10, "initial_stamps": 2, **fields}
    assert_error(api.post(f"{base}/cards", {"card": card}), 422, field)
    assert not LoyaltyCard.objects.exists()


def test_a_card_body_must_be_wrapped(api, base):
    assert_error(api.post(f"{base}/cards", {"name": "Tea", "stamps_required": 5}), 422, "card")
    assert_error(api.post(f"{base}/cards", {"card": "Tea"}), 422, "card")
    assert_error(api.post(f"{base}/cards", [1, 2]), 422, "card")
    malformed = api.post(f"{base}/cards", "{nope", content_type="application/json")
    assert_error(malformed, 400)


def test_get_a_card(api, base, card, reward):
    body = api.get(f"{base}/cards/{card.pk}").json()
    assert set(body) == CARD_FIELDS
    assert body["id"] == card.pk and [r["id"] for r in body["rewards"]] == [reward.pk]
    assert api.get(f"{base}/cards/{card.pk}/").status_code == 200


def test_another_stores_card_is_not_found(api, base, other_store):
    foreign = factories.LoyaltyCardFactory(store=other_store)
    assert_error(api.get(f"{base}/cards/{foreign.pk}"), 404)
    assert_error(api.patch(f"{base}/cards/{foreign.pk}", {"card": {"name": "Mine"}}), 404)
    assert_error(api.get(f"{base}/cards/999999"), 404)
    assert_error(api.get(f"{base}/cards/{10**30}"), 404)
    foreign.refresh_from_db()
    assert foreign.name != "Mine"


def test_patch_changes_only_the_fields_sent(api, base, card):
    response = api.patch(
        f"{base}/cards/{card.pk}",
        {"card": {"name": "Latte card", "max_stamps_per_day": 2, "archived": True}},
    )
    assert response.status_code == 200, response.content
    card.refresh_from_db()
    assert (card.name, card.max_stamps_per_day, card.archived) == ("Latte card", 2, True)
    assert (card.stamps_required, card.initial_stamps) == (10, 2)
    assert response.json()["name"] == "Latte card"
    # A limit can be lifted again with null.
    api.patch(f"{base}/cards/{card.pk}", {"card": {"max_stamps_per_day": None}})
    card.refresh_from_db()
    assert card.max_stamps_per_day is None


def test_put_is_patch(api, base, card):
    response = api.put(f"{base}/cards/{card.pk}", {"card": {"header_text": "Hi"}})
    assert response.status_code == 200, response.content
    card.refresh_from_db()
    assert card.header_text == "Hi" and card.name == "Coffee card"


def test_patch_is_checked_against_the_cards_other_values(api, base, card):
    url = f"{base}/cards/{card.pk}"
    assert_error(api.patch(url, {"card": {"initial_stamps": 10}}), 422, "initial_stamps")
    assert_error(api.patch(url, {"card": {"stamps_required": 2}}), 422, "initial_stamps")
    assert_error(api.patch(url, {"card": {"stamps_required": 0}}), 422, "stamps_required")
    card.refresh_from_db()
    assert (card.stamps_required, card.initial_stamps) == (10, 2)


def test_a_card_cannot_shrink_below_its_rewards(api, base, card, reward):
    url = f"{base}/cards/{card.pk}"
    body = assert_error(api.patch(url, {"card": {"stamps_required": 4}}), 422)
    assert "Free coffee" in body["fields"]["stamps_required"][0]
    response = api.patch(url, {"card": {"stamps_required": 5}})
    assert response.status_code == 200 and response.json()["stamps_required"] == 5


# --- Rewards ------------------------------------------------------------------------------------


def test_rewards_list_is_a_bare_array_of_the_stores_rewards(
    api, base, store, card, reward, other_store
):
    tea = factories.LoyaltyCardFactory(store=store, name="Tea card")
    tea_reward = factories.RewardFactory(card=tea, name="Free tea", stamps_required=3)
    factories.RewardFactory(card=factories.LoyaltyCardFactory(store=other_store))

    body = api.get(f"{base}/rewards").json()

    assert {r["id"] for r in body} == {reward.pk, tea_reward.pk}
    assert set(body[0]) == REWARD_FIELDS
    mine = next(r for r in body if r["id"] == reward.pk)
    assert mine["card_id"] == card.pk and mine["name"] == "Free coffee"
    assert mine["stamps_required"] == 5 and mine["active"] is True
    only_tea = api.get(f"{base}/rewards", {"card_id": tea.pk}).json()
    assert [r["id"] for r in only_tea] == [tea_reward.pk]
    assert api.get(f"{base}/rewards", {"card_id": 999999}).json() == []
    assert_error(api.get(f"{base}/rewards", {"card_id": "tea"}), 422, "card_id")


def test_another_stores_rewards_are_not_listed_by_card(api, base, other_store):
    foreign_card, *_ = foreign_objects(other_store)
    assert api.get(f"{base}/rewards", {"card_id": foreign_card.pk}).json() == []


def test_create_a_reward(api, base, card):
    response = api.post(
        f"{base}/rewards",
        {
            "reward": {
                "card_id": card.pk,
                "name": "Free muffin",
                "stamps_required": 10,
                "description": "Any muffin",
                "active": False,
                "position": 3,
            }
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    reward = Reward.objects.get(pk=body["id"])
    assert reward.card == card and body["card_id"] == card.pk
    assert (body["name"], body["stamps_required"], body["description"]) == (
        "Free muffin",
        10,
        "Any muffin",
    )
    assert (body["active"], body["position"]) == (False, 3)
    card_body = api.get(f"{base}/cards/{card.pk}").json()
    assert [r["name"] for r in card_body["rewards"]] == ["Free muffin"]


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"stamps_required": 0}, "stamps_required"),
        ({"stamps_required": 11}, "stamps_required"),  # more than the card's 10
        ({"stamps_required": 10**30}, "stamps_required"),
        ({"stamps_required": None}, "stamps_required"),
        ({"name": ""}, "name"),
        ({"position": -1}, "position"),
        ({"position": 10**30}, "position"),
        ({"active": "perhaps"}, "active"),
        ({"card_id": None}, "card_id"),
        ({"card_id": 999999}, "card_id"),
        ({"card_id": 10**30}, "card_id"),
    ],
)
def test_bad_reward_values_are_422_on_their_field(api, base, card, fields, field):
    reward = {"card_id": card.pk, "name": "Free coffee", "stamps_required": 5, **fields}
    assert_error(api.post(f"{base}/rewards", {"reward": reward}), 422, field)
    assert not Reward.objects.exists()


def test_a_reward_needs_a_card_of_the_store(api, base, other_store):
    foreign_card, *_ = foreign_objects(other_store)
    body = {"reward": {"card_id": foreign_card.pk, "name": "Steal", "stamps_required": 1}}
    assert_error(api.post(f"{base}/rewards", body), 422, "card_id")
    assert_error(api.post(f"{base}/rewards", {"name": "x"}), 422, "reward")
    assert not foreign_card.rewards.filter(name="Steal").exists()


def test_get_patch_and_delete_a_reward(api, base, card, reward, store):
    url = f"{base}/rewards/{reward.pk}"
    assert api.get(url).json()["name"] == "Free coffee"

    response = api.patch(url, {"reward": {"name": "Big coffee", "position": 2}})
    assert response.status_code == 200, response.content
    reward.refresh_from_db()
    assert (reward.name, reward.position, reward.stamps_required) == ("Big coffee", 2, 5)
    assert_error(api.patch(url, {"reward": {"stamps_required": 11}}), 422, "stamps_required")
    assert api.put(url, {"reward": {"active": False}}).json()["active"] is False

    small = factories.LoyaltyCardFactory(store=store, stamps_required=4)
    moving = {"reward": {"card_id": small.pk}}
    assert_error(api.patch(url, moving), 422, "stamps_required")
    moving["reward"]["stamps_required"] = 4
    assert api.patch(url, moving).json()["card_id"] == small.pk

    assert api.delete(url).status_code == 204
    assert not Reward.objects.filter(pk=reward.pk).exists()
    assert_error(api.get(url), 404)


def test_another_stores_reward_is_not_found(api, base, other_store, card):
    _, foreign, *_ = foreign_objects(other_store)
    url = f"{base}/rewards/{foreign.pk}"
    assert_error(api.get(url), 404)
    assert_error(api.patch(url, {"reward": {"name": "Mine"}}), 404)
    assert_error(api.delete(url), 404)
    foreign.refresh_from_db()
    assert foreign.name != "Mine"
    # Nor can a reward of this store be moved onto another store's card.
    mine = factories.RewardFactory(card=card)
    body = {"reward": {"card_id": foreign.card_id}}
    assert_error(api.patch(f"{base}/rewards/{mine.pk}", body), 422, "card_id")


def test_deleting_a_redeemed_reward_keeps_the_ledger(api, base, enrolment, reward, card_url):
    stamp_add(enrolment=enrolment, count=3)
    entry = reward_redeem(enrolment=enrolment, reward=reward)

    assert api.delete(f"{base}/rewards/{reward.pk}").status_code == 204

    entry.refresh_from_db()
    assert entry.reward is None and entry.reward_name == "Free coffee"
    assert (entry.delta, entry.balance_after) == (-5, 0)
    redeemed = api.get(f"{card_url}/history").json()["entries"][0]
    assert (redeemed["kind"], redeemed["reward_id"], redeemed["reward_name"]) == (
        "redeem",
        None,
        "Free coffee",
    )
    enrolment.refresh_from_db()
    assert ledger_balance(enrolment) == enrolment.stamps_count == 0


# --- A customer's cards -------------------------------------------------------------------------


def test_customer_cards_list_is_a_bare_array_of_enrolments(
    api, base, customer, enrolment, store, reward
):
    tea = factories.LoyaltyCardFactory(store=store, name="Tea card")
    second = card_enrol(customer=customer, card=tea)
    card_enrol(customer=factories.CustomerFactory(store=store), card=tea)  # someone else's

    response = api.get(f"{base}/customers/{customer.pk}/customer_cards")

    assert response.status_code == 200
    expected = EnrolmentSerializer(enrolment_list(customer=customer), many=True).data
    assert response.json() == [dict(row) for row in expected]
    assert [row["id"] for row in response.json()] == [second.pk, enrolment.pk]
    assert response.json()[1]["card_id"] == enrolment.card_id
    assert response.json()[1]["stamps_count"] == 2


def test_customer_cards_list_takes_the_same_queries_for_any_number(api, base, customer, store):
    url = f"{base}/customers/{customer.pk}/customer_cards"
    card_enrol(customer=customer, card=factories.LoyaltyCardFactory(store=store))
    one = queries_of(api, url)
    for _ in range(4):
        card = factories.LoyaltyCardFactory(store=store)
        factories.RewardFactory.create_batch(2, card=card, stamps_required=1)
        card_enrol(customer=customer, card=card)
    assert queries_of(api, url) == one


def test_get_one_customer_card(api, card_url, enrolment):
    body = api.get(card_url).json()
    assert body == dict(EnrolmentSerializer(enrolment_list(customer=enrolment.customer).get()).data)


def test_customer_cards_of_another_store_or_customer_are_not_found(
    api, base, customer, enrolment, store, other_store
):
    _, _, foreign_customer, foreign_enrolment = foreign_objects(other_store)
    neighbour = factories.CustomerFactory(store=store)
    neighbours = card_enrol(customer=neighbour, card=enrolment.card)

    assert_error(api.get(f"{base}/customers/{foreign_customer.pk}/customer_cards"), 404)
    assert_error(api.get(f"{base}/customers/999999/customer_cards"), 404)
    for customer_id, enrolment_id in [
        (foreign_customer.pk, foreign_enrolment.pk),  # another store's
        (customer.pk, foreign_enrolment.pk),  # another store's card under my customer
        (customer.pk, neighbours.pk),  # another customer's card under my customer
        (neighbour.pk, enrolment.pk),
        (customer.pk, 10**30),
    ]:
        url = f"{base}/customers/{customer_id}/customer_cards/{enrolment_id}"
        assert_error(api.get(url), 404)
        assert_error(api.post(f"{url}/stamp", {"stamps": 1}), 404)
        assert_error(api.post(f"{url}/redeem", {"reward_id": 1}), 404)
        assert_error(api.get(f"{url}/history"), 404)
    body = {"card_id": enrolment.card_id}
    assert_error(api.post(f"{base}/customers/{foreign_customer.pk}/customer_cards", body), 404)
    foreign_enrolment.refresh_from_db()
    neighbours.refresh_from_db()
    assert foreign_enrolment.stamps_count == 0 and neighbours.stamps_count == 2
    assert not foreign_customer.cards.filter(card=enrolment.card).exists()


def test_enrol_a_customer(api, base, customer, card, key):
    response = api.post(
        f"{base}/customers/{customer.pk}/customer_cards", {"card_id": card.pk}, format="json"
    )

    assert response.status_code == 201, response.content
    enrolment = CustomerCard.objects.get(customer=customer, card=card)
    assert response.json() == dict(
        EnrolmentSerializer(enrolment_list(customer=customer).get()).data
    )
    assert response.json()["stamps_count"] == 2  # the welcome stamps
    welcome = enrolment.entries.get()
    assert (welcome.kind, welcome.delta, welcome.actor_api_key) == ("welcome", 2, key.api_key)
    assert mail.outbox == [] and notifications.outbox == []


def test_enrol_and_send_the_card_links(api, base, customer, card):
    response = api.post(
        f"{base}/customers/{customer.pk}/customer_cards",
        {"card_id": card.pk, "send_card_links": True},
    )

    assert response.status_code == 201, response.content
    code = response.json()["code"]
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    assert code in mail.outbox[0].body
    assert [s.to for s in notifications.outbox] == ["+14155550123"]
    assert code in notifications.outbox[0].body


@pytest.mark.usefixtures("frozen_clock")
def test_enrol_refusals(api, base, customer, enrolment, store, other_store):
    url = f"{base}/customers/{customer.pk}/customer_cards"
    body = assert_error(api.post(url, {"card_id": enrolment.card_id}), 422, "card_id")
    assert "already enrolled" in body["errors"][0]
    foreign_card, *_ = foreign_objects(other_store)
    assert_error(api.post(url, {"card_id": foreign_card.pk}), 422, "card_id")
    archived = factories.LoyaltyCardFactory(store=store, archived=True)
    assert_error(api.post(url, {"card_id": archived.pk}), 422, "card_id")
    ended = factories.LoyaltyCardFactory(store=store, expires_at=timezone.now() - timedelta(days=1))
    assert_error(api.post(url, {"card_id": ended.pk}), 422, "card_id")
    assert_error(api.post(url, {}), 422, "card_id")
    assert_error(api.post(url, {"card_id": "tea"}), 422, "card_id")
    assert_error(api.post(url, {"card_id": 10**30}), 422, "card_id")
    assert customer.cards.count() == 1


# --- Stamping -----------------------------------------------------------------------------------


def test_stamp_adds_one_by_default(api, card_url, enrolment, key):
    response = api.post(f"{card_url}/stamp", {})

    assert response.status_code == 200, response.content
    enrolment.refresh_from_db()
    assert response.json() == dict(
        EnrolmentSerializer(enrolment_list(customer=enrolment.customer).get()).data
    )
    assert response.json()["stamps_count"] == enrolment.stamps_count == 3
    entry = enrolment.entries.filter(kind="stamp").get()
    assert (entry.delta, entry.balance_after, entry.actor_api_key) == (1, 3, key.api_key)


def test_stamp_several_with_a_note(api, card_url, enrolment, reward):
    response = api.post(
        f"{card_url}/stamp", {"stamps": 3, "note": "three lattes", "skip_notifications": True}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["stamps_count"] == 5 and body["stamps_remaining"] == 5
    assert body["progress_percentage"] == 50
    assert body["available_rewards"] == [
        {"id": reward.pk, "name": "Free coffee", "stamps_required": 5}
    ]
    assert enrolment.entries.get(kind="stamp").note == "three lattes"


@pytest.mark.parametrize("stamps", [0, -1, 101, 10**30, "two", 1.5, None])
def test_stamps_are_1_to_100(api, card_url, enrolment, stamps):
    assert_error(api.post(f"{card_url}/stamp", {"stamps": stamps}), 422, "stamps")
    enrolment.refresh_from_db()
    assert enrolment.stamps_count == 2


def test_a_long_note_is_refused(api, card_url):
    assert_error(api.post(f"{card_url}/stamp", {"note": "x" * 256}), 422, "note")


@pytest.mark.usefixtures("frozen_clock")
def test_stamps_past_the_daily_limit_are_refused(api, card_url, card, enrolment):
    card.max_stamps_per_day = 3
    card.save()
    assert api.post(f"{card_url}/stamp", {"stamps": 2}).status_code == 200

    body = assert_error(api.post(f"{card_url}/stamp", {"stamps": 2}), 422, "stamps")

    assert body["errors"] == ["This card takes at most 3 stamps a day; 1 left today."]
    assert api.post(f"{card_url}/stamp", {"stamps": 1}).status_code == 200
    enrolment.refresh_from_db()
    assert enrolment.stamps_count == 5


@pytest.mark.usefixtures("frozen_clock")
def test_an_expired_card_takes_no_stamps(api, base, customer, store):
    card = factories.LoyaltyCardFactory(store=store, expiry_days=10, initial_stamps=5)
    reward = factories.RewardFactory(card=card, stamps_required=5)
    enrolment = card_enrol(
        customer=customer, card=card, issued_at=timezone.now() - timedelta(days=11)
    )
    url = f"{base}/customers/{customer.pk}/customer_cards/{enrolment.pk}"

    body = assert_error(api.post(f"{url}/stamp", {}), 422, "stamps")
    assert body["errors"][0].startswith("This card expired on ")
    assert_error(api.post(f"{url}/redeem", {"reward_id": reward.pk}), 422, "reward_id")
    assert api.get(url).json()["status"] == "expired"
    enrolment.refresh_from_db()
    assert enrolment.stamps_count == 5


def test_a_canceled_card_takes_no_stamps(api, card_url, enrolment):
    CustomerCard.objects.filter(pk=enrolment.pk).update(status="canceled")
    body = assert_error(api.post(f"{card_url}/stamp", {}), 422, "stamps")
    assert body["errors"] == ["This card was canceled."]


# --- Redeeming ----------------------------------------------------------------------------------


def test_redeem_a_reward(api, card_url, enrolment, reward, key):
    stamp_add(enrolment=enrolment, count=4)

    response = api.post(f"{card_url}/redeem", {"reward_id": reward.pk})

    assert response.status_code == 200, response.content
    entry = enrolment.entries.get(kind="redeem")
    assert response.json() == {
        "success": True,
        "redemption": {
            "id": entry.pk,
            "reward_id": reward.pk,
            "reward_name": "Free coffee",
            "stamps_spent": 5,
            "stamps_remaining": 1,
            "redeemed_at": response.json()["redemption"]["redeemed_at"],
        },
    }
    assert entry.actor_api_key == key.api_key and (entry.delta, entry.balance_after) == (-5, 1)
    enrolment.refresh_from_db()
    assert enrolment.stamps_count == 1


def test_enrolling_stamping_and_redeeming_name_the_key_on_the_customers_timeline(
    api, base, customer, card, reward, key
):
    enrolled = api.post(f"{base}/customers/{customer.pk}/customer_cards", {"card_id": card.pk})
    assert enrolled.status_code == 201, enrolled.content
    card_url = f"{base}/customers/{customer.pk}/customer_cards/{enrolled.json()['id']}"
    assert api.post(f"{card_url}/stamp", {"stamps": 3}).status_code == 200
    assert api.post(f"{card_url}/redeem", {"reward_id": reward.pk}).status_code == 200
    events = customer.events.order_by("id").values_list("type", "actor_api_key")
    assert list(events) == [
        ("card_enrolled", key.api_key.pk),
        ("stamps_added", key.api_key.pk),
        ("reward_redeemed", key.api_key.pk),
    ]


def test_redeem_with_too_few_stamps_is_refused(api, card_url, enrolment, reward):
    body = assert_error(api.post(f"{card_url}/redeem", {"reward_id": reward.pk}), 422, "reward_id")
    assert body["errors"] == ["Free coffee needs 5 stamps; the card has 2."]
    enrolment.refresh_from_db()
    assert enrolment.stamps_count == 2 and not enrolment.entries.filter(kind="redeem").exists()


def test_redeem_refusals(api, card_url, enrolment, card, store, other_store):
    stamp_add(enrolment=enrolment, count=8)
    _, foreign_reward, *_ = foreign_objects(other_store)
    other_card_reward = factories.RewardFactory(
        card=factories.LoyaltyCardFactory(store=store), stamps_required=1
    )
    inactive = factories.RewardFactory(card=card, stamps_required=1, active=False)
    for reward_id, message in [
        (foreign_reward.pk, "no reward with this id"),
        (other_card_reward.pk, "another card"),
        (inactive.pk, "not available"),
        (999999, "no reward with this id"),
        (10**30, "no reward with this id"),
    ]:
        response = api.post(f"{card_url}/redeem", {"reward_id": reward_id})
        body = assert_error(response, 422, "reward_id")
        assert message in body["errors"][0]
    assert_error(api.post(f"{card_url}/redeem", {}), 422, "reward_id")
    enrolment.refresh_from_db()
    assert enrolment.stamps_count == 10


# --- History ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("frozen_clock")
def test_history_lists_the_ledger_newest_first_with_its_actors(
    api, base, customer, card, reward, key, staff_client
):
    enrolment = card_enrol(customer=customer, card=card, actor_user=staff_client.user)
    url = f"{base}/customers/{customer.pk}/customer_cards/{enrolment.pk}"
    api.post(f"{url}/stamp", {"stamps": 4, "note": "four"})
    api.post(f"{url}/redeem", {"reward_id": reward.pk})
    CustomerCard.objects.filter(pk=enrolment.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    enrolment_expire(enrolment=enrolment)

    body = api.get(f"{url}/history").json()

    entries = body["entries"]
    assert set(entries[0]) == ENTRY_FIELDS
    assert [(e["kind"], e["delta"], e["balance_after"]) for e in entries] == [
        ("expire", -1, 0),
        ("redeem", -5, 1),
        ("stamp", 4, 6),
        ("welcome", 2, 2),
    ]
    assert [e["actor"] for e in entries] == [
        None,
        f"api key {key.api_key.prefix}…",
        f"api key {key.api_key.prefix}…",
        staff_client.user.username,
    ]
    assert entries[0]["actor"] is None and key.api_key.prefix.startswith("sk_")
    assert (entries[1]["reward_id"], entries[1]["reward_name"]) == (reward.pk, "Free coffee")
    assert (entries[2]["reward_id"], entries[2]["note"]) == (None, "four")
    assert body["pagination"] == {"count": 4, "items": 25, "page": 1, "pages": 1}


def test_history_pages(api, card_url, enrolment):
    for _ in range(6):
        stamp_add(enrolment=enrolment, count=1)  # 7 entries with the welcome

    first = api.get(f"{card_url}/history", {"items": 3}).json()
    last = api.get(f"{card_url}/history", {"items": 3, "page": 3}).json()
    beyond = api.get(f"{card_url}/history", {"items": 3, "page": 4}).json()

    assert first["pagination"] == {"count": 7, "items": 3, "page": 1, "pages": 3}
    assert [e["balance_after"] for e in first["entries"]] == [8, 7, 6]
    assert [e["kind"] for e in last["entries"]] == ["welcome"]
    assert last["pagination"] == {"count": 7, "items": 3, "page": 3, "pages": 3}
    assert beyond == {"entries": [], "pagination": {"count": 7, "items": 3, "page": 4, "pages": 3}}
    for params, field in [
        ({"items": 101}, "items"),
        ({"items": 0}, "items"),
        ({"page": 0}, "page"),
    ]:
        assert_error(api.get(f"{card_url}/history", params), 422, field)


def test_history_takes_the_same_queries_for_any_number_of_entries(
    api, card_url, enrolment, reward, staff_client
):
    stamp_add(enrolment=enrolment, count=1, actor_user=staff_client.user)
    few = queries_of(api, f"{card_url}/history")
    for _ in range(5):
        stamp_add(enrolment=enrolment, count=2, actor_user=staff_client.user)
        if enrolment.stamps_count >= reward.stamps_required:
            reward_redeem(enrolment=enrolment, reward=reward)
    assert queries_of(api, f"{card_url}/history") == few


# --- Concurrency --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_stamp_requests_lose_nothing(store):
    """50 clients post /stamp at once. On PostgreSQL the requests contend for the enrolment's
    row lock; on SQLite (a file test database) the immediate transactions make them queue."""
    key = api_key_create(store=store, kind="secret")
    customer = factories.CustomerFactory(store=store)
    card = factories.LoyaltyCardFactory(store=store, initial_stamps=0)
    enrolment = card_enrol(customer=customer, card=card)
    url = f"/api/v1/accounts/{store.pk}/customers/{customer.pk}/customer_cards/{enrolment.pk}/stamp"
    threads_count = 50
    barrier = threading.Barrier(threads_count)
    statuses, failures = [], []

    def stamp():
        client = Client(HTTP_AUTHORIZATION=f"Bearer {key.raw}")
        try:
            barrier.wait(timeout=30)
            response = client.post(url, {"stamps": 1}, content_type="application/json")
            statuses.append(response.status_code)
            if response.status_code != 200:
                failures.append(response.content)
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=stamp) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    assert statuses == [200] * threads_count
    enrolment.refresh_from_db()
    assert enrolment.stamps_count == 50
    balances = sorted(
        StampEntry.objects.filter(enrolment=enrolment).values_list("balance_after", flat=True)
    )
    assert balances == list(range(1, 51))  # distinct: every entry saw the balance before it
    assert ledger_balance(enrolment) == 50
    assert set(enrolment.entries.values_list("actor_api_key", flat=True)) == {key.api_key.pk}
