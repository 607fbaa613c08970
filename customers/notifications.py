"""Messages to customers: e-mail through Django's backend, SMS through SMS_BACKEND.

SMS backends, like Django's e-mail backends: `console` (prints), `file` (one file per message
under SMS_FILE_PATH), `locmem` (kept in `outbox`, for tests) and `twilio` (Twilio's REST API,
with TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER).
"""

import base64
import json
import logging
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail

from stores.identifiers import new_public_id

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sms:
    to: str
    body: str


outbox: list[Sms] = []  # the locmem backend's messages


def send_sms(*, to: str, body: str) -> None:
    backend = settings.SMS_BACKEND
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


def delivered(send, **message) -> bool:
    """Sends `message` with `send` now; a provider failure (network, SMTP, Twilio: OSError) is
    logged and answered False instead of failing the request whose writes already happened (a
    code can be asked for again). Until messages go through the job queue with retries."""
    try:
        send(**message)
    except OSError:
        logger.exception("Could not deliver a message with %s", send.__name__)
        return False
    return True


def send_to_identity(*, identity: str, subject: str, body: str) -> None:
    """An e-mail when `identity` is an address, an SMS when it is a phone."""
    if "@" in identity:
        send_email(to=identity, subject=subject, body=body)
    else:
        send_sms(to=identity, body=body)
