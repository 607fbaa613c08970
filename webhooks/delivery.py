"""Sending one delivery: the receiver's address checked (SSRF), one signed POST without
redirects, and the outcome recorded with the next attempt's time.

http.client rather than urllib: it follows no redirects, and the connection goes to the very
address that was checked (a name resolving elsewhere on a second lookup changes nothing).
"""

import http.client
import ipaddress
import json
import socket
import ssl
import time
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.signing import secret_decrypt, signature

TIMEOUT_SECONDS = 10
# The wait after each failed attempt: 8 attempts over about 23 hours.
RETRY_DELAYS = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
]
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A claimed attempt not recorded after this (a worker lost mid-request) is due again.
ATTEMPT_LEASE = timedelta(minutes=5)
# An endpoint whose deliveries have all failed for this long is disabled.
DISABLE_AFTER = timedelta(days=3)
RESPONSE_READ_LIMIT = 64 * 1024


class UnsafeURL(ValueError):
    """A URL a webhook may not be sent to; the message says why."""


def _address_refused(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def url_check(url: str, *, resolve: bool = True) -> list[str]:
    """The addresses `url` may be sent to, or UnsafeURL: only http(s) with a host, and (unless
    WEBHOOK_ALLOW_PRIVATE_NETWORKS) no loopback, private, link-local, multicast or reserved
    address among those the host resolves to."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL("Enter a valid http or https URL.") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL("Enter an http or https URL with a host.")
    if parts.username or parts.password:
        raise UnsafeURL("A webhook URL cannot carry a user name or password.")
    if not resolve:
        return []
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeURL(f"The host {parts.hostname} cannot be resolved.") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS and any(map(_address_refused, addresses)):
        raise UnsafeURL(
            "The host is on a private, loopback, link-local, multicast or reserved network."
        )
    return addresses


def url_validate(url: str) -> None:
    """url_check for an endpoint being saved. With private networks allowed (development,
    tests), the host is not looked up: only the form is checked."""
    url_check(url, resolve=not settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, address: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, address: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def body_of(delivery: WebhookDelivery) -> bytes:
    event = delivery.event
    return json.dumps(
        {
            "id": event.public_id,
            "type": event.type,
            "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
            "account_id": event.store_id,
            "data": event.payload,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def post(url: str, body: bytes, headers: dict) -> int:
    """POST `body` to `url` (checked); the answer's status. Raises UnsafeURL or OSError."""
    address = url_check(url)[0]
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        connection = _PinnedHTTPSConnection(
            parts.hostname,
            parts.port or 443,
            address=address,
            timeout=TIMEOUT_SECONDS,
            context=ssl.create_default_context(),
        )
    else:
        connection = _PinnedHTTPConnection(
            parts.hostname, parts.port or 80, address=address, timeout=TIMEOUT_SECONDS
        )
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(RESPONSE_READ_LIMIT)
        return response.status
    finally:
        connection.close()


def delivery_claim(delivery_id: int) -> bool:
    """Take the attempt that is due (once: a job run twice, or the periodic job meanwhile,
    finds it taken)."""
    now = timezone.now()
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery_id,
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=now,
            endpoint__active=True,
        ).update(attempts=F("attempts") + 1, next_attempt_at=now + ATTEMPT_LEASE)
    )


def delivery_attempt(delivery_id: int) -> bool:
    """Send the delivery if an attempt is due; record the outcome. True when it was delivered."""
    if not delivery_claim(delivery_id):
        return False
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    body = body_of(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Storefront-Webhooks/1",
        "Storefront-Event": delivery.event.type,
        "Storefront-Delivery": str(delivery.uuid),
        "Storefront-Signature": signature(
            secret_decrypt(endpoint.secret_encrypted), int(timezone.now().timestamp()), body
        ),
    }
    started = time.monotonic()
    status, error = None, ""
    try:
        status = post(endpoint.url, body, headers)
        if not 200 <= status < 300:
            error = f"The receiver answered {status}."
    except UnsafeURL as exc:
        error = str(exc)
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    duration_ms = int((time.monotonic() - started) * 1000)
    _outcome_record(delivery, status=status, error=error, duration_ms=duration_ms)
    return not error


def _outcome_record(delivery: WebhookDelivery, *, status, error: str, duration_ms: int) -> None:
    now = timezone.now()
    delivery.response_status = status
    delivery.duration_ms = duration_ms
    delivery.last_error = error
    if not error:
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.SUCCEEDED, None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
    else:
        delivery.next_attempt_at = now + RETRY_DELAYS[max(delivery.attempts - 1, 0)]
    with transaction.atomic():
        delivery.save(
            update_fields=[
                "response_status",
                "duration_ms",
                "last_error",
                "status",
                "next_attempt_at",
                "updated_at",
            ]
        )
        endpoints = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
        if not error:
            endpoints.exclude(failing_since=None).update(failing_since=None)
        else:
            endpoints.filter(failing_since=None).update(failing_since=now)
            # Failing every delivery for DISABLE_AFTER: paused until the owner turns it on.
            endpoints.filter(failing_since__lte=now - DISABLE_AFTER, active=True).update(
                active=False, disabled_at=now
            )
