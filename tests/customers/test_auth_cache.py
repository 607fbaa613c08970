"""A revoked store key or customer token is refused by the very next request, even right after
a request answered from the cached key lookup (API_KEY_CACHE_SECONDS), and whichever process
revoked it; what the cached lookup carries (the store's settings) is never stale."""

import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.tokens import customer_token_issue
from stores.models import ApiKey
from stores.services import api_key_create, api_key_revoke, store_update
from tests import factories
from tests.helpers import assert_error, client_of

pytestmark = pytest.mark.django_db
API = "/storefront/v1"


@pytest.fixture
def cached_keys(settings):
    """Key lookups cached, as in production with Redis (the default is off)."""
    settings.API_KEY_CACHE_SECONDS = 60


@pytest.fixture
def registered(customer):
    customer.password = make_password("analytical engine")
    customer.save()
    return customer


def warm(client, path):
    """`client` gets `path` twice: the first request looks the key up and caches it, the second
    finds it in the cache (no query reads the keys)."""
    assert client.get(path).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    assert not [query for query in queries.captured_queries if "stores_apikey" in query["sql"]]


def in_another_process(code: str) -> None:
    """Runs `code` in a new Python process with this test's database and the configured cache,
    as another gunicorn worker or a management command would."""
    script = "\n".join(
        [
            "import django",
            "from django.conf import settings",
            f"settings.DATABASES['default']['NAME'] = {connection.settings_dict['NAME']!r}",
            "django.setup()",
            code,
        ]
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    subprocess.run(
        [sys.executable, "-c", script],
        check=True,
        env=env,
        cwd=django_settings.BASE_DIR,
        timeout=120,
    )


# --- store keys -----------------------------------------------------------------------------


def test_a_cached_key_costs_no_query(api, cached_keys, django_assert_num_queries):
    assert api.get(f"{API}/about").status_code == 200
    with django_assert_num_queries(0):
        assert api.get(f"{API}/about").status_code == 200


def test_a_revoked_key_is_refused_by_the_next_request(api, key, cached_keys):
    warm(api, f"{API}/about")
    api_key_revoke(api_key=ApiKey.objects.get(pk=key.api_key.pk))
    assert_error(api.get(f"{API}/about"), 401)


def test_a_key_revoked_in_the_console_is_refused_by_the_next_request(api, key, member, cached_keys):
    warm(api, f"{API}/about")
    member("owner").post(reverse("console:api_key_revoke", args=[key.api_key.pk]))
    assert_error(api.get(f"{API}/about"), 401)


def test_a_revoked_secret_key_is_refused_by_the_next_request(store, cached_keys):
    secret = api_key_create(store=store, kind="secret")
    client = client_of(secret)
    warm(client, f"/api/v1/accounts/{store.pk}/customers")
    api_key_revoke(api_key=secret.api_key)
    assert_error(client.get(f"/api/v1/accounts/{store.pk}/customers"), 401)


def test_the_keys_of_a_deleted_store_are_refused_by_the_next_request(api, store, cached_keys):
    warm(api, f"{API}/about")
    store.delete()
    assert_error(api.get(f"{API}/about"), 401)


def test_a_store_change_shows_in_the_next_answer(api, store, cached_keys):
    warm(api, f"{API}/about")
    store_update(store=store, data={"name": "Ada's Tea", "currency": "EUR"})
    about = api.get(f"{API}/about").json()
    assert about["name"] == "Ada's Tea" and about["currency"] == "EUR"
    # Whatever saves the store: the admin's form, a shell.
    store.reviews_enabled = False
    store.save()
    assert api.get(f"{API}/about").json()["reviews_enabled"] is False


@pytest.mark.django_db(transaction=True)
def test_a_key_revoked_in_another_process_is_refused_by_the_next_request(store, settings):
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        # A per-process cache is not shared: lookups must then not be cached (README).
        settings.API_KEY_CACHE_SECONDS = 0
    else:
        settings.API_KEY_CACHE_SECONDS = 60
    key = api_key_create(store=store, kind="publishable")
    api = client_of(key)
    assert api.get(f"{API}/about").status_code == 200
    assert api.get(f"{API}/about").status_code == 200
    in_another_process(
        "from stores.models import ApiKey\n"
        "from stores.services import api_key_revoke\n"
        f"api_key_revoke(api_key=ApiKey.objects.get(pk={key.api_key.pk}))"
    )
    assert_error(api.get(f"{API}/about"), 401)


def test_a_cached_key_records_its_use_once_within_the_precision(
    api, key, cached_keys, frozen_clock, django_assert_num_queries
):
    # Last used 4.5 minutes ago: served from the cache for up to a minute more, it would be
    # more than 5 minutes behind, so the lookup that caches it records the use now.
    ApiKey.objects.filter(pk=key.api_key.pk).update(
        last_used_at=frozen_clock - timedelta(minutes=4, seconds=30)
    )
    assert api.get(f"{API}/about").status_code == 200
    assert ApiKey.objects.get(pk=key.api_key.pk).last_used_at == frozen_clock
    with django_assert_num_queries(0):  # no write while it is cached
        for _ in range(3):
            assert api.get(f"{API}/about").status_code == 200


# --- customer tokens ------------------------------------------------------------------------


def test_a_token_ended_by_logout_is_refused_by_the_next_request(key, registered, cached_keys):
    shopper = client_of(key, registered)
    url = f"{API}/customers/{registered.public_id}"
    warm(shopper, url)
    assert shopper.post(f"{API}/customers/logout").status_code == 200
    assert_error(shopper.get(url), 401)


def test_tokens_ended_by_a_password_change_are_refused_by_the_next_request(
    key, registered, cached_keys
):
    other = client_of(key, registered)
    url = f"{API}/customers/{registered.public_id}"
    warm(other, url)
    response = client_of(key, registered).put(
        url,
        {"password": "a new long password", "current_password": "analytical engine"},
        format="json",
    )
    assert response.status_code == 200
    assert_error(other.get(url), 401)


def test_the_tokens_of_a_closed_account_are_refused_by_the_next_request(
    key, registered, cached_keys
):
    other = client_of(key, registered)
    url = f"{API}/customers/{registered.public_id}"
    warm(other, url)
    closing = client_of(key, registered)
    assert closing.post(f"{API}/customers/account-closure").status_code == 200
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    response = closing.post(
        f"{API}/customers/confirm-account-closure", {"code": code}, format="json"
    )
    assert response.status_code == 200
    assert_error(other.get(url), 401)
    assert_error(closing.get(url), 401)


def test_the_tokens_of_a_deleted_customer_are_refused_by_the_next_request(
    key, store, registered, cached_keys
):
    shopper = client_of(key, registered)
    url = f"{API}/customers/{registered.public_id}"
    warm(shopper, url)
    back_office = client_of(api_key_create(store=store, kind="secret"))
    response = back_office.delete(f"/api/v1/accounts/{store.pk}/customers/{registered.pk}")
    assert response.status_code == 204
    assert_error(shopper.get(url), 401)


@pytest.mark.django_db(transaction=True)
def test_tokens_ended_in_another_process_are_refused_by_the_next_request(store, settings):
    settings.API_KEY_CACHE_SECONDS = (
        0 if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache") else 60
    )
    customer = factories.CustomerFactory(store=store)
    key = api_key_create(store=store, kind="publishable")
    shopper = client_of(key, customer)
    url = f"{API}/customers/{customer.public_id}"
    assert shopper.get(url).status_code == 200
    assert shopper.get(url).status_code == 200
    in_another_process(
        "from customers.models import Customer\n"
        "from customers.tokens import customer_tokens_revoke_all\n"
        f"customer_tokens_revoke_all(customer=Customer.objects.get(pk={customer.pk}))"
    )
    assert_error(shopper.get(url), 401)


def test_a_token_of_another_store_is_refused_even_with_a_cached_key(api, other_store, cached_keys):
    rival = factories.CustomerFactory(store=other_store)
    warm(api, f"{API}/about")
    api.credentials(
        HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"],
        HTTP_CUSTOMER_TOKEN=customer_token_issue(customer=rival),
    )
    assert_error(api.get(f"{API}/customers/{rival.public_id}"), 401)
