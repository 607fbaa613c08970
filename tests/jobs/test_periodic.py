"""The periodic jobs (celery beat), called as the plain functions they are: expiring enrolments
past their end, purging expired codes and dead customer tokens, and queueing again a message
whose job never ran."""

from datetime import timedelta

import pytest
from django.core import mail

from customers.models import CustomerToken, OutboundMessage, VerificationCode
from customers.tasks import codes_purge, messages_resend, tokens_purge
from customers.tokens import customer_token_issue
from loyalty.models import CustomerCard, StampEntry
from loyalty.services import card_enrol, stamp_add
from loyalty.tasks import enrolments_expire
from tests import factories

pytestmark = pytest.mark.django_db


def test_enrolments_past_their_end_expire_with_a_ledger_entry(frozen_clock, store, customer):
    card = factories.LoyaltyCardFactory(store=store, name="Coffee card", stamps_required=10)
    ended = factories.LoyaltyCardFactory(store=store, name="Summer card", stamps_required=10)
    due = card_enrol(customer=customer, card=card)
    stamp_add(enrolment=due, count=4)
    CustomerCard.objects.filter(pk=due.pk).update(expires_at=frozen_clock - timedelta(hours=1))
    programme_over = card_enrol(customer=customer, card=ended)
    ended.expires_at = frozen_clock - timedelta(minutes=1)
    ended.save()
    other = factories.CustomerFactory(store=store)
    live = card_enrol(customer=other, card=card)
    CustomerCard.objects.filter(pk=live.pk).update(expires_at=frozen_clock + timedelta(days=1))

    assert enrolments_expire() == 2

    due.refresh_from_db()
    assert (due.status, due.stamps_count) == ("expired", 0)
    entry = due.entries.get(kind=StampEntry.Kind.EXPIRE)
    assert (entry.delta, entry.balance_after) == (-4, 0)
    programme_over.refresh_from_db()
    assert programme_over.status == "expired"
    live.refresh_from_db()
    assert live.status == "active" and not live.entries.filter(kind="expire").exists()
    assert enrolments_expire() == 0  # a second run changes nothing


def test_expired_codes_are_purged(frozen_clock, store):
    def code(expires_in):
        return VerificationCode.objects.create(
            store=store,
            purpose=VerificationCode.Purpose.CREATE,
            identity="+14155550199",
            code_hash="x",
            expires_at=frozen_clock + expires_in,
        )

    code(-timedelta(seconds=1))
    live = code(timedelta(minutes=5))

    assert codes_purge() == 1
    assert list(VerificationCode.objects.all()) == [live]


def test_expired_and_revoked_tokens_are_purged(frozen_clock, customer):
    for _ in range(3):
        customer_token_issue(customer=customer)
    expired, revoked, live = CustomerToken.objects.order_by("pk")
    CustomerToken.objects.filter(pk=expired.pk).update(expires_at=frozen_clock)
    CustomerToken.objects.filter(pk=revoked.pk).update(revoked_at=frozen_clock)

    assert tokens_purge() == 2
    assert list(CustomerToken.objects.all()) == [live]


def test_a_message_whose_job_never_ran_is_queued_again(frozen_clock, store, customer):
    def message(key, minutes_ago, **fields):
        return OutboundMessage.objects.create(
            store=store,
            customer=customer,
            key=key,
            kind="test",
            channel="email",
            to=customer.email,
            subject="Hi",
            body=key,
            created_at=frozen_clock - timedelta(minutes=minutes_ago),
            **fields,
        )

    missed = message("missed", 6)
    message("just written", 1)  # its job is still on its way
    message("retrying", 6, attempts=1)  # a job is retrying it
    message("sent", 6, status="sent")

    assert messages_resend() == 1

    assert [m.body for m in mail.outbox] == ["missed"]
    missed.refresh_from_db()
    assert missed.status == "sent"
