"""Time the management API's customer search (GET /api/v1/accounts/{id}/customers?search=…)
over a store of 100,000 customers, as a back office calls it: through Django's test client with
a real secret key, so the time includes the key check, the count, the page and its prefetches.

The figure that matters is PostgreSQL's (`make bench`); it runs on SQLite too.
"""

import statistics
import time
from io import StringIO

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings

from customers.models import Customer, ExternalReference
from demo.management.commands.seed_demo import BATCH, DEMO_SLUG, _IdAllocator, _insert
from loyalty.models import CustomerCard
from stores.models import ApiKey, Store
from stores.services import api_key_create

REFERENCE_SOURCE = "pos"


class Command(BaseCommand):
    help = (
        "Load (once) a demo store of 100,000 customers into DATABASE_URL and time the "
        "management API's customer search on it: p50/p95/max per query, and overall."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=100_000)
        parser.add_argument("--runs", type=int, default=5, help="Timed runs of each query.")

    def handle(self, *args, customers: int, runs: int, **options):
        store = self._store(customers)
        self._references(store)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        total = Customer.objects.filter(store=store).count()
        queries = self._queries(store)

        issued = api_key_create(store=store, kind=ApiKey.Kind.SECRET, name="bench_search")
        client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.raw}")
        url = f"/api/v1/accounts/{store.pk}/customers"
        samples = []
        self.stdout.write(
            f"\nGET {url}?search=… over {total:,} customers ({self._database()}), "
            f"{runs} runs of each query after one warm-up\n"
        )
        self.stdout.write(
            f"{'query':<36} {'matches':>8} {'queries':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
        )
        try:
            with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
                for label, search in queries:
                    with _QueryCounter() as counted:
                        matches = self._get(client, url, search)["pagination"]["count"]
                    times = []
                    for _ in range(runs):
                        started = time.perf_counter()
                        self._get(client, url, search)
                        times.append((time.perf_counter() - started) * 1000)
                    samples += times
                    name = f'{label} "{search}"'
                    self.stdout.write(
                        f"{name:<36} {matches:>8,} {counted.queries:>8} "
                        f"{statistics.median(times):>8.1f} {_p95(times):>8.1f} {max(times):>8.1f}"
                    )
        finally:
            issued.api_key.delete()
        self.stdout.write(
            self.style.SUCCESS(f"\nsearch over {total:,} customers: p95 = {_p95(samples):.1f} ms")
        )

    def _store(self, customers: int) -> Store:
        """The demo store with at least `customers` customers (seed_demo's fast loader). Its
        login and keys go to a file of this database's own, never the demo's usual one."""
        store = Store.objects.filter(slug=DEMO_SLUG).first()
        if store is None or Customer.objects.filter(store=store).count() < customers:
            name = str(connection.settings_dict["NAME"]).replace("/", "_")
            credentials = settings.BASE_DIR / "var" / f"bench-credentials-{name}.json"
            self.stdout.write(f"Loading {customers:,} demo customers (once) …")
            with override_settings(DEMO_CREDENTIALS_FILE=credentials):
                call_command("seed_demo", customers=customers, stdout=StringIO())
            store = Store.objects.get(slug=DEMO_SLUG)
        return store

    def _references(self, store) -> None:
        """An id in the store's point of sale for every customer, once (the demo has none), so
        that searching an external id searches a full table."""
        missing = list(
            Customer.objects.filter(store=store)
            .exclude(external_references__source=REFERENCE_SOURCE)
            .values_list("pk", flat=True)
        )
        ids = _IdAllocator()
        for start in range(0, len(missing), BATCH):
            rows = [
                {
                    "id": ids.next(ExternalReference),
                    "store_id": store.pk,
                    "customer_id": pk,
                    "source": REFERENCE_SOURCE,
                    "external_id": f"POS-{pk:07d}",
                }
                for pk in missing[start : start + BATCH]
            ]
            with transaction.atomic():
                _insert(ExternalReference, rows)
        if missing:
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [ExternalReference]):
                    cursor.execute(sql)

    def _queries(self, store) -> list[tuple[str, str]]:
        """What people type: taken from the data, so that each finds what it should."""
        customers = Customer.objects.filter(store=store).order_by("pk")
        someone = customers[customers.count() // 2]
        local = someone.email.split("@")[0]
        digits = someone.phone.removeprefix("+1")
        code = (
            CustomerCard.objects.filter(store=store).order_by("pk").values_list("code", flat=True)
        )
        return [
            ("name fragment", someone.first_name[:3].lower()),
            ("two words", f"{someone.first_name} {someone.last_name}".lower()),
            ("last name", someone.last_name.lower()),
            ("email fragment", local[: len(local) * 2 // 3]),
            ("whole email", someone.email),
            ("phone with punctuation", f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"),
            ("last 4 digits", digits[-4:]),
            ("card code", code[code.count() // 2] if code.exists() else "900100000000"),
            ("external id", f"POS-{someone.pk:07d}"),
            ("no match", "zqxjv"),
        ]

    def _get(self, client, url, search) -> dict:
        response = client.get(url, {"search": search})
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code} for {search!r}: {response.content[:300]}")
        return response.json()

    def _database(self) -> str:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
        return connection.vendor


class _QueryCounter:
    """Counts the SQL statements run (CaptureQueriesContext loses them: each request clears
    the query log when it starts)."""

    queries = 0

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc_info):
        return self._wrapper.__exit__(*exc_info)


def _p95(values: list[float]) -> float:
    """The 95th percentile, interpolated between the two nearest samples."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[-1]
