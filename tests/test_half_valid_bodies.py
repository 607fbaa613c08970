"""Every write endpoint of both APIs, sent a body with some fields right and one wrong, answers
4xx and leaves the database exactly as it was: no half-saved profile, no spent code, no
orphan guest record, no event for a change that did not happen.

Each case prepares what it needs (a code sent, say), then the test snapshots every table a
write could touch, sends the body, and compares."""

import base64
import re
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail

from customers import notifications
from customers.models import (
    Address,
    Customer,
    CustomerEvent,
    CustomerToken,
    Device,
    ExternalReference,
    SocialIdentity,
    Tag,
    VerificationCode,
)
from loyalty.models import CustomerCard, LoyaltyCard, Reward, StampEntry
from orders.models import Order, OrderLine
from reviews.models import Review, ReviewMedia, ReviewVote
from stores.services import api_key_create
from tests import factories
from tests.helpers import FROZEN_NOW, client_of

pytestmark = pytest.mark.django_db

SHOP = "/storefront/v1"

# Columns a request may touch without changing anything: when a key or a session was last used.
NOT_COMPARED = {CustomerToken: {"last_used_at"}}
SNAPSHOT_MODELS = [
    Customer,
    Customer.tags.through,
    Tag,
    ExternalReference,
    SocialIdentity,
    Address,
    Device,
    VerificationCode,
    CustomerToken,
    CustomerEvent,
    LoyaltyCard,
    Reward,
    CustomerCard,
    StampEntry,
    Order,
    OrderLine,
    Review,
    ReviewMedia,
    ReviewVote,
]


def snapshot() -> dict:
    """Every row of every table a write could touch, as plain values."""
    tables = {}
    for model in SNAPSHOT_MODELS:
        skipped = NOT_COMPARED.get(model, set())
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in skipped]
        tables[model._meta.label] = list(model.objects.order_by("pk").values(*fields))
    return tables


def last_code() -> str:
    texts = [m.body for m in mail.outbox] + [s.body for s in notifications.outbox]
    return re.search(r"\b(\d{6})\b", texts[-1]).group(1)


class World:
    """One store with what every endpoint works on: a registered customer with a password, a
    session, a place, a loyalty card with a reward and an enrolment, a product, a review."""

    def __init__(self, store):
        self.store = store
        self.ada = factories.CustomerFactory(
            store=store,
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.com",
            phone="+14155550123",
            password=make_password("analytical engine"),
            metadata={"tier": "gold"},
        )
        self.grace = factories.CustomerFactory(
            store=store, first_name="Grace", email="grace@example.com", phone="+14155550177"
        )
        factories.CustomerFactory(store=store, email="taken@example.com", phone="+14155550100")
        self.home = factories.AddressFactory(customer=self.ada, is_default=True)
        self.office = factories.AddressFactory(customer=self.ada, name="Office")
        self.product = factories.ProductFactory(store=store)
        self.card = factories.LoyaltyCardFactory(store=store, stamps_required=10, initial_stamps=2)
        self.archived = factories.LoyaltyCardFactory(store=store, archived=True)
        self.reward = factories.RewardFactory(card=self.card, stamps_required=5)
        self.enrolment = factories.CustomerCardFactory(
            customer=self.ada, card=self.card, stamps_count=3
        )
        self.review = factories.ReviewFactory(author=self.grace)
        ExternalReference.objects.create(
            store=store, customer=self.grace, source="shopify", external_id="grace-1"
        )

        publishable = api_key_create(store=store, kind="publishable")
        self.shopper = client_of(publishable)
        self.ada_session = client_of(publishable, self.ada)
        self.management = client_of(api_key_create(store=store, kind="secret"))
        self.base = f"/api/v1/accounts/{store.pk}"

    # Shorthands for the cases below: (client, method, path, body).
    def shop(self, method, path, body, *, as_ada=True):
        return (self.ada_session if as_ada else self.shopper, method, f"{SHOP}/{path}", body)

    def manage(self, method, path, body):
        return (self.management, method, f"{self.base}/{path}", body)


