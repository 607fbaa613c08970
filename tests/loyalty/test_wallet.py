"""Wallet passes: the signed .pkpass (Apple) and the "Save to Google Wallet" link."""

import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from django.core import mail, signing
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from customers import notifications
from customers.services import customer_close
from customers.tokens import customer_token_issue
from loyalty import wallet
from loyalty.api.serializers import EnrolmentSerializer
from stores.services import api_key_create
from tests import factories

pytestmark = pytest.mark.django_db

KEY_PASSWORD = "wallet-key-password"
ISSUER_ID = "3388000000012345678"


# --- Keys and certificates, made here with cryptography -----------------------------------------


def _rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate(subject_name, key, *, issuer_name=None, issuer_key=None, ca=False):
    now = datetime.now(UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_name)])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name or subject_name)])
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key or key, hashes.SHA256())
    )


def _pem(certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def apple_material(tmp_path_factory):
    """A self-signed "WWDR" certificate and a pass type certificate issued by it, with the key
    encrypted by a password, as PEM files."""
    folder = tmp_path_factory.mktemp("apple")
    wwdr_key = _rsa_key()
    wwdr = _certificate("Test WWDR", wwdr_key, ca=True)
    pass_key = _rsa_key()
    pass_cert = _certificate(
        "Pass Type ID: pass.com.example.loyalty",
        pass_key,
        issuer_name="Test WWDR",
        issuer_key=wwdr_key,
    )
    (folder / "wwdr.pem").write_bytes(_pem(wwdr))
    (folder / "pass.pem").write_bytes(_pem(pass_cert))
    (folder / "pass.key").write_bytes(
        pass_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(KEY_PASSWORD.encode()),
        )
    )
    return {"folder": folder, "wwdr": wwdr, "certificate": pass_cert}


@pytest.fixture
def apple_configured(settings, apple_material):
    folder = apple_material["folder"]
    settings.APPLE_WALLET_CERTIFICATE = str(folder / "pass.pem")
    settings.APPLE_WALLET_KEY = str(folder / "pass.key")
    settings.APPLE_WALLET_KEY_PASSWORD = KEY_PASSWORD
    settings.APPLE_WALLET_WWDR_CERTIFICATE = str(folder / "wwdr.pem")
    settings.APPLE_WALLET_PASS_TYPE_ID = "pass.com.example.loyalty"
    settings.APPLE_WALLET_TEAM_ID = "ABCDE12345"
    return apple_material


@pytest.fixture(scope="module")
def google_material(tmp_path_factory):
    key = _rsa_key()
    account = {
        "type": "service_account",
        "client_email": "wallet@example-project.iam.gserviceaccount.com",
        "private_key_id": "key-1",
        "private_key": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
    }
    path = tmp_path_factory.mktemp("google") / "service-account.json"
    path.write_text(json.dumps(account))
    return {"path": path, "public_key": key.public_key(), "account": account}


@pytest.fixture
def google_configured(settings, google_material):
    settings.GOOGLE_WALLET_SERVICE_ACCOUNT_FILE = str(google_material["path"])
    settings.GOOGLE_WALLET_ISSUER_ID = ISSUER_ID
    return google_material


@pytest.fixture
def not_configured(settings):
    settings.APPLE_WALLET_CERTIFICATE = ""
    settings.APPLE_WALLET_KEY = ""
    settings.GOOGLE_WALLET_SERVICE_ACCOUNT_FILE = ""
    settings.GOOGLE_WALLET_ISSUER_ID = ""


# --- Data ---------------------------------------------------------------------------------------


@pytest.fixture
def coffee_card(store):
    card = factories.LoyaltyCardFactory(
        store=store,
        name="Coffee card",
        description="One stamp per coffee.",
        stamps_required=10,
        card_color="#1F6FEB",
        text_color="#FFFFFF",
        header_text="Ada's Coffee Club",
    )
    factories.RewardFactory(card=card, name="Free cookie", stamps_required=3)
    factories.RewardFactory(card=card, name="Free coffee", stamps_required=5)
    factories.RewardFactory(card=card, name="Free bag", stamps_required=9)
    return card


@pytest.fixture
def enrolment(customer, coffee_card):
    return factories.CustomerCardFactory(
        customer=customer, card=coffee_card, code="000000000042", stamps_count=6
    )


def serialized(enrolment):
    request = RequestFactory().get("/")
    return EnrolmentSerializer(enrolment, context={"request": request}).data


def local(url: str) -> str:
    """The path of an absolute URL, for the test client."""
    return urlsplit(url).path


def unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def fetch_pass(client, enrolment) -> dict[str, bytes]:
    url = serialized(enrolment)["apple_wallet_url"]
    assert url.startswith("http://testserver/wallet/apple/") and url.endswith(".pkpass")
    response = client.get(local(url))
    assert response.status_code == 200, response.content
    return unzip(response.content)


