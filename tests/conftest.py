import os

import pytest
import time_machine

from stores.services import api_key_create
from tests import factories
from tests.helpers import FROZEN_NOW, client_of


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "api_key(kind): the kind of the `key` fixture (and `api`), publishable unless said",
    )


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files of a test go to its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def store(db):
    return factories.StoreFactory(name="Ada's Coffee", phone_region="US", timezone="UTC")


@pytest.fixture
def other_store(db):
    return factories.StoreFactory(name="Rival Roasters")


# A network (Bean Network) with two member stores, a store outside it, and a network card.


@pytest.fixture
def network(db):
    return factories.NetworkFactory(name="Bean Network", timezone="UTC")


@pytest.fixture
def store_a(network):
    return factories.StoreFactory(name="Store A", network=network, timezone="UTC")


@pytest.fixture
def store_b(network):
    return factories.StoreFactory(name="Store B", network=network, timezone="UTC")


@pytest.fixture
def outsider(db):
    return factories.StoreFactory(name="Outsider", timezone="UTC")


@pytest.fixture
def network_card(network):
    return factories.LoyaltyCardFactory(store=network, name="Network coffee card")


@pytest.fixture
def customer(store):
    return factories.CustomerFactory(
        store=store,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        phone="+14155550123",
    )


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(username="root", is_staff=True, is_superuser=True)


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (Playwright cannot download a browser here).

    Without it the browser tests skip on a developer's machine, and fail under CI (`CI=true`)."""
    import shutil

    if not shutil.which(CHROMIUM):
        message = f"Chromium is not installed at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + " (CI is set: browser tests must run)", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM must still be usable.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def member(store):
    """A client logged in as a member of `store`: member("staff"|"manager"|"owner")."""
    from django.test import Client

    def make(role="staff", **kwargs):
        membership = factories.MembershipFactory(store=store, role=role)
        client = Client(**kwargs)
        client.force_login(membership.user)
        client.user = membership.user
        return client

    return make


@pytest.fixture
def staff_client(member):
    return member("staff")


@pytest.fixture
def manager_client(member):
    return member("manager")


@pytest.fixture(autouse=True)
def _fresh_cache_and_outboxes():
    """Throttle counters and sent messages do not leak from one test into the next."""
    from django.core.cache import cache

    from customers import notifications

    cache.clear()
    notifications.outbox.clear()
    yield
    notifications.outbox.clear()


@pytest.fixture
def key(request, store):
    """An issued key of `store`: publishable (the shopper API), or secret (the management API) in
    a module marked `pytest.mark.api_key("secret")`."""
    marker = request.node.get_closest_marker("api_key")
    kind = marker.args[0] if marker else "publishable"
    return api_key_create(store=store, kind=kind)


@pytest.fixture
def api(key):
    """An API client with `key` as Bearer."""
    return client_of(key)


@pytest.fixture
def shopper(key, customer):
    """An API client with `key` as Bearer and a Customer-Token of the `customer` fixture (Ada,
    registered): on the shopper API, Ada logged in."""
    return client_of(key, customer)


@pytest.fixture
def frozen_clock():
    """The clock stands still at FROZEN_NOW, for tests that depend on the date or the time of
    day (daily limits, "this week", date filters, expiry): none fails across midnight."""
    with time_machine.travel(FROZEN_NOW, tick=False):
        yield FROZEN_NOW