@pytest.fixture
def world(store):
    return World(store)


LONG = "x" * 101
FUTURE = (FROZEN_NOW.date() + timedelta(days=30)).isoformat()  # the tests run at FROZEN_NOW


def _register(world, **fields):
    world.shopper.post(
        f"{SHOP}/customers/request-creation-code", {"identity": "lin@example.com"}, format="json"
    )
    body = {"identity": "lin@example.com", "code": last_code(), "name": "Lin Yu", **fields}
    return world.shop("post", "customers", body, as_ada=False)


def _sms_login(world, identity):
    world.shopper.post(f"{SHOP}/customers/login-with-sms", {"phone": "+14155550123"}, format="json")
    return world.shop(
        "post", "customers/verify-code", {"identity": identity, "code": last_code()}, as_ada=False
    )


def _contact_confirm(world, identity, *, taken=False):
    """Ada asks for a new phone; the case confirms it with the right code, and `identity`."""
    world.ada_session.put(f"{SHOP}/{_ada(world)}", {"phone": "+14155550188"}, format="json")
    if taken:  # its owner registered it meanwhile
        factories.CustomerFactory(store=world.store, phone="+14155550188")
    body = {"identity": identity, "code": last_code()}
    return world.shop("post", _ada(world, "/verify-contact"), body)


def _ada(world, path=""):
    return f"customers/{world.ada.public_id}{path}"


