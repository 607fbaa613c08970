"""Jobs of the webhooks app: one delivery attempt, and the periodic pass over the due ones.

Thin and safe to run twice: delivery.delivery_claim takes an attempt once.
"""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from stores.jobs import enqueue
from webhooks import delivery
from webhooks.models import WebhookDelivery, WebhookEvent

RETRY_BATCH = 500
PURGE_BATCH = 5000


@shared_task
def delivery_send(delivery_id: int) -> bool:
    return delivery.delivery_attempt(delivery_id)


@shared_task
def deliveries_retry() -> int:
    """Queue the pending deliveries that are due: retries whose time has come, and deliveries
    whose first job never ran (the broker was down at the commit)."""
    ids = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=timezone.now(),
            endpoint__active=True,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:RETRY_BATCH]
    )
    for delivery_id in ids:
        enqueue(delivery_send, delivery_id)
    return len(ids)


@shared_task
def events_purge() -> int:
    """Delete the events older than WEBHOOK_RETENTION_DAYS whose deliveries are all settled,
    with their deliveries, PURGE_BATCH at a time (the next run takes the rest); how many."""
    cutoff = timezone.now() - timedelta(days=settings.WEBHOOK_RETENTION_DAYS)
    ids = list(
        WebhookEvent.objects.filter(created_at__lt=cutoff)
        .exclude(deliveries__status=WebhookDelivery.Status.PENDING)
        .order_by("created_at")
        .values_list("pk", flat=True)[:PURGE_BATCH]
    )
    WebhookDelivery.objects.filter(event_id__in=ids).delete()
    WebhookEvent.objects.filter(pk__in=ids).delete()
    return len(ids)
