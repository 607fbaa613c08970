"""Load a demo store: staff login, products, customers with addresses, orders, loyalty cards,
reviews. Idempotent: a second run adds nothing (or only the customers missing up to
--customers) and prints the same login and keys."""

import json
import os
import random
import secrets
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from tqdm import tqdm

from customers.models import Address, Customer, Tag
from loyalty.models import CustomerCard, LoyaltyCard, Reward, StampEntry
from orders.models import Order, OrderLine
from reviews.models import Review
from stores.models import ApiKey, Product, Store, StoreMembership
from stores.services import api_key_create, api_key_revoke, store_create

DEMO_SLUG = "demo"
DEMO_USERNAME = "demo"
BATCH = 5000

FIRST_NAMES = [
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Edsger",
    "Radia",
    "Donald",
    "Hedy",
    "John",
    "Joan",
    "Tim",
    "Sophie",
    "Guido",
    "Lynn",
    "Bjarne",
    "Anita",
    "Vint",
    "Shafi",
    "Niklaus",
    "Karen",
    "Leslie",
    "Mary",
]
LAST_NAMES = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Johnson",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Knuth",
    "Lamarr",
    "McCarthy",
    "Clarke",
    "Berners-Lee",
    "Wilson",
    "Rossum",
    "Conway",
    "Stroustrup",
    "Borg",
    "Cerf",
    "Goldwasser",
    "Wirth",
    "Jones",
    "Lamport",
    "Shelley",
]
STREETS = [
    "Market",
    "Mission",
    "Valencia",
    "Castro",
    "Folsom",
    "Howard",
    "Bryant",
    "Harrison",
    "Hayes",
    "Fell",
]
PRODUCTS = [
    ("Espresso", "ESP-001", "2.80"),
    ("Flat white", "FW-001", "3.90"),
    ("Cappuccino", "CAP-001", "3.80"),
    ("Filter coffee", "FIL-001", "3.20"),
    ("Cold brew", "CB-001", "4.20"),
    ("Croissant", "CRO-001", "2.90"),
    ("Banana bread", "BB-001", "3.50"),
    ("House blend beans 250 g", "BEAN-250", "11.00"),
    ("Single origin beans 250 g", "BEAN-SO", "14.50"),
    ("Ceramic cup", "CUP-001", "18.00"),
    ("Gift card", "GIFT-25", "25.00"),
    ("Tote bag", "TOTE-01", "12.00"),
]
TAGS = ["vip", "newsletter", "wholesale", "staff-pick"]
REVIEW_TEXTS = [
    "Best flat white in town.",
    "Friendly staff, a bit slow at lunch time.",
    "The beans are great for filter.",
    "Lovely place to work from.",
    "Croissants sell out early, come before 10.",
    "",
]


