"""Throttles and lockouts hold across workers: what one process counted, another one sees.

Production runs several gunicorn workers: the API throttles must count in Redis (CACHE_URL), the
staff lockout in the database. Each test here makes requests in this process, then the next one
in a separate Python process (its own Django, its own Redis and database connections, as another
worker would be) and shows that it is refused. They run on the Redis of CACHE_URL when it is one,
else on redis://127.0.0.1:6379/15; they skip when Redis is not reachable, or fail under CI.
Every run counts under fresh addresses and identities, so nothing needs flushing.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
API = "/storefront/v1"
PASSWORD = "correct horse battery"

# The other worker: reads requests (JSON) on stdin, makes them with Django's test client against
# the same database and cache, prints what each answered.
WORKER = """
import json, sys
import django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()  # "testserver" is an allowed host, e-mails stay in memory
answers = []
for spec in json.loads(sys.stdin.read()):
    client = Client()
    extra = {"REMOTE_ADDR": spec["address"]}
    if spec.get("key"):
        extra["HTTP_AUTHORIZATION"] = "Bearer " + spec["key"]
    if spec.get("form"):
        response = client.post(spec["path"], spec["data"], **extra)
    else:
        body = json.dumps(spec["data"])
        response = client.post(spec["path"], body, content_type="application/json", **extra)
    answers.append(
        {
            "status": response.status_code,
            "retry_after": response.headers.get("Retry-After"),
            "signed_in": "_auth_user_id" in client.session,
        }
    )
print(json.dumps(answers))
"""


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _redis_url() -> str:
    url = os.environ.get("CACHE_URL", "")
    return url if url.startswith(("redis://", "rediss://")) else "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_cache(settings):
    """This process's cache switched to Redis (the production choice); the URL, for the other
    worker."""
    import redis

    url = _redis_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except (redis.exceptions.RedisError, OSError) as exc:
        message = f"Redis is not reachable at {url} ({exc})"
        if _ci():
            pytest.fail(message + " (CI is set: the shared-throttle tests must run)")
        pytest.skip(message)
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    return url


def _database_url() -> str:
    """The test database, as a DATABASE_URL another process can open."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def other_worker(cache_url: str, requests: list[dict]) -> list[dict]:
    """Make `requests` in a separate Python process sharing only the database and the cache."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "CACHE_URL": cache_url,
    }
    done = subprocess.run(
        [sys.executable, "-c", WORKER],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def fresh_address() -> str:
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


def fresh_email() -> tuple[str, str]:
    """An address never used before, as stored and as someone else might type it (upper case,
    full-width letters: the same address after NFKC and case folding)."""
    name = secrets.token_hex(8)
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in name.upper())
    return f"{name}@example.com", f"{full_width}@Example.COM"


def test_a_code_request_throttled_in_one_worker_is_throttled_in_another(api, key, redis_cache):
    email, typed = fresh_email()
    limit = 5  # THROTTLE_SEND_CODE per identity
    for _ in range(limit):
        response = api.post(
            f"{API}/customers/request-creation-code",
            {"identity": email},
            format="json",
            REMOTE_ADDR=fresh_address(),
        )
        assert response.status_code == 200, response.content
    [answer] = other_worker(
        redis_cache,
        [
            {
                "path": f"{API}/customers/request-creation-code",
                "key": key.raw,
                "data": {"identity": typed},
                "address": fresh_address(),
            }
        ],
    )
    assert answer["status"] == 429
    assert int(answer["retry_after"]) > 0


def test_logins_from_one_address_are_counted_across_workers(api, key, redis_cache):
    address = fresh_address()
    limit = 10  # THROTTLE_LOGIN per client address
    for n in range(limit):
        response = api.post(
            f"{API}/customers/login",
            {"identity": f"nobody{n}@example.com", "password": "wrong"},
            format="json",
            REMOTE_ADDR=address,
        )
        assert response.status_code == 401, response.content
    answers = other_worker(
        redis_cache,
        [
            {
                "path": f"{API}/customers/login",
                "key": key.raw,
                "data": {"identity": "someone@example.com", "password": "wrong"},
                "address": address,
            },
            {  # another address is not held back
                "path": f"{API}/customers/login",
                "key": key.raw,
                "data": {"identity": "someone@example.com", "password": "wrong"},
                "address": fresh_address(),
            },
        ],
    )
    assert [answer["status"] for answer in answers] == [429, 401]


def test_a_staff_lockout_reached_in_one_worker_holds_in_another(client, store, redis_cache):
    # django-axes counts in the database, so every worker sees the same failures, whatever the
    # cache. Failures on the console's sign-in and the admin's count together.
    username = f"demo{secrets.randbelow(10**6)}"
    factories.MembershipFactory(store=store, user__username=username, user__is_staff=True)
    for n in range(django_settings.LOGIN_FAILURES_ALLOWED):
        url = ["/console/login/", "/admin/login/"][n % 2]
        client.post(url, {"username": username, "password": "wrong"}, REMOTE_ADDR=fresh_address())
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in username)  # ｄｅｍｏ…
    answers = other_worker(
        redis_cache,
        [
            {
                "path": url,
                "form": True,
                "data": {"username": typed, "password": PASSWORD},
                "address": fresh_address(),
            }
            for url in ["/console/login/", "/admin/login/"]
            for typed in [username, full_width]
        ],
    )
    assert [answer["status"] for answer in answers] == [429, 429, 429, 429]
    assert not any(answer["signed_in"] for answer in answers)
