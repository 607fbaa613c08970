"""With a broker, a real Celery worker (a thread of this process, on Redis) delivers the
webhook: a receiver on 127.0.0.1 gets a correctly signed customer_card.stamped within 5 s of a
stamp through the management API.

Skipped when Redis cannot be reached, except under CI (`CI=true`), where it must run."""

import json
import time

import pytest

from stores.services import api_key_create
from tests import factories
from tests.helpers import client_of
from tests.jobs.test_worker import broker, worker  # noqa: F401 - the fixtures
from tests.webhooks.conftest import endpoint_for
from tests.webhooks.test_delivery import verify
from webhooks.models import WebhookDelivery


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
