"""The console's webhook pages (owners): add an endpoint and see its secret once, edit, pause and
resume, delete, send a test event, read the delivery log, redeliver; the dashboard tells owners
about a failing or turned-off endpoint."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from console.forms import WEBHOOK_EVENT_LABELS
from customers.services import customer_create
from loyalty.services import stamp_add
from stores.events import EVENT_TYPES
from tests import factories
from tests.webhooks.conftest import endpoint_for
from tests.webhooks.test_delivery import verify
from webhooks.delivery import DISABLE_AFTER, MAX_ATTEMPTS, RETRY_DELAYS
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.signing import secret_decrypt
from webhooks.tasks import deliveries_retry, events_purge

pytestmark = pytest.mark.django_db
LIST = reverse("console:webhooks")


@pytest.fixture
def owner(member):
    return member("owner")


def detail_url(endpoint) -> str:
    return reverse("console:webhook_detail", args=[endpoint.pk])


def flashes(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_only_owners_reach_the_webhook_pages(client, member, store, receiver):
    endpoint, _ = endpoint_for(store, receiver.url)
    urls = [LIST, detail_url(endpoint)]
    posts = [
        reverse("console:webhook_active", args=[endpoint.pk]),
        reverse("console:webhook_delete", args=[endpoint.pk]),
        reverse("console:webhook_test", args=[endpoint.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 302  # to the login page
    for role in ("staff", "manager"):
        someone = member(role)
        assert "Webhooks" not in someone.get(reverse("console:settings")).content.decode()
        for url in urls:
            assert someone.get(url).status_code == 403
        for url in posts:
            assert someone.post(url, {"active": "0"}).status_code == 403
    assert WebhookEndpoint.objects.get().active and not WebhookEvent.objects.exists()
    owner = member("owner")
    assert f'href="{LIST}"' in owner.get(reverse("console:api_keys")).content.decode()


def test_another_stores_webhook_is_404(owner, other_store, receiver):
    theirs, _ = endpoint_for(other_store, receiver.url)
    assert owner.get(detail_url(theirs)).status_code == 404
    for name in ("webhook_active", "webhook_delete", "webhook_test"):
        assert owner.post(reverse(f"console:{name}", args=[theirs.pk])).status_code == 404
    assert WebhookEndpoint.objects.get() == theirs and theirs.active


def test_the_form_offers_every_event():
    assert list(WEBHOOK_EVENT_LABELS) == list(EVENT_TYPES)


def test_an_owner_adds_a_webhook_and_sees_its_secret_once(owner, store, receiver):
    assert "No webhooks yet" in text(owner.get(LIST))
    response = owner.post(
        LIST,
        {
            "url": receiver.url,
            "description": "CRM sync",
            "events": ["customer.created", "customer_card.stamped"],
        },
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    endpoint = WebhookEndpoint.objects.get()
    secret = response.context["secret"]
    assert secret.startswith("whsec_") and secret_decrypt(endpoint.secret_encrypted) == secret
    assert secret not in endpoint.secret_encrypted
    assert (
        f'<code id="webhook-secret-value" class="issued-key user-select-all">{secret}</code>'
        in (response.content.decode())
    )
    assert "Copy its signing secret now" in flashes(response)[0]
    assert (endpoint.url, endpoint.description, endpoint.events, endpoint.store) == (
        receiver.url,
        "CRM sync",
        ["customer.created", "customer_card.stamped"],
        store,
    )
    # Never again: not on the endpoint's page, not in the list.
    for url in (detail_url(endpoint), LIST):
        page = owner.get(url)
        assert secret not in page.content.decode() and "Cache-Control" not in page.headers
    listed = text(owner.get(LIST))
    assert receiver.url in listed and "CRM sync" in listed and "Active" in listed

    # The secret signs what is sent.
    customer_create(store=store, first_name="Ada", email="ada@example.com")
    (request,) = receiver.requests
    assert verify(secret, request["headers"]["Storefront-Signature"], request["body"])


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"url": "not a url", "events": ["order.created"]}, "url", "Enter a valid URL."),
        (
            {"url": "ftp://example.com/x", "events": ["order.created"]},
            "url",
            "Enter an http or https URL with a host.",
        ),
        ({"url": "https://example.com/hooks"}, "events", "Choose at least one event."),
        (
            {"url": "https://example.com/hooks", "events": ["order.shipped"]},
            "events",
            "Select a valid choice.",
        ),
        (
            {"url": "https://example.com/" + "x" * 2000, "events": ["order.created"]},
            "url",
            "at most 2000 characters",
        ),
    ],
)
def test_a_bad_webhook_is_a_form_error_and_nothing_is_saved(owner, data, field, message):
    response = owner.post(LIST, data)
    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors[field])
    assert not WebhookEndpoint.objects.exists()


def test_a_private_address_is_refused_in_production(owner, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    response = owner.post(LIST, {"url": "http://10.0.0.5/hooks", "events": ["order.created"]})
    assert response.status_code == 422 and response.context["form"].errors["url"]
    assert not WebhookEndpoint.objects.exists()


def test_a_store_has_at_most_twenty_webhooks(owner, store, receiver):
    for _ in range(20):
        endpoint_for(store, receiver.url)
    page = text(owner.get(LIST))
    assert "at most 20 webhooks" in page and "Add webhook" not in page
    response = owner.post(LIST, {"url": receiver.url, "events": ["order.created"]})
    assert response.status_code == 422 and WebhookEndpoint.objects.count() == 20


def test_an_owner_edits_a_webhook(owner, store, receiver):
    endpoint, secret = endpoint_for(store, "https://example.com/old")
    page = owner.get(detail_url(endpoint))
    assert page.context["form"].initial["url"] == "https://example.com/old"
    response = owner.post(
        detail_url(endpoint),
        {"url": receiver.url, "description": "New CRM", "events": ["customer.updated"]},
    )
    assert response.status_code == 302 and response["Location"] == detail_url(endpoint)
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.description, endpoint.events) == (
        receiver.url,
        "New CRM",
        ["customer.updated"],
    )
    assert secret_decrypt(endpoint.secret_encrypted) == secret  # editing keeps the secret

    bad = owner.post(detail_url(endpoint), {"url": receiver.url, "events": []})
    assert bad.status_code == 422 and bad.context["form"].errors["events"]
    endpoint.refresh_from_db()
    assert endpoint.events == ["customer.updated"]


def test_pause_and_resume(owner, store, receiver):
    endpoint, _ = endpoint_for(store, receiver.url, events=["customer.created"])
    active_url = reverse("console:webhook_active", args=[endpoint.pk])
    response = owner.post(active_url, {"active": "0"}, follow=True)
    assert "Webhook paused" in flashes(response)[0] and "Paused" in text(response)
    assert "Send test event" not in text(response)
    customer_create(store=store, first_name="Ada", email="ada@example.com")
    assert receiver.requests == [] and not WebhookEvent.objects.exists()

    response = owner.post(active_url, {"active": "1"}, follow=True)
    assert "Webhook resumed" in flashes(response)[0]
    customer_create(store=store, first_name="Grace", email="grace@example.com")
    assert [receiver.json(0)["data"]["first_name"]] == ["Grace"]


def test_resuming_a_turned_off_webhook_starts_it_afresh(owner, store, receiver):
    endpoint, _ = endpoint_for(store, receiver.url)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        active=False, disabled_at=timezone.now(), failing_since=timezone.now() - DISABLE_AFTER
    )
    page = text(owner.get(detail_url(endpoint)))
    assert "after every delivery failed for 3 days" in page and "Turned off" in page
    owner.post(reverse("console:webhook_active", args=[endpoint.pk]), {"active": "1"})
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.disabled_at is None and endpoint.failing_since is None


def test_an_owner_deletes_a_webhook_after_a_confirmation(owner, store, receiver):
    endpoint, _ = endpoint_for(store, receiver.url)
    page = owner.get(detail_url(endpoint)).content.decode()
    assert re.search(r'data-confirm="Delete the webhook to [^"]+"', page)
    response = owner.post(reverse("console:webhook_delete", args=[endpoint.pk]), follow=True)
    assert response.redirect_chain[-1][0] == LIST
    assert f"Webhook to {receiver.url} deleted" in flashes(response)[0]
    assert not WebhookEndpoint.objects.exists()
    assert owner.get(reverse("console:webhook_delete", args=[endpoint.pk])).status_code == 405


def test_a_test_event_reaches_the_receiver_signed_and_shows_in_the_log(owner, store, receiver):
    created = owner.post(LIST, {"url": receiver.url, "events": ["order.created"]})
    secret = created.context["secret"]
    endpoint = WebhookEndpoint.objects.get()
    response = owner.post(reverse("console:webhook_test", args=[endpoint.pk]), follow=True)
    assert "Test event (ping) sent" in flashes(response)[0]

    (request,) = receiver.requests
    assert request["headers"]["Storefront-Event"] == "ping"
    assert verify(secret, request["headers"]["Storefront-Signature"], request["body"])
    body = receiver.json()
    assert body["type"] == "ping" and body["account_id"] == store.pk
    assert body["data"]["webhook"] == {
        "id": endpoint.pk,
        "url": receiver.url,
        "events": ["order.created"],
        "description": "",
    }
    (row,) = response.context["page_obj"]
    assert row.status == "succeeded" and row.response_status == 200 and row.attempts == 1
    page = text(response)
    assert "Succeeded" in page and f"attempt 1 of {MAX_ATTEMPTS}" in page and "ms" in page
    assert body["id"] in page  # the event's id, with its payload beside it


def test_a_paused_webhook_gets_no_test_event(owner, store, receiver):
    endpoint, _ = endpoint_for(store, receiver.url)
    endpoint.active = False
    endpoint.save()
    response = owner.post(reverse("console:webhook_test", args=[endpoint.pk]), follow=True)
    assert "Resume the webhook" in flashes(response)[0]
    assert receiver.requests == [] and not WebhookEvent.objects.exists()


def test_the_log_shows_failures_with_their_next_attempt_and_redelivers(owner, store, receiver):
    endpoint, _ = endpoint_for(store, receiver.url, events=["customer.created"])
    receiver.status = 500
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        customer_create(store=store, first_name="Ada", email="ada@example.com")
        response = owner.get(detail_url(endpoint))
    (row,) = response.context["page_obj"]
    assert row.status == "pending" and row.response_status == 500
    assert row.next_attempt_at == start + RETRY_DELAYS[0]
    page = text(response)
    assert "Pending" in page and "The receiver answered 500." in page and "Next attempt" in page
    assert "failing" in page.lower()

    receiver.status = 200
    response = owner.post(
        reverse("console:webhook_redeliver", args=[endpoint.pk, row.pk]), follow=True
    )
    assert "queued to be sent again now" in flashes(response)[0]
    (row,) = response.context["page_obj"]
    assert (row.status, row.attempts, row.response_status) == ("succeeded", 2, 200)
    assert len(receiver.requests) == 2
    assert receiver.requests[0]["headers"]["Storefront-Delivery"] == str(row.uuid)
    assert receiver.requests[1]["headers"]["Storefront-Delivery"] == str(row.uuid)


def test_the_log_filters_by_status(owner, store, receiver):
    endpoint, _ = endpoint_for(store, receiver.url, events=["customer.created"])
    customer_create(store=store, first_name="Ada", email="ada@example.com")
    receiver.status = 500
    customer_create(store=store, first_name="Grace", email="grace@example.com")
    WebhookDelivery.objects.filter(status="pending").update(status="failed", next_attempt_at=None)

    def shown(status):
        response = owner.get(detail_url(endpoint), {"status": status})
        return [row.event.payload["first_name"] for row in response.context["page_obj"]]

    assert shown("") == ["Grace", "Ada"]
    assert shown("succeeded") == ["Ada"] and shown("failed") == ["Grace"]
    assert shown("pending") == [] and shown("nonsense") == ["Grace", "Ada"]
    assert "No pending deliveries." in text(owner.get(detail_url(endpoint), {"status": "pending"}))


def test_the_log_pages_in_a_constant_number_of_queries(owner, store, receiver):
    endpoint, _ = endpoint_for(store, receiver.url, events=["customer.created"])

    def queries_for_log():
        with CaptureQueriesContext(connection) as queries:
            assert owner.get(detail_url(endpoint), {"page_size": 100}).status_code == 200
        return len(queries)

    customer_create(store=store, first_name="Ada", email="ada@example.com")
    few = queries_for_log()
    for number in range(30):
        customer_create(store=store, first_name=f"C{number}", email=f"c{number}@example.com")
    assert queries_for_log() == few
    assert len(owner.get(detail_url(endpoint)).context["page_obj"]) == 25


def test_the_dashboard_tells_owners_about_a_failing_then_turned_off_webhook(
    owner, member, store, free_port
):
    endpoint, _ = endpoint_for(store, f"http://127.0.0.1:{free_port}/hooks")
    enrolment = factories.CustomerCardFactory(store=store)

    dashboard = reverse("console:dashboard")
    assert "webhook-alert" not in owner.get(dashboard).content.decode()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        stamp_add(enrolment=enrolment, count=1, notify=False)
        page = text(owner.get(dashboard))
    assert f"Deliveries to http://127.0.0.1:{free_port}/hooks have failed since" in page
    assert "turned off on" in page and "Review the webhook" in page
    # Managers do not manage webhooks: no notice for them.
    assert "webhook-alert" not in member("manager").get(dashboard).content.decode()

    with time_machine.travel(start + DISABLE_AFTER + timedelta(minutes=1), tick=False):
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        deliveries_retry()
        page = text(owner.get(dashboard))
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_at is not None
    assert "was turned off on" in page and "after failing for 3 days" in page


def test_settled_events_are_purged_after_the_retention(store, receiver, settings):
    settings.WEBHOOK_RETENTION_DAYS = 30
    endpoint_for(store, receiver.url, events=["customer.created"])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        customer_create(store=store, first_name="Old", email="old@example.com")
        receiver.status = 500
        customer_create(store=store, first_name="Pending", email="pending@example.com")
    with time_machine.travel(start + timedelta(days=29), tick=False):
        assert events_purge() == 0
        receiver.status = 200
        customer_create(store=store, first_name="New", email="new@example.com")
    with time_machine.travel(start + timedelta(days=30, minutes=1), tick=False):
        assert events_purge() == 1
    left = sorted(event.payload["first_name"] for event in WebhookEvent.objects.all())
    assert left == ["New", "Pending"]  # a pending delivery keeps its event
    assert WebhookDelivery.objects.count() == 2