CASES = {
    # --- shopper API: the customer's own profile -------------------------------------------
    "shopper profile: new password, bad email": lambda w: w.shop(
        "put",
        _ada(w),
        {
            "password": "a much longer passphrase",
            "current_password": "analytical engine",
            "email": "not-an-email",
        },
    ),
    "shopper profile: new password, taken phone": lambda w: w.shop(
        "patch",
        _ada(w),
        {
            "password": "a much longer passphrase",
            "current_password": "analytical engine",
            "first_name": "Augusta",
            "phone": "+14155550100",
        },
    ),
    "shopper profile: name, meta not an object": lambda w: w.shop(
        "put", _ada(w), {"first_name": "Augusta", "meta": ["not", "an", "object"]}
    ),
    "shopper profile: name, meta key too long": lambda w: w.shop(
        "put", _ada(w), {"first_name": "Augusta", "meta": {"k" * 65: "v"}}
    ),
    "shopper profile: email, name too long": lambda w: w.shop(
        "put", _ada(w), {"email": "augusta@example.com", "name": LONG}
    ),
    "shopper profile: name, birthday in the future": lambda w: w.shop(
        "put", _ada(w), {"first_name": "Augusta", "birthday": FUTURE}
    ),
    "shopper profile: name, wrong current password": lambda w: w.shop(
        "put",
        _ada(w),
        {"first_name": "Augusta", "password": "a much longer passphrase", "current_password": "x"},
    ),
    # --- shopper API: sign-up and sign-in ---------------------------------------------------
    "register: right code, password too short": lambda w: _register(w, password="short"),
    "register: right code, other contact taken": lambda w: _register(w, phone="+14155550100"),
    "register: right code, name too long": lambda w: _register(w, name=LONG),
    "register: right code, meta key too long": lambda w: _register(w, meta={"k" * 65: 1}),
    "request a code: email identity, sms mode": lambda w: w.shop(
        "post",
        "customers/request-creation-code",
        {"identity": "lin@example.com", "mode": "sms"},
        as_ada=False,
    ),
    "login: known identity, wrong password": lambda w: w.shop(
        "post",
        "customers/login",
        {"identity": "ada@example.com", "password": "wrong password"},
        as_ada=False,
    ),
    "verify code: right code, bad identity": lambda w: _sms_login(w, "not a phone"),
    "verify contact: right code, taken meanwhile": lambda w: _contact_confirm(
        w, "+14155550188", taken=True
    ),
    "verify contact: right code, not the pending phone": lambda w: _contact_confirm(
        w, "+14155550199"
    ),
    "register a device: token, unknown platform": lambda w: w.shop(
        "post", "customers/register-device", {"token": "push-token-1", "platform": "palm"}
    ),
    # --- shopper API: places, orders, reviews -----------------------------------------------
    "add a place: street, location off Earth": lambda w: w.shop(
        "post", "customers/places", {"street1": "1 Main St", "latitude": 91, "longitude": 0}
    ),
    "change a place: street and default, location off Earth": lambda w: w.shop(
        "put",
        f"customers/places/{w.office.public_id}",
        {"street1": "2 New St", "is_default": True, "latitude": 91, "longitude": 0},
    ),
    "guest checkout: guest and items, bad address": lambda w: w.shop(
        "post",
        "orders",
        {
            "customer": {"name": "Lin Yu", "email": "lin@example.com"},
            "items": [{"product": w.product.public_id, "quantity": 1}],
            "shipping_address": {"street1": "1 Main St", "latitude": 91, "longitude": 0},
        },
        as_ada=False,
    ),
    "checkout: items, unknown saved place": lambda w: w.shop(
        "post",
        "orders",
        {
            "items": [{"product": w.product.public_id}],
            "shipping_address": "place_doesnotexist",
        },
    ),
    "review: subject and rating, a file that is no image": lambda w: w.shop(
        "post",
        "reviews",
        {
            "subject": w.store.public_id,
            "rating": 5,
            "content": "Lovely",
            "files": [{"data": base64.b64encode(b"plain text, not a photo").decode()}],
        },
    ),
    "review: subject, rating out of range": lambda w: w.shop(
        "post", "reviews", {"subject": w.product.public_id, "rating": 6, "content": "Lovely"}
    ),
    # --- management API: customers ------------------------------------------------------------
    "create a customer: name and email, bad phone": lambda w: w.manage(
        "post",
        "customers",
        {"customer": {"first_name": "Lin", "email": "lin@example.com", "phone": "12"}},
    ),
    "create a customer: valid customer, unknown card": lambda w: w.manage(
        "post",
        "customers",
        {"customer": {"first_name": "Lin", "email": "lin@example.com"}, "card_id": 999999},
    ),
    "create a customer: valid customer, archived card": lambda w: w.manage(
        "post",
        "customers",
        {"customer": {"first_name": "Lin", "email": "lin@example.com"}, "card_id": w.archived.pk},
    ),
    "create a customer: valid customer, birthday in the future": lambda w: w.manage(
        "post",
        "customers",
        {"customer": {"first_name": "Lin", "email": "lin@example.com", "birthday": FUTURE}},
    ),
    "create a customer: valid customer, name too long": lambda w: w.manage(
        "post", "customers", {"customer": {"first_name": LONG, "email": "lin@example.com"}}
    ),
    "create a customer: valid customer, meta key too long": lambda w: w.manage(
        "post",
        "customers",
        {"customer": {"first_name": "Lin", "email": "lin@x.com", "metadata": {"k" * 65: 1}}},
    ),
    "retried create: known reference, bad email": lambda w: w.manage(
        "post",
        "customers",
        {
            "customer": {
                "first_name": "Grace",
                "last_name": "Hopper",
                "email": "not-an-email",
                "external_references": [{"source": "shopify", "external_id": "grace-1"}],
            }
        },
    ),
    "retried create: known reference, archived card": lambda w: w.manage(
        "post",
        "customers",
        {
            "customer": {
                "first_name": "Grace",
                "last_name": "Hopper",
                "metadata": {"source": "pos"},
                "tags": ["vip"],
                "external_references": [{"source": "shopify", "external_id": "grace-1"}],
            },
            "card_id": w.archived.pk,
        },
    ),
    "update a customer: name and metadata, bad email": lambda w: w.manage(
        "patch",
        f"customers/{w.ada.pk}",
        {"customer": {"last_name": "King", "metadata": {"a": 1}, "email": "nope"}},
    ),
    "update a customer: name and tags, another's reference": lambda w: w.manage(
        "patch",
        f"customers/{w.ada.pk}",
        {
            "customer": {
                "last_name": "King",
                "tags": ["vip"],
                "external_references": [{"source": "shopify", "external_id": "grace-1"}],
            }
        },
    ),
    "update a customer: tags, birthday in the future": lambda w: w.manage(
        "put", f"customers/{w.ada.pk}", {"customer": {"tags": ["vip"], "birthday": FUTURE}}
    ),
    "update a customer: tags, birthday before 1900": lambda w: w.manage(
        "patch", f"customers/{w.ada.pk}", {"customer": {"tags": ["vip"], "birthday": "1815-12-10"}}
    ),
    "update a customer: name, metadata key too long": lambda w: w.manage(
        "patch",
        f"customers/{w.ada.pk}",
        {"customer": {"last_name": "King", "metadata": {"k" * 65: 1}}},
    ),
    "update a customer: email, last name too long": lambda w: w.manage(
        "patch",
        f"customers/{w.ada.pk}",
        {"customer": {"email": "augusta@example.com", "last_name": LONG}},
    ),
    # --- management API: addresses ----------------------------------------------------------
    "add an address: street, location off Earth": lambda w: w.manage(
        "post",
        f"customers/{w.ada.pk}/addresses",
        {"address": {"street1": "1 Main St", "latitude": 91, "longitude": 0}},
    ),
    "change an address: street and default, location off Earth": lambda w: w.manage(
        "patch",
        f"customers/{w.ada.pk}/addresses/{w.office.pk}",
        {"street1": "2 New St", "is_default": True, "latitude": 91, "longitude": 0},
    ),
    # --- management API: loyalty ------------------------------------------------------------
    "create a card: name and stamps, bad colour": lambda w: w.manage(
        "post", "cards", {"card": {"name": "Tea", "stamps_required": 10, "card_color": "red"}}
    ),
    "change a card: name, too many stamps": lambda w: w.manage(
        "patch", f"cards/{w.card.pk}", {"card": {"name": "Renamed", "stamps_required": 30}}
    ),
    "create a reward: card and name, costs more than the card": lambda w: w.manage(
        "post",
        "rewards",
        {"reward": {"card_id": w.card.pk, "name": "Cake", "stamps_required": 99}},
    ),
    "change a reward: name, costs more than the card": lambda w: w.manage(
        "patch", f"rewards/{w.reward.pk}", {"reward": {"name": "Renamed", "stamps_required": 99}}
    ),
    "enrol: links wanted, unknown card": lambda w: w.manage(
        "post",
        f"customers/{w.ada.pk}/customer_cards",
        {"card_id": 999999, "send_card_links": True},
    ),
    "stamp: a note, too many stamps": lambda w: w.manage(
        "post",
        f"customers/{w.ada.pk}/customer_cards/{w.enrolment.pk}/stamp",
        {"stamps": 101, "note": "birthday"},
    ),
    "redeem: a reward of another store": lambda w: w.manage(
        "post",
        f"customers/{w.ada.pk}/customer_cards/{w.enrolment.pk}/redeem",
        {"reward_id": factories.RewardFactory().pk},
    ),
}


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize("case", list(CASES))
def test_a_half_valid_body_is_refused_and_changes_nothing(world, case):
    client, method, path, body = CASES[case](world)
    before = snapshot()
    response = getattr(client, method)(path, body, format="json")
    assert 400 <= response.status_code < 500, (response.status_code, response.content)
    after = snapshot()
    changed = {table for table in before if before[table] != after[table]}
    assert not changed, {table: (before[table], after[table]) for table in changed}