def openssl_verify(folder, signature: bytes, manifest: bytes, *chain_args) -> bool:
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("openssl is not installed: apt-get install openssl")
    (folder / "signature").write_bytes(signature)
    (folder / "manifest.json").write_bytes(manifest)
    result = subprocess.run(
        [
            openssl,
            "smime",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(folder / "signature"),
            "-content",
            str(folder / "manifest.json"),
            *chain_args,
            "-out",
            "/dev/null",
        ],
        capture_output=True,
    )
    return result.returncode == 0


# --- Apple Wallet -------------------------------------------------------------------------------


def test_the_pkpass_is_a_signed_store_card(client, tmp_path, apple_configured, enrolment):
    url = serialized(enrolment)["apple_wallet_url"]
    response = client.get(local(url))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.apple.pkpass"
    assert response["Content-Disposition"] == 'attachment; filename="coffee-card.pkpass"'
    assert "no-store" in response["Cache-Control"]
    files = unzip(response.content)
    assert set(files) == {
        "pass.json",
        "icon.png",
        "icon@2x.png",
        "logo.png",
        "manifest.json",
        "signature",
    }

    data = json.loads(files["pass.json"])
    assert data["formatVersion"] == 1
    assert data["passTypeIdentifier"] == "pass.com.example.loyalty"
    assert data["teamIdentifier"] == "ABCDE12345"
    assert data["serialNumber"] == str(enrolment.uuid)
    assert data["organizationName"] == "Ada's Coffee"
    assert data["description"]
    assert data["backgroundColor"] == "rgb(31, 111, 235)"
    assert data["foregroundColor"] == "rgb(255, 255, 255)"
    assert data["logoText"] == "Ada's Coffee Club"
    assert data["barcodes"] == [
        {
            "format": "PKBarcodeFormatQR",
            "message": "000000000042",
            "messageEncoding": "iso-8859-1",
            "altText": "000000000042",
        }
    ]
    store_card = data["storeCard"]
    assert store_card["primaryFields"] == [{"key": "stamps", "label": "Stamps", "value": "6 of 10"}]
    secondary = {field["key"]: field["value"] for field in store_card["secondaryFields"]}
    assert secondary == {"rewards": 2, "remaining": 4}  # cookie and coffee; 4 more for 10
    assert store_card["auxiliaryFields"] == []  # no expiry
    assert "expirationDate" not in data and "voided" not in data

    # The manifest names every other file with its SHA-1.
    manifest = json.loads(files["manifest.json"])
    assert set(manifest) == set(files) - {"manifest.json", "signature"}
    for name, digest in manifest.items():
        assert hashlib.sha1(files[name]).hexdigest() == digest, name

    # The signature: PKCS#7 carrying the pass certificate and the WWDR certificate...
    certificates = pkcs7.load_der_pkcs7_certificates(files["signature"])
    assert {c.fingerprint(hashes.SHA256()) for c in certificates} == {
        apple_configured["certificate"].fingerprint(hashes.SHA256()),
        apple_configured["wwdr"].fingerprint(hashes.SHA256()),
    }
    # ...that verifies over manifest.json, alone and up to the WWDR certificate as trust root...
    assert openssl_verify(tmp_path, files["signature"], files["manifest.json"], "-noverify")
    wwdr = apple_configured["folder"] / "wwdr.pem"
    assert openssl_verify(
        tmp_path, files["signature"], files["manifest.json"], "-CAfile", str(wwdr)
    )
    # ...and fails when one byte of the manifest changes.
    tampered = bytearray(files["manifest.json"])
    tampered[10] ^= 0x01
    assert not openssl_verify(tmp_path, files["signature"], bytes(tampered), "-noverify")


def test_the_pass_shows_expiry_colours_and_falls_back_to_the_store_name(
    client, apple_configured, customer, coffee_card
):
    coffee_card.header_text = ""
    coffee_card.save()
    expires = datetime(2031, 5, 17, 12, 0, tzinfo=UTC)
    enrolment = factories.CustomerCardFactory(
        customer=customer, card=coffee_card, stamps_count=12, expires_at=expires
    )

    data = json.loads(fetch_pass(client, enrolment)["pass.json"])

    assert data["logoText"] == "Ada's Coffee"
    assert data["storeCard"]["primaryFields"][0]["value"] == "12 of 10"
    secondary = {field["key"]: field["value"] for field in data["storeCard"]["secondaryFields"]}
    assert secondary == {"rewards": 3, "remaining": 0}
    assert data["expirationDate"] == expires.isoformat()
    (expiry,) = data["storeCard"]["auxiliaryFields"]
    assert expiry["key"] == "expires" and expiry["value"] == expires.isoformat()


