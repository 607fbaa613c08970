"""Fewer trigram indexes on customers (PostgreSQL): every insert maintains each one.

customers.selectors searches a name or an email through the one trigram index over the three
(customer_search_document_trgm, 0004) and a phone through customer_phone_trgm; an external id
through extref_external_id_upper. The trigram indexes of 0002 on the first name, the last name,
the email and the external id no longer serve any query, and each cost every insert a GIN
update (PITFALLS, "Five trigram GIN indexes make every insert expensive"). Reverting recreates
them. SQLite searches through its FTS5 index (0003); there this migration does nothing.
"""

from django.db import migrations

DROPPED = [
    ("customer_first_name_trgm", "customers_customer", "UPPER(first_name::text)"),
    ("customer_last_name_trgm", "customers_customer", "UPPER(last_name::text)"),
    ("customer_email_trgm", "customers_customer", "UPPER(email::text)"),
    ("extref_external_id_trgm", "customers_externalreference", "UPPER(external_id::text)"),
]


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in DROPPED:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, expression in DROPPED:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression} gin_trgm_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0006_contact_verification")]

    operations = [migrations.RunPython(drop, create, elidable=False)]
