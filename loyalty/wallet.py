"""Wallet links for an enrolment: Apple Wallet (.pkpass) and "Save to Google Wallet".

The links carry a signed token of the enrolment's uuid (django.core.signing), never an integer
id, so they cannot be guessed or enumerated. A link is offered only when its wallet is
configured (certificates / service account in settings); otherwise the field is null.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from customers.notifications import send_email, send_sms
from loyalty.models import CustomerCard

SALT = "loyalty.wallet.link"


def wallet_token(enrolment: CustomerCard) -> str:
    return signing.dumps(str(enrolment.uuid), salt=SALT, compress=True)


def enrolment_for_token(token: str) -> CustomerCard | None:
    """The enrolment a wallet link names, or None for a forged or damaged token."""
    try:
        uuid = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return (
        CustomerCard.objects.select_related("card", "customer", "store")
        .filter(uuid=uuid)
        .first()
    )


def apple_wallet_configured() -> bool:
    return bool(settings.APPLE_WALLET_CERTIFICATE and settings.APPLE_WALLET_KEY)


def google_wallet_configured() -> bool:
    return bool(settings.GOOGLE_WALLET_SERVICE_ACCOUNT_FILE and settings.GOOGLE_WALLET_ISSUER_ID)


def _absolute(path: str, request=None) -> str:
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SITE_URL.rstrip("/") + path


def apple_wallet_url(enrolment: CustomerCard, request=None) -> str | None:
    if not apple_wallet_configured():
        return None
    return _absolute(reverse("wallet:apple", args=[wallet_token(enrolment)]), request)


def google_wallet_url(enrolment: CustomerCard, request=None) -> str | None:
    if not google_wallet_configured():
        return None
    return _absolute(reverse("wallet:google", args=[wallet_token(enrolment)]), request)


def card_links_send(*, enrolment: CustomerCard, request=None) -> bool:
    """E-mail and/or text the customer their card's code and wallet links; False when the
    customer has no email or phone to send them to."""
    customer = enrolment.customer
    links = [
        f"{label}: {url}"
        for label, url in (
            ("Apple Wallet", apple_wallet_url(enrolment, request)),
            ("Google Wallet", google_wallet_url(enrolment, request)),
        )
        if url
    ]
    body = "\n".join(
        [
            f"Your {enrolment.card.name} card from {enrolment.store.name}.",
            f"Card code: {enrolment.code}",
            *links,
        ]
    )
    sent = False
    if customer.email:
        send_email(to=customer.email, subject=f"Your {enrolment.card.name} card", body=body)
        sent = True
    if customer.phone:
        send_sms(to=customer.phone, body=body)
        sent = True
    return sent
