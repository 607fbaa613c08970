"""Wallet links for an enrolment: Apple Wallet (.pkpass) and "Save to Google Wallet".

The links carry a signed token of the enrolment's uuid (django.core.signing), never an integer
id, so they cannot be guessed or enumerated. A link is offered only when its wallet is
configured (certificates / service account in settings); otherwise the field is null.

- Apple: GET /wallet/apple/<token>.pkpass builds the pass now (the current balance): pass.json,
  icons made with Pillow, manifest.json (SHA-1 of every file) and `signature`, a detached
  PKCS#7 (DER) signature of manifest.json by the pass type certificate, with Apple's WWDR
  intermediate certificate included.
- Google: GET /wallet/google/<token> redirects to https://pay.google.com/gp/v/save/<JWT>, a
  "savetowallet" JWT signed (RS256) with the service account's key, carrying one loyaltyObject
  of the class "<issuer id>.card-<card id>" (create the class in the Wallet console or API).
"""

import hashlib
import io
import json
import uuid
import zipfile
from pathlib import Path

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageDraw

from customers.tasks import message_queue
from loyalty import selectors
from loyalty.models import CustomerCard

PKPASS_CONTENT_TYPE = "application/vnd.apple.pkpass"
GOOGLE_SAVE_URL = "https://pay.google.com/gp/v/save/"

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
        CustomerCard.objects.select_related("card", "customer", "store").filter(uuid=uuid).first()
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
    """E-mail and/or text the customer their card's code and wallet links, from a job after the
    commit; False when the customer has no email or phone to send them to."""
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
    # One message per request: asking again sends again, a job run twice sends once.
    request_key = uuid.uuid4().hex
    for to in (customer.email, customer.phone):
        if to:
            message_queue(
                store=enrolment.store,
                customer=customer,
                kind="card links",
                to=to,
                subject=f"Your {enrolment.card.name} card",
                body=body,
                key=f"card-links:{enrolment.pk}:{request_key}:{'email' if '@' in to else 'sms'}",
            )
    return bool(customer.email or customer.phone)


# --- Shared -----------------------------------------------------------------------------------


def enrolment_expiry(enrolment: CustomerCard):
    """When the enrolment ends: its own date or the programme's end, whichever comes first."""
    ends = [end for end in (enrolment.expires_at, enrolment.card.expires_at) if end is not None]
    return min(ends) if ends else None


def _rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def _css_rgb(color: str) -> str:
    return "rgb({}, {}, {})".format(*_rgb(color))


def _read(setting: str) -> bytes:
    path = getattr(settings, setting)
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise ImproperlyConfigured(f"{setting}: cannot read {path!r} ({error.strerror}).") from None


# --- Apple Wallet -----------------------------------------------------------------------------


def apple_pass_json(enrolment: CustomerCard) -> dict:
    card, store = enrolment.card, enrolment.store
    rewards = selectors.available_rewards(enrolment)
    expiry = enrolment_expiry(enrolment)
    data = {
        "formatVersion": 1,
        "passTypeIdentifier": settings.APPLE_WALLET_PASS_TYPE_ID,
        "teamIdentifier": settings.APPLE_WALLET_TEAM_ID,
        "serialNumber": str(enrolment.uuid),
        "organizationName": store.name,
        "description": f"{card.name} ({store.name})",
        "backgroundColor": _css_rgb(card.card_color),
        "foregroundColor": _css_rgb(card.text_color),
        "labelColor": _css_rgb(card.text_color),
        "logoText": card.header_text or store.name,
        "storeCard": {
            "headerFields": [{"key": "card", "label": "Card", "value": card.name}],
            "primaryFields": [
                {
                    "key": "stamps",
                    "label": "Stamps",
                    "value": f"{enrolment.stamps_count} of {card.stamps_required}",
                }
            ],
            "secondaryFields": [
                {"key": "rewards", "label": "Rewards available", "value": len(rewards)},
                {
                    "key": "remaining",
                    "label": "Stamps remaining",
                    "value": selectors.stamps_remaining(enrolment),
                },
            ],
            "auxiliaryFields": [],
            "backFields": [
                {"key": "code", "label": "Card code", "value": enrolment.code},
                *(
                    [{"key": "about", "label": card.name, "value": card.description}]
                    if card.description
                    else []
                ),
                *(
                    [
                        {
                            "key": "available",
                            "label": "Rewards you can redeem",
                            "value": "\n".join(reward.name for reward in rewards),
                        }
                    ]
                    if rewards
                    else []
                ),
            ],
        },
        "barcodes": [
            {
                "format": "PKBarcodeFormatQR",
                "message": enrolment.code,
                "messageEncoding": "iso-8859-1",
                "altText": enrolment.code,
            }
        ],
    }
    if expiry is not None:
        data["expirationDate"] = expiry.isoformat()
        data["storeCard"]["auxiliaryFields"].append(
            {
                "key": "expires",
                "label": "Expires",
                "value": expiry.isoformat(),
                "dateStyle": "PKDateStyleMedium",
                "timeStyle": "PKDateStyleNone",
            }
        )
    if enrolment.status == CustomerCard.Status.CANCELED:
        data["voided"] = True
    return data


