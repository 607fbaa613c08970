import pytest
from django.conf import settings
from django.db import connection


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_immediate_transactions():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite-only settings; this run is on " + connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5


@pytest.mark.django_db
def test_postgres_has_trigram_indexes_for_search():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only indexes; this run is on " + connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%%_trgm'")
        names = {row[0] for row in cursor.fetchall()}
    assert names >= {
        "customer_first_name_trgm",
        "customer_last_name_trgm",
        "customer_email_trgm",
        "customer_phone_trgm",
        "extref_external_id_trgm",
        "enrolment_code_trgm",
    }


def test_secret_key_is_required_without_debug(tmp_path):
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "false"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_the_run_is_on_the_database_ci_asked_for():
    """.ci/run names the database each run must use; a run that silently fell back to SQLite
    (a Makefile that stopped passing DATABASE_URL did once) fails here."""
    import os

    expected = os.environ.get("EXPECT_DB_VENDOR")
    if not expected:
        pytest.skip("EXPECT_DB_VENDOR is not set (only .ci/run sets it)")
    assert connection.vendor == expected
