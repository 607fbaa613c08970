"""Messages to customers: e-mail through Django's backend, SMS through SMS_BACKEND.

SMS backends, like Django's e-mail backends: `console` (prints), `file` (one file per message
under SMS_FILE_PATH), `locmem` (kept in `outbox`, for tests) and `twilio` (Twilio's REST API,
with TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER).

Nothing here runs in a request: a message is an OutboundMessage row written with the change
that asks for it, sent by a job after the commit (customers.tasks), which retries provider
errors (PROVIDER_ERRORS) and records a message that never went out on the customer's timeline.
"""

import base64
import json
import logging
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from customers.models import CustomerEvent, OutboundMessage
from stores.identifiers import new_public_id

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sms:
    to: str
    body: str


outbox: list[Sms] = []  # the locmem backend's messages
# What a provider fails with: network errors, SMTP's (smtplib.SMTPException is an OSError) and
# Twilio's over urllib (URLError, HTTPError). A job retries these.
PROVIDER_ERRORS = (OSError,)


def send_sms(*, to: str, body: str) -> None:
    backend = settings.SMS_BACKEND
    if backend in ("locmem", "file") and settings.SMS_DELAY_SECONDS:
        time.sleep(settings.SMS_DELAY_SECONDS)  # a slow provider's stand-in (tests)
    if backend == "locmem":
        outbox.append(Sms(to=to, body=body))
    elif backend == "console":
        sys.stdout.write(f"SMS to {to}: {body}\n")
        sys.stdout.flush()
    elif backend == "file":
        folder = settings.SMS_FILE_PATH
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now():%Y%m%d-%H%M%S}-{new_public_id('sms')}.txt"
        (folder / name).write_text(f"To: {to}\n\n{body}\n")
    elif backend == "twilio":
        _send_with_twilio(to=to, body=body)
    else:
        raise ImproperlyConfigured(f"Unknown SMS_BACKEND {backend!r}.")


def _send_with_twilio(*, to: str, body: str) -> None:
    sid, token = settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN
    if not (sid and token and settings.TWILIO_FROM_NUMBER):
        raise ImproperlyConfigured("The twilio SMS backend needs TWILIO_* settings.")
    url = f"https://api.twilio.com/2010-04-01/Accounts/{sid}/Messages.json"
    data = urllib.parse.urlencode({"To": to, "From": settings.TWILIO_FROM_NUMBER, "Body": body})
    request = urllib.request.Request(url, data=data.encode(), method="POST")
    credentials = base64.b64encode(f"{sid}:{token}".encode()).decode()
    request.add_header("Authorization", f"Basic {credentials}")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - fixed https URL
        logger.info("Twilio accepted SMS %s", json.loads(response.read()).get("sid"))


def send_email(*, to: str, subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])


def message_channel(to: str) -> str:
    return OutboundMessage.Channel.EMAIL if "@" in to else OutboundMessage.Channel.SMS


def message_deliver(*, message_id: int) -> bool:
    """Send a pending message once: a conditional UPDATE claims it (pending → sending, one more
    attempt), so a retried or duplicated job finds nothing to do (False). A provider error
    puts it back to pending and is raised, for the job to retry."""
    claimed = OutboundMessage.objects.filter(
        pk=message_id, status=OutboundMessage.Status.PENDING
    ).update(status=OutboundMessage.Status.SENDING, attempts=F("attempts") + 1)
    if not claimed:
        return False
    message = OutboundMessage.objects.get(pk=message_id)
    try:
        if message.channel == OutboundMessage.Channel.EMAIL:
            send_email(to=message.to, subject=message.subject, body=message.body)
        else:
            send_sms(to=message.to, body=message.body)
    except Exception as exc:
        OutboundMessage.objects.filter(pk=message_id, status=OutboundMessage.Status.SENDING).update(
            status=OutboundMessage.Status.PENDING, last_error=_error_text(exc)
        )
        raise
    OutboundMessage.objects.filter(pk=message_id).update(
        status=OutboundMessage.Status.SENT, sent_at=timezone.now(), body="", last_error=""
    )
    return True


def message_failed(*, message_id: int, error: BaseException | None = None) -> bool:
    """Give up on a message that was not sent (its job's last try failed): status failed, its
    text dropped, and a "message not delivered" event on the customer's timeline for staff."""
    with transaction.atomic():
        failed = OutboundMessage.objects.filter(
            pk=message_id,
            status__in=[OutboundMessage.Status.PENDING, OutboundMessage.Status.SENDING],
        ).update(
            status=OutboundMessage.Status.FAILED,
            body="",
            **({"last_error": _error_text(error)} if error is not None else {}),
        )
        if not failed:
            return False
        message = OutboundMessage.objects.get(pk=message_id)
        logger.error(
            "Could not deliver message %s (%s): %s", message.pk, message, message.last_error
        )
        if message.customer_id:
            # Written here rather than with customers.services.event_record, which imports
            # the codes that import this module; the same row.
            CustomerEvent.objects.create(
                store_id=message.store_id,
                customer_id=message.customer_id,
                type=CustomerEvent.Type.MESSAGE_FAILED,
                data={
                    "message": message.kind,
                    "channel": message.get_channel_display(),
                    "attempts": message.attempts,
                    "error": message.last_error,
                },
            )
    return True


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:255]
