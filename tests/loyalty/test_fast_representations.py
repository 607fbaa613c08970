"""The management list builds its customers as plain dicts (backoffice.customer_serializers.
management_customer_dict, loyalty.api.serializers.enrolment_dict) where the other answers use
the DRF serializers: both must say exactly the same thing, field for field."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from customers.models import ExternalReference, Tag
from customers.services import customer_update
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.api_key("secret")]


def _png() -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, "PNG")
    return SimpleUploadedFile("face.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def rich(store):
    """A customer with everything the answer shows: tags of mixed case, references, two cards
    (one active with rewards within reach, one expired), metadata, a birthday and a photo."""
    customer = factories.CustomerFactory(
        store=store,
        first_name="Zoë",
        last_name="d'Arc",
        birthday=timezone.now().date().replace(year=1990),
        metadata={"vip": True, "notes": "ß", "n": 3},
    )
    customer_update(customer=customer, data={"photo": _png()})
    for name in ("beta", "Alpha", "gamma"):
        customer.tags.add(Tag.objects.create(store=store, name=name))
    for source, external_id in (("pos", "P-1"), ("erp", "E-9")):
        ExternalReference.objects.create(
            store=store, customer=customer, source=source, external_id=external_id
        )
    active = factories.LoyaltyCardFactory(store=store, stamps_required=10)
    factories.RewardFactory(card=active, name="Cookie", stamps_required=3, position=1)
    factories.RewardFactory(card=active, name="Coffee", stamps_required=10, position=2)
    # Within reach but switched off, and one placed first though it was made last.
    factories.RewardFactory(card=active, name="Tea", stamps_required=2, position=3, active=False)
    factories.RewardFactory(card=active, name="Biscuit", stamps_required=1, position=0)
    factories.CustomerCardFactory(customer=customer, card=active, stamps_count=4)
    lapsed = factories.LoyaltyCardFactory(store=store, stamps_required=5)
    factories.CustomerCardFactory(
        customer=customer,
        card=lapsed,
        stamps_count=7,
        expires_at=timezone.now() - timedelta(days=1),
    )
    return customer


@pytest.mark.parametrize("wallets", [False, True])
def test_a_listed_customer_reads_as_the_customer_itself(api, store, rich, settings, wallets):
    if wallets:  # the wallet links are in the answer only when the wallets are set up
        settings.APPLE_WALLET_CERTIFICATE = settings.APPLE_WALLET_KEY = "/configured"
        settings.GOOGLE_WALLET_SERVICE_ACCOUNT_FILE = "/configured"
        settings.GOOGLE_WALLET_ISSUER_ID = "3388000000000000000"
    base = f"/api/v1/accounts/{store.pk}/customers"
    other = factories.CustomerFactory(store=store, first_name="Ada")  # newer: listed first
    other.tags.add(Tag.objects.create(store=store, name="delta"))
    factories.CustomerCardFactory(customer=other, card=rich.cards.first().card, stamps_count=1)
    listed = api.get(base).json()["customers"]
    itself = api.get(f"{base}/{rich.pk}").json()
    assert listed == [api.get(f"{base}/{other.pk}").json(), itself]
    (running,) = [card for card in itself["customer_cards"] if card["status"] == "active"]
    assert [reward["name"] for reward in running["available_rewards"]] == ["Biscuit", "Cookie"]
    assert itself["tags"] == ["Alpha", "beta", "gamma"]
    assert len(itself["customer_cards"]) == 2 and itself["photo_url"].startswith("http")
    assert [card["status"] for card in itself["customer_cards"]].count("expired") == 1
    assert all(
        (card["apple_wallet_url"] is not None) is wallets for card in itself["customer_cards"]
    )