def test_a_canceled_card_gives_a_voided_pass(client, apple_configured, enrolment):
    enrolment.status = "canceled"
    enrolment.save()
    data = json.loads(fetch_pass(client, enrolment)["pass.json"])
    assert data["voided"] is True
    assert data["storeCard"]["secondaryFields"][0]["value"] == 0  # nothing to redeem


def test_the_icons_are_pngs_in_the_card_colour(client, apple_configured, enrolment):
    from PIL import Image

    files = fetch_pass(client, enrolment)
    sizes = {
        name: Image.open(io.BytesIO(files[name])).size for name in files if name[-4:] == ".png"
    }
    assert sizes == {"icon.png": (29, 29), "icon@2x.png": (58, 58), "logo.png": (50, 50)}
    corner = Image.open(io.BytesIO(files["icon.png"])).convert("RGB").getpixel((0, 0))
    assert corner == (31, 111, 235)


def test_without_the_wwdr_certificate_only_the_pass_certificate_is_included(
    client, settings, apple_configured, enrolment
):
    settings.APPLE_WALLET_WWDR_CERTIFICATE = ""
    files = fetch_pass(client, enrolment)
    (certificate,) = pkcs7.load_der_pkcs7_certificates(files["signature"])
    assert certificate == apple_configured["certificate"]


def test_serving_a_pass_records_nothing(client, apple_configured, enrolment):
    before = enrolment.updated_at
    fetch_pass(client, enrolment)
    enrolment.refresh_from_db()
    assert enrolment.pass_installed is False and enrolment.updated_at == before


def test_a_wrong_key_password_or_a_missing_file_is_a_configuration_error(
    settings, apple_configured, google_configured, enrolment
):
    settings.APPLE_WALLET_KEY_PASSWORD = "wrong"
    with pytest.raises(ImproperlyConfigured, match="APPLE_WALLET_KEY"):
        wallet.apple_pass_build(enrolment)
    settings.GOOGLE_WALLET_SERVICE_ACCOUNT_FILE = "/nonexistent/service-account.json"
    with pytest.raises(ImproperlyConfigured, match="GOOGLE_WALLET_SERVICE_ACCOUNT_FILE"):
        wallet.google_save_url(enrolment)


def test_apple_not_configured_is_null_and_404(client, not_configured, enrolment):
    assert serialized(enrolment)["apple_wallet_url"] is None
    response = client.get(reverse("wallet:apple", args=[wallet.wallet_token(enrolment)]))
    assert response.status_code == 404
    assert response.json() == {"errors": ["Apple Wallet passes are not configured."]}


# --- Google Wallet ------------------------------------------------------------------------------


def decode_save_url(url: str, public_key) -> dict:
    prefix = "https://pay.google.com/gp/v/save/"
    assert url.startswith(prefix)
    return jwt.decode(url[len(prefix) :], public_key, algorithms=["RS256"], audience="google")


def test_the_google_link_redirects_to_a_signed_save_url(
    client, google_configured, enrolment, coffee_card
):
    url = serialized(enrolment)["google_wallet_url"]
    assert url.startswith("http://testserver/wallet/google/")

    response = client.get(local(url))
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]
    save_url = response["Location"]
    claims = decode_save_url(save_url, google_configured["public_key"])

    assert jwt.get_unverified_header(save_url.rsplit("/", 1)[1])["kid"] == "key-1"
    assert claims["iss"] == "wallet@example-project.iam.gserviceaccount.com"
    assert claims["aud"] == "google" and claims["typ"] == "savetowallet"
    assert claims["origins"] == [] and isinstance(claims["iat"], int)
    assert claims["payload"] == {
        "loyaltyObjects": [
            {
                "id": f"{ISSUER_ID}.{enrolment.uuid}",
                "classId": f"{ISSUER_ID}.card-{coffee_card.pk}",
                "state": "ACTIVE",
                "accountId": "000000000042",
                "accountName": "Ada Lovelace",
                "loyaltyPoints": {"balance": {"int": 6}, "label": "Stamps"},
                "barcode": {
                    "type": "QR_CODE",
                    "value": "000000000042",
                    "alternateText": "000000000042",
                },
            }
        ]
    }


def test_an_expired_card_is_expired_in_google_wallet(
    client, google_configured, customer, coffee_card
):
    expires = datetime.now(UTC) - timedelta(days=1)
    enrolment = factories.CustomerCardFactory(
        customer=customer, card=coffee_card, expires_at=expires
    )
    response = client.get(local(serialized(enrolment)["google_wallet_url"]))
    claims = decode_save_url(response["Location"], google_configured["public_key"])
    (obj,) = claims["payload"]["loyaltyObjects"]
    assert obj["state"] == "EXPIRED"
    assert obj["validTimeInterval"] == {"end": {"date": expires.isoformat()}}


