"""The Content-Security-Policy: every console page (and the admin) is sent a policy that allows
scripts and styles from this site only, and no page needs more. No template holds an inline
script, an on* handler, a javascript: link or a style attribute; htmx works under the policy.
The API docs (Swagger UI, Redoc) get their own, looser policy, as their bundles need it."""

import re
from html.parser import HTMLParser

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from customers.services import customer_group_create, note_create
from loyalty.services import stamp_add
from reviews.models import Review, ReviewMedia
from stores.services import api_key_create
from tests import factories
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.services import endpoint_create

STRICT = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "media-src": {"'self'"},
    "frame-ancestors": {"'none'"},
    "form-action": {"'self'"},
    "base-uri": {"'self'"},
    "object-src": {"'none'"},
}


def policy_of(response) -> dict[str, set[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = set(values)
    return directives


def assert_strict(response):
    policy = policy_of(response)
    for directive, sources in STRICT.items():
        assert policy.get(directive) == sources, (directive, policy.get(directive))
    for unsafe in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "blob:"):
        assert unsafe not in policy["script-src"]


@pytest.fixture
def shop(db):
    """A store with one of everything a console page shows: a customer with an address, an
    order, a card in the store's colours with stamps and a reward in reach, a product review
    with a photo and a video, an API key."""
    store = factories.StoreFactory(name="Ada's Coffee")
    owner = factories.MembershipFactory(store=store, role="owner").user
    customer = factories.CustomerFactory(
        store=store, first_name="Ada", last_name="Lovelace", email="ada@example.com"
    )
    address = factories.AddressFactory(customer=customer, is_default=True)
    factories.OrderFactory(customer=customer)
    card = factories.LoyaltyCardFactory(
        store=store, name="Coffee card", card_color="#123456", text_color="#FEDCBA"
    )
    factories.RewardFactory(card=card, stamps_required=2)
    enrolment = factories.CustomerCardFactory(customer=customer, card=card)
    stamp_add(enrolment=enrolment, count=3, note="Welcome")
    product = factories.ProductFactory(store=store, name="Espresso")
    review = factories.ReviewFactory(
        author=customer, subject_type=Review.Subject.PRODUCT, product=product, rating=4
    )
    for kind, name, content_type in [
        ("photo", "photo.jpg", "image/jpeg"),
        ("video", "clip.mp4", "video/mp4"),
    ]:
        media = ReviewMedia(review=review, kind=kind, content_type=content_type, size=4)
        media.file.save(name, ContentFile(b"data"), save=False)
        media.save()
    api_key_create(store=store, kind="secret", name="Back office")
    webhook, _ = endpoint_create(
        store=store, data={"url": "https://example.com/hooks", "events": ["order.created"]}
    )
    # A delivery that failed (its payload shown in the log) and a webhook turned off for it
    # (the dashboard's notice).
    event = WebhookEvent.objects.create(store=store, type="order.created", payload={"id": 1})
    WebhookDelivery.objects.create(
        event=event, endpoint=webhook, status="failed", attempts=8, last_error="Timed out."
    )
    WebhookEndpoint.objects.filter(pk=webhook.pk).update(active=False, disabled_at=timezone.now())
    note = note_create(
        customer=customer, data={"body": "Prefers oat milk.", "pinned": True}, actor_user=owner
    )
    customer_group_create(store=store, data={"name": "Wholesale", "description": "B2B"})
    other = factories.MembershipFactory(store=store, role="staff")
    return {
        "store": store,
        "owner": owner,
        "customer": customer,
        "address": address,
        "card": card,
        "enrolment": enrolment,
        "product": product,
        "review": review,
        "membership": other,
        "webhook": webhook,
        "note": note,
    }


def owner_client(shop) -> Client:
    client = Client()
    client.force_login(shop["owner"])
    return client


# --- the header -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["dashboard", "customer list", "customer page", "card list"])
def test_console_pages_are_sent_the_strict_policy(shop, page):
    url = {
        "dashboard": reverse("console:dashboard"),
        "customer list": reverse("customers:list"),
        "customer page": reverse("customers:detail", args=[shop["customer"].pk]),
        "card list": reverse("loyalty:card_list"),
    }[page]
    response = owner_client(shop).get(url)
    assert response.status_code == 200
    assert_strict(response)


@pytest.mark.django_db
def test_the_login_page_is_sent_the_strict_policy(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert_strict(response)


@pytest.mark.django_db
def test_an_htmx_answer_is_sent_the_policy_too(shop):
    response = owner_client(shop).get(
        reverse("customers:list"), {"q": "Ada"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert_strict(response)


@pytest.mark.django_db
def test_the_admin_is_sent_the_strict_policy(admin_client):
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert_strict(response)


@pytest.mark.django_db
def test_uploaded_media_on_another_origin_are_allowed_as_images_and_video_only():
    import subprocess
    import sys

    from django.conf import settings

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s;"
            "d = s.CONTENT_SECURITY_POLICY['DIRECTIVES'];"
            "print(' '.join(d['img-src'])); print(' '.join(d['media-src']));"
            "print(' '.join(d['script-src']))",
        ],
        cwd=settings.BASE_DIR,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "true",
            "CSP_MEDIA_ORIGINS": "https://media.example.com,https://bucket.s3.amazonaws.com",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    img, media, script = result.stdout.splitlines()
    assert img.split() == [
        "'self'",
        "data:",
        "https://media.example.com",
        "https://bucket.s3.amazonaws.com",
    ]
    assert media.split() == [
        "'self'",
        "https://media.example.com",
        "https://bucket.s3.amazonaws.com",
    ]
    assert script.split() == ["'self'"]


# --- the API docs ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_swagger_ui_has_no_inline_script_and_a_policy_of_its_own(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    policy = policy_of(response)
    # Its scripts, the page's own included, come from this site.
    assert policy["script-src"] == {"'self'"}
    # Swagger UI's page has a <style> block and sets style attributes: styles only are inline.
    assert policy["style-src"] == {"'self'", "'unsafe-inline'"}
    assert policy["frame-ancestors"] == {"'none'"}
    assert not InlineCode.find(response.content.decode())["scripts"]


@pytest.mark.django_db
def test_redoc_has_a_policy_of_its_own(client):
    response = client.get("/api/redoc/")
    assert response.status_code == 200
    policy = policy_of(response)
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert "blob:" in policy["worker-src"]  # Redoc searches in a web worker
    assert not InlineCode.find(response.content.decode())["scripts"]


# --- no inline code in any console page -----------------------------------------------------


class InlineCode(HTMLParser):
    """What a strict policy blocks in a page: <script> without src (a JSON data block is not
    run, so it may stay), on* handlers, javascript: URLs, style attributes, <style> blocks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = {"scripts": [], "handlers": [], "javascript": [], "styles": []}
        self._in_script = False

    @classmethod
    def find(cls, html: str) -> dict[str, list[str]]:
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser.found

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        text = self.get_starttag_text()
        data_block = attributes.get("type") in ("application/json", "application/ld+json")
        if tag == "script" and not attributes.get("src") and not data_block:
            self.found["scripts"].append(text)
        if tag == "style":
            self.found["styles"].append(text)
        for name, value in attrs:
            if re.fullmatch(r"on[a-z]+", name):
                self.found["handlers"].append(text)
            if name == "style":
                self.found["styles"].append(text)
            if value and re.match(r"\s*javascript:", value, re.IGNORECASE):
                self.found["javascript"].append(text)


def test_the_inline_code_finder_finds_each_kind():
    found = InlineCode.find(
        '<script>alert(1)</script><script src="/s.js"></script>'
        '<script type="application/json">{}</script><button onclick="x()">'
        '<a href=" JavaScript:x()">x</a><div style="color: red"><style>p{}</style>'
    )
    assert len(found["scripts"]) == 1
    assert len(found["handlers"]) == 1
    assert len(found["javascript"]) == 1
    assert len(found["styles"]) == 2


# Every console URL, by name, with how it is checked: a page read with GET, a list's htmx
# answer, an htmx action whose answer is HTML, or nothing to render (a redirect, a download).
def console_requests(shop) -> dict[str, list[tuple[str, str, dict, dict]]]:
    customer, address = shop["customer"], shop["address"]
    enrolment, review, product = shop["enrolment"], shop["review"], shop["product"]
    htmx = {"HTTP_HX_REQUEST": "true"}
    get = "get"
    return {
        "console:dashboard": [(get, reverse("console:dashboard"), {}, {})],
        "console:settings": [(get, reverse("console:settings"), {}, {})],
        "console:members": [(get, reverse("console:members"), {}, {})],
        "console:api_keys": [(get, reverse("console:api_keys"), {}, {})],
        "console:customer_groups": [(get, reverse("console:customer_groups"), {}, {})],
        "console:webhooks": [
            (get, reverse("console:webhooks"), {}, {}),
            # The new webhook's page with its secret.
            (
                "post",
                reverse("console:webhooks"),
                {"url": "https://example.com/more", "events": ["customer.created"]},
                {},
            ),
        ],
        "console:webhook_detail": [
            (get, reverse("console:webhook_detail", args=[shop["webhook"].pk]), {}, {})
        ],
        "customers:list": [
            (get, reverse("customers:list"), {}, {}),
            (get, reverse("customers:list"), {"q": "Ada"}, htmx),
        ],
        "customers:create": [(get, reverse("customers:create"), {}, {})],
        "customers:detail": [(get, reverse("customers:detail", args=[customer.pk]), {}, {})],
        "customers:edit": [(get, reverse("customers:edit", args=[customer.pk]), {}, {})],
        "customers:delete": [(get, reverse("customers:delete", args=[customer.pk]), {}, {})],
        "customers:address_create": [
            (get, reverse("customers:address_create", args=[customer.pk]), {}, {})
        ],
        "customers:note_edit": [
            (get, reverse("customers:note_edit", args=[customer.pk, shop["note"].pk]), {}, {})
        ],
        "customers:address_edit": [
            (get, reverse("customers:address_edit", args=[customer.pk, address.pk]), {}, {})
        ],
        "loyalty:card_list": [(get, reverse("loyalty:card_list"), {}, {})],
        "loyalty:card_create": [(get, reverse("loyalty:card_create"), {}, {})],
        "loyalty:card_edit": [(get, reverse("loyalty:card_edit", args=[shop["card"].pk]), {}, {})],
        "loyalty:reward_row": [(get, reverse("loyalty:reward_row"), {"index": 3}, htmx)],
        "loyalty:history": [(get, reverse("loyalty:history", args=[enrolment.pk]), {}, {})],
        "loyalty:stamp": [
            ("post", reverse("loyalty:stamp", args=[enrolment.pk]), {"count": 1}, htmx)
        ],
        "loyalty:redeem": [
            (
                "post",
                reverse("loyalty:redeem", args=[enrolment.pk]),
                {"reward": shop["card"].rewards.get().pk},
                htmx,
            )
        ],
        "reviews:list": [
            (get, reverse("reviews:list"), {}, {}),
            (get, reverse("reviews:list"), {"rating": 4}, htmx),
        ],
        "reviews:detail": [(get, reverse("reviews:detail", args=[review.pk]), {}, {})],
        "reviews:delete": [(get, reverse("reviews:delete", args=[review.pk]), {}, {})],
        "products:list": [
            (get, reverse("products:list"), {}, {}),
            (get, reverse("products:list"), {"q": "Esp"}, htmx),
        ],
        "products:detail": [(get, reverse("products:detail", args=[product.pk]), {}, {})],
        "password_change": [(get, reverse("password_change"), {}, {})],
        "password_change_done": [(get, reverse("password_change_done"), {}, {})],
        # POST-only actions answering with a redirect, and the CSV download.
        "console:switch": [],
        "console:member_update": [],
        "console:api_key_revoke": [],
        "customers:export": [],
        "customers:address_delete": [],
        "customers:address_default": [],
        "customers:note_create": [],
        "customers:note_pin": [],
        "customers:note_delete": [],
        "loyalty:enrol": [],
        "reviews:bulk": [],
        "reviews:status": [],
        "console:invitation_revoke": [],
        "console:webhook_active": [],
        "console:customer_group_change": [],
        "console:webhook_delete": [],
        "console:webhook_test": [],
        "console:webhook_redeliver": [],
        # Anonymous pages: test_pages_before_sign_in_have_no_inline_code.
        "console:invitation_accept": [],
        "login": [],
        "logout": [],
    }


def console_url_names() -> set[str]:
    """Every named URL under /console/, as `namespace:name`."""
    names = set()

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                walk(pattern.url_patterns, route, inner)
            elif isinstance(pattern, URLPattern) and route.startswith("console/") and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, "", None)
    return names


@pytest.mark.django_db
def test_every_console_url_is_checked_for_inline_code(shop):
    """A new console page is added to console_requests, so the next test reads it."""
    assert set(console_requests(shop)) == console_url_names()


@pytest.mark.django_db
def test_no_console_page_holds_inline_code(shop):
    client = owner_client(shop)
    problems = []
    for name, requests in console_requests(shop).items():
        for method, url, data, headers in requests:
            response = getattr(client, method)(url, data, **headers)
            assert response.status_code == 200, (name, url, response.status_code)
            assert_strict(response)
            for kind, tags in InlineCode.find(response.content.decode()).items():
                problems += [f"{name} ({url}): {kind}: {tag}" for tag in tags]
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_pages_before_sign_in_have_no_inline_code(client):
    for url, status in [
        (reverse("login"), 200),
        (reverse("console:invitation_accept", args=["no-such-invitation"]), 404),
    ]:
        response = client.get(url)
        assert response.status_code == status
        assert_strict(response)
        found = InlineCode.find(response.content.decode())
        assert not any(found.values()), (url, found)


@pytest.mark.django_db
def test_error_pages_have_no_inline_code(shop):
    client = owner_client(shop)
    for url in ["/console/customers/999999/", "/console/no-such-page/"]:
        response = client.get(url)
        assert response.status_code == 404
        found = InlineCode.find(response.content.decode())
        assert not any(found.values()), (url, found)


# --- in a browser ---------------------------------------------------------------------------

# Every policy violation in any page of the context is reported to Python.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} on ${location.pathname}`
    + (event.sample ? `: ${event.sample}` : ""));
});
"""


@pytest.fixture
def watched(browser, live_server):
    """A page whose policy violations and console errors are collected."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    problems = []
    context.expose_binding("reportViolation", lambda source, text: problems.append(text))
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(15_000)

    def on_console(message):
        # A failed load is reported with its address below (a browser asks for /favicon.ico).
        if message.type in ("error", "warning") and "Failed to load resource" not in message.text:
            problems.append(f"console {message.type}: {message.text}")

    def on_response(response):
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            problems.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield page, problems
    context.close()


def visit(page, live_server, path):
    response = page.goto(live_server.url + path)
    assert response.status == 200, path
    header = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in header, (path, header)
    page.wait_for_load_state("load")
    return response


PASSWORD = "correct horse battery"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_console_works_under_the_policy_with_no_violation(watched, live_server, shop):
    page, problems = watched
    shop["owner"].set_password(PASSWORD)
    shop["owner"].save()
    factories.CustomerFactory(store=shop["store"], first_name="Grace", last_name="Hopper")

    visit(page, live_server, reverse("login"))
    page.get_by_label("Username").fill(shop["owner"].username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/console/")

    # The live search is htmx: the list updates as you type, without a page load.
    visit(page, live_server, reverse("customers:list"))
    rows = page.get_by_test_id("customer-row")
    assert rows.count() == 2
    page.get_by_placeholder("Name, email, phone, card code or customer id").fill("Lovelace")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=customer-row]').length === 1"
    )
    assert "Ada Lovelace" in rows.first.inner_text()
    assert "q=Lovelace" in page.url  # hx-push-url

    # The customer page: the card in its colours, the stamps bar as long as the stamps.
    visit(page, live_server, reverse("customers:detail", args=[shop["customer"].pk]))
    enrolment = page.get_by_test_id("enrolment")
    head = enrolment.locator(".card-colors").first
    assert head.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(18, 52, 86)"
    assert head.evaluate("e => getComputedStyle(e).color") == "rgb(254, 220, 186)"
    bar = enrolment.locator(".progress-bar")
    assert bar.evaluate("e => e.style.width") == "30%"

    # A stamp is an htmx post that swaps the panel: the new panel is in colour too.
    enrolment.get_by_test_id("stamp-1").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stamps-count]').textContent.trim() === '4'"
    )
    assert page.get_by_test_id("enrolment-result").is_visible()
    assert bar.evaluate("e => e.style.width") == "40%"
    head = page.get_by_test_id("enrolment").locator(".card-colors").first
    assert head.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(18, 52, 86)"

    # Pages with other computed styles: the card list, a product's rating histogram.
    visit(page, live_server, reverse("loyalty:card_list"))
    head = page.get_by_test_id("card").locator(".card-colors").first
    assert head.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(18, 52, 86)"
    visit(page, live_server, reverse("products:detail", args=[shop["product"].pk]))
    bars = {
        stars: page.get_by_test_id(f"histogram-{stars}").locator(".progress-bar")
        for stars in (5, 4)
    }
    assert bars[4].evaluate("e => e.style.width") == "100%"  # the one review has 4 stars
    assert bars[5].evaluate("e => e.style.width") == "0%"
    visit(page, live_server, reverse("console:dashboard"))

    assert not problems, "\n".join(problems)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_admin_and_the_api_docs_run_under_their_policies(watched, live_server, admin_user):
    page, problems = watched
    client = Client()
    client.force_login(admin_user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    customer = factories.CustomerFactory()
    visit(page, live_server, reverse("admin:index"))
    visit(page, live_server, reverse("admin:customers_customer_change", args=[customer.pk]))
    visit(page, live_server, reverse("admin:customers_customer_changelist"))

    response = page.goto(live_server.url + "/api/docs/")
    assert response.status == 200
    page.locator(".swagger-ui .opblock").first.wait_for()  # the schema loaded and rendered
    response = page.goto(live_server.url + "/api/redoc/")
    assert response.status == 200
    page.locator(".api-content").first.wait_for()
    assert not problems, "\n".join(problems)
