"""Reads about cards and balances, shared by the console, the APIs and the admin."""

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from loyalty.models import CustomerCard, LoyaltyCard, Reward, StampEntry


def available_rewards(enrolment: CustomerCard, rewards=None) -> list[Reward]:
    """The active rewards the current balance can buy (none on an expired or canceled card).

    Pass `rewards` (the card's rewards, prefetched) to answer without a query.
    """
    if enrolment.effective_status != CustomerCard.Status.ACTIVE:
        return []
    if rewards is None:
        rewards = enrolment.card.rewards.all()
    return [
        reward
        for reward in rewards
        if reward.active and reward.stamps_required <= enrolment.stamps_count
    ]


def ledger_balance(enrolment: CustomerCard) -> int:
    """The balance the ledger adds up to; always equals enrolment.stamps_count."""
    return enrolment.entries.aggregate(total=Sum("delta"))["total"] or 0


def stamps_remaining(enrolment: CustomerCard) -> int:
    return max(enrolment.card.stamps_required - enrolment.stamps_count, 0)


def progress_percentage(enrolment: CustomerCard) -> int:
    required = enrolment.card.stamps_required
    return min(100, round(100 * enrolment.stamps_count / required)) if required else 0


# --- Console reads ----------------------------------------------------------------------------
# Each returns a queryset whose rows render without further queries (the card, its rewards).


def card_list(*, store) -> QuerySet[LoyaltyCard]:
    """The store's card programmes with `enrolments_count` and their rewards (in the card's
    order), in 2 queries however many cards there are."""
    return (
        LoyaltyCard.objects.filter(store=store)
        .annotate(enrolments_count=Count("enrolments"))
        .prefetch_related("rewards")
        .order_by("archived", "name", "id")
    )


def enrolable_cards(*, store=None, customer=None) -> QuerySet[LoyaltyCard]:
    """The cards a customer can be enrolled in now: not archived, not ended and, when
    `customer` is given, not one they already hold (card_enrol refuses the others)."""
    cards = LoyaltyCard.objects.filter(archived=False).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )
    if store is not None:  # None: every store's (Django admin)
        cards = cards.filter(store=store)
    if customer is not None:
        cards = cards.exclude(enrolments__customer=customer)
    return cards.select_related("store").order_by("name", "id")


def enrolment_list(*, customer) -> QuerySet[CustomerCard]:
    """A customer's enrolments, ready for templates/loyalty/_enrolment.html (card and rewards
    loaded: 2 queries for any number of enrolments)."""
    return (
        CustomerCard.objects.filter(customer=customer)
        .select_related("card")
        .prefetch_related("card__rewards")
        .order_by("-created_at", "-id")
    )


def enrolments_at_store(*, store) -> QuerySet[CustomerCard]:
    """The enrolments a store's staff may stamp, redeem and read: the store's own, and those
    of its network's cards (a member store serves the network's customers), with what the
    console shows of them (look one up by pk)."""
    accounts = [store.pk] if store.network_id is None else [store.pk, store.network_id]
    return (
        CustomerCard.objects.filter(store_id__in=accounts)
        .select_related("card", "customer", "store")
        .prefetch_related("card__rewards")
    )


def enrolment_entries(*, enrolment) -> QuerySet[StampEntry]:
    """An enrolment's ledger, newest first, with who made each change and where."""
    return (
        StampEntry.objects.filter(enrolment=enrolment)
        .select_related("actor_user", "actor_api_key", "store")
        .order_by("-created_at", "-id")
    )


# --- Management API reads ---------------------------------------------------------------------


def store_cards(*, store) -> QuerySet[LoyaltyCard]:
    """The store's card programmes with their rewards, archived ones last: 2 queries however
    many cards (no enrolment count, which would read every enrolment of the store)."""
    return (
        LoyaltyCard.objects.filter(store=store)
        .prefetch_related("rewards")
        .order_by("archived", "name", "id")
    )


def store_rewards(*, store, card_id: int | None = None) -> QuerySet[Reward]:
    """The rewards of the store's cards (of one card when `card_id` is given), card by card in
    each card's order."""
    rewards = Reward.objects.filter(card__store=store)
    if card_id is not None:
        rewards = rewards.filter(card_id=card_id)
    return rewards.order_by("card_id", "position", "stamps_required", "id")
