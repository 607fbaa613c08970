"""Indexes that keep customer search fast on PostgreSQL at 100,000+ customers (`make bench`).

- customer_search_document_trgm: one trigram index over a customer's searchable text. A search
  word may be in the first name, the last name or the email; ORing three `icontains` over the
  three trigram indexes of 0002 is right, but PostgreSQL prices three GIN scans above a
  sequential scan, which then evaluates UPPER(…) LIKE three times per row: ~85 ms for a common
  name such as "ada", against ~9 ms through this index. customers.selectors._SearchDocument
  is this expression; a search word has no space in it, so it never matches across two fields.
- extref_external_id_upper: the exact, case-insensitive external-id lookup of every search
  (`UPPER(external_id) = UPPER(%s)`). The trigram index of 0002 can answer it, but slowly once
  every customer has an id with the same prefix (~15 ms against ~0.1 ms).

SQLite searches through its FTS5 index (0003); there this migration does nothing.
"""

from django.db import migrations

INDEXES = [
    (
        "customer_search_document_trgm",
        "customers_customer USING gin "
        "((UPPER(first_name::text || ' ' || last_name::text || ' ' || email::text)) "
        "gin_trgm_ops)",
    ),
    ("extref_external_id_upper", "customers_externalreference (UPPER(external_id::text))"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _definition in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_sqlite_search")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