class Command(BaseCommand):
    help = "Load (once) a demo store with staff, customers, orders, reviews and loyalty cards."

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers",
            type=int,
            default=60,
            help="How many demo customers the store should have (adds only the missing ones).",
        )

    def handle(self, *args, customers: int, **options):
        store = Store.objects.filter(slug=DEMO_SLUG).first()
        credentials = self._read_credentials(store)
        if store is None:
            created = store_create(
                name="Demo Coffee Co.",
                slug=DEMO_SLUG,
                currency="USD",
                phone_region="US",
                timezone="America/Los_Angeles",
            )
            store = created.store
            credentials = {
                "publishable_key": created.publishable_key,
                "secret_key": created.secret_key,
            }
            self._catalogue(store)
        elif credentials is None:
            # The keys were shown once and their file is gone: issue new ones.
            credentials = self._rotate_keys(store)
        if "password" not in credentials:
            credentials.update(self._staff(store))
        credentials.update({"username": DEMO_USERNAME, "store_id": store.pk, "store": store.name})
        self._write_credentials(credentials)

        existing = Customer.objects.filter(store=store).count()
        if customers > existing:
            self._customers(store, start=existing, stop=customers)
        self._print(credentials, store)

    # --- credentials --------------------------------------------------------------------

    def _read_credentials(self, store):
        path = settings.DEMO_CREDENTIALS_FILE
        if store is None or not path.is_file():
            return None
        data = json.loads(path.read_text())
        return data if data.get("store_id") == store.pk else None

    def _write_credentials(self, credentials):
        path = settings.DEMO_CREDENTIALS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(credentials, handle, indent=2)

    def _rotate_keys(self, store):
        for api_key in store.api_keys.filter(revoked_at__isnull=True):
            api_key_revoke(api_key=api_key)
        publishable = api_key_create(store=store, kind=ApiKey.Kind.PUBLISHABLE, name="Demo")
        secret = api_key_create(store=store, kind=ApiKey.Kind.SECRET, name="Demo")
        return {"publishable_key": publishable.raw, "secret_key": secret.raw}

    def _staff(self, store):
        password = secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(
            username=DEMO_USERNAME,
            defaults={"first_name": "Demo", "last_name": "Owner", "email": "demo@example.com"},
        )
        user.is_staff = True
        user.is_superuser = True
        user.set_password(password)
        user.save()
        StoreMembership.objects.update_or_create(
            user=user, store=store, defaults={"role": StoreMembership.Role.OWNER}
        )
        return {"password": password}

    def _print(self, credentials, store):
        count = Customer.objects.filter(store=store).count()
        site = settings.SITE_URL.rstrip("/")
        lines = [
            "",
            f"Demo store: {store.name} (id {store.pk}, {count} customers)",
            f"  Console:  {site}/console/   Admin: {site}/admin/",
            f"  Login:    {credentials['username']} / {credentials['password']}",
            f"  Publishable key (shopper API):  {credentials['publishable_key']}",
            f"  Secret key (management API):    {credentials['secret_key']}",
            f"  (kept in {settings.DEMO_CREDENTIALS_FILE}, which git ignores)",
            "",
        ]
        self.stdout.write("\n".join(lines))

    # --- data ---------------------------------------------------------------------------

    def _catalogue(self, store):
        Product.objects.bulk_create(
            Product(store=store, name=name, sku=sku, price=Decimal(price), currency=store.currency)
            for name, sku, price in PRODUCTS
        )
        card = LoyaltyCard.objects.create(
            store=store,
            name="Coffee card",
            description="A stamp for every coffee; the 10th is on us.",
            stamps_required=10,
            initial_stamps=1,
            card_color="#3E2723",
            text_color="#FFF8E1",
            header_text="Demo Coffee Co.",
            expiry_days=365,
            max_stamps_per_day=5,
        )
        Reward.objects.bulk_create(
            [
                Reward(card=card, name="Free pastry", stamps_required=5, position=1),
                Reward(card=card, name="Free coffee", stamps_required=10, position=2),
            ]
        )
        for name in TAGS:
            Tag.objects.get_or_create(store=store, name=name)

    def _customers(self, store, *, start, stop):
        products = list(Product.objects.filter(store=store, active=True))
        card = LoyaltyCard.objects.filter(store=store).order_by("id").first()
        tags = list(Tag.objects.filter(store=store))
        total = stop - start
        with (
            _search_index_paused(),
            tqdm(
                total=total,
                desc="Demo customers",
                unit="cust",
                disable=total < 1000,
                file=self.stderr,
            ) as bar,
        ):
            for batch_start in range(start, stop, BATCH):
                batch_stop = min(batch_start + BATCH, stop)
                with transaction.atomic():
                    self._batch(store, products, card, tags, batch_start, batch_stop)
                bar.update(batch_stop - batch_start)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(
                no_style(),
                [
                    Customer,
                    Customer.tags.through,
                    Address,
                    Order,
                    OrderLine,
                    CustomerCard,
                    StampEntry,
                    Review,
                ],
            ):
                cursor.execute(sql)

    def _batch(self, store, products, card, tags, start, stop):
        now = timezone.now()
        rngs = {i: random.Random(i) for i in range(start, stop)}
        order_counts = {i: rng.choice((0, 0, 0, 1, 1, 2, 3)) for i, rng in rngs.items()}
        ids = _IdAllocator()
        customers = []
        for i, rng in rngs.items():
            first = FIRST_NAMES[i % len(FIRST_NAMES)]
            last = LAST_NAMES[(i // len(FIRST_NAMES)) % len(LAST_NAMES)]
            orders = order_counts[i]
            customers.append(
                {
                    "id": ids.next(Customer),
                    "index": i,
                    "store_id": store.pk,
                    "first_name": first,
                    "last_name": last,
                    "name": f"{first} {last}",
                    "email": f"{first}.{last}.{i}@example.com".lower(),
                    "phone": f"+1415{2000000 + i:07d}",
                    "slug": f"{slugify(first + ' ' + last)}-{i}",
                    "birthday": date(1960 + i % 45, 1 + i % 12, 1 + i % 28),
                    "metadata": {"source": rng.choice(["instore", "app", "web"])},
                    "status": ("prospect", "acquired", "repeat")[min(orders, 2)],
                    "is_guest": rng.random() < 0.1,
                    "total_orders_count": orders,
                    "created_at": now
                    - timedelta(days=rng.randint(0, 720), minutes=rng.randint(0, 1440)),
                }
            )
        _insert(Customer, customers)

        taggings, addresses = [], []
        for customer in customers:
            rng = rngs[customer["index"]]
            if tags and rng.random() < 0.3:
                taggings.append(
                    {
                        "id": ids.next(Customer.tags.through),
                        "customer_id": customer["id"],
                        "tag_id": rng.choice(tags).pk,
                    }
                )
            if not customer["is_guest"]:
                addresses.append(
                    {
                        "id": ids.next(Address),
                        "customer_id": customer["id"],
                        "name": "Home",
                        "street1": f"{rng.randint(1, 2999)} {rng.choice(STREETS)} Street",
                        "city": "San Francisco",
                        "province": "CA",
                        "postal_code": f"941{rng.randint(0, 99):02d}",
                        "country": "US",
                        "is_default": True,
                        "created_at": customer["created_at"],
                    }
                )
        _insert(Customer.tags.through, taggings)
        _insert(Address, addresses)
        self._orders(store, products, customers, rngs, order_counts, ids)
        if card:
            self._cards(store, card, customers, rngs, ids)
        self._reviews(store, products, customers, rngs, ids)

    def _orders(self, store, products, customers, rngs, order_counts, ids):
        if not products:
            return
        number = (Order.objects.filter(store=store).aggregate(n=Max("number"))["n"] or 0) + 1
        orders, lines = [], []
        for customer in customers:
            rng = rngs[customer["index"]]
            for _ in range(order_counts[customer["index"]]):
                order_id = ids.next(Order)
                subtotal = Decimal("0")
                for product in rng.sample(products, rng.randint(1, 3)):
                    quantity = rng.randint(1, 3)
                    subtotal += product.price * quantity
                    lines.append(
                        {
                            "id": ids.next(OrderLine),
                            "order_id": order_id,
                            "product_id": product.pk,
                            "name": product.name,
                            "sku": product.sku,
                            "quantity": quantity,
                            "unit_price": product.price,
                            "total": product.price * quantity,
                        }
                    )
                orders.append(
                    {
                        "id": order_id,
                        "store_id": store.pk,
                        "customer_id": customer["id"],
                        "number": number,
                        "status": Order.Status.COMPLETED,
                        "currency": store.currency,
                        "subtotal": subtotal,
                        "total": subtotal,
                        "customer_name": customer["name"],
                        "customer_email": customer["email"],
                        "customer_phone": customer["phone"],
                        "shipping_address": {"street1": "Pick-up at the counter"},
                        "created_at": customer["created_at"] + timedelta(days=rng.randint(0, 60)),
                    }
                )
                number += 1
        _insert(Order, orders)
        _insert(OrderLine, lines)

    def _cards(self, store, card, customers, rngs, ids):
        enrolments, entries = [], []
        for customer in customers:
            rng = rngs[customer["index"]]
            if customer["is_guest"] or rng.random() < 0.4:
                continue
            stamps = rng.randint(card.initial_stamps, card.stamps_required - 1)
            # Enrolled at sign-up, or within the last months: most demo cards are live.
            issued = max(
                customer["created_at"], timezone.now() - timedelta(days=rng.randint(1, 200))
            )
            enrolment_id = ids.next(CustomerCard)
            enrolments.append(
                {
                    "id": enrolment_id,
                    "store_id": store.pk,
                    "customer_id": customer["id"],
                    "card_id": card.pk,
                    "code": f"9{store.pk % 1000:03d}{customer['index']:08d}",
                    "stamps_count": stamps,
                    "issued_at": issued,
                    "expires_at": (
                        issued + timedelta(days=card.expiry_days) if card.expiry_days else None
                    ),
                    "created_at": issued,
                }
            )
            if card.initial_stamps:
                entries.append(
                    {
                        "id": ids.next(StampEntry),
                        "enrolment_id": enrolment_id,
                        "kind": StampEntry.Kind.WELCOME,
                        "delta": card.initial_stamps,
                        "balance_after": card.initial_stamps,
                        "created_at": issued,
                    }
                )
            if stamps > card.initial_stamps:
                entries.append(
                    {
                        "id": ids.next(StampEntry),
                        "enrolment_id": enrolment_id,
                        "kind": StampEntry.Kind.STAMP,
                        "delta": stamps - card.initial_stamps,
                        "balance_after": stamps,
                        "created_at": issued + timedelta(days=1),
                    }
                )
        _insert(CustomerCard, enrolments)
        _insert(StampEntry, entries)

    def _reviews(self, store, products, customers, rngs, ids):
        reviews = []
        for customer in customers:
            rng = rngs[customer["index"]]
            if customer["is_guest"] or rng.random() > 0.15:
                continue
            about_store = rng.random() < 0.4 or not products
            reviews.append(
                {
                    "id": ids.next(Review),
                    "store_id": store.pk,
                    "author_id": customer["id"],
                    "subject_type": Review.Subject.STORE if about_store else Review.Subject.PRODUCT,
                    "product_id": None if about_store else rng.choice(products).pk,
                    "rating": rng.choice((3, 4, 4, 5, 5, 5, 2, 1)),
                    "content": rng.choice(REVIEW_TEXTS),
                    "upvotes": rng.randint(0, 12),
                    "downvotes": rng.randint(0, 3),
                    "created_at": customer["created_at"] + timedelta(days=rng.randint(1, 30)),
                }
            )
        _insert(Review, reviews)


@contextmanager
def _search_index_paused():
    """On SQLite, one rebuild of the customer search index after the load instead of a
    trigger per inserted row (a third of the load's time at 100,000 customers)."""
    if connection.vendor != "sqlite":
        yield
        return
    search_index = import_module("customers.migrations.0003_sqlite_search")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS customer_search_insert")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in search_index.CREATE:  # the triggers again, then a rebuild
                cursor.execute(statement)


class _IdAllocator:
    """Hands out primary keys above the current maximum, so a batch can link its rows without
    reading ids back (the sequences are reset after the load)."""

    def __init__(self):
        self._next = {}

    def next(self, model) -> int:
        if model not in self._next:
            current = model.objects.aggregate(m=Max("pk"))["m"] or 0
            self._next[model] = current + 1
        value = self._next[model]
        self._next[model] = value + 1
        return value


# Values of these fields go to the database as they are; the others need Django's adaptation.
_PLAIN_FIELDS = {
    "AutoField",
    "BigAutoField",
    "BooleanField",
    "CharField",
    "EmailField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
}


def _insert(model, rows: list[dict]) -> None:
    """INSERT rows with one executemany: the ORM's per-object bulk_create costs about four
    times as much at 100,000 customers. Fields a row leaves out get their model default."""
    if not rows:
        return
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself, not the per-call proxy
    now = timezone.now()
    fields = list(model._meta.concrete_fields)
    plain = [field.get_internal_type() in _PLAIN_FIELDS for field in fields]
    columns = ", ".join(db.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = db.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
    prepared = []
    for row in rows:
        values = []
        for field, is_plain in zip(fields, plain, strict=True):
            if field.attname in row:
                value = row[field.attname]
            elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = now
            else:
                value = field.get_default()
            values.append(value if is_plain else field.get_db_prep_save(value, db))
        prepared.append(values)
    with db.cursor() as cursor:
        cursor.executemany(sql, prepared)
