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


def _manage(*args, **environment):
    """manage.py in a clean environment (no pytest, no developer's shell) plus `environment`."""
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", **environment}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )


def test_check_deploy_passes_without_warnings_in_production():
    """What a production deploy sets (README: DEBUG, SECRET_KEY, ALLOWED_HOSTS); the security
    settings' production defaults do the rest."""
    import secrets

    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="shop.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stderr


def test_debug_neither_redirects_to_https_nor_sends_hsts():
    """`make run` serves plain http://127.0.0.1:8000 with DEBUG on."""
    result = _manage(
        "shell",
        "--verbosity=0",
        "-c",
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE)",
        DEBUG="true",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "0", "False"]


@pytest.mark.parametrize(
    ("ci", "outcome"),
    [("true", "1 error"), ("", "1 skipped")],
    ids=["ci-fails", "developer-skips"],
)
def test_a_missing_chromium_fails_browser_tests_under_ci_only(tmp_path, ci, outcome):
    import os
    import subprocess
    import sys

    (tmp_path / "test_probe.py").write_text(
        "from tests.conftest import browser  # noqa: F401\n\n\ndef test_probe(browser):\n    pass\n"
    )
    env = {**os.environ, "CI": ci, "CHROMIUM_PATH": str(tmp_path / "no-chromium")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(tmp_path / "test_probe.py"), "-p", "no:cacheprovider"]
        + ["-c", str(settings.BASE_DIR / "pyproject.toml"), "--rootdir", str(settings.BASE_DIR)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert outcome in result.stdout, result.stdout + result.stderr
    assert "Chromium is not installed at " + str(tmp_path / "no-chromium") in result.stdout