def _png(size: tuple[int, int], background, dot) -> bytes:
    """A solid image with a round "stamp" in the middle."""
    image = Image.new("RGBA", size, background)
    width, height = size
    radius = min(width, height) * 0.3
    ImageDraw.Draw(image).ellipse(
        (width / 2 - radius, height / 2 - radius, width / 2 + radius, height / 2 + radius),
        fill=dot,
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def apple_pass_images(enrolment: CustomerCard) -> dict[str, bytes]:
    background = (*_rgb(enrolment.card.card_color), 255)
    foreground = (*_rgb(enrolment.card.text_color), 255)
    return {
        "icon.png": _png((29, 29), background, foreground),
        "icon@2x.png": _png((58, 58), background, foreground),
        "logo.png": _png((50, 50), (0, 0, 0, 0), foreground),
    }


def _apple_signing_material():
    certificate = x509.load_pem_x509_certificate(_read("APPLE_WALLET_CERTIFICATE"))
    password = settings.APPLE_WALLET_KEY_PASSWORD or None
    try:
        key = serialization.load_pem_private_key(
            _read("APPLE_WALLET_KEY"), password=password.encode() if password else None
        )
    except (TypeError, ValueError) as error:
        raise ImproperlyConfigured(f"APPLE_WALLET_KEY cannot be loaded: {error}") from None
    extra = []
    if settings.APPLE_WALLET_WWDR_CERTIFICATE:
        extra.append(x509.load_pem_x509_certificate(_read("APPLE_WALLET_WWDR_CERTIFICATE")))
    return certificate, key, extra


def apple_manifest_sign(manifest: bytes) -> bytes:
    """The detached PKCS#7 signature (DER) of manifest.json that Wallet checks."""
    certificate, key, extra = _apple_signing_material()
    builder = pkcs7.PKCS7SignatureBuilder().set_data(manifest)
    builder = builder.add_signer(certificate, key, hashes.SHA256())
    for intermediate in extra:
        builder = builder.add_certificate(intermediate)
    return builder.sign(
        serialization.Encoding.DER,
        [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
    )


def apple_pass_build(enrolment: CustomerCard) -> bytes:
    """The .pkpass file (a zip) of an enrolment, signed with the configured certificate."""
    files = {
        "pass.json": json.dumps(apple_pass_json(enrolment), indent=2).encode(),
        **apple_pass_images(enrolment),
    }
    manifest = json.dumps(
        {name: hashlib.sha1(content).hexdigest() for name, content in files.items()},
        indent=2,
    ).encode()
    files["manifest.json"] = manifest
    files["signature"] = apple_manifest_sign(manifest)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# --- Google Wallet ----------------------------------------------------------------------------


def google_service_account() -> dict:
    try:
        account = json.loads(_read("GOOGLE_WALLET_SERVICE_ACCOUNT_FILE"))
    except ValueError:
        account = None
    if not (
        isinstance(account, dict) and account.get("client_email") and account.get("private_key")
    ):
        raise ImproperlyConfigured(
            "GOOGLE_WALLET_SERVICE_ACCOUNT_FILE is not a service account key (JSON with "
            "client_email and private_key)."
        )
    return account


def google_state(enrolment: CustomerCard) -> str:
    return {
        CustomerCard.Status.ACTIVE: "ACTIVE",
        CustomerCard.Status.EXPIRED: "EXPIRED",
        CustomerCard.Status.CANCELED: "INACTIVE",
    }[enrolment.effective_status]


def google_loyalty_object(enrolment: CustomerCard) -> dict:
    issuer = settings.GOOGLE_WALLET_ISSUER_ID
    obj = {
        "id": f"{issuer}.{enrolment.uuid}",
        "classId": f"{issuer}.card-{enrolment.card_id}",
        "state": google_state(enrolment),
        "accountId": enrolment.code,
        "accountName": enrolment.customer.name,
        "loyaltyPoints": {"balance": {"int": enrolment.stamps_count}, "label": "Stamps"},
        "barcode": {
            "type": "QR_CODE",
            "value": enrolment.code,
            "alternateText": enrolment.code,
        },
    }
    expiry = enrolment_expiry(enrolment)
    if expiry is not None:
        obj["validTimeInterval"] = {"end": {"date": expiry.isoformat()}}
    return obj


def google_save_jwt(enrolment: CustomerCard) -> str:
    account = google_service_account()
    claims = {
        "iss": account["client_email"],
        "aud": "google",
        "typ": "savetowallet",
        "iat": int(timezone.now().timestamp()),
        "origins": [],
        "payload": {"loyaltyObjects": [google_loyalty_object(enrolment)]},
    }
    headers = {"kid": account["private_key_id"]} if account.get("private_key_id") else None
    try:
        return jwt.encode(claims, account["private_key"], algorithm="RS256", headers=headers)
    except (ValueError, TypeError, jwt.PyJWTError) as error:
        raise ImproperlyConfigured(f"The Google service account key cannot sign: {error}") from None


def google_save_url(enrolment: CustomerCard) -> str:
    """The "Add to Google Wallet" address itself (what /wallet/google/<token> redirects to)."""
    return GOOGLE_SAVE_URL + google_save_jwt(enrolment)
