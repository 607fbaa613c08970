"""Webhook writes: endpoints (created with a secret shown once), the outbox, redelivery."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from stores.events import EVENT_TYPES
from stores.jobs import enqueue
from webhooks.delivery import UnsafeURL, url_validate
from webhooks.models import TEST_EVENT, WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.signing import secret_encrypt, secret_generate
from webhooks.tasks import delivery_send

ENDPOINT_FIELDS = {"url", "events", "active", "description"}


def _clean(data: dict) -> dict:
    errors = {}
    if "url" in data:
        try:
            url_validate(data["url"])
        except UnsafeURL as exc:
            errors["url"] = [str(exc)]
    if "events" in data:
        unknown = sorted(set(data["events"]) - set(EVENT_TYPES))
        if unknown:
            errors["events"] = [f"Unknown event: {', '.join(unknown)}."]
        elif not data["events"]:
            errors["events"] = ["Choose at least one event."]
    if errors:
        raise ValidationError(errors)
    cleaned = {key: value for key, value in data.items() if key in ENDPOINT_FIELDS}
    if "events" in cleaned:
        cleaned["events"] = [name for name in EVENT_TYPES if name in set(cleaned["events"])]
    return cleaned


# Every event of a store is written once per endpoint listening: a bound on the fan-out.
ENDPOINTS_MAX = 20


def endpoint_create(*, store, data: dict) -> tuple[WebhookEndpoint, str]:
    """A new endpoint of `store` and its signing secret (whsec_…), which is never shown again.
    A store has at most ENDPOINTS_MAX endpoints."""
    if WebhookEndpoint.objects.filter(store=store).count() >= ENDPOINTS_MAX:
        raise ValidationError(
            {"url": [f"A store has at most {ENDPOINTS_MAX} webhooks; delete one first."]}
        )
    cleaned = _clean(data)
    secret = secret_generate()
    endpoint = WebhookEndpoint.objects.create(
        store=store, secret_encrypted=secret_encrypt(secret), **cleaned
    )
    return endpoint, secret


def endpoint_update(*, endpoint: WebhookEndpoint, data: dict) -> WebhookEndpoint:
    """Change the fields sent. Turning a disabled endpoint on again starts it afresh."""
    cleaned = _clean(data)
    for field, value in cleaned.items():
        setattr(endpoint, field, value)
    if cleaned.get("active"):
        endpoint.disabled_at = endpoint.failing_since = None
    endpoint.save()
    return endpoint


def endpoint_set_active(*, endpoint: WebhookEndpoint, active: bool) -> WebhookEndpoint:
    """Pause (nothing is written for it meanwhile) or resume the endpoint."""
    return endpoint_update(endpoint=endpoint, data={"active": active})


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


def endpoint_test_send(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `ping` event for this endpoint alone, signed and delivered (and retried) like any other,
    so a receiver can be tried before real events reach it. Its `data` is the endpoint."""
    if not endpoint.active:
        raise ValidationError({"active": ["Resume the webhook to send it a test event."]})
    with transaction.atomic():
        event = WebhookEvent.objects.create(
            store_id=endpoint.store_id,
            type=TEST_EVENT,
            payload={
                "webhook": {
                    "id": endpoint.pk,
                    "url": endpoint.url,
                    "events": endpoint.events,
                    "description": endpoint.description,
                }
            },
        )
        delivery = WebhookDelivery.objects.create(
            event=event, endpoint=endpoint, next_attempt_at=timezone.now()
        )
        enqueue(delivery_send, delivery.pk)
    return delivery


def delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the delivery again now (whatever its status), by a job after the commit."""
    with transaction.atomic():
        delivery.status = WebhookDelivery.Status.PENDING
        delivery.next_attempt_at = timezone.now()
        delivery.save(update_fields=["status", "next_attempt_at", "updated_at"])
        enqueue(delivery_send, delivery.pk)
    return delivery


def event_write(*, store, type: str, build) -> WebhookEvent | None:
    """The outbox (stores.events writer; `store` a Store or its id): in the caller's
    transaction, the event with its
    payload (`build()`) and a delivery per active endpoint of `store` subscribed to `type`, each
    sent by a job after the commit. Nothing when no endpoint listens (one indexed query)."""
    store_id = getattr(store, "pk", store)
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(store_id=store_id, active=True).only(
            "pk", "events"
        )
        if type in endpoint.events
    ]
    if not endpoints:
        return None
    now = timezone.now()
    event = WebhookEvent.objects.create(store_id=store_id, type=type, payload=build())
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(event=event, endpoint=endpoint, next_attempt_at=now)
        for endpoint in endpoints
    )
    for delivery in deliveries:
        enqueue(delivery_send, delivery.pk)
    return event
