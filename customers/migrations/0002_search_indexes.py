"""Trigram indexes that make substring search fast on PostgreSQL.

`icontains` compiles to `UPPER(col::text) LIKE UPPER(%s)`, so the indexes are on the same
expressions. A search that ORs columns only uses indexes when every column has one, hence all
of them. SQLite has no trigram GIN index; there the operation does nothing.
"""

from django.db import migrations

INDEXES = [
    ("customer_first_name_trgm", "customers_customer", "UPPER(first_name::text)"),
    ("customer_last_name_trgm", "customers_customer", "UPPER(last_name::text)"),
    ("customer_email_trgm", "customers_customer", "UPPER(email::text)"),
    ("customer_phone_trgm", "customers_customer", "phone"),
    ("extref_external_id_trgm", "customers_externalreference", "UPPER(external_id::text)"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, expression in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
