import pytest

from tests import factories


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


CHROMIUM = "/usr/bin/chromium"
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
    """Debian's Chromium driven by Playwright (Playwright cannot download a browser here)."""
    import os
    import shutil

    if not shutil.which(CHROMIUM):
        pytest.skip(f"Chromium is not installed at {CHROMIUM}: apt-get install chromium")
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
