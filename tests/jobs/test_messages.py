"""Messages to customers are jobs: written with the change that asks for them, sent after the
commit, once however often the job runs, retried on a provider's error, and after the last try
recorded as failed on the customer's timeline. Without a broker (these tests) the job runs in
the process, after the commit."""

import re

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from customers import notifications
from customers.codes import verification_code_send
from customers.models import CustomerEvent, OutboundMessage, VerificationCode
from customers.tasks import MESSAGE_RETRIES, message_send
from loyalty.services import card_enrol
from stores.services import api_key_create
from tests import factories
from tests.helpers import client_of

pytestmark = pytest.mark.django_db

API = "/storefront/v1"


@pytest.fixture
def management(store):
    return client_of(api_key_create(store=store, kind="secret"))


@pytest.fixture
def card(store):
    card = factories.LoyaltyCardFactory(
        store=store, name="Coffee card", stamps_required=10, initial_stamps=2
    )
    factories.RewardFactory(card=card, name="Free coffee", stamps_required=5)
    return card


def _stamp_url(store, enrolment):
    customer = f"/api/v1/accounts/{store.pk}/customers/{enrolment.customer_id}"
    return f"{customer}/customer_cards/{enrolment.pk}/stamp"


@pytest.fixture
def failing_sms(settings, tmp_path):
    """The file SMS backend writing into a folder that is a file: every send is an OSError."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = blocked


def _events(response) -> list[str]:
    assert response.status_code == 200
    timeline = response.text.split('id="timeline"')[1]
    items = re.findall(r'<li data-testid="event">(.*?)</li>', timeline, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def test_a_code_is_a_message_sent_by_a_job_once(api, store):
    response = api.post(
        f"{API}/customers/request-creation-code",
        {"identity": "+1 415 555 0199", "mode": "sms"},
        format="json",
    )

    assert response.status_code == 200
    (sms,) = notifications.outbox
    assert sms.to == "+14155550199" and "code to create your account" in sms.body
    message = OutboundMessage.objects.get()
    assert message.key == f"code:{VerificationCode.objects.get().pk}"
    assert (message.channel, message.to, message.status, message.attempts) == (
        "sms",
        "+14155550199",
        "sent",
        1,
    )
    assert message.body == ""  # the code is not kept once it has gone out

    # The broker handing the job out again (a lost acknowledgement) sends nothing more.
    message_send.apply(args=[message.pk])
    assert len(notifications.outbox) == 1
    assert OutboundMessage.objects.get().attempts == 1


def test_the_same_message_asked_twice_is_written_and_sent_once(store, customer):
    from customers.tasks import message_queue

    for _ in range(2):
        message_queue(
            store=store,
            customer=customer,
            kind="test",
            to=customer.email,
            body="hello",
            subject="Hi",
            key="test:1",
        )

    assert len(mail.outbox) == 1
    assert OutboundMessage.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_message_goes_out_after_the_commit_and_never_after_a_rollback(store):
    with transaction.atomic():
        verification_code_send(
            store=store, identity="+14155550199", purpose=VerificationCode.Purpose.CREATE
        )
        assert notifications.outbox == []  # not while the transaction is open
    assert [sms.to for sms in notifications.outbox] == ["+14155550199"]

    with pytest.raises(RuntimeError), transaction.atomic():
        verification_code_send(
            store=store, identity="+14155550198", purpose=VerificationCode.Purpose.CREATE
        )
        raise RuntimeError("the change is refused after the code was asked for")
    assert [sms.to for sms in notifications.outbox] == ["+14155550199"]
    assert OutboundMessage.objects.count() == 1


def test_a_provider_error_is_retried_then_recorded_on_the_timeline(
    failing_sms, store, card, management, manager_client
):
    customer = factories.CustomerFactory(
        store=store, first_name="Ben", email="", phone="+14155550111"
    )
    enrolment = card_enrol(customer=customer, card=card)

    response = management.post(_stamp_url(store, enrolment), {"stamps": 1})

    assert response.status_code == 200  # the request does not wait for, nor fail with, the SMS
    message = OutboundMessage.objects.get()
    assert (message.kind, message.status) == ("stamp notification", "failed")
    assert message.attempts == 1 + MESSAGE_RETRIES
    assert message.last_error.startswith("FileExistsError")
    event = CustomerEvent.objects.get(customer=customer, type=CustomerEvent.Type.MESSAGE_FAILED)
    assert event.data["attempts"] == 1 + MESSAGE_RETRIES
    page = manager_client.get(reverse("customers:detail", args=[customer.pk]))
    assert _events(page)[0].startswith(
        "Message not delivered · Stamp notification by SMS, 6 attempts: FileExistsError"
    )


def test_an_smtp_error_is_retried_then_recorded_as_failed(settings, store, customer, shopper):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1

    response = shopper.post(f"{API}/customers/account-closure", {}, format="json")

    assert response.status_code == 200, response.content
    message = OutboundMessage.objects.get()
    assert (message.kind, message.channel, message.status) == (
        "code (close the account)",
        "email",
        "failed",
    )
    assert message.attempts == 1 + MESSAGE_RETRIES
    assert CustomerEvent.objects.filter(
        customer=customer, type=CustomerEvent.Type.MESSAGE_FAILED
    ).exists()


# --- Stamp notifications ------------------------------------------------------------------------


def test_stamps_through_the_management_api_tell_the_customer_their_balance(
    store, customer, card, management
):
    enrolment = card_enrol(customer=customer, card=card)

    management.post(_stamp_url(store, enrolment), {"stamps": 1})

    (message,) = mail.outbox
    assert message.to == ["ada@example.com"]
    assert message.body == "You have 3 stamps on Coffee card at Ada's Coffee."
    assert notifications.outbox == []  # e-mail when there is one, else SMS


def test_stamps_reaching_a_reward_say_it_is_ready(store, customer, card, management):
    enrolment = card_enrol(customer=customer, card=card)

    management.post(_stamp_url(store, enrolment), {"stamps": 3})

    (message,) = mail.outbox
    assert message.subject == "A reward is ready"
    assert message.body == (
        "A reward is ready on Coffee card at Ada's Coffee: Free coffee. You have 5 stamps."
    )


def test_skip_notifications_sends_nothing(store, customer, card, management):
    enrolment = card_enrol(customer=customer, card=card)

    response = management.post(
        _stamp_url(store, enrolment), {"stamps": 3, "skip_notifications": True}
    )

    assert response.status_code == 200
    assert mail.outbox == [] and notifications.outbox == []
    assert not OutboundMessage.objects.exists()


def test_a_phone_only_customer_is_texted(store, card, management):
    customer = factories.CustomerFactory(store=store, email="", phone="+14155550111")
    enrolment = card_enrol(customer=customer, card=card)

    management.post(_stamp_url(store, enrolment), {})

    (sms,) = notifications.outbox
    assert sms.to == "+14155550111" and "You have 3 stamps" in sms.body
