"""Load a demo store: staff login, products, customers with addresses, orders, loyalty cards,
reviews. Idempotent: a second run adds nothing (or only the customers missing up to
--customers) and prints the same login and keys."""

import hashlib
import json
import os
import random
import secrets
import string
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from importlib import import_module
from operator import itemgetter
from time import monotonic

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from tqdm import tqdm

from customers.models import Address, Customer, CustomerEvent, Tag
from demo.network import network_seed
from loyalty.models import CustomerCard, LoyaltyCard, Reward, StampEntry
from orders.models import Order, OrderLine
from reviews.models import Review, ReviewVote
from stores.identifiers import PUBLIC_ID_LENGTH
from stores.models import ApiKey, Product, Store, StoreMembership
from stores.services import api_key_create, api_key_revoke, store_create

DEMO_SLUG = "demo"
DEMO_USERNAME = "demo"
BATCH = 5000
# PostgreSQL: a load of at least this many customers (and more than the table holds) drops
# the secondary indexes of the tables it fills and builds them again after the rows.
REBUILD_INDEXES_FROM = 50_000
# Memory for each of those index builds, for that transaction only (the default 64 MB makes
# the largest builds spill: 5-8% slower at 1,000,000 customers).
INDEX_BUILD_MEMORY = "1GB"
# What a load writes into, in the order it writes.
FILLED_MODELS = [
    Customer,
    Customer.tags.through,
    Address,
    Order,
    OrderLine,
    CustomerCard,
    StampEntry,
    Review,
    ReviewVote,
    CustomerEvent,
]

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
# name, sku, price, and the kind of thing it is: what its reviews talk about.
PRODUCTS = [
    ("Espresso", "ESP-001", "2.80", "drink"),
    ("Flat white", "FW-001", "3.90", "drink"),
    ("Cappuccino", "CAP-001", "3.80", "drink"),
    ("Filter coffee", "FIL-001", "3.20", "drink"),
    ("Cold brew", "CB-001", "4.20", "drink"),
    ("Croissant", "CRO-001", "2.90", "pastry"),
    ("Banana bread", "BB-001", "3.50", "pastry"),
    ("House blend beans 250 g", "BEAN-250", "11.00", "beans"),
    ("Single origin beans 250 g", "BEAN-SO", "14.50", "beans"),
    ("Ceramic cup", "CUP-001", "18.00", "cup"),
    ("Gift card", "GIFT-25", "25.00", "gift card"),
    ("Tote bag", "TOTE-01", "12.00", "tote bag"),
]
TAGS = ["vip", "newsletter", "wholesale", "staff-pick"]
# What a review says, by what it is about ("store": the store itself) and by its stars:
# "good" for 4–5, "mixed" for 3, "poor" for 1–2. {product} is the product's name. No text
# names another product, so none can land on the wrong one.
REVIEW_TEXTS = {
    "drink": {
        "good": [
            "Best {product} in town.",
            "My daily {product}: smooth and never bitter.",
            "The {product} is worth the queue.",
        ],
        "mixed": [
            "Good {product}, but it was lukewarm today.",
            "A decent {product}; I would like it a bit stronger.",
        ],
        "poor": [
            "My {product} tasted burnt.",
            "Waited twenty minutes for a watery {product}.",
        ],
    },
    "pastry": {
        "good": [
            "The {product} is fresh every morning.",
            "Lovely {product}, it goes perfectly with a coffee.",
        ],
        "mixed": [
            "Tasty {product}, though a bit dry by the afternoon.",
            "The {product} sells out early; come before 10.",
        ],
        "poor": [
            "The {product} was stale.",
            "A very small {product} for the price.",
        ],
    },
    "beans": {
        "good": [
            "These beans are great for filter.",
            "Freshly roasted beans, full of flavour at home.",
        ],
        "mixed": [
            "Nice beans, but roasted three weeks before I bought them.",
            "Good beans, a bit pricey for 250 g.",
        ],
        "poor": [
            "The beans tasted flat.",
            "Far too dark a roast for my taste.",
        ],
    },
    "cup": {
        "good": [
            "A beautiful cup that keeps my coffee warm.",
            "Heavy, well glazed, and it survives the dishwasher.",
        ],
        "mixed": ["A pretty cup, but smaller than it looks."],
        "poor": ["The cup chipped in the first week."],
    },
    "gift card": {
        "good": [
            "The perfect present for a coffee lover.",
            "My sister loved it, and it was easy to use.",
        ],
        "mixed": ["Handy, but it cannot be used online."],
        "poor": ["The balance was not on the card when my friend tried to use it."],
    },
    "tote bag": {
        "good": ["A sturdy bag; I take it to the market every week."],
        "mixed": ["Nice print, but the handles are a bit short."],
        "poor": ["The print faded after two washes."],
    },
    "store": {
        "good": [
            "Friendly staff and a lovely place to work from.",
            "Our favourite coffee shop in the neighbourhood.",
            "Always a warm welcome, even on busy mornings.",
        ],
        "mixed": [
            "Friendly staff, a bit slow at lunch time.",
            "Great coffee, but hard to find a seat.",
        ],
        "poor": [
            "Long queue and nowhere to sit.",
            "The music was far too loud.",
        ],
    },
}
KIND_BY_SKU = {sku: kind for _name, sku, _price, kind in PRODUCTS}
RATINGS = (5, 5, 5, 4, 4, 3, 2, 1)
# How many customers found a review helpful, and how many did not.
UPVOTES = (0, 0, 1, 1, 2, 3, 4, 6)
DOWNVOTES = (0, 0, 0, 0, 1, 1, 2)
ORDER_COUNTS = (0, 0, 0, 1, 1, 2, 3)
HISTORY_DAYS = 720  # customers joined over the last two years
ORDER_WINDOW = 60 * 86400  # and ordered within 60 days of joining (seconds)
OPENS_AT, OPEN_MINUTES = time(8), 10 * 60  # the store's hours, when cards are stamped


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
        user = get_user_model().objects.get(username=DEMO_USERNAME)
        network, network_keys = network_seed(user=user, credentials=credentials)
        credentials.update({**network_keys, "network_id": network.pk, "network": network.name})
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
            f"Demo network: {credentials['network']} (id {credentials['network_id']}: "
            "Harbour Coffee and Hilltop Coffee share its customers and card; switch to it "
            "in the console)",
            f"  Publishable key (shopper API):  {credentials['network_publishable_key']}",
            f"  Secret key (management API):    {credentials['network_secret_key']}",
            f"  (kept in {settings.DEMO_CREDENTIALS_FILE}, which git ignores)",
            "",
        ]
        self.stdout.write("\n".join(lines))

    # --- data ---------------------------------------------------------------------------

    def _catalogue(self, store):
        Product.objects.bulk_create(
            Product(store=store, name=name, sku=sku, price=Decimal(price), currency=store.currency)
            for name, sku, price, _kind in PRODUCTS
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
        now = timezone.now()  # one "now" for the run: the dates planned first must hold
        products = list(Product.objects.filter(store=store, active=True))
        card = LoyaltyCard.objects.filter(store=store).order_by("id").first()
        tags = list(Tag.objects.filter(store=store))
        staff = get_user_model().objects.filter(username=DEMO_USERNAME).first()
        context = _Context(
            store=store,
            products=products,
            card=card,
            tags=tags,
            staff_id=staff.pk if staff else None,
            now=now,
            plan=self._plan(store, start, stop, now, orders=bool(products)),
        )
        total = stop - start
        # A big load (more customers than the table holds) builds the secondary indexes once,
        # after the rows are in, instead of maintaining them row by row.
        rebuild = (
            connection.vendor == "postgresql"
            and total >= REBUILD_INDEXES_FROM
            and total > Customer.objects.count()
        )
        with (
            # One transaction for the whole load when the indexes are rebuilt: the drop rolls
            # back with a load that fails, so no index can be left missing.
            transaction.atomic() if rebuild else nullcontext(),
            _indexes_and_foreign_keys_rebuilt(FILLED_MODELS, log=self.stderr)
            if rebuild
            else nullcontext(),
            # As loaddata does: SQLite checks no foreign key row by row (a tenth of the load's
            # database time); every id a row points at was made by this run or read from the
            # store. PostgreSQL keeps checking. Under a test's transaction this does nothing.
            connection.constraint_checks_disabled(),
            _search_index_paused(),
            _sqlite_page_cache(mib=128),
        ):
            with tqdm(
                total=total,
                desc="Demo customers",
                unit="cust",
                disable=total < 1000,
                file=self.stderr,
            ) as bar:
                for batch_start in range(start, stop, BATCH):
                    batch_stop = min(batch_start + BATCH, stop)
                    with transaction.atomic():
                        _Batch(context, batch_start, batch_stop).load()
                    bar.update(batch_stop - batch_start)
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), FILLED_MODELS):
                    cursor.execute(sql)
        _analyze(FILLED_MODELS)

    def _plan(self, store, start, stop, now, *, orders: bool) -> dict[int, tuple]:
        """Customer i -> (when they joined, [(date, number) of each order, oldest first]), for
        the customers start..stop. Numbers follow dates across the whole store: its existing
        orders are counted in, and those a new order comes before move up (with their
        order_placed events), so a later order always has a higher number."""
        timelines = {i: _timeline(i, now) for i in range(start, stop)}
        if not orders:
            return {i: (joined, []) for i, (joined, _dates) in timelines.items()}
        entries = [
            (at, 1, i, k) for i, (_joined, dates) in timelines.items() for k, at in enumerate(dates)
        ]
        existing = list(
            Order.objects.filter(store=store).values_list("created_at", "id", "number", "public_id")
        )
        old = {pk: (number, public_id) for _at, pk, number, public_id in existing}
        entries.extend((at, 0, pk, 0) for at, pk, _number, _public_id in existing)
        entries.sort()
        numbered: dict[int, list] = {}
        moved = {}  # order id -> its new number
        for number, (at, new, key, _k) in enumerate(entries, start=1):
            if new:
                numbered.setdefault(key, []).append((at, number))
            elif old[key][0] != number:
                moved[key] = number
        if moved:
            self._renumber(store, moved, old, len(entries))
        return {i: (joined, numbered.get(i, [])) for i, (joined, _dates) in timelines.items()}

    def _renumber(self, store, moved, old, count):
        """Give the store's orders in `moved` their new numbers, in their events too."""
        # Through numbers no order has, so the store's unique numbers never clash midway.
        above = max(count, max(number for number, _ in old.values()))
        by_public_id = {old[pk][1]: number for pk, number in moved.items()}
        events = []
        data_field = CustomerEvent._meta.get_field("data")
        placed = CustomerEvent.objects.filter(store=store, type=CustomerEvent.Type.ORDER_PLACED)
        for pk, data in placed.values_list("id", "data"):
            if isinstance(data, dict) and data.get("order") in by_public_id:
                data["number"] = by_public_id[data["order"]]
                events.append((pk, data_field.get_db_prep_save(data, connection)))
        with transaction.atomic():
            _update(Order, "number", [(pk, above + number) for pk, number in moved.items()])
            _update(Order, "number", list(moved.items()))
            _update(CustomerEvent, "data", events)


