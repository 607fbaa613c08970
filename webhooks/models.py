"""Webhook endpoints of a store, the events written for them (the outbox) and their deliveries."""

import secrets
import uuid

from django.db import models

from stores.events import EVENT_TYPES
from stores.models import Store

EVENT_CHOICES = [(name, name) for name in EVENT_TYPES]
# Sent by "Send test event" to one endpoint; nobody subscribes to it.
TEST_EVENT = "ping"


def event_public_id() -> str:
    return f"evt_{secrets.token_hex(12)}"


class WebhookEndpoint(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=255, blank=True)
    # The signing secret (whsec_…), encrypted with a key derived from SECRET_KEY
    # (webhooks.signing): it must be readable to sign, and is shown once.
    secret_encrypted = models.TextField()
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["store", "active"], name="webhook_endpoint_store_active")]

    def __str__(self):
        return self.url


class WebhookEvent(models.Model):
    """An event as it was when the change committed: the payload is captured then. Kept
    WEBHOOK_RETENTION_DAYS once its deliveries are settled (webhooks.tasks.events_purge)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="webhook_events")
    public_id = models.CharField(max_length=40, unique=True, default=event_public_id)
    type = models.CharField(max_length=40, choices=[*EVENT_CHOICES, (TEST_EVENT, TEST_EVENT)])
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="webhook_event_created")]

    def __str__(self):
        return self.public_id


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    # Indexed first in webhook_delivery_endpoint (below), which serves its lookups.
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # When a pending delivery is due (the periodic job sends those past it); null once settled.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            # An endpoint's deliveries, newest first (the console's log, the API's list).
            models.Index(
                fields=["endpoint", "-created_at", "-id"], name="webhook_delivery_endpoint"
            ),
        ]

    def __str__(self):
        return str(self.uuid)
