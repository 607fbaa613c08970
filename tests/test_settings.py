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
        "customer_search_document_trgm",
        "customer_phone_trgm",
        "enrolment_code_trgm",
    }
    # One index per column served no search any more and cost every insert (migration 0007).
    assert not names & {
        "customer_first_name_trgm",
        "customer_last_name_trgm",
        "customer_email_trgm",
        "extref_external_id_trgm",
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


# --- Production: what README "Serving in production" documents ------------------------------

README = settings.BASE_DIR / "README.md"


def _readme_section(title: str) -> str:
    import re

    text = README.read_text() + "\n## "
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert match, f'README.md has no "## {title}" section'
    return match.group(1)


def _documented_production_environment() -> dict[str, str]:
    """The KEY=value lines of the ```dotenv block in README "Serving in production"."""
    import re

    section = _readme_section("Serving in production")
    block = re.search(r"^```dotenv\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    assert block, 'README "Serving in production" has no ```dotenv block'
    environment = {}
    for line in block.group(1).splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            environment[name] = value
    return environment


def test_check_deploy_passes_with_exactly_the_documented_production_environment():
    """The environment README documents for production, as written (only SECRET_KEY, a
    placeholder there, is a random key here), passes `check --deploy` with no warning."""
    import secrets

    environment = _documented_production_environment()
    assert environment["DEBUG"] == "false"
    assert {"ALLOWED_HOSTS", "BEHIND_TLS_PROXY", "NUM_PROXIES", "DATABASE_URL"} <= set(environment)
    assert environment["CACHE_URL"].startswith("redis://")
    environment["SECRET_KEY"] = secrets.token_urlsafe(50)
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **environment)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_every_environment_variable_the_settings_read_is_in_the_readme_table():
    import re

    source = (settings.BASE_DIR / "config" / "settings.py").read_text()
    read = set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source))
    assert {"DEBUG", "SECRET_KEY", "BEHIND_TLS_PROXY", "CSP_MEDIA_ORIGINS"} <= read
    table = _readme_section("Configuration")
    documented = {  # the names in the first cell of each row
        name
        for cell in re.findall(r"^\|([^|\n]*)\|", table, re.MULTILINE)
        for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", cell)
    }
    assert read - documented == set()


# What a request sees with the production settings and each security variable. The requests
# go through Django's test client in a subprocess, so the settings are read from that
# environment; "/" only redirects to the console (no template, no database).
HTTPS_PROBE = """
import django
django.setup()
from django.conf import settings
from django.test import Client
response = Client().get("/", headers=dict(h.split("=", 1) for h in {headers!r}))
print(response.status_code, response.headers.get("Location"))
print(response.headers.get("Strict-Transport-Security"))
print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE)
"""


def _probe(headers=(), **environment):
    import secrets
    import subprocess
    import sys

    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "shop.example.com,testserver",
        **environment,
    }
    result = subprocess.run(
        [sys.executable, "-c", HTTPS_PROBE.format(headers=list(headers))],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


HSTS_YEAR = "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize(
    ("environment", "headers", "expected"),
    [
        # Production defaults: plain http:// is sent to https://; cookies only over HTTPS.
        ({}, [], ["301 https://testserver/", "None", "True True"]),
        # A client cannot claim HTTPS: X-Forwarded-Proto counts only with BEHIND_TLS_PROXY.
        ({}, ["X-Forwarded-Proto=https"], ["301 https://testserver/", "None", "True True"]),
        (
            {"BEHIND_TLS_PROXY": "true"},
            ["X-Forwarded-Proto=https"],
            ["302 /console/", HSTS_YEAR, "True True"],
        ),
        (
            {"BEHIND_TLS_PROXY": "true"},
            ["X-Forwarded-Proto=http"],
            ["301 https://testserver/", "None", "True True"],
        ),
        (
            {
                "BEHIND_TLS_PROXY": "true",
                "SECURE_HSTS_SECONDS": "3600",
                "SECURE_HSTS_INCLUDE_SUBDOMAINS": "false",
                "SECURE_HSTS_PRELOAD": "true",
            },
            ["X-Forwarded-Proto=https"],
            ["302 /console/", "max-age=3600; preload", "True True"],
        ),
        # Trying a DEBUG=false server over plain http://.
        (
            {"SECURE_SSL_REDIRECT": "false", "SECURE_COOKIES": "false"},
            [],
            ["302 /console/", "None", "False False"],
        ),
    ],
    ids=[
        "http-redirects",
        "forwarded-proto-untrusted",
        "behind-tls-proxy",
        "proxy-says-http",
        "hsts-settings",
        "plain-http-trial",
    ],
)
def test_the_https_settings_come_from_the_environment(environment, headers, expected):
    assert _probe(headers, **environment) == expected


@pytest.mark.parametrize(
    ("cache_url", "seconds", "backend"),
    [
        ("", "0", "LocMemCache"),  # per process: a revocation could not reach other workers
        ("redis://127.0.0.1:6379/9", "60", "ReusedClientRedisCache"),
    ],
)
def test_store_keys_are_cached_only_in_a_shared_cache(cache_url, seconds, backend):
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "true"}
    if cache_url:
        env["CACHE_URL"] = cache_url
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "from django.core.cache import caches; "
        "print(s.API_KEY_CACHE_SECONDS, type(caches['default']).__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.stdout.split() == [seconds, backend], result.stderr