def _timeline(i: int, now) -> tuple[datetime, list[datetime]]:
    """When customer i joined and when they ordered (oldest first). Drawn from a hash of i, not
    from the customer's Random: a run plans every customer's dates before its first batch, and
    keeping a Random per customer until then would take 2.5 kB each."""
    bits = int.from_bytes(hashlib.blake2b(i.to_bytes(8), digest_size=16).digest())
    bits, pick = divmod(bits, len(ORDER_COUNTS))
    bits, days = divmod(bits, HISTORY_DAYS + 1)
    bits, minutes = divmod(bits, 1440)
    created_at = now - timedelta(days=days, minutes=minutes)
    window = min(ORDER_WINDOW, int((now - created_at).total_seconds()))
    orders = []
    for _ in range(ORDER_COUNTS[pick]):
        bits, offset = divmod(bits, ORDER_WINDOW + 1)
        orders.append(created_at + timedelta(seconds=offset * window // ORDER_WINDOW))
    return created_at, sorted(orders)


# Random bytes to base62 characters: 248 of the 256 values map evenly onto the 62 characters of
# new_public_id's alphabet, the 8 others are dropped.
_BASE62 = bytes.maketrans(bytes(range(248)), (string.ascii_letters + string.digits).encode() * 4)
_NOT_BASE62 = bytes(range(248, 256))


def _public_ids(prefix: str):
    """Public ids in new_public_id's format (the prefix, "_", 16 base62 characters from the OS's
    random source), thousands per read: one at a time they took a fifth of the Python time."""
    while True:
        text = os.urandom(1 << 16).translate(_BASE62, _NOT_BASE62).decode()
        for k in range(0, len(text) - PUBLIC_ID_LENGTH + 1, PUBLIC_ID_LENGTH):
            yield f"{prefix}_{text[k : k + PUBLIC_ID_LENGTH]}"


def _between(rng, start, now, most: int) -> datetime:
    """A moment from `start` to `most` seconds later, never after `now`."""
    span = min(most, int((now - start).total_seconds()))
    return start + timedelta(seconds=rng.randint(0, max(span, 0)))


def _sentiment(rating: int) -> str:
    return "good" if rating >= 4 else "mixed" if rating == 3 else "poor"


@dataclass
class _Context:
    """What every batch of a run shares."""

    store: Store
    products: list
    card: LoyaltyCard | None
    tags: list
    staff_id: int | None  # the demo owner serves in-store customers and stamps the cards
    now: datetime
    plan: dict  # customer index -> (created_at, [(date, number) of each order])


class _Batch:
    """Customers start..stop with their addresses, orders, card, review and votes, and the
    timeline events of all of it, dated as it happened. Each customer's data comes from
    Random(index), so it does not depend on how the run is cut into batches (but for who
    votes: the other customers of the batch)."""

    def __init__(self, context: _Context, start: int, stop: int):
        self.c = context
        self.start, self.stop = start, stop
        self.store_id = context.store.pk
        self.ids = _IdAllocator()
        self.events = []
        # A date is written several times (a customer's creation: their row, their address,
        # their first event): adapted for the database once a batch.
        self.adapted_dates = {}
        self.public_ids = {
            prefix: _public_ids(prefix) for prefix in ("customer", "place", "order", "review")
        }

    def insert(self, model, rows):
        _insert(model, rows, adapted_dates=self.adapted_dates)

    def event(self, customer, type, at, data=None, *, actor_user=None, actor_customer=None):
        self.events.append(
            {
                "store_id": self.store_id,
                "customer_id": customer["id"],
                "type": type,
                "actor_user_id": actor_user,
                "actor_customer_id": actor_customer,
                "data": data or {},
                "created_at": at,
            }
        )

    def load(self):
        customers = self.customers()
        self.addresses(customers)
        purchases = self.orders(customers)
        if self.c.card:
            self.cards(customers)
        self.reviews(customers, purchases)
        # Each customer's events in date order, so a timeline of equal dates still reads in the
        # order things happened (ids follow customers too: the timeline index fills in order).
        self.events.sort(key=itemgetter("customer_id", "created_at"))
        for row in self.events:
            row["id"] = self.ids.next(CustomerEvent)
        self.insert(CustomerEvent, self.events)

    def customers(self) -> list[dict]:
        store_id, staff_id = self.store_id, self.c.staff_id
        tag_ids = [tag.pk for tag in self.c.tags]
        slugs = {}  # slugify is slow, and there are few names
        customers, taggings = [], []
        for i in range(self.start, self.stop):
            rng = random.Random(i)
            created_at, orders = self.c.plan[i]
            first = FIRST_NAMES[i % len(FIRST_NAMES)]
            last = LAST_NAMES[(i // len(FIRST_NAMES)) % len(LAST_NAMES)]
            name_slug = slugs.get((first, last))
            if name_slug is None:
                name_slug = slugs[first, last] = slugify(f"{first} {last}")
            source = rng.choice(["instore", "app", "web"])
            # A guest record is made by a checkout without an account: at their first order.
            is_guest = bool(orders) and rng.random() < 0.18
            if is_guest:
                created_at = orders[0][0]
            customer_id = self.ids.next(Customer)
            # Who acts for the customer: themself in the app or on the web, the staff in store.
            actors = {
                "actor_user": staff_id if source == "instore" and not is_guest else None,
                "actor_customer": customer_id if source != "instore" and not is_guest else None,
            }
            customer = {
                "id": customer_id,
                "public_id": next(self.public_ids["customer"]),
                "store_id": store_id,
                "first_name": first,
                "last_name": last,
                "email": f"{first}.{last}.{i}@example.com".lower(),
                "phone": f"+1415{2000000 + i:07d}",
                "slug": f"{name_slug}-{i}",
                "birthday": date(1960 + i % 45, 1 + i % 12, 1 + i % 28),
                "metadata": {"source": source},
                "status": ("prospect", "acquired", "repeat")[min(len(orders), 2)],
                "is_guest": is_guest,
                "total_orders_count": len(orders),
                "created_at": created_at,
                "updated_at": created_at,
            }
            customers.append(customer)
            customer["_"] = (i, rng, orders, actors)  # not a column: _insert skips it
            self.event(
                customer,
                CustomerEvent.Type.CREATED,
                created_at,
                {"guest": True} if is_guest else None,
                **actors,
            )
            if tag_ids and rng.random() < 0.3:
                taggings.append(
                    {
                        "id": self.ids.next(Customer.tags.through),
                        "customer_id": customer_id,
                        "tag_id": rng.choice(tag_ids),
                    }
                )
        self.insert(Customer, customers)
        self.insert(Customer.tags.through, taggings)
        return customers

    def addresses(self, customers):
        rows = []
        for customer in customers:
            _i, rng, _orders, _actors = customer["_"]
            if customer["is_guest"]:
                continue
            rows.append(
                {
                    "id": self.ids.next(Address),
                    "public_id": next(self.public_ids["place"]),
                    "customer_id": customer["id"],
                    "name": "Home",
                    "street1": f"{rng.randint(1, 2999)} {rng.choice(STREETS)} Street",
                    "city": "San Francisco",
                    "province": "CA",
                    "postal_code": f"941{rng.randint(0, 99):02d}",
                    "country": "US",
                    "is_default": True,
                    "created_at": customer["created_at"],
                    "updated_at": customer["created_at"],
                }
            )
        self.insert(Address, rows)

    def orders(self, customers) -> dict[int, list]:
        """Each customer's orders, numbered as planned; returns what each bought, and when."""
        store, products = self.c.store, self.c.products
        orders, lines, purchases = [], [], {}
        for customer in customers:
            _i, rng, planned, actors = customer["_"]
            for at, number in planned:
                order_id = self.ids.next(Order)
                subtotal = Decimal("0")
                for product in rng.sample(products, rng.randint(1, min(3, len(products)))):
                    quantity = rng.randint(1, 3)
                    subtotal += product.price * quantity
                    lines.append(
                        {
                            "id": self.ids.next(OrderLine),
                            "order_id": order_id,
                            "product_id": product.id,
                            "name": product.name,
                            "sku": product.sku,
                            "quantity": quantity,
                            "unit_price": product.price,
                            "total": product.price * quantity,
                        }
                    )
                    purchases.setdefault(customer["id"], []).append((product, at))
                public_id = next(self.public_ids["order"])
                orders.append(
                    {
                        "id": order_id,
                        "public_id": public_id,
                        "store_id": self.store_id,
                        "customer_id": customer["id"],
                        "number": number,
                        "status": Order.Status.COMPLETED,
                        "currency": store.currency,
                        "subtotal": subtotal,
                        "total": subtotal,
                        "customer_name": f"{customer['first_name']} {customer['last_name']}",
                        "customer_email": customer["email"],
                        "customer_phone": customer["phone"],
                        "shipping_address": {"street1": "Pick-up at the counter"},
                        "created_at": at,
                        "updated_at": at,
                    }
                )
                self.event(
                    customer,
                    CustomerEvent.Type.ORDER_PLACED,
                    at,
                    {"order": public_id, "number": number, "total": str(subtotal)},
                    **actors,
                )
        self.insert(Order, orders)
        self.insert(OrderLine, lines)
        return purchases

    def cards(self, customers):
        """Most registered customers have the card: enrolled at sign-up or later, then one to
        three stamps a visit (within the card's daily limit), on days after the enrolment
        and before today, in opening hours, one visit a day at most."""
        card, now, staff_id = self.c.card, self.c.now, self.c.staff_id
        per_visit = min(3, card.max_stamps_per_day or 3)
        tz = self.c.store.tzinfo
        today = now.astimezone(tz).date()
        enrolments, entries = [], []
        for customer in customers:
            i, rng, _dates, _actors = customer["_"]
            if customer["is_guest"] or rng.random() < 0.4:
                continue
            issued = max(
                customer["created_at"],
                now - timedelta(days=rng.randint(0, 200), minutes=rng.randint(0, 1439)),
            )
            expires = issued + timedelta(days=card.expiry_days) if card.expiry_days else None
            if card.expires_at and (expires is None or card.expires_at < expires):
                expires = card.expires_at
            enrolment_id = self.ids.next(CustomerCard)
            code = f"9{self.store_id % 1000:03d}{i:08d}"
            balance = card.initial_stamps
            if balance:
                entries.append(
                    {
                        "id": self.ids.next(StampEntry),
                        "enrolment_id": enrolment_id,
                        "kind": StampEntry.Kind.WELCOME,
                        "delta": balance,
                        "balance_after": balance,
                        "actor_user_id": staff_id,
                        "created_at": issued,
                    }
                )
            self.event(
                customer,
                CustomerEvent.Type.CARD_ENROLLED,
                issued,
                {"card": card.name, "code": code, "stamps": balance},
                actor_user=staff_id,
            )
            goal = rng.randint(balance, card.stamps_required - 1)
            visits = []
            while balance + sum(visits) < goal:
                visits.append(min(rng.randint(1, per_visit), goal - balance - sum(visits)))
            # A card too young for all its visits gets the first ones.
            enrolled_on = issued.astimezone(tz).date()
            days = (today - enrolled_on).days
            visit_days = sorted(rng.sample(range(1, days), min(max(days - 1, 0), len(visits))))
            last_stamped = None
            for day, stamps in zip(visit_days, visits, strict=False):
                opening = datetime.combine(enrolled_on + timedelta(days=day), OPENS_AT, tzinfo=tz)
                last_stamped = at = opening + timedelta(minutes=rng.randint(0, OPEN_MINUTES))
                balance += stamps
                entries.append(
                    {
                        "id": self.ids.next(StampEntry),
                        "enrolment_id": enrolment_id,
                        "kind": StampEntry.Kind.STAMP,
                        "delta": stamps,
                        "balance_after": balance,
                        "actor_user_id": staff_id,
                        "created_at": at,
                    }
                )
                self.event(
                    customer,
                    CustomerEvent.Type.STAMPS_ADDED,
                    at,
                    {"card": card.name, "stamps": stamps, "balance": balance},
                    actor_user=staff_id,
                )
            enrolments.append(
                {
                    "id": enrolment_id,
                    "store_id": self.store_id,
                    "customer_id": customer["id"],
                    "card_id": card.pk,
                    "code": code,
                    "stamps_count": balance,
                    "issued_at": issued,
                    "expires_at": expires,
                    "last_stamped_at": last_stamped,
                    "created_at": issued,
                    "updated_at": issued,
                }
            )
        self.insert(CustomerCard, enrolments)
        self.insert(StampEntry, entries)

    def reviews(self, customers, purchases):
        """One registered customer in seven reviews: a product they bought (after buying it)
        or the store, in words that fit the subject and the stars. Other customers of the
        batch vote on them, and the helpful counts are those votes."""
        now = self.c.now
        voters = [(c["id"], c["created_at"]) for c in customers if not c["is_guest"]]
        reviews, votes = [], []
        for customer in customers:
            _i, rng, _dates, _actors = customer["_"]
            if customer["is_guest"] or rng.random() > 0.15:
                continue
            bought = [
                (product, at)
                for product, at in purchases.get(customer["id"], ())
                if product.sku in KIND_BY_SKU
            ]
            if bought and rng.random() < 0.6:
                product, bought_at = rng.choice(bought)
                kind = KIND_BY_SKU[product.sku]
                at = _between(rng, bought_at, now, 14 * 86400)
            else:
                product, kind = None, "store"
                at = _between(rng, customer["created_at"], now, 30 * 86400)
            rating = rng.choice(RATINGS)
            content = ""
            if rng.random() < 5 / 6:
                text = rng.choice(REVIEW_TEXTS[kind][_sentiment(rating)])
                content = text.format(product=product.name.lower() if product else "")
            review_id = self.ids.next(Review)
            counts = {1: 0, -1: 0}
            wanted = [1] * rng.choice(UPVOTES) + [-1] * rng.choice(DOWNVOTES)
            # Never the author; as many votes as the batch has other registered customers.
            chosen = rng.sample(voters, min(len(voters), len(wanted) + 1))
            chosen = [voter for voter in chosen if voter[0] != customer["id"]]
            for value, (voter_id, joined) in zip(wanted, chosen, strict=False):
                voted = _between(rng, max(at, joined), now, 30 * 86400)
                counts[value] += 1
                votes.append(
                    {
                        "id": self.ids.next(ReviewVote),
                        "review_id": review_id,
                        "customer_id": voter_id,
                        "value": value,
                        "created_at": voted,
                        "updated_at": voted,
                    }
                )
            public_id = next(self.public_ids["review"])
            reviews.append(
                {
                    "id": review_id,
                    "public_id": public_id,
                    "store_id": self.store_id,
                    "author_id": customer["id"],
                    "subject_type": Review.Subject.PRODUCT if product else Review.Subject.STORE,
                    "product_id": product.id if product else None,
                    "rating": rating,
                    "content": content,
                    "upvotes": counts[1],
                    "downvotes": counts[-1],
                    "created_at": at,
                    "updated_at": at,
                }
            )
            data = {"review": public_id, "rating": rating}
            if product:
                data["product"] = product.name
            self.event(
                customer,
                CustomerEvent.Type.REVIEW_POSTED,
                at,
                data,
                actor_customer=customer["id"],
            )
        self.insert(Review, reviews)
        self.insert(ReviewVote, votes)


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


@contextmanager
def _indexes_and_foreign_keys_rebuilt(models, *, log):
    """On PostgreSQL, inside the caller's transaction: drop the secondary indexes and the
    foreign keys of the models' tables, let the load run, then create each again from its own
    definition (pg_get_indexdef, pg_get_constraintdef), with more memory for the builds.

    A trigram GIN index maintained row by row costs far more than one built from the loaded
    rows, and a foreign key checked row by row (a query per row) far more than one checked
    once over the table when it is added back. Unique indexes and primary keys stay: they
    check the rows as they come. DDL is transactional in PostgreSQL: if the load, a build or
    a check fails, or the process dies, the transaction rolls back and every index and key is
    there as before. Until it commits, the tables are locked (and the tables the keys point
    at take no writes)."""
    if not connection.in_atomic_block:
        raise RuntimeError("Indexes and keys are dropped only inside the load's transaction.")
    tables = [connection.ops.quote_name(model._meta.db_table) for model in models]
    with connection.cursor() as cursor:
        # Not one that something beside its definition describes (clustered on, replica
        # identity, a comment), so that what is created again is what was dropped.
        cursor.execute(
            """
            SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                   pg_get_indexdef(i.indexrelid),
                   ts.spcname
            FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_tablespace ts ON ts.oid = c.reltablespace
            WHERE i.indrelid = ANY (%s::regclass[])
              AND NOT i.indisunique AND NOT i.indisprimary AND NOT i.indisexclusion
              AND i.indisvalid AND i.indisready AND i.indislive
              AND NOT i.indisclustered AND NOT i.indisreplident
              AND obj_description(i.indexrelid, 'pg_class') IS NULL
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
            ORDER BY c.relname
            """,
            [tables],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            """
            SELECT k.conrelid::regclass::text, quote_ident(k.conname), pg_get_constraintdef(k.oid)
            FROM pg_constraint k
            WHERE k.contype = 'f' AND k.conrelid = ANY (%s::regclass[])
              AND k.conparentid = 0 AND k.coninhcount = 0
              AND obj_description(k.oid, 'pg_constraint') IS NULL
            ORDER BY k.conrelid::regclass::text, k.conname
            """,
            [tables],
        )
        foreign_keys = cursor.fetchall()
        for table, name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, _definition, _tablespace in indexes:
            cursor.execute(f"DROP INDEX {name}")
        # Django's foreign keys are checked at the commit; the ones left (if any) at the end
        # of each statement instead: nothing queues across the load, and no check is pending
        # when the indexes are created (CREATE INDEX refuses a table with pending events).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield
    started = monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [INDEX_BUILD_MEMORY])
        for _name, definition, tablespace in indexes:
            if tablespace:
                definition += f" TABLESPACE {connection.ops.quote_name(tablespace)}"
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    log.write(
        f"Built {len(indexes)} indexes and checked {len(foreign_keys)} foreign keys "
        f"in {monotonic() - started:.1f} s."
    )


def _analyze(models):
    """Statistics for what the load wrote: nothing else gathers them when autovacuum is off,
    and a planner that believes a million-row table is empty picks slow plans."""
    if connection.vendor != "postgresql":
        # SQLite plans well enough without statistics here, and its search was tuned without
        # them (ANALYZE would cost 0.5 s at 100,000 customers).
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


@contextmanager
def _sqlite_page_cache(*, mib: int):
    """On SQLite, a page cache that holds the indexes the load fills: with the default 2 MB,
    pages go back and forth to the OS (a tenth of the time at 100,000 customers)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-1024 * mib}")  # negative: in KiB
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {previous}")


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


def _adapter(field, db, adapted_dates: dict | None = None):
    """The function that turns a Python value of `field` (not None) into what the driver
    takes, or None when it takes the value as it is. The backend's own adapters, called
    directly: the full get_db_prep_save costs several times as much per value. Dates adapted
    once are looked up in `adapted_dates` when given."""
    kind = field.get_internal_type()
    if kind in _PLAIN_FIELDS:
        return None
    if db.vendor == "postgresql":
        # What COPY takes: psycopg dumps dates, aware datetimes and decimals itself (Django's
        # PostgreSQL adapters hand them over unchanged), and JSON goes as the text that
        # Django's Jsonb adapter would send, which the jsonb column parses.
        if kind in ("DateTimeField", "DateField", "DecimalField"):
            return None
        if kind == "JSONField":
            return partial(json.dumps, cls=field.encoder)
    ops = db.ops
    if kind == "DateTimeField":
        if adapted_dates is None:
            return ops.adapt_datetimefield_value

        def adapt_date(value, adapt=ops.adapt_datetimefield_value):
            try:
                return adapted_dates[value]
            except KeyError:
                adapted_dates[value] = adapted = adapt(value)
                return adapted

        return adapt_date
    if kind == "DateField":
        return ops.adapt_datefield_value
    if kind == "DecimalField":
        return lambda value: ops.adapt_decimalfield_value(
            value, field.max_digits, field.decimal_places
        )
    if kind == "JSONField":
        return lambda value: ops.adapt_json_value(value, field.encoder)
    return lambda value: field.get_db_prep_save(value, db)


def _update(model, column: str, values: list[tuple]) -> None:
    """Set `column` to value for each (id, value). On PostgreSQL one statement per 5,000
    rows (executemany would wait for the server once a row); SQLite, in process, takes an
    executemany as fast."""
    table, name = connection.ops.quote_name(model._meta.db_table), connection.ops.quote_name(column)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(
                f"UPDATE {table} SET {name} = %s WHERE id = %s", [(v, pk) for pk, v in values]
            )
            return
        for start in range(0, len(values), BATCH):
            chunk = values[start : start + BATCH]
            rows = ", ".join(["(%s, %s)"] * len(chunk))
            cursor.execute(
                f"UPDATE {table} SET {name} = v.column2 FROM (VALUES {rows}) AS v "
                f"WHERE {table}.id = v.column1",
                [item for row in chunk for item in row],
            )


def _insert(model, rows: list[dict], *, adapted_dates: dict | None = None) -> None:
    """Write rows with one COPY on PostgreSQL, one executemany elsewhere: the ORM's per-object
    bulk_create costs about four times as much at 100,000 customers. Every row has the same
    keys, the first row's: fields it leaves out get their model default, keys that are not
    fields are ignored. `adapted_dates` caches adapted datetimes across calls."""
    if not rows:
        return
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself, not the per-call proxy
    now = timezone.now()
    first = rows[0]
    # Not a generated column (GeneratedField): the database computes it.
    fields = [field for field in model._meta.concrete_fields if not field.generated]
    given = [field for field in fields if field.attname in first]
    made, constants = [], []  # the defaults of the others: made for each row, or one value
    for field in fields:
        if field.attname in first:
            continue
        adapt = _adapter(field, db)
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        elif field.has_default() and callable(field.default):
            made.append((field, field.default, adapt))
            continue
        else:
            value = field.get_default()
        constants.append((field, adapt(value) if adapt and value is not None else value))
    order = given + [field for field, *_ in made] + [field for field, _ in constants]
    columns = ", ".join(db.ops.quote_name(field.column) for field in order)
    placeholders = ", ".join(["%s"] * len(order))
    table = db.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"

    names = [field.attname for field in given]
    take = (lambda row: (row[names[0]],)) if len(names) == 1 else itemgetter(*names)
    adapters = [
        (k, adapt)
        for k, field in enumerate(given)
        if (adapt := _adapter(field, db, adapted_dates)) is not None
    ]
    tail = tuple(value for _field, value in constants)
    width = len(first)

    def prepared():
        for row in rows:
            if len(row) != width:
                raise ValueError(f"Rows of {model.__name__} differ in their keys: {row}")
            if not (adapters or made):
                yield take(row) + tail
                continue
            values = list(take(row))
            for k, adapt in adapters:
                value = values[k]
                if value is not None:
                    values[k] = adapt(value)
            for _field, make, adapt in made:
                value = make()
                values.append(adapt(value) if adapt and value is not None else value)
            values.extend(tail)
            yield values

    with db.cursor() as cursor:
        if db.vendor != "postgresql":
            cursor.executemany(sql, list(prepared()))
            return
        # COPY streams the rows in one statement: an INSERT a row, even in an executemany,
        # costs the server (and psycopg) several times as much. psycopg's cursor, under
        # Django's error classes as Django's cursor would be.
        copying = cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN")
        with db.wrap_database_errors, copying as copy:
            for values in prepared():
                copy.write_row(values)
