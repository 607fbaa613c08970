"""`make bench`: the scale table of the README, over a demo store of 1,000,000 customers.

1. The load: `seed_demo --customers N`, once (only when the store has fewer). Its time is
   measured when it runs and kept in <state-dir>/bench-seed-<database>.json, so later runs print
   the figure of the load and when it was measured.
2. Search, server time: each query class on the console list, the management API list and the
   Django admin changelist, through Django's test client in this process (the time includes
   sessions, the key check, counts, the page and its template or serializer; not the network).
   Median of --runs after one warm-up, SQL statements and matches as the page shows them.
3. Throughput: gunicorn (2 sync workers, DEBUG off, the production environment behind a TLS
   proxy) and wrk on loopback: /healthz (the ceiling: the same middleware, no work), the
   shopper's profile and /about, the management list. Req/s, p50, and the share of the ceiling
   measured in the same run (the 2 cores are shared: absolute figures move, ratios less).
4. The goals beside the figures, as a markdown table for the README.

Everything it prints is markdown. The figure that matters is PostgreSQL's; it runs on SQLite.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count, Max, Min
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.module_loading import import_string

from customers.models import Customer, CustomerToken, ExternalReference
from customers.tokens import customer_token_issue
from demo.management.commands.seed_demo import DEMO_SLUG, DEMO_USERNAME
from loyalty.models import CustomerCard
from stores.access import SESSION_KEY
from stores.identifiers import hash_secret
from stores.models import ApiKey, Store
from stores.services import api_key_create

REFERENCE_SOURCE = "pos"
# The goals the README states (issue 11).
GOAL_SEED_SECONDS = 5 * 60
GOAL_CONSOLE_MS = 30
GOAL_ADMIN_MS = 100
GOAL_MANAGEMENT_RPS = 400
GOAL_PROFILE_SHARE = 0.60
GOAL_ABOUT_SHARE = 0.70
GOAL_SEED_CUSTOMERS = 1_000_000
# The Redis database the bench's gunicorn caches in (throttle counters only), when Redis answers.
REDIS_DB = 5
# A key may make THROTTLE_API calls (1200/minute by default); wrk makes thousands a second with
# one key. Per second, DRF's throttle keeps no longer a history of calls than production's.
BENCH_THROTTLE = "1000000/s"


@dataclass
class Timing:
    ms: float
    queries: int
    matches: str


@dataclass
class Load:
    label: str
    path: str
    rps: float = 0.0
    p50_ms: float = 0.0
    non_2xx: int = 0
    socket_errors: str = ""
    requests: int = 0
    share: float | None = None
    problems: list[str] = field(default_factory=list)


class Command(BaseCommand):
    help = (
        "Load (once) a demo store of 1,000,000 customers (BENCH_CUSTOMERS) and print the scale "
        "table: seed time, search times on the console, management API and admin, throughput "
        "under gunicorn + wrk, each beside its goal."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers",
            type=int,
            default=int(os.environ.get("BENCH_CUSTOMERS") or GOAL_SEED_CUSTOMERS),
            help="Customers the demo store should have (BENCH_CUSTOMERS; default 1,000,000).",
        )
        parser.add_argument(
            "--no-load",
            action="store_true",
            help="Use the demo store as it is (never run seed_demo).",
        )
        parser.add_argument("--runs", type=int, default=5, help="Timed runs of each query.")
        parser.add_argument(
            "--no-load-test", action="store_true", help="Skip gunicorn + wrk (throughput)."
        )
        parser.add_argument("--duration", default="10s", help="wrk's -d (default 10s).")
        parser.add_argument("--connections", type=int, default=16, help="wrk's -c.")
        parser.add_argument("--threads", type=int, default=2, help="wrk's -t.")
        parser.add_argument(
            "--state-dir",
            type=Path,
            default=settings.BASE_DIR / "var",
            help="Where the seed record, the demo credentials and gunicorn's log go.",
        )

    def handle(self, *args, **options):
        self.options = options
        self.state_dir: Path = options["state_dir"]
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.db_name = str(connection.settings_dict["NAME"]).strip("/").replace("/", "_")
        self.database = _database()
        self.server_env = self._server_env()
        if not options["no_load_test"] or _manifest_storage():
            self._collectstatic()

        store = self._load(options["customers"], load=not options["no_load"])
        self._references(store)
        analyze_seconds = self._analyze()
        total = Customer.objects.filter(store=store).count()
        queries = self._queries(store)

        out = self.stdout.write
        out(
            f"\n## Scale: {total:,} customers ({self.database}, "
            f"{timezone.now():%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
            f"load {_load_average()})\n"
        )
        seed = self._seed_line(store, total)
        out(f"- Seed: {seed['text']}")
        out(f"- ANALYZE (every run: autovacuum is off here): {analyze_seconds:.1f} s\n")

        search = self._search(store, queries)
        self._print_search(search, queries)

        loads = None
        if not options["no_load_test"]:
            loads = self._throughput(store)
            self._print_throughput(loads)
        else:
            out("\n(Throughput not measured: --no-load-test.)\n")

        self._print_goals(seed, search, queries, loads)
        problems = [p for load in loads or [] for p in load.problems]
        if problems:
            raise CommandError("Throughput run had failures:\n  " + "\n  ".join(problems))

    # --- 1. the load --------------------------------------------------------------------------

    def _seed_file(self) -> Path:
        return self.state_dir / f"bench-seed-{self.db_name}.json"

    def _load(self, customers: int, *, load: bool) -> Store:
        """The demo store with at least `customers` customers; its login and keys go to a file
        of this database's own, never the demo's usual one."""
        store = Store.objects.filter(slug=DEMO_SLUG).first()
        existing = Customer.objects.filter(store=store).count() if store else 0
        if store is not None and (existing >= customers or not load):
            return store
        if not load:
            raise CommandError("No demo store in this database: run without --no-load.")
        self.stdout.write(f"Loading {customers - existing:,} demo customers (once) …")
        credentials = self.state_dir / f"bench-credentials-{self.db_name}.json"
        started = time.perf_counter()
        with override_settings(DEMO_CREDENTIALS_FILE=credentials):
            call_command("seed_demo", customers=customers, stdout=StringIO())
        seconds = time.perf_counter() - started
        store = Store.objects.get(slug=DEMO_SLUG)
        record = {
            "store": store.public_id,
            "command": f"seed_demo --customers {customers}",
            "customers_before": existing,
            "customers_after": Customer.objects.filter(store=store).count(),
            "seconds": round(seconds, 1),
            "measured_at": timezone.now().astimezone(UTC).isoformat(timespec="seconds"),
            "database": self.database,
            "cores": os.cpu_count(),
        }
        self._seed_file().write_text(json.dumps(record, indent=2) + "\n")
        self.stdout.write(f"… loaded in {_duration(seconds)} (kept in {self._seed_file()})")
        return store

    def _seed_line(self, store, total) -> dict:
        """What the seed record says about this store's load, if this bench made it."""
        path = self._seed_file()
        record = json.loads(path.read_text()) if path.is_file() else None
        if record is None or record.get("store") != store.public_id:
            return {
                "text": f"not measured: this store was loaded outside `make bench` (no {path})",
                "seconds": None,
                "full": False,
            }
        added = record["customers_after"] - record["customers_before"]
        measured = datetime.fromisoformat(record["measured_at"]).strftime("%Y-%m-%d %H:%M UTC")
        text = (
            f"`{record['command']}` took {_duration(record['seconds'])} "
            f"(measured {measured}, {record['database']}"
        )
        if record["customers_before"]:
            text += f", added {added:,} to {record['customers_before']:,} customers"
        text += ")"
        if record["customers_after"] != total:
            text += f"; the store has {total:,} customers now"
        full = record["customers_before"] == 0 and added >= GOAL_SEED_CUSTOMERS
        return {"text": text, "seconds": record["seconds"], "full": full, "added": added}

    def _references(self, store) -> None:
        """An id in the store's point of sale for every customer (the demo has none), so that
        searching an external id searches a full table. One INSERT … SELECT, once."""
        reference = ExternalReference._meta.db_table
        customer = Customer._meta.db_table
        if connection.vendor == "postgresql":
            external_id = "'POS-' || lpad(c.id::text, 7, '0')"
        else:
            external_id = "'POS-' || printf('%%07d', c.id)"
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {reference} (store_id, customer_id, source, external_id, created_at) "
                f"SELECT c.store_id, c.id, %s, {external_id}, %s FROM {customer} c "
                f"WHERE c.store_id = %s AND NOT EXISTS (SELECT 1 FROM {reference} r "
                f"WHERE r.customer_id = c.id AND r.source = %s)",
                [REFERENCE_SOURCE, timezone.now(), store.pk, REFERENCE_SOURCE],
            )
            added = cursor.rowcount
        if added:
            self.stdout.write(
                f"Gave {added:,} customers an external id ({REFERENCE_SOURCE}) in "
                f"{_duration(time.perf_counter() - started)}."
            )

    def _analyze(self) -> float:
        """Statistics for the planner: PostgreSQL here runs without autovacuum (PITFALLS)."""
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return time.perf_counter() - started

    # --- 2. search, server time ---------------------------------------------------------------

    def _queries(self, store) -> list[tuple[str, str]]:
        """What people type, taken from the data so that each finds what it should."""
        customers = Customer.objects.filter(store=store)
        bounds = customers.aggregate(low=Min("pk"), high=Max("pk"))
        if bounds["low"] is None:
            raise CommandError("The demo store has no customers: run with --customers N.")
        middle = (bounds["low"] + bounds["high"]) // 2
        someone = customers.filter(pk__gte=middle, closed_at__isnull=True).order_by("pk").first()
        self.someone = someone
        by_last = customers.values("last_name").annotate(n=Count("pk")).order_by("-n", "last_name")
        by_pair = (
            customers.values("first_name", "last_name")
            .annotate(n=Count("pk"))
            .order_by("-n", "first_name", "last_name")
        )
        pair = by_pair[0]
        local = someone.email.split("@")[0]
        digits = someone.phone.removeprefix("+1")
        code = (
            CustomerCard.objects.filter(store=store, customer_id__gte=someone.pk)
            .order_by("customer_id")
            .values_list("code", flat=True)
            .first()
        )
        return [
            ("no search (plain list)", ""),
            ("frequent last name", by_last[0]["last_name"]),
            ("broad phone prefix", "+14152"),
            ("two common words", f"{pair['first_name']} {pair['last_name']}"),
            ("email fragment", local[: len(local) * 2 // 3]),
            ("formatted phone", f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"),
            ("card code", code or "900100000000"),
            ("external id", f"POS-{someone.pk:07d}"),
            ("no match", "zqxjv"),
        ]

    def _search(self, store, queries) -> dict[str, list[Timing]]:
        user = get_user_model().objects.get(username=DEMO_USERNAME)
        staff = Client()
        # force_login, not the password: the sign-in (django-axes) is not what is measured, and
        # the credentials file may be gone while the store is still there.
        staff.force_login(user)
        session = staff.session
        session[SESSION_KEY] = store.pk
        session.save()
        issued = api_key_create(store=store, kind=ApiKey.Kind.SECRET, name="bench")
        api = Client(HTTP_AUTHORIZATION=f"Bearer {issued.raw}")
        surfaces = {
            "console": (staff, "/console/customers/", "q", _console_matches),
            "api": (api, f"/api/v1/accounts/{store.pk}/customers", "search", _api_matches),
            "admin": (staff, "/admin/customers/customer/", "q", _admin_matches),
        }
        results: dict[str, list[Timing]] = {name: [] for name in surfaces}
        try:
            with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
                for _label, term in queries:
                    for name, (client, url, param, matches) in surfaces.items():
                        results[name].append(self._time(client, url, param, term, matches))
        finally:
            issued.api_key.delete()
        return results

    def _time(self, client, url, param, term, matches) -> Timing:
        data = {param: term} if term else {}
        with _QueryCounter() as counted:
            response = _get(client, url, data)
        found = matches(response)
        times = []
        for _ in range(self.options["runs"]):
            started = time.perf_counter()
            _get(client, url, data)
            times.append((time.perf_counter() - started) * 1000)
        return Timing(ms=statistics.median(times), queries=counted.queries, matches=found)

    def _print_search(self, search, queries) -> None:
        out = self.stdout.write
        runs = self.options["runs"]
        out(
            f"### Search, server time (median of {runs} after a warm-up, in-process; "
            "SQL statements; matches as the page shows them)\n"
        )
        out(
            "| Query | Term | Console ms | SQL | Matches | Management API ms | SQL | Matches "
            "| Admin ms | SQL | Matches |"
        )
        out("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
        for k, (label, term) in enumerate(queries):
            cells = [label, f"`{term}`" if term else "—"]
            for name in ("console", "api", "admin"):
                t = search[name][k]
                cells += [f"{t.ms:.1f}", str(t.queries), t.matches]
            out("| " + " | ".join(cells) + " |")
        out(
            "\nConsole: `/console/customers/?q=…` (the demo owner); management API: "
            "`/api/v1/accounts/{id}/customers?search=…` (a secret key); admin: "
            "`/admin/customers/customer/?q=…` (superuser).\n"
        )

    # --- 3. throughput ----------------------------------------------------------------------

    def _throughput(self, store) -> list[Load]:
        wrk = shutil.which("wrk")
        if wrk is None:
            raise CommandError(
                "wrk is not installed: `apt-get install wrk` (Debian/Ubuntu) or "
                "`brew install wrk`, or run with --no-load-test."
            )
        publishable = api_key_create(store=store, kind=ApiKey.Kind.PUBLISHABLE, name="bench")
        secret = api_key_create(store=store, kind=ApiKey.Kind.SECRET, name="bench")
        token = customer_token_issue(customer=self.someone)
        proxy = {"X-Forwarded-Proto": "https"}  # what the TLS proxy in front adds
        shopper = {**proxy, "Authorization": f"Bearer {publishable.raw}"}
        loads = [
            (Load("ceiling: GET /healthz", "/healthz"), proxy),
            (
                Load(
                    "shopper: GET /storefront/v1/customers/{id}",
                    f"/storefront/v1/customers/{self.someone.public_id}",
                ),
                {**shopper, "Customer-Token": token},
            ),
            (Load("shopper: GET /storefront/v1/about", "/storefront/v1/about"), shopper),
            (
                Load(
                    "management: GET /api/v1/accounts/{id}/customers (page 1)",
                    f"/api/v1/accounts/{store.pk}/customers",
                ),
                {**proxy, "Authorization": f"Bearer {secret.raw}"},
            ),
        ]
        port = _free_port()
        log = self.state_dir / f"bench-gunicorn-{self.db_name}.log"
        server = self._start_gunicorn(self.server_env, port, log)
        try:
            base = f"http://127.0.0.1:{port}"
            self._wait_ready(server, base, log)
            for load, headers in loads:
                if self._check(base, load, headers):
                    self._wrk(wrk, base, load, headers, warm_up=True)
                    self._wrk(wrk, base, load, headers)
        finally:
            _stop(server)
            publishable.api_key.delete()
            secret.api_key.delete()
            CustomerToken.objects.filter(key_hash=hash_secret(token)).delete()
        ceiling = loads[0][0].rps
        for load, _headers in loads:
            load.share = load.rps / ceiling if ceiling else None
        return [load for load, _headers in loads]

    def _server_env(self) -> dict:
        """The production environment of README "Serving in production", on loopback: DEBUG
        off, HTTPS only behind a TLS proxy (wrk sends the proxy's X-Forwarded-Proto, so
        SecurityMiddleware serves instead of redirecting), Redis as the cache when it answers."""
        env = {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "BEHIND_TLS_PROXY": "true",
            "NUM_PROXIES": "1",
            "THROTTLE_API": BENCH_THROTTLE,
            "LOG_LEVEL": "WARNING",
        }
        if not os.environ.get("CACHE_URL") and _redis_answers():
            env["CACHE_URL"] = f"redis://127.0.0.1:6379/{REDIS_DB}"
        self.cache = env.get("CACHE_URL", "locmem (per worker)").split("@")[-1]
        return env

    def _collectstatic(self) -> None:
        """With DEBUG off the manifest storage raises on a file it has not collected (a 500 that
        looks like slowness): collected before any page is rendered here or by gunicorn."""
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=settings.BASE_DIR,
            env=self.server_env,
            check=True,
        )

    def _start_gunicorn(self, env, port, log) -> subprocess.Popen:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            "sync",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ]
        with log.open("w") as handle:
            return subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _wait_ready(self, server, base, log) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError(f"gunicorn exited ({server.returncode}):\n{_tail(log)}")
            try:
                status, _body = _fetch(base + "/healthz", {"X-Forwarded-Proto": "https"})
                if status == 200:
                    return
            except (URLError, ConnectionError, OSError):
                pass
            time.sleep(0.3)
        raise CommandError(f"gunicorn did not answer /healthz in 60 s:\n{_tail(log)}")

    def _check(self, base, load, headers) -> bool:
        """One request first: a wrong status is named with its body, not only counted."""
        status, body = _fetch(base + load.path, headers)
        if status != 200:
            load.problems.append(f"{load.label}: {status} {body[:300]!r}")
            return False
        return True

    def _wrk(self, wrk, base, load, headers, *, warm_up=False) -> None:
        command = [wrk, f"-t{self.options['threads']}", f"-c{self.options['connections']}"]
        command += ["-d1s"] if warm_up else [f"-d{self.options['duration']}", "--latency"]
        # A slow endpoint must show as a low rate, not as wrk's 2 s socket timeouts.
        command += ["--timeout", "30s"]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        result = subprocess.run(
            [*command, base + load.path], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            load.problems.append(f"{load.label}: wrk failed: {result.stderr.strip()}")
            return
        report = _parse_wrk(result.stdout)
        if warm_up:
            if report["non_2xx"]:
                load.problems.append(f"{load.label}: {report['non_2xx']} non-2xx in the warm-up")
            return
        load.rps, load.p50_ms = report["rps"], report["p50_ms"]
        load.requests, load.non_2xx = report["requests"], report["non_2xx"]
        load.socket_errors = report["socket_errors"]
        if load.non_2xx:
            load.problems.append(
                f"{load.label}: {load.non_2xx:,} of {load.requests:,} responses not 2xx"
            )
        if load.socket_errors:
            load.problems.append(f"{load.label}: socket errors ({load.socket_errors})")

    def _print_throughput(self, loads) -> None:
        out = self.stdout.write
        options = self.options
        out(
            f"\n### Throughput (gunicorn, 2 sync workers, DEBUG off, cache {self.cache}; "
            f"wrk -t{options['threads']} -c{options['connections']} -d{options['duration']} "
            "on loopback)\n"
        )
        out("| Endpoint | req/s | p50 ms | Share of ceiling | Requests | Non-2xx |")
        out("|---|--:|--:|--:|--:|--:|")
        for load in loads:
            share = f"{load.share:.0%}" if load.share is not None and load.rps else "—"
            out(
                f"| {load.label} | {load.rps:,.0f} | {load.p50_ms:.1f} | {share} "
                f"| {load.requests:,} | {load.non_2xx:,} |"
            )

    # --- 4. goals -----------------------------------------------------------------------------

    def _print_goals(self, seed, search, queries, loads) -> None:
        out = self.stdout.write
        rows = []
        if seed["seconds"] is None:
            rows.append(("Seed 1,000,000 customers", "≤ 5 min", "not measured", None))
        elif not seed["full"]:
            rows.append(
                (
                    "Seed 1,000,000 customers",
                    "≤ 5 min",
                    f"{_duration(seed['seconds'])} for {seed['added']:,} (not a full load)",
                    None,
                )
            )
        else:
            rows.append(
                (
                    "Seed 1,000,000 customers",
                    "≤ 5 min",
                    _duration(seed["seconds"]),
                    seed["seconds"] <= GOAL_SEED_SECONDS,
                )
            )
        for name, title, goal in (
            ("console", "Console search, every query class", GOAL_CONSOLE_MS),
            ("admin", "Admin search, every query class", GOAL_ADMIN_MS),
        ):
            worst = max(range(len(queries)), key=lambda k: search[name][k].ms)
            over = [queries[k][0] for k, t in enumerate(search[name]) if t.ms > goal]
            measured = f"slowest {search[name][worst].ms:.1f} ms ({queries[worst][0]})"
            if over:
                measured += f"; over: {', '.join(over)}"
            rows.append((title, f"≤ {goal} ms", measured, not over))
        if loads is None:
            for title, goal in (
                ("Management list throughput", f"≥ {GOAL_MANAGEMENT_RPS} req/s"),
                ("Shopper profile", f"≥ {GOAL_PROFILE_SHARE:.0%} of ceiling"),
                ("Shopper about", f"≥ {GOAL_ABOUT_SHARE:.0%} of ceiling"),
            ):
                rows.append((title, goal, "not measured (--no-load-test)", None))
        else:
            ceiling, profile, about, management = loads
            rows.append(
                (
                    "Management list throughput",
                    f"≥ {GOAL_MANAGEMENT_RPS} req/s",
                    f"{management.rps:,.0f} req/s",
                    management.rps >= GOAL_MANAGEMENT_RPS and not management.problems,
                )
            )
            for title, load, goal in (
                ("Shopper profile", profile, GOAL_PROFILE_SHARE),
                ("Shopper about", about, GOAL_ABOUT_SHARE),
            ):
                share = load.share or 0.0
                rows.append(
                    (
                        title,
                        f"≥ {goal:.0%} of ceiling",
                        f"{share:.0%} ({load.rps:,.0f} of {ceiling.rps:,.0f} req/s)",
                        share >= goal and not load.problems,
                    )
                )
        out("\n### Goals\n")
        out("| Goal | Target | Measured | Met |")
        out("|---|---|---|---|")
        for title, goal, measured, met in rows:
            mark = "—" if met is None else "met" if met else "**not met**"
            out(f"| {title} | {goal} | {measured} | {mark} |")
        out("")


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


def _manifest_storage() -> bool:
    """Whether this process serves static names from collectstatic's manifest (DEBUG off)."""
    backend = import_string(settings.STORAGES["staticfiles"]["BACKEND"])
    return issubclass(backend, ManifestFilesMixin)


def _get(client, url, data):
    # secure: with DEBUG off and SECURE_SSL_REDIRECT on, a plain http request is a redirect.
    response = client.get(url, data, secure=True)
    if response.status_code != 200:
        raise CommandError(f"{response.status_code} for {url} {data}: {response.content[:300]}")
    return response


def _console_matches(response) -> str:
    """The count the list shows: "Showing 1–25 of 1,234 customers", "… of 2,000+ customers"
    (a capped count), "… of about 1,000,000 customers" (an estimate), "No customers"."""
    html = response.content.decode()
    shown = re.search(r'data-testid="result-count"[^>]*>(.*?)</', html, re.S)
    if shown is None:
        return "?"
    text = " ".join(shown.group(1).split())
    counted = re.search(r"of (.+?) customers?\b", text)
    return _tally(counted.group(1)) if counted else "0" if text.startswith("No ") else text


def _admin_matches(response) -> str:
    """The count under the changelist ("1234 customers", "2,000+ customers", "about …")."""
    html = response.content.decode()
    paginator = re.search(r'class="paginator">(.*?)</p>', html, re.S)
    if paginator is None:
        return "?"
    text = " ".join(re.sub(r"<[^>]+>", " ", paginator.group(1)).split())
    counted = re.search(r"((?:about )?[\d,]+\+?) customers?\b", text)
    return _tally(counted.group(1)) if counted else "?"


def _api_matches(response) -> str:
    """pagination.count, marked as the API says it is: exact, or (count_is_exact false) the
    cap of a search or the estimate of the whole store."""
    pagination = response.json().get("pagination", {})
    count = pagination.get("count")
    if not isinstance(count, int):
        return "?"
    if pagination.get("count_is_exact", True):
        return f"{count:,}"
    return f"{count:,}+" if response.wsgi_request.GET.get("search") else f"about {count:,}"


def _tally(text: str) -> str:
    """Numbers with thousands separators (the admin shows none): "about 1,000,000", "2,000+"."""
    return re.sub(r"\d[\d,]*", lambda m: f"{int(m.group().replace(',', '')):,}", text)


def _parse_wrk(text: str) -> dict:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s|m)\b", text, re.M)
    requests = re.search(r"(\d+) requests in", text)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors:\s+(.*)", text)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": float(p50.group(1)) * scale[p50.group(2)] if p50 else 0.0,
        "requests": int(requests.group(1)) if requests else 0,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


def _fetch(url, headers) -> tuple[int, bytes]:
    try:
        with urlopen(Request(url, headers=headers), timeout=30) as response:
            return response.status, response.read()
    except HTTPError as error:
        return error.code, error.read()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as redis:
            redis.sendall(b"PING\r\n")
            return redis.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _stop(server: subprocess.Popen) -> None:
    """gunicorn and its workers (their own process group), politely, then not."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _database() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    return f"SQLite {connection.Database.sqlite_version}"


def _load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"