def test_a_jwt_signed_by_another_key_does_not_decode(client, google_configured, enrolment):
    response = client.get(local(serialized(enrolment)["google_wallet_url"]))
    with pytest.raises(jwt.InvalidSignatureError):
        decode_save_url(response["Location"], _rsa_key().public_key())


def test_google_not_configured_is_null_and_404(client, not_configured, enrolment):
    assert serialized(enrolment)["google_wallet_url"] is None
    response = client.get(reverse("wallet:google", args=[wallet.wallet_token(enrolment)]))
    assert response.status_code == 404
    assert response.json() == {"errors": ["Google Wallet passes are not configured."]}


# --- Links: unguessable, unforgeable ------------------------------------------------------------


def both_paths(token):
    return [reverse("wallet:apple", args=[token]), reverse("wallet:google", args=[token])]


def assert_not_found(client, token):
    for path in both_paths(token):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"errors": ["This wallet link is not valid."]}


def test_forged_and_altered_tokens_are_404(
    client, apple_configured, google_configured, enrolment, store
):
    token = wallet.wallet_token(enrolment)
    other = factories.CustomerCardFactory(customer=factories.CustomerFactory(store=store))
    other_token = wallet.wallet_token(other)

    assert_not_found(client, "forged")
    assert_not_found(client, str(enrolment.uuid))  # the bare uuid is not a token
    assert_not_found(client, str(enrolment.pk))
    assert_not_found(client, token[:-1] + ("A" if token[-1] != "A" else "B"))  # signature
    assert_not_found(client, "x" + token)  # payload
    # A's signature over B's payload, and B's uuid signed with another salt or key.
    assert_not_found(client, other_token.split(":", 1)[0] + ":" + token.split(":", 1)[1])
    assert_not_found(client, signing.dumps(str(other.uuid), salt="another", compress=True))
    assert_not_found(client, signing.dumps(str(other.uuid), key="x" * 50, salt=wallet.SALT))

    # The real tokens still work, each for its own enrolment.
    assert client.get(both_paths(token)[0]).status_code == 200
    data = json.loads(unzip(client.get(both_paths(other_token)[0]).content)["pass.json"])
    assert data["serialNumber"] == str(other.uuid)


def test_links_of_a_closed_account_or_a_deleted_enrolment_are_404(
    client, apple_configured, google_configured, enrolment, customer
):
    token = wallet.wallet_token(enrolment)
    customer_close(customer=customer)
    assert_not_found(client, token)

    other = factories.CustomerCardFactory()
    other_token = wallet.wallet_token(other)
    other.delete()
    assert_not_found(client, other_token)


def test_only_get_and_head(client, apple_configured, google_configured, enrolment):
    for path in both_paths(wallet.wallet_token(enrolment)):
        assert client.post(path).status_code == 405
        assert client.head(path).status_code in (200, 302)


# --- Where the links show up --------------------------------------------------------------------


def test_the_shopper_api_gives_working_links(
    client, store, customer, enrolment, apple_configured, google_configured
):
    api = APIClient()
    api.credentials(
        HTTP_AUTHORIZATION=f"Bearer {api_key_create(store=store, kind='publishable').raw}",
        HTTP_CUSTOMER_TOKEN=customer_token_issue(customer=customer),
    )
    (card,) = api.get("/storefront/v1/customers/cards").json()

    apple = client.get(local(card["apple_wallet_url"]))
    assert apple.status_code == 200 and apple["Content-Type"] == wallet.PKPASS_CONTENT_TYPE
    google = client.get(local(card["google_wallet_url"]))
    assert google.status_code == 302
    assert google["Location"].startswith("https://pay.google.com/gp/v/save/")


def test_card_links_send_puts_both_links_in_the_messages(
    client, settings, apple_configured, google_configured, enrolment
):
    settings.SITE_URL = "https://cards.example.com/"

    assert wallet.card_links_send(enrolment=enrolment) is True

    (message,) = mail.outbox
    (sms,) = notifications.outbox
    for body in (message.body, sms.body):
        lines = dict(line.split(": ", 1) for line in body.splitlines() if ": " in line)
        assert lines["Card code"] == "000000000042"
        assert lines["Apple Wallet"].startswith("https://cards.example.com/wallet/apple/")
        assert lines["Google Wallet"].startswith("https://cards.example.com/wallet/google/")
        assert client.get(local(lines["Apple Wallet"])).status_code == 200
        assert client.get(local(lines["Google Wallet"])).status_code == 302


def test_card_links_send_without_wallets_sends_only_the_code(not_configured, enrolment):
    assert wallet.card_links_send(enrolment=enrolment) is True
    (message,) = mail.outbox
    assert "Card code: 000000000042" in message.body
    assert "Wallet" not in message.body
