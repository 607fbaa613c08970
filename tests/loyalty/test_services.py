import random
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from loyalty.models import CustomerCard, LoyaltyCard, StampEntry
from loyalty.selectors import available_rewards, ledger_balance
from loyalty.services import (
    DAILY_LIMIT_MESSAGE,
    card_enrol,
    card_enrol_check,
    card_save,
    enrolment_adjust,
    enrolment_expire,
    reward_redeem,
    stamp_add,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(store):
    return factories.LoyaltyCardFactory(store=store, stamps_required=10, initial_stamps=2)


@pytest.fixture
def enrolment(customer, card):
    return card_enrol(customer=customer, card=card)


def kinds(enrolment):
    return list(enrolment.entries.order_by("id").values_list("kind", "delta", "balance_after"))


# --- card_enrol -----------------------------------------------------------------------------


def test_enrol_applies_the_welcome_stamps(customer, card, admin_user):
    enrolment = card_enrol(customer=customer, card=card, actor_user=admin_user)
    enrolment.refresh_from_db()
    assert enrolment.stamps_count == 2
    assert kinds(enrolment) == [("welcome", 2, 2)]
    assert len(enrolment.code) == 12 and enrolment.code.isdigit()
    assert enrolment.effective_status == "active"
    assert customer.events.filter(type="card_enrolled", actor_user=admin_user).exists()


def test_enrol_without_welcome_stamps_writes_no_entry(customer, store):
    card = factories.LoyaltyCardFactory(store=store, initial_stamps=0)
    enrolment = card_enrol(customer=customer, card=card)
    assert enrolment.stamps_count == 0 and kinds(enrolment) == []


def test_enrol_sets_the_expiry_from_expiry_days(customer, store):
    card = factories.LoyaltyCardFactory(store=store, expiry_days=30)
    enrolment = card_enrol(customer=customer, card=card)
    assert enrolment.expires_at - enrolment.issued_at == timedelta(days=30)


def test_enrol_refusals(customer, card, other_store, store):
    card_enrol(customer=customer, card=card)
    with pytest.raises(ValidationError, match="already enrolled"):
        card_enrol(customer=customer, card=card)
    with pytest.raises(ValidationError, match="another store"):
        card_enrol(customer=customer, card=factories.LoyaltyCardFactory(store=other_store))
    with pytest.raises(ValidationError, match="archived"):
        card_enrol(customer=customer, card=factories.LoyaltyCardFactory(store=store, archived=True))
    assert CustomerCard.objects.count() == 1


# --- stamp_add ------------------------------------------------------------------------------


def test_stamp_adds_and_records_the_balance(enrolment, admin_user):
    stamp_add(enrolment=enrolment, count=3, actor_user=admin_user, note="3 coffees")
    assert enrolment.stamps_count == 5
    entry = enrolment.entries.get(kind="stamp")
    assert (entry.delta, entry.balance_after, entry.actor_user, entry.note) == (
        3,
        5,
        admin_user,
        "3 coffees",
    )
    assert enrolment.customer.events.filter(type="stamps_added").exists()


@pytest.mark.parametrize("count", [0, -1, 101, 1.5, True])
def test_stamp_count_must_be_1_to_100(enrolment, count):
    with pytest.raises(ValidationError):
        stamp_add(enrolment=enrolment, count=count)
    enrolment.refresh_from_db()
    assert enrolment.stamps_count == 2


@pytest.mark.usefixtures("frozen_clock")
def test_daily_limit_refuses_stamps_beyond_it(customer, store):
    card = factories.LoyaltyCardFactory(store=store, max_stamps_per_day=3)
    enrolment = card_enrol(customer=customer, card=card)
    stamp_add(enrolment=enrolment, count=2)
    with pytest.raises(ValidationError) as excinfo:
        stamp_add(enrolment=enrolment, count=2)
    assert excinfo.value.error_dict["stamps"][0].code == "daily_limit"
    assert "1 left today" in excinfo.value.messages[0]
    stamp_add(enrolment=enrolment, count=1)
    assert enrolment.stamps_count == 3
    # Yesterday's stamps do not count against today.
    StampEntry.objects.filter(enrolment=enrolment).update(
        created_at=timezone.now() - timedelta(days=1)
    )
    stamp_add(enrolment=enrolment, count=3)
    assert enrolment.stamps_count == 6


@pytest.mark.usefixtures("frozen_clock")
def test_expired_enrolment_refuses_stamps_and_redemptions(customer, store):
    card = factories.LoyaltyCardFactory(store=store, expiry_days=10, initial_stamps=5)
    reward = factories.RewardFactory(card=card, stamps_required=5)
    enrolment = card_enrol(
        customer=customer, card=card, issued_at=timezone.now() - timedelta(days=11)
    )
    assert enrolment.effective_status == "expired"
    with pytest.raises(ValidationError, match="expired"):
        stamp_add(enrolment=enrolment, count=1)
    with pytest.raises(ValidationError, match="expired"):
        reward_redeem(enrolment=enrolment, reward=reward)
    assert available_rewards(enrolment) == []
    enrolment.refresh_from_db()
    assert enrolment.stamps_count == 5


# --- reward_redeem --------------------------------------------------------------------------


def test_redeem_spends_the_reward_cost(enrolment, card, admin_user):
    reward = factories.RewardFactory(card=card, name="Free coffee", stamps_required=5)
    stamp_add(enrolment=enrolment, count=4)
    entry = reward_redeem(enrolment=enrolment, reward=reward, actor_user=admin_user)
    assert (entry.kind, entry.delta, entry.balance_after, entry.reward) == ("redeem", -5, 1, reward)
    assert entry.reward_name == "Free coffee"
    assert enrolment.stamps_count == 1
    assert enrolment.customer.events.filter(type="reward_redeemed").exists()


def test_redeem_refuses_with_too_few_stamps(enrolment, card):
    reward = factories.RewardFactory(card=card, stamps_required=5)
    with pytest.raises(ValidationError) as excinfo:
        reward_redeem(enrolment=enrolment, reward=reward)
    assert excinfo.value.error_dict["reward_id"][0].code == "insufficient_stamps"
    enrolment.refresh_from_db()
    assert enrolment.stamps_count == 2 and kinds(enrolment) == [("welcome", 2, 2)]


def test_redeem_refuses_another_cards_or_inactive_reward(enrolment, card, store):
    stamp_add(enrolment=enrolment, count=8)
    other_card_reward = factories.RewardFactory(card=factories.LoyaltyCardFactory(store=store))
    with pytest.raises(ValidationError, match="another card"):
        reward_redeem(enrolment=enrolment, reward=other_card_reward)
    inactive = factories.RewardFactory(card=card, active=False)
    with pytest.raises(ValidationError, match="not available"):
        reward_redeem(enrolment=enrolment, reward=inactive)


def test_available_rewards_are_what_the_balance_buys(enrolment, card):
    cheap = factories.RewardFactory(card=card, name="Pastry", stamps_required=2)
    factories.RewardFactory(card=card, name="Coffee", stamps_required=5)
    factories.RewardFactory(card=card, name="Old", stamps_required=1, active=False)
    assert available_rewards(enrolment) == [cheap]
    stamp_add(enrolment=enrolment, count=3)
    assert [r.name for r in available_rewards(enrolment)] == ["Pastry", "Coffee"]


# --- adjust and expire ----------------------------------------------------------------------


def test_adjust_either_way_but_never_below_zero(enrolment):
    enrolment_adjust(enrolment=enrolment, delta=-2, note="duplicate stamp")
    assert enrolment.stamps_count == 0
    with pytest.raises(ValidationError, match="below 0"):
        enrolment_adjust(enrolment=enrolment, delta=-1)
    with pytest.raises(ValidationError):
        enrolment_adjust(enrolment=enrolment, delta=0)
    enrolment_adjust(enrolment=enrolment, delta=4)
    assert kinds(enrolment) == [("welcome", 2, 2), ("adjust", -2, 0), ("adjust", 4, 4)]


@pytest.mark.usefixtures("frozen_clock")
def test_expire_writes_off_the_balance_once(customer, store):
    card = factories.LoyaltyCardFactory(store=store, expiry_days=1, initial_stamps=3)
    enrolment = card_enrol(
        customer=customer, card=card, issued_at=timezone.now() - timedelta(days=2)
    )
    enrolment_expire(enrolment=enrolment)
    enrolment_expire(enrolment=enrolment)
    assert enrolment.status == "expired" and enrolment.stamps_count == 0
    assert kinds(enrolment) == [("welcome", 3, 3), ("expire", -3, 0)]


def test_expire_leaves_a_live_enrolment_alone(enrolment):
    enrolment_expire(enrolment=enrolment)
    assert enrolment.status == "active" and enrolment.stamps_count == 2


# --- the ledger -----------------------------------------------------------------------------


def test_ledger_rebuilds_the_balance_after_a_random_mix(customer, store):
    card = factories.LoyaltyCardFactory(store=store, stamps_required=10, initial_stamps=3)
    rewards = [factories.RewardFactory(card=card, stamps_required=cost) for cost in (2, 5, 10)]
    enrolment = card_enrol(customer=customer, card=card)
    rng = random.Random(20261123)
    refused = 0
    for _ in range(120):
        action = rng.choice(["stamp", "redeem", "redeem", "adjust"])
        try:
            if action == "stamp":
                stamp_add(enrolment=enrolment, count=rng.randint(1, 4))
            elif action == "redeem":
                reward_redeem(enrolment=enrolment, reward=rng.choice(rewards))
            else:
                enrolment_adjust(enrolment=enrolment, delta=rng.choice([-6, -1, 1, 2]))
        except ValidationError:
            refused += 1
    enrolment.refresh_from_db()
    assert refused > 0  # the mix did hit refusals, which must leave no trace
    assert ledger_balance(enrolment) == enrolment.stamps_count
    running = 0
    for delta, balance_after in enrolment.entries.order_by("id").values_list(
        "delta", "balance_after"
    ):
        running += delta
        assert balance_after == running


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_stamps_lose_nothing(store):
    """50 threads stamp one card at once. On PostgreSQL they contend for the row lock; on
    SQLite the immediate transactions make them queue for the write lock."""
    customer = factories.CustomerFactory(store=store)
    card = factories.LoyaltyCardFactory(store=store, initial_stamps=0)
    enrolment = card_enrol(customer=customer, card=card)
    threads_count = 50
    barrier = threading.Barrier(threads_count)
    failures = []

    def stamp():
        try:
            barrier.wait(timeout=30)
            stamp_add(enrolment=CustomerCard.objects.get(pk=enrolment.pk), count=1)
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
    enrolment.refresh_from_db()
    assert enrolment.stamps_count == 50
    balances = sorted(enrolment.entries.values_list("balance_after", flat=True))
    assert balances == list(range(1, 51))  # every entry saw the balance before it


@pytest.mark.usefixtures("frozen_clock")
def test_ending_the_programme_expires_existing_enrolments(enrolment, card):
    card.expires_at = timezone.now() - timedelta(minutes=1)
    card.save()
    enrolment = CustomerCard.objects.select_related("card").get(pk=enrolment.pk)
    assert enrolment.effective_status == "expired"
    with pytest.raises(ValidationError, match="expired"):
        stamp_add(enrolment=enrolment, count=1)


def test_create_enrolled_is_all_or_nothing(store, other_store):
    from customers.models import Customer
    from loyalty.services import customer_create_enrolled

    card = factories.LoyaltyCardFactory(store=store, initial_stamps=2)
    customer, enrolment = customer_create_enrolled(
        store=store, card=card, first_name="Ada", email="ada@example.com"
    )
    assert enrolment.customer == customer and enrolment.stamps_count == 2
    foreign = factories.LoyaltyCardFactory(store=other_store)
    with pytest.raises(ValidationError, match="another store"):
        customer_create_enrolled(store=store, card=foreign, first_name="Bo", email="bo@example.com")
    assert not Customer.objects.filter(email="bo@example.com").exists()


def test_card_save_checks_the_card_rules_beside_their_fields(store):
    card = LoyaltyCard(store=store, name="Tea card", stamps_required=8, initial_stamps=8)
    card.max_stamps_per_day = 0
    with pytest.raises(ValidationError) as refused:
        card_save(card=card)
    assert refused.value.message_dict == {
        "initial_stamps": ["Welcome stamps must be fewer than the stamps required: 0 to 7."],
        "max_stamps_per_day": [DAILY_LIMIT_MESSAGE],
    }
    assert not LoyaltyCard.objects.exists()


def test_the_enrolment_check_names_what_card_enrol_refuses(customer, card):
    card_enrol_check(customer=customer, card=card)  # nothing to refuse
    card_enrol(customer=customer, card=card)
    with pytest.raises(ValidationError) as refused:
        card_enrol_check(customer=customer, card=card)
    assert refused.value.message_dict == {
        "card_id": ["The customer is already enrolled in this card."]
    }
