"""Jobs of the customers app: sending a message (and queueing one), and the periodic purges.

Each is thin: it takes ids, calls the notifications or a query, and is safe to run twice.
"""

from datetime import timedelta

from celery import Task, shared_task
from django.db.models import Q
from django.utils import timezone

from customers import notifications
from customers.models import Customer, CustomerToken, OutboundMessage, VerificationCode
from stores.jobs import enqueue

MESSAGE_RETRIES = 5
# A message still pending this long after it was written, never tried, missed its job (the
# broker was down at the commit): messages_resend queues it again, for a day.
RESEND_AFTER = timedelta(minutes=5)
RESEND_WITHIN = timedelta(days=1)


def message_queue(
    *, store, customer: Customer | None, kind: str, to: str, body: str, key: str, subject: str = ""
) -> OutboundMessage:
    """Write the message `key` names (once: the same key again is the same message) and send it
    with a job after the current transaction commits."""
    message, created = OutboundMessage.objects.get_or_create(
        key=key,
        defaults={
            "store": store,
            "customer": customer,
            "kind": kind,
            "channel": notifications.message_channel(to),
            "to": to,
            "subject": subject,
            "body": body,
        },
    )
    if created:
        enqueue(message_send, message.pk)
    return message


class MessageTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        """The last try failed (or an error that is not the provider's): record it."""
        notifications.message_failed(message_id=args[0], error=exc)


@shared_task(
    base=MessageTask,
    autoretry_for=notifications.PROVIDER_ERRORS,
    retry_backoff=30,  # 30 s, 1, 2, 4, 8 min (with jitter)
    retry_backoff_max=15 * 60,
    max_retries=MESSAGE_RETRIES,
)
def message_send(message_id: int) -> bool:
    return notifications.message_deliver(message_id=message_id)


@shared_task
def messages_resend() -> int:
    """Queue again the messages whose job never ran (see RESEND_AFTER)."""
    now = timezone.now()
    ids = list(
        OutboundMessage.objects.filter(
            status=OutboundMessage.Status.PENDING,
            attempts=0,
            created_at__lt=now - RESEND_AFTER,
            created_at__gte=now - RESEND_WITHIN,
        ).values_list("pk", flat=True)
    )
    for message_id in ids:
        enqueue(message_send, message_id)
    return len(ids)


@shared_task
def codes_purge() -> int:
    """Delete the verification codes that have expired (used ones included)."""
    deleted, _ = VerificationCode.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


@shared_task
def tokens_purge() -> int:
    """Delete the customer tokens that have expired or were revoked."""
    deleted, _ = CustomerToken.objects.filter(
        Q(expires_at__lte=timezone.now()) | Q(revoked_at__isnull=False)
    ).delete()
    return deleted
