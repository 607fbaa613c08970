"""Jobs of the webhooks app: one delivery attempt, and the periodic pass over the due ones.

Thin and safe to run twice: delivery.delivery_claim takes an attempt once.
"""

from celery import shared_task
from django.utils import timezone

from stores.jobs import enqueue
from webhooks import delivery
from webhooks.models import WebhookDelivery

RETRY_BATCH = 500


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
