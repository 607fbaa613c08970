"""With a broker, a real Celery worker (a thread of this process, on Redis) delivers the
webhook: a receiver on 127.0.0.1 gets a correctly signed customer_card.stamped within 5 s of a
stamp through the management API; with the receiver down, the worker records each attempt and
its next time, and delivers once the receiver is back and the retry is due (the clock driven,
not waited for).

Skipped when Redis cannot be reached, except under CI (`CI=true`), where it must run."""

import json
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from stores.services import api_key_create
from tests import factories
from tests.helpers import client_of
from tests.jobs.test_worker import _wait_for, broker, worker  # noqa: F401 - the fixtures
from tests.webhooks.conftest import Receiver, endpoint_for
from tests.webhooks.test_delivery import verify
from webhooks.delivery import RETRY_DELAYS
from webhooks.models import WebhookDelivery
from webhooks.tasks import deliveries_retry


@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_a_signed_stamp_within_5_seconds(
    fresh_celery_pools,
    worker,  # noqa: F811 - the fixture imported above
    store,
    customer,
    receiver,
):
    card = factories.LoyaltyCardFactory(store=store, stamps_required=10)
    enrolment = factories.CustomerCardFactory(store=store, customer=customer, card=card)
    _, secret = endpoint_for(store, receiver.url)
    api = client_of(api_key_create(store=store, kind="secret"))
    url = f"/api/v1/accounts/{store.pk}/customers/{customer.pk}/customer_cards/{enrolment.pk}"

    started = time.monotonic()
    assert api.post(f"{url}/stamp", {"stamps": 2}).status_code in (200, 201)
    while not receiver.requests and time.monotonic() - started < 5:
        time.sleep(0.05)
    elapsed = time.monotonic() - started

    assert receiver.requests, "nothing delivered within 5 s"
    print(f"delivered {elapsed * 1000:.0f} ms after the stamp request started")
    (request,) = receiver.requests
    assert request["headers"]["Storefront-Event"] == "customer_card.stamped"
    assert verify(secret, request["headers"]["Storefront-Signature"], request["body"])
    assert json.loads(request["body"])["data"]["stamps_count"] == 2
    deadline = time.monotonic() + 5
    while WebhookDelivery.objects.get().status != "succeeded" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert WebhookDelivery.objects.get().status == "succeeded"


@pytest.mark.django_db(transaction=True)
def test_a_worker_retries_a_down_receiver_and_delivers_when_it_is_back(
    fresh_celery_pools,
    worker,  # noqa: F811 - the fixture imported above
    store,
    customer,
    free_port,
):
    card = factories.LoyaltyCardFactory(store=store, stamps_required=10)
    enrolment = factories.CustomerCardFactory(store=store, customer=customer, card=card)
    _, secret = endpoint_for(store, f"http://127.0.0.1:{free_port}/hooks")  # nothing listens
    api = client_of(api_key_create(store=store, kind="secret"))
    url = f"/api/v1/accounts/{store.pk}/customers/{customer.pk}/customer_cards/{enrolment.pk}"
    start = timezone.now()
    # The worker thread lives on the same (travelled) clock as the test.
    with time_machine.travel(start, tick=True) as clock:
        assert api.post(f"{url}/stamp", {"stamps": 1}).status_code in (200, 201)

        def recorded(attempt: int, since=None):
            """The worker has recorded the outcome of `attempt`: a duration for the first; for
            a later one a new updated_at (a claim does not touch it; the outcome saves it)."""

            def done():
                delivery = WebhookDelivery.objects.get()
                if delivery.attempts != attempt or delivery.duration_ms is None:
                    return False
                return since is None or delivery.updated_at != since.updated_at

            return done

        assert _wait_for(recorded(1), 5), "the worker made no first attempt"
        first = WebhookDelivery.objects.get()
        assert first.status == "pending" and "ConnectionRefused" in first.last_error
        # The next time is recorded: a minute after the first attempt.
        assert start < first.next_attempt_at - RETRY_DELAYS[0] < start + timedelta(seconds=5)

        assert deliveries_retry() == 0  # not due yet: nothing queued
        clock.shift(RETRY_DELAYS[0])
        assert deliveries_retry() == 1
        assert _wait_for(recorded(2, first), 5), "the worker made no second attempt"
        second = WebhookDelivery.objects.get()
        assert second.status == "pending" and second.next_attempt_at > first.next_attempt_at
        assert second.next_attempt_at - first.next_attempt_at >= RETRY_DELAYS[1]

        receiver = Receiver(port=free_port)  # back up
        try:
            clock.shift(RETRY_DELAYS[1])
            assert deliveries_retry() == 1
            assert _wait_for(lambda: receiver.requests, 5), "nothing delivered once back"
            assert _wait_for(lambda: WebhookDelivery.objects.get().status == "succeeded", 5)
        finally:
            receiver.stop()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.response_status, delivery.next_attempt_at) == (3, 200, None)
    (request,) = receiver.requests
    assert request["headers"]["Storefront-Event"] == "customer_card.stamped"
    assert request["headers"]["Storefront-Delivery"] == str(delivery.uuid)
    assert verify(secret, request["headers"]["Storefront-Signature"], request["body"])
