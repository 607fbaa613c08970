"""The console's API keys page: a new key is shown once, says plainly what kind of key it is
and where it may go, and has a copy button."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests import factories

PUBLISHABLE = "Publishable key (for the shopper API, safe in an app)"
SECRET = "Secret key (for the management API: keep it on your server)"


def _banner_text(response) -> str:
    html = response.content.decode()
    start = html.index('data-testid="issued-key"')
    return " ".join(html[start : html.index("</section>", start)].split())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "says", "not_says"),
    [("publishable", PUBLISHABLE, SECRET), ("secret", SECRET, PUBLISHABLE)],
)
def test_the_new_key_banner_names_the_kind_plainly(store, member, kind, says, not_says):
    response = member("owner").post(reverse("console:api_keys"), {"kind": kind, "name": "Shop"})
    raw = response.context["issued"].raw
    banner = _banner_text(response)
    assert says in banner and not_says not in banner
    assert "only time you see it" in banner
    # The key sits in an element the copy button names, and the button is a real button.
    assert '<code id="issued-key-value"' in banner and f">{raw}</code>" in banner
    assert '<button type="button"' in banner and 'data-copy="issued-key-value"' in banner
    assert 'aria-live="polite"' in banner


# --- in a browser ----------------------------------------------------------------------------


def _logged_in_context(browser, live_server, user, **options):
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


def _issue_a_key(page, live_server, kind_label):
    page.goto(f"{live_server.url}{reverse('console:api_keys')}")
    page.get_by_label("Kind").select_option(label=kind_label)
    page.get_by_label("Name").fill("Till")
    page.get_by_role("button", name="Create key").click()
    page.get_by_test_id("issued-key").wait_for()
    return page.locator("#issued-key-value").inner_text().strip()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_copy_button_copies_the_new_key(browser, live_server):
    owner = factories.MembershipFactory(role="owner").user
    context = _logged_in_context(
        browser, live_server, owner, permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    raw = _issue_a_key(page, live_server, "Secret (management API)")
    assert raw.startswith("sk_")

    page.get_by_role("button", name="Copy the key").click()
    page.get_by_test_id("issued-key").get_by_text("Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == raw

    # From the keyboard too: Tab to the button, Enter.
    page.evaluate("navigator.clipboard.writeText('')")
    page.evaluate("document.activeElement.blur()")
    page.locator("#issued-key-value").click()  # the focus starts beside the key
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.copy") == "issued-key-value"
    page.keyboard.press("Enter")
    page.wait_for_function("() => navigator.clipboard.readText().then(t => t.length > 0)")
    assert page.evaluate("navigator.clipboard.readText()") == raw
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_without_a_clipboard_the_button_selects_the_key(browser, live_server):
    owner = factories.MembershipFactory(role="owner").user
    context = _logged_in_context(browser, live_server, owner)
    # A page served over plain http to another host has no navigator.clipboard.
    context.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    page = context.new_page()
    page.set_default_timeout(15_000)
    raw = _issue_a_key(page, live_server, "Publishable (shopper API)")

    page.get_by_role("button", name="Copy the key").click()
    status = page.locator("#issued-key-status")
    page.wait_for_function(
        "() => document.getElementById('issued-key-status').textContent.trim() !== ''"
    )
    assert page.evaluate("window.getSelection().toString().trim()") == raw
    assert status.inner_text().strip() in ("Copied", "Selected: press Ctrl+C (⌘C on a Mac) to copy")
    context.close()
