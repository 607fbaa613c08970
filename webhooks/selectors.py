"""Reads of the webhooks app."""

from django.db.models import Q

from webhooks.delivery import DISABLE_AFTER
from webhooks.models import WebhookEndpoint


def webhook_alerts(*, store, limit: int = 5) -> list[WebhookEndpoint]:
    """The endpoints of `store` an owner should look at: turned off after failing for
    DISABLE_AFTER, or failing now (each with `disables_at`, when it will be turned off)."""
    endpoints = list(
        WebhookEndpoint.objects.filter(store=store)
        .filter(
            Q(active=False, disabled_at__isnull=False) | Q(active=True, failing_since__isnull=False)
        )
        .order_by("active", "-disabled_at", "failing_since")[:limit]
    )
    for endpoint in endpoints:
        endpoint.disables_at = endpoint.failing_since + DISABLE_AFTER if endpoint.active else None
    return endpoints
