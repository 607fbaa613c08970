"""Events are written in the transaction of the change, for the endpoints that subscribed."""

import pytest
from django.db import transaction
from django.urls import reverse

from backoffice.customer_serializers import management_customer_dict
from customers.services import customer_create, customer_delete, customer_update
from loyalty.api.serializers import enrolment_dict
from loyalty.services import card_enrol, reward_redeem, stamp_add
from orders.services import order_create
from reviews.models import Review
from stores.services import api_key_create
from tests import factories
from tests.helpers import client_of
from tests.webhooks.conftest import endpoint_for
from webhooks.models import WebhookDelivery, WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_key_client(store):
    return client_of(api_key_create(store=store, kind="secret"))


def test_no_endpoint_no_event(store):
    customer_create(store=store, first_name="Ada", email="ada@example.com")
    assert not WebhookEvent.objects.exists()


def test_only_subscribed_types_are_written(store, other_store, receiver):
    endpoint_for(store, receiver.url, events=["customer.created"])
    endpoint_for(other_store, receiver.url, events=["customer.created", "customer.updated"])
    ada = customer_create(store=store, first_name="Ada", email="ada@example.com")
    customer_update(customer=ada, data={"first_name": "Augusta"})

    (event,) = WebhookEvent.objects.all()
    assert event.type == "customer.created" and event.store == store
    assert event.payload["id"] == ada.pk and event.payload["first_name"] == "Ada"
    assert WebhookDelivery.objects.get().status == "succeeded"
    assert [request["headers"]["Storefront-Event"] for request in receiver.requests] == [
        "customer.created"
    ]


def test_an_inactive_endpoint_gets_nothing(store, receiver):
    endpoint, _ = endpoint_for(store, receiver.url, events=["customer.created"])
    endpoint.active = False
    endpoint.save()
    customer_create(store=store, first_name="Ada", email="ada@example.com")
    assert not WebhookEvent.objects.exists() and receiver.requests == []


def test_customer_events_carry_the_management_representation(store, receiver):
    endpoint_for(
        store,
        receiver.url,
        events=["customer.created", "customer.updated", "customer.deleted"],
    )
    ada = customer_create(store=store, first_name="Ada", email="ada@example.com", tags=["vip"])
    customer_update(customer=ada, data={"last_name": "Lovelace"})
    expected = management_customer_dict(ada)
    customer_delete(customer=ada)

    created, updated, deleted = (
        WebhookEvent.objects.get(type=name)
        for name in ("customer.created", "customer.updated", "customer.deleted")
    )
    assert created.payload["tags"] == ["vip"] and created.payload["last_name"] == ""
    assert updated.payload["last_name"] == "Lovelace"
    # Built before the delete: the customer as they were.
    assert deleted.payload == {**expected, "updated_at": deleted.payload["updated_at"]}
    assert deleted.payload["id"] == expected["id"]
    assert [receiver.json(i)["type"] for i in range(3)] == [
        "customer.created",
        "customer.updated",
        "customer.deleted",
    ]


def test_card_events_carry_the_enrolment_as_the_api_shows_it(store, customer, receiver):
    endpoint_for(
        store,
        receiver.url,
        events=["customer_card.created", "customer_card.stamped", "customer_card.redeemed"],
    )
    card = factories.LoyaltyCardFactory(store=store, stamps_required=5)
    reward = factories.RewardFactory(card=card, stamps_required=3)
    enrolment = card_enrol(customer=customer, card=card)
    stamp_add(enrolment=enrolment, count=4)
    reward_redeem(enrolment=enrolment, reward=reward)

    types = [receiver.json(i)["type"] for i in range(3)]
    assert types == ["customer_card.created", "customer_card.stamped", "customer_card.redeemed"]
    stamped = WebhookEvent.objects.get(type="customer_card.stamped").payload
    assert stamped["stamps_count"] == 4
    assert WebhookEvent.objects.get(type="customer_card.redeemed").payload["stamps_count"] == 1
    enrolment.refresh_from_db()
    assert receiver.json(2)["data"] == enrolment_dict(enrolment)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_emits_nothing(store, receiver):
    endpoint_for(store, receiver.url, events=["customer.created"])
    with pytest.raises(RuntimeError), transaction.atomic():
        customer_create(store=store, first_name="Ada", email="ada@example.com")
        raise RuntimeError("the request failed after the change")
    assert not WebhookEvent.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []

    customer_create(store=store, first_name="Ada", email="ada@example.com")
    assert WebhookEvent.objects.count() == 1
    assert len(receiver.requests) == 1  # after the commit


def test_an_order_event_carries_the_order_as_the_management_api_shows_it(
    api_key_client, store, customer, receiver
):
    endpoint_for(store, receiver.url, events=["order.created"])
    product = factories.ProductFactory(store=store, price="4.50")
    order = order_create(
        store=store, customer=customer, items=[{"product": product, "quantity": 2}]
    )

    (event,) = WebhookEvent.objects.all()
    assert event.type == "order.created" and receiver.json()["type"] == "order.created"
    orders_url = f"/api/v1/accounts/{store.pk}/customers/{customer.pk}/orders"
    (shown,) = api_key_client.get(orders_url).json()["orders"]
    assert event.payload == shown and shown["id"] == order.pk


def test_review_events_follow_a_review_from_post_to_deletion(store, customer, receiver, member):
    """Posted by the shopper, hidden and published again by a manager in the console, deleted by
    its author: each step an event carrying the review as the shopper API shows it, with its
    status and media on absolute URLs."""
    types = ["review.created", "review.published", "review.hidden", "review.deleted"]
    endpoint_for(store, receiver.url, events=types)
    shopper = client_of(api_key_create(store=store, kind="publishable"), customer)
    posted = shopper.post(
        "/storefront/v1/reviews",
        {"subject": store.public_id, "rating": 4, "content": "Good crema."},
        "json",
    )
    assert posted.status_code == 201, posted.content
    review = Review.objects.get()
    manager = member("manager")
    for status in ("hidden", "published", "published"):  # the second publish changes nothing
        manager.post(reverse("reviews:status", args=[review.pk]), {"status": status})
    assert shopper.delete(f"/storefront/v1/reviews/{review.public_id}").status_code == 204

    sent = [receiver.json(index) for index in range(len(receiver.requests))]
    assert [event["type"] for event in sent] == [
        "review.created",
        "review.hidden",
        "review.published",
        "review.deleted",
    ]
    created = sent[0]["data"]
    assert created == {**posted.json(), "status": "published"}  # the answer to the POST
    assert created["id"] == review.public_id and created["status"] == "published"
    assert created["customer"]["id"] == customer.public_id and "email" not in created["customer"]
    assert [event["data"]["status"] for event in sent[1:]] == ["hidden", "published", "published"]
    assert sent[-1]["data"]["id"] == review.public_id
