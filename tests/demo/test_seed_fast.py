"""seed_demo on PostgreSQL: what a load leaves behind besides its rows (statistics, and the
indexes and foreign keys a big load drops and builds again)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection

from customers.models import Address, Customer, CustomerEvent
from demo.management.commands import seed_demo
from loyalty.models import CustomerCard, StampEntry
from orders.models import Order, OrderLine
from reviews.models import Review, ReviewVote

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL only: statistics (pg_stat_user_tables), GIN indexes and deferred "
        "foreign keys are what these tests are about; SQLite has none of them",
    ),
    # Real commits: ANALYZE and the rebuild run as they do outside a test.
    pytest.mark.django_db(transaction=True),
]

FILLED = [
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
TABLES = [model._meta.db_table for model in FILLED]


@pytest.fixture(autouse=True)
def _credentials_in_tmp(settings, tmp_path):
    settings.DEMO_CREDENTIALS_FILE = tmp_path / "demo-credentials.json"


@pytest.fixture
def big_load(monkeypatch):
    """A load of 300 customers counts as big, in batches of 100 (tuning knobs, lowered to keep
    the test fast)."""
    monkeypatch.setattr(seed_demo, "REBUILD_INDEXES_FROM", 100, raising=False)
    monkeypatch.setattr(seed_demo, "BATCH", 100)


def seed(customers: int) -> None:
    call_command("seed_demo", "--customers", str(customers), stdout=StringIO(), stderr=StringIO())


def query(sql, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def indexes() -> dict[str, tuple]:
    """Index name -> (table, definition, valid, unique or primary key, oid), on filled tables."""
    rows = query(
        """
        SELECT c.relname, t.relname, pg_get_indexdef(i.indexrelid), i.indisvalid,
               i.indisunique OR i.indisprimary, i.indexrelid
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_class t ON t.oid = i.indrelid
        WHERE t.relname = ANY (%s)
        """,
        [TABLES],
    )
    return {name: tuple(rest) for name, *rest in rows}


def constraints() -> set[tuple]:
    return set(
        query(
            """
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated
            FROM pg_constraint WHERE conrelid = ANY (%s::regclass[])
            """,
            [TABLES],
        )
    )


def definitions(found: dict[str, tuple]) -> dict[str, tuple]:
    return {name: (table, sql, valid) for name, (table, sql, valid, _unique, _oid) in found.items()}


def test_seed_demo_leaves_the_tables_it_filled_analyzed():
    (started,) = query("SELECT clock_timestamp()")[0]

    seed(300)

    analyzed = dict(
        query(
            "SELECT relname, greatest(last_analyze, last_autoanalyze) FROM pg_stat_user_tables "
            "WHERE relname = ANY (%s)",
            [TABLES],
        )
    )
    fresh = {table: bool(at and at >= started) for table, at in analyzed.items()}
    assert fresh == dict.fromkeys(TABLES, True)
    # and the planner knows how many customers there are (it assumed an empty table before)
    rows = query("SELECT reltuples FROM pg_class WHERE oid = 'customers_customer'::regclass")
    assert rows == [(Customer.objects.count(),)]  # the 300, and the demo network's


def test_a_big_load_builds_its_indexes_again_as_they_were(big_load):
    before, keys_before = indexes(), constraints()
    assert any("gin_trgm_ops" in sql for _t, sql, *_ in before.values())

    seed(300)

    after = indexes()
    assert definitions(after) == definitions(before)
    assert constraints() == keys_before
    assert all(valid for _t, _sql, valid, *_ in after.values())
    # The secondary indexes were built anew after the rows came in; the unique ones and the
    # primary keys, which check each row as it comes, were never dropped.
    for name, (_table, sql, _valid, unique, oid) in before.items():
        rebuilt = after[name][4] != oid
        assert rebuilt != unique, (name, sql)
    # and search finds the loaded customers
    someone = Customer.objects.order_by("pk").last()
    assert list(Customer.objects.filter(email__icontains=someone.email[:-4])) == [someone]


def test_a_big_load_that_fails_midway_leaves_every_index_and_key_in_place(big_load):
    """The drop, the load and the builds are one transaction: a failure rolls them all back."""
    before, keys_before = indexes(), constraints()
    # A fault from the database itself, late in the load: the 1,000th timeline event (the
    # events are written last; 300 customers make over a thousand).
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION seed_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF (SELECT count(*) FROM customers_customerevent) >= 1000 THEN
                    RAISE EXCEPTION 'disk on fire';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER seed_test_fail BEFORE INSERT ON customers_customerevent
            FOR EACH ROW EXECUTE FUNCTION seed_test_fail();
            """
        )
    try:
        with pytest.raises(DatabaseError, match="disk on fire"):
            seed(300)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER seed_test_fail ON customers_customerevent")
            cursor.execute("DROP FUNCTION seed_test_fail()")

    assert indexes() == before  # the very same indexes, not copies
    assert constraints() == keys_before
    assert not Customer.objects.filter(store__slug="demo").exists()  # nothing half-loaded
