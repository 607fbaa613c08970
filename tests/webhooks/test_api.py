"""The management API's webhooks: endpoints (the secret shown once), deliveries, redelivery."""

import pytest
from rest_framework.test import APIClient

from stores.services import api_key_create
from tests import factories
from tests.helpers import assert_error
from tests.webhooks.conftest import endpoint_for
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = [pytest.mark.django_db, pytest.mark.api_key("secret")]


@pytest.fixture
def base(store):
    return f"/api/v1/accounts/{store.pk}/webhooks"


def test_an_endpoint_is_created_with_its_secret_shown_once(api, base, store):
    response = api.post(
        base,
        {
            "webhook": {
                "url": "https://hooks.example.com/storefront",
                "events": ["customer.created", "customer_card.stamped"],
                "description": "CRM",
            }
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 30
    assert created["events"] == ["customer.created", "customer_card.stamped"]
    assert created["active"] is True
    endpoint = WebhookEndpoint.objects.get(pk=created["id"], store=store)
    assert created["secret"] not in endpoint.secret_encrypted  # encrypted at rest

    listed = api.get(base).json()
    assert [row["id"] for row in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in api.get(f"{base}/{created['id']}").json()


def test_an_endpoint_is_changed_and_deleted(api, base, store):
    endpoint, _ = endpoint_for(store, "https://hooks.example.com/a")
    response = api.patch(
        f"{base}/{endpoint.pk}", {"webhook": {"active": False, "events": ["customer.deleted"]}}
    )
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    assert response.json()["events"] == ["customer.deleted"]
    assert response.json()["url"] == "https://hooks.example.com/a"

    assert api.delete(f"{base}/{endpoint.pk}").status_code == 204
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"url": "ftp://hooks.example.com/", "events": ["customer.created"]}, "url"),
        ({"url": "https://hooks.example.com/", "events": []}, "events"),
        ({"url": "https://hooks.example.com/", "events": ["customer.exploded"]}, "events"),
        ({"events": ["customer.created"]}, "url"),
        # Bounded: no more names than there are events.
        ({"url": "https://hooks.example.com/", "events": ["customer.created"] * 12}, "events"),
    ],
)
def test_an_invalid_endpoint_is_422_on_its_field(api, base, body, field):
    assert_error(api.post(base, {"webhook": body}), 422, field)
    assert not WebhookEndpoint.objects.exists()


def test_a_private_address_is_refused_on_create_and_update(api, base, store, settings):
    endpoint, _ = endpoint_for(store, "https://hooks.example.com/a")
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    body = {"webhook": {"url": "http://127.0.0.1:8000/", "events": ["customer.created"]}}
    assert_error(api.post(base, body), 422, "url")
    assert list(WebhookEndpoint.objects.all()) == [endpoint]

    patch = {"webhook": {"url": "http://10.0.0.8/hooks"}}
    assert_error(api.patch(f"{base}/{endpoint.pk}", patch), 422, "url")
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.com/a"


def test_another_stores_webhook_is_404(api, base, other_store):
    theirs, _ = endpoint_for(other_store, "https://hooks.example.com/theirs")
    assert_error(api.get(f"{base}/{theirs.pk}"), 404)
    assert_error(api.patch(f"{base}/{theirs.pk}", {"webhook": {"active": False}}), 404)
    assert_error(api.delete(f"{base}/{theirs.pk}"), 404)
    assert_error(api.get(f"{base}/{theirs.pk}/deliveries"), 404)
    assert api.get(base).json() == []
    theirs.refresh_from_db()
    assert theirs.active


def test_another_stores_key_cannot_reach_this_account(base, other_store):
    client = APIClient()
    other_key = api_key_create(store=other_store, kind="secret")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {other_key.raw}")
    assert_error(client.get(base), 404)


def test_deliveries_are_listed_and_redelivered(api, base, store, receiver):
    endpoint, _ = endpoint_for(store, receiver.url)
    customer = factories.CustomerFactory(store=store)
    card = factories.LoyaltyCardFactory(store=store, stamps_required=10)
    enrolment = factories.CustomerCardFactory(store=store, customer=customer, card=card)
    stamp = f"/api/v1/accounts/{store.pk}/customers/{customer.pk}/customer_cards/{enrolment.pk}"
    assert api.post(f"{stamp}/stamp", {"stamps": 2}).status_code in (200, 201)
    assert len(receiver.requests) == 1

    page = api.get(f"{base}/{endpoint.pk}/deliveries", {"items": 10}).json()
    assert page["pagination"] == {"count": 1, "items": 10, "page": 1, "pages": 1}
    (row,) = page["deliveries"]
    assert row["event_type"] == "customer_card.stamped"
    assert row["status"] == "succeeded" and row["attempts"] == 1
    assert row["response_status"] == 200
    assert row["event_id"].startswith("evt_")

    response = api.post(f"{base}/{endpoint.pk}/deliveries/{row['id']}/redeliver")
    assert response.status_code == 202, response.content
    assert len(receiver.requests) == 2
    assert receiver.requests[1]["body"] == receiver.requests[0]["body"]
    assert WebhookDelivery.objects.get(pk=row["id"]).attempts == 2


def test_a_store_has_at_most_twenty_endpoints(api, base, store):
    for n in range(20):
        endpoint_for(store, f"https://hooks.example.com/{n}")
    body = {"webhook": {"url": "https://hooks.example.com/more", "events": ["customer.created"]}}
    assert_error(api.post(base, body), 422, "url")
    assert WebhookEndpoint.objects.filter(store=store).count() == 20
