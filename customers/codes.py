"""Verification codes: 6 digits, for one purpose and one identity, single use, 10 minutes,
at most 5 wrong tries. Only an HMAC of the code is stored. A code confirming a new email or
phone (CONTACT_CHANGE) is also bound to the customer who asked for it: it is good for nobody
else, and another customer asking for the same value retires none of theirs."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from customers.models import Customer, VerificationCode
from customers.tasks import message_queue

CODE_TTL = timedelta(minutes=10)
WRONG_CODE = "The code is wrong or has expired."

PURPOSE_TEXT = {
    VerificationCode.Purpose.CREATE: "to create your account",
    VerificationCode.Purpose.LOGIN: "to log in",
    VerificationCode.Purpose.CLOSURE: "to close your account",
    VerificationCode.Purpose.CONTACT_CHANGE: "to confirm this email or phone for your account",
}
# Purposes whose codes belong to one customer (the HMAC and every look-up include them).
BOUND_TO_CUSTOMER = {VerificationCode.Purpose.CONTACT_CHANGE}


def _bound_customer(purpose: str, customer: Customer | None) -> Customer | None:
    if purpose not in BOUND_TO_CUSTOMER:
        return None
    if customer is None:
        raise ValueError(f"A {purpose} code belongs to a customer: pass customer=")
    return customer


def _digest(
    *, store_id: int, purpose: str, identity: str, code: str, customer_id: int | None = None
) -> str:
    # Keyed by the SECRET_KEY and salted by purpose, store and identity (and the customer, for
    # a code bound to one): a code for one thing is never valid for another.
    message = f"{store_id}:{purpose}:{identity}:{code}"
    if customer_id is not None:
        message += f":customer:{customer_id}"
    key = hashlib.sha256(f"verification-code:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def verification_code_send(
    *, store, identity: str, purpose: str, customer: Customer | None = None
) -> None:
    """Send a new code to `identity` (a normalised e-mail or E.164 phone) and retire the
    previous unused ones for the same purpose (and customer, for a code bound to one). The
    message goes out from a job after the commit (customers.tasks.message_queue)."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    bound = _bound_customer(purpose, customer)
    previous = VerificationCode.objects.filter(
        store=store, identity=identity, purpose=purpose, used_at__isnull=True
    )
    if bound is not None:
        previous = previous.filter(customer=bound)
    text = f"{code} is your {store.name} code {PURPOSE_TEXT[purpose]}. It expires in 10 minutes."
    with transaction.atomic():
        previous.update(used_at=timezone.now())
        record = VerificationCode.objects.create(
            store=store,
            customer=customer,
            purpose=purpose,
            identity=identity,
            code_hash=_digest(
                store_id=store.pk,
                purpose=purpose,
                identity=identity,
                code=code,
                customer_id=bound.pk if bound else None,
            ),
            expires_at=timezone.now() + CODE_TTL,
        )
        # Sent by a job once this commits (and the caller's transaction, when there is one).
        message_queue(
            store=store,
            customer=customer,
            kind=f"code ({record.get_purpose_display().lower()})",
            to=identity,
            subject=f"Your {store.name} code",
            body=text,
            key=f"code:{record.pk}",
        )


def verification_code_check(
    *, store, identity: str, purpose: str, code: str, customer: Customer | None = None
) -> VerificationCode:
    """Use up the code sent to `identity` for `purpose`, or raise ValidationError({"code"}).

    A wrong code counts one try; the fifth wrong try kills the code. Using it and counting are
    single conditional UPDATEs, so two requests cannot both use one code.
    """
    record = verification_code_match(
        store=store, identity=identity, purpose=purpose, code=code, customer=customer
    )
    verification_code_spend(record=record)
    return record


def verification_code_match(
    *, store, identity: str, purpose: str, code: str, customer: Customer | None = None
) -> VerificationCode:
    """The live code sent to `identity` for `purpose` (and `customer`, for a code bound to one),
    if `code` is it, not used up yet; a wrong code counts one try (the fifth kills the code)
    and raises ValidationError({"code"}).

    Call it before the transaction that spends the code (verification_code_spend) with what
    the code unlocks: a wrong try stays counted, and a refused action gives the code back.
    """
    bound = _bound_customer(purpose, customer)
    live = VerificationCode.objects.filter(
        store=store,
        identity=identity,
        purpose=purpose,
        used_at__isnull=True,
        expires_at__gt=timezone.now(),
    )
    if bound is not None:
        live = live.filter(customer=bound)
    record = live.order_by("-created_at", "-id").first()
    if record is None or record.attempts >= VerificationCode.MAX_ATTEMPTS:
        raise ValidationError({"code": [WRONG_CODE]})
    expected = _digest(
        store_id=store.pk,
        purpose=purpose,
        identity=identity,
        code=str(code).strip(),
        customer_id=bound.pk if bound else None,
    )
    if not hmac.compare_digest(expected, record.code_hash):
        VerificationCode.objects.filter(
            pk=record.pk, attempts__lt=VerificationCode.MAX_ATTEMPTS
        ).update(attempts=F("attempts") + 1)
        raise ValidationError({"code": [WRONG_CODE]})
    return record


def verification_code_spend(*, record: VerificationCode) -> None:
    """Use up a code verification_code_match accepted, or raise ValidationError({"code"}) when
    another request used it first (a single conditional UPDATE)."""
    used = VerificationCode.objects.filter(
        pk=record.pk,
        used_at__isnull=True,
        attempts__lt=VerificationCode.MAX_ATTEMPTS,
        expires_at__gt=timezone.now(),
    ).update(used_at=timezone.now())
    if used != 1:
        raise ValidationError({"code": [WRONG_CODE]})
