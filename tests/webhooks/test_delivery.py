"""Delivering: the signed body as the contract says, no private addresses, no redirects,
retries at growing intervals driven by the periodic job, and nothing lost when the broker
is down at the commit."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from config.celery import app
from loyalty.services import stamp_add
from stores.services import api_key_create
from tests import factories
from tests.helpers import client_of
from tests.webhooks.conftest import Receiver, celery_pools_reset, endpoint_for
from webhooks.delivery import RETRY_DELAYS, UnsafeURL, url_check
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.tasks import deliveries_retry

pytestmark = pytest.mark.django_db


def verify(secret: str, header: str, body: bytes) -> bool:
    """What a receiver does (README, "Webhooks")."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    signed = fields["t"].encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


@pytest.fixture
def enrolment(store, customer):
    card = factories.LoyaltyCardFactory(store=store, name="Coffee card", stamps_required=10)
    return factories.CustomerCardFactory(store=store, customer=customer, card=card)


def test_a_stamp_through_the_api_reaches_the_receiver_signed(store, enrolment, receiver):
    endpoint, secret = endpoint_for(store, receiver.url)
    api = client_of(api_key_create(store=store, kind="secret"))
    url = (
        f"/api/v1/accounts/{store.pk}/customers/{enrolment.customer_id}"
        f"/customer_cards/{enrolment.pk}/stamp"
    )
    before = int(timezone.now().timestamp())
    assert api.post(url, {"stamps": 3}).status_code in (200, 201)

    (request,) = receiver.requests
    headers, body = request["headers"], request["body"]
    assert request["path"] == "/hooks"
    assert headers["Content-Type"] == "application/json"
    assert headers["Storefront-Event"] == "customer_card.stamped"
    delivery = WebhookDelivery.objects.get()
    assert headers["Storefront-Delivery"] == str(delivery.uuid)
    assert verify(secret, headers["Storefront-Signature"], body)
    assert not verify(secret, headers["Storefront-Signature"], body + b" ")
    assert not verify("whsec_other", headers["Storefront-Signature"], body)
    assert before <= int(headers["Storefront-Signature"].split(",")[0][2:]) <= before + 5

    sent = json.loads(body)
    assert set(sent) == {"id", "type", "created_at", "account_id", "data"}
    assert sent["id"] == delivery.event.public_id and sent["id"].startswith("evt_")
    assert sent["type"] == "customer_card.stamped" and sent["account_id"] == store.pk
    assert sent["data"]["id"] == enrolment.pk and sent["data"]["stamps_count"] == 3
    assert delivery.status == "succeeded" and delivery.response_status == 200


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hooks",
        "http://10.1.2.3/hooks",
        "http://192.168.0.10/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8000/hooks",
        "http://localhost:8000/hooks",
        "http://224.0.0.1/hooks",
        "http://0.0.0.0/hooks",
    ],
)
def test_private_addresses_are_refused(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    with pytest.raises(UnsafeURL):
        url_check(url)


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "http:///x"])
def test_only_http_urls_with_a_host(url):
    with pytest.raises(UnsafeURL):
        url_check(url, resolve=False)


def test_a_receiver_on_loopback_gets_nothing_unless_allowed(settings, store, enrolment, receiver):
    endpoint_for(store, receiver.url)
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    stamp_add(enrolment=enrolment)
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert "private" in delivery.last_error


def test_a_redirect_is_a_failure_and_is_not_followed(store, enrolment, receiver):
    endpoint_for(store, receiver.url)
    receiver.status = 302
    stamp_add(enrolment=enrolment)
    assert len(receiver.requests) == 1  # /elsewhere was not asked
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.response_status == 302


def test_retries_at_growing_intervals_then_delivered(store, enrolment, free_port):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        endpoint, secret = endpoint_for(store, f"http://127.0.0.1:{free_port}/hooks")
        stamp_add(enrolment=enrolment)  # the receiver is down
        delivery = WebhookDelivery.objects.get()
        assert delivery.attempts == 1 and delivery.status == "pending"
        assert delivery.next_attempt_at == start + RETRY_DELAYS[0]
        assert "ConnectionRefused" in delivery.last_error

        assert deliveries_retry() == 0  # not due yet
        clock.shift(RETRY_DELAYS[0])
        assert deliveries_retry() == 1
        delivery.refresh_from_db()
        assert delivery.attempts == 2
        assert delivery.next_attempt_at == start + RETRY_DELAYS[0] + RETRY_DELAYS[1]

        receiver = Receiver(port=free_port)  # back up
        try:
            clock.shift(RETRY_DELAYS[1] - timedelta(seconds=1))
            assert deliveries_retry() == 0
            clock.shift(timedelta(seconds=1))
            assert deliveries_retry() == 1
        finally:
            receiver.stop()
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 3
    assert delivery.next_attempt_at is None and delivery.response_status == 200
    (request,) = receiver.requests
    assert verify(secret, request["headers"]["Storefront-Signature"], request["body"])


def test_after_the_last_attempt_a_delivery_fails(store, enrolment, free_port):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        endpoint_for(store, f"http://127.0.0.1:{free_port}/hooks")
        stamp_add(enrolment=enrolment)
        for delay in RETRY_DELAYS:
            clock.shift(delay)
            assert deliveries_retry() == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == len(RETRY_DELAYS) + 1
    assert delivery.next_attempt_at is None
    assert sum(RETRY_DELAYS, timedelta()) < timedelta(days=1, hours=1)


def test_an_endpoint_failing_for_three_days_is_disabled(store, enrolment, free_port):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        endpoint, _ = endpoint_for(store, f"http://127.0.0.1:{free_port}/hooks")
        for _day in range(3):
            stamp_add(enrolment=enrolment)
            endpoint.refresh_from_db()
            assert endpoint.active and endpoint.failing_since is not None
            clock.shift(timedelta(days=1))
        stamp_add(enrolment=enrolment)
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_at is not None


def test_a_delivery_whose_job_never_ran_is_sent_by_the_periodic_job(store, receiver):
    endpoint, secret = endpoint_for(store, receiver.url)
    event = WebhookEvent.objects.create(store=store, type="customer_card.stamped", payload={})
    delivery = WebhookDelivery.objects.create(
        event=event, endpoint=endpoint, next_attempt_at=timezone.now()
    )
    assert deliveries_retry() == 1
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 1
    assert deliveries_retry() == 0  # sent once
    request = receiver.requests[0]
    assert verify(secret, request["headers"]["Storefront-Signature"], request["body"])


@pytest.mark.django_db(transaction=True)
def test_an_event_survives_a_broker_outage_at_commit(settings, store, enrolment, receiver):
    endpoint_for(store, receiver.url)
    down = "redis://127.0.0.1:9/0"  # nothing listens
    settings.CELERY_BROKER_URL = down
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=down, task_always_eager=False)
    try:
        stamp_add(enrolment=enrolment)  # commits; sending the job fails
    finally:
        app.conf.update(saved)
        celery_pools_reset()
        settings.CELERY_BROKER_URL = ""
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 0
    assert receiver.requests == []

    assert deliveries_retry() == 1  # the periodic job
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and len(receiver.requests) == 1
    assert WebhookEndpoint.objects.get().failing_since is None
