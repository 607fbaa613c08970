"""The demo network: two coffee shops sharing one customer base and one stamp card, so that a
newcomer sees in `make run` what a network is (seed_demo calls network_seed once)."""

from decimal import Decimal

from django.db import transaction

from customers.services import customer_create
from loyalty.models import LoyaltyCard, Reward
from loyalty.services import card_enrol, reward_redeem, stamp_add
from orders.services import order_create
from stores.models import ApiKey, Product, Store, StoreMembership
from stores.services import api_key_create, api_key_revoke, network_create, store_create

NETWORK_SLUG = "demo-network"
MEMBERS = (("demo-harbour", "Harbour Coffee"), ("demo-hilltop", "Hilltop Coffee"))
MENU = (
    ("Espresso", "NET-ESP", "2.80"),
    ("Flat white", "NET-FW", "3.60"),
    ("Scone", "NET-SC", "2.90"),
)
# (first name, last name, email, orders at Harbour, orders at Hilltop, stamps at each)
PEOPLE = (
    ("Imogen", "Harbour", "imogen@example.com", 2, 1, (3, 2)),
    ("Theo", "Hilltop", "theo@example.com", 0, 2, (0, 4)),
    ("Priya", "Both", "priya@example.com", 1, 1, (4, 5)),
    ("Mateo", "Walker", "mateo@example.com", 1, 0, (2, 0)),
    ("Yuki", "Tanaka", "yuki@example.com", 0, 0, (1, 1)),
    ("Sam", "Newcomer", "sam@example.com", 0, 0, None),
)


def network_seed(*, user, credentials: dict) -> tuple[Store, dict]:
    """The demo network with its two member stores, their menu, six network customers with
    orders at either store and a network card stamped at both (made once), the demo user an
    owner of the three; the network's keys (new ones when `credentials` has none)."""
    network = Store.objects.filter(slug=NETWORK_SLUG, kind=Store.Kind.NETWORK).first()
    if network is None:
        with transaction.atomic():
            network, keys = _network_create()
    elif "network_publishable_key" in credentials:
        keys = {}
    else:  # the keys were shown once and their file is gone: issue new ones
        keys = _keys_rotate(network)
    for account in (network, *network.member_stores.all()):
        StoreMembership.objects.update_or_create(
            user=user, store=account, defaults={"role": StoreMembership.Role.OWNER}
        )
    return network, keys


def _network_create() -> tuple[Store, dict]:
    stores = []
    for slug, name in MEMBERS:
        store = store_create(
            name=name,
            slug=slug,
            currency="USD",
            phone_region="US",
            timezone="America/Los_Angeles",
        ).store
        Product.objects.bulk_create(
            Product(store=store, name=item, sku=sku, price=Decimal(price), currency="USD")
            for item, sku, price in MENU
        )
        stores.append(store)
    created = network_create(
        name="Demo Coffee Network",
        slug=NETWORK_SLUG,
        store_ids=[store.pk for store in stores],
        currency="USD",
        phone_region="US",
        timezone="America/Los_Angeles",
    )
    network, stores = created.network, created.stores  # members, now with their network
    card = LoyaltyCard.objects.create(
        store=network,
        name="Network coffee card",
        description="Stamped at every Demo Coffee Network shop; the 8th coffee is on us.",
        stamps_required=8,
        card_color="#1B5E20",
        text_color="#FFFFFF",
        header_text="Demo Coffee Network",
        max_stamps_per_day=10,
    )
    reward = Reward.objects.create(card=card, name="Free coffee", stamps_required=8, position=1)
    for first, last, email, *counts, stamps in PEOPLE:
        customer = customer_create(store=network, first_name=first, last_name=last, email=email)
        for store, orders in zip(stores, counts, strict=True):
            product = store.products.order_by("sku").first()
            for _ in range(orders):
                order_create(store=store, customer=customer, items=[{"product": product}])
        if stamps is None:
            continue
        enrolment = card_enrol(customer=customer, card=card)
        for store, count in zip(stores, stamps, strict=True):
            if count:
                stamp_add(enrolment=enrolment, count=count, at_store=store, note="At the till")
        enrolment.refresh_from_db()
        if enrolment.stamps_count >= reward.stamps_required:
            reward_redeem(enrolment=enrolment, reward=reward, at_store=stores[0])
    return network, {
        "network_publishable_key": created.publishable_key,
        "network_secret_key": created.secret_key,
    }


def _keys_rotate(network: Store) -> dict:
    for api_key in network.api_keys.filter(revoked_at__isnull=True):
        api_key_revoke(api_key=api_key)
    publishable = api_key_create(store=network, kind=ApiKey.Kind.PUBLISHABLE, name="Demo")
    secret = api_key_create(store=network, kind=ApiKey.Kind.SECRET, name="Demo")
    return {"network_publishable_key": publishable.raw, "network_secret_key": secret.raw}
