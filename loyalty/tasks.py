"""Periodic jobs of the loyalty app (celery beat: CELERY_BEAT_SCHEDULE in config/settings.py)."""

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from loyalty.models import CustomerCard
from loyalty.services import enrolment_expire


@shared_task
def enrolments_expire() -> int:
    """Close the active enrolments past their own expiry or their programme's end: each gets
    an "expire" ledger entry writing off its stamps (enrolment_expire, which does nothing to
    one that has not expired, so two runs at once are harmless)."""
    now = timezone.now()
    due = CustomerCard.objects.filter(
        Q(expires_at__lte=now) | Q(card__expires_at__lte=now),
        status=CustomerCard.Status.ACTIVE,
    ).values_list("pk", flat=True)
    expired = 0
    for enrolment in CustomerCard.objects.filter(pk__in=list(due)).select_related("card"):
        if enrolment_expire(enrolment=enrolment).status == CustomerCard.Status.EXPIRED:
            expired += 1
    return expired
