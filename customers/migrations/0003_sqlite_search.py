"""A full-text index that makes substring search fast on SQLite (PostgreSQL uses the trigram
indexes of 0002; there this migration does nothing).

`customer_search` is an FTS5 table with the trigram tokenizer over the searched columns of
customers_customer (external content: it stores only the index). Triggers keep it in step with
every insert, update and delete, including raw ones.

Beware: when a later migration makes Django's SQLite schema editor rebuild customers_customer
(it copies the table for many ALTERs), the triggers go with the old table. Such a migration must
run `create` below again; tests/customers/test_search.py fails if the index falls behind.
"""

from django.db import migrations

COLUMNS = "first_name, last_name, email, phone"
OLD = "old.first_name, old.last_name, old.email, old.phone"
NEW = "new.first_name, new.last_name, new.email, new.phone"

CREATE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS customer_search USING fts5({COLUMNS}, "
    "content='customers_customer', content_rowid='id', tokenize='trigram')",
    "DROP TRIGGER IF EXISTS customer_search_insert",
    "DROP TRIGGER IF EXISTS customer_search_delete",
    "DROP TRIGGER IF EXISTS customer_search_update",
    f"""CREATE TRIGGER customer_search_insert AFTER INSERT ON customers_customer BEGIN
        INSERT INTO customer_search(rowid, {COLUMNS}) VALUES (new.id, {NEW});
    END""",
    f"""CREATE TRIGGER customer_search_delete AFTER DELETE ON customers_customer BEGIN
        INSERT INTO customer_search(customer_search, rowid, {COLUMNS})
        VALUES ('delete', old.id, {OLD});
    END""",
    f"""CREATE TRIGGER customer_search_update AFTER UPDATE OF {COLUMNS} ON customers_customer
    BEGIN
        INSERT INTO customer_search(customer_search, rowid, {COLUMNS})
        VALUES ('delete', old.id, {OLD});
        INSERT INTO customer_search(rowid, {COLUMNS}) VALUES (new.id, {NEW});
    END""",
    "INSERT INTO customer_search(customer_search) VALUES ('rebuild')",
]

DROP = [
    "DROP TRIGGER IF EXISTS customer_search_insert",
    "DROP TRIGGER IF EXISTS customer_search_delete",
    "DROP TRIGGER IF EXISTS customer_search_update",
    "DROP TABLE IF EXISTS customer_search",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in CREATE:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_search_indexes")]

    operations = [migrations.RunPython(create, drop)]
