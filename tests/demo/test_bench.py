"""`make bench` (manage.py bench) on a tiny store, without its gunicorn + wrk part: it loads
the store once, prints the markdown tables, and keeps the seed time for later runs."""

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command

from customers.models import Customer

pytestmark = pytest.mark.django_db

QUERY_CLASSES = [
    "no search (plain list)",
    "frequent last name",
    "broad phone prefix",
    "two common words",
    "email fragment",
    "formatted phone",
    "card code",
    "external id",
    "no match",
]


def bench(tmp_path, *args) -> str:
    out = StringIO()
    call_command(
        "bench",
        "--customers",
        "200",
        "--runs",
        "1",
        "--no-load-test",
        "--state-dir",
        str(tmp_path),
        *args,
        stdout=out,
        stderr=StringIO(),
    )
    return out.getvalue()


def rows(output: str) -> dict[str, list[str]]:
    """The search table: query class -> its cells after the term."""
    table = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[0] in QUERY_CLASSES:
            table[cells[0]] = cells[2:]
    return table


def test_bench_loads_once_and_prints_the_scale_table(tmp_path, settings):
    settings.DEMO_CREDENTIALS_FILE = tmp_path / "demo-credentials.json"

    output = bench(tmp_path)

    assert Customer.objects.filter(store__slug="demo").count() == 200
    (record_file,) = tmp_path.glob("bench-seed-*.json")
    record = json.loads(record_file.read_text())
    assert record["command"] == "seed_demo --customers 200"
    assert (record["customers_before"], record["customers_after"]) == (0, 200)
    assert "## Scale: 200 customers" in output
    assert f"`seed_demo --customers 200` took {record['seconds']:.1f} s" in output

    table = rows(output)
    assert list(table) == QUERY_CLASSES
    for cells in table.values():
        # ms, SQL statements, matches on the console, the management API and the admin.
        assert len(cells) == 9
        for ms, statements, _matches in (cells[0:3], cells[3:6], cells[6:9]):
            assert float(ms) > 0 and int(statements) > 0
    matches = {label: cells[2::3] for label, cells in table.items()}
    # The admin lists every account's customers: the demo network's too.
    everyone = str(Customer.objects.count())
    assert matches["no search (plain list)"] == ["200", "200", everyone]
    assert matches["broad phone prefix"] == ["200", "200", "200"]
    for label in ("formatted phone", "card code", "external id"):
        assert matches[label] == ["1", "1", "1"], label
    assert matches["no match"] == ["0", "0", "0"]

    goals = output[output.index("### Goals") :]
    assert re.search(r"\| Seed 1,000,000 customers \| ≤ 5 min \| \d\.\d s for 200", goals)
    assert re.search(r"\| Console search, every query class \| ≤ 30 ms \| slowest [\d.]+ ms", goals)
    assert "| Management list throughput | ≥ 400 req/s | not measured (--no-load-test) |" in goals

    again = bench(tmp_path)  # the store is loaded: no second load, the first load's time

    assert Customer.objects.filter(store__slug="demo").count() == 200
    assert "Loading" not in again
    assert json.loads(record_file.read_text()) == record
    measured = record["measured_at"][:16].replace("T", " ")
    assert f"took {record['seconds']:.1f} s (measured {measured} UTC" in again
