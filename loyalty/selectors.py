"""Reads about cards and balances, shared by the console, the APIs and the admin."""

from django.db.models import Sum

from loyalty.models import CustomerCard, Reward


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
