"""Long unbroken text (a pasted token, a name without spaces, a long email) wraps on the
console's pages, on a phone (390 px) and on a laptop (1280 px): the page never scrolls
sideways, and the text itself stays within the screen."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from loyalty.services import stamp_add
from stores.services import api_key_create
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [390, 1280]


def long(letter: str, length: int) -> str:
    return (letter * length)[:length]


# Each at its field's length limit, with no space to break at.
FIRST_NAME = long("N", 100)
LAST_NAME = long("L", 100)
EMAIL = long("e", 64) + "@" + long("d", 180) + ".example"
TAG = long("T", 64)
META_KEY = long("K", 64)
META_VALUE = long("V", 300)
STREET = long("S", 255)
REVIEW = long("R", 300)
PRODUCT = long("P", 200)
NOTE = long("O", 255)
KEY_NAME = long("A", 100)
LONG_TEXTS = [FIRST_NAME, LAST_NAME, EMAIL, TAG, META_KEY, META_VALUE, STREET, REVIEW, NOTE]
LONG_TEXTS += [PRODUCT, KEY_NAME]


@pytest.fixture
def long_shop(db):
    store = factories.StoreFactory(name="Ada's Coffee")
    owner = factories.MembershipFactory(store=store, role="owner").user
    customer = factories.CustomerFactory(
        store=store,
        first_name=FIRST_NAME,
        last_name=LAST_NAME,
        email=EMAIL,
        metadata={META_KEY: "gold", "token": META_VALUE},
    )
    customer.tags.create(store=store, name=TAG)
    factories.AddressFactory(customer=customer, street1=STREET, is_default=True)
    product = factories.ProductFactory(store=store, name=PRODUCT)
    review = factories.ReviewFactory(
        author=customer, subject_type="product", product=product, content=REVIEW
    )
    enrolment = factories.CustomerCardFactory(customer=customer)
    stamp_add(enrolment=enrolment, count=1, note=NOTE)
    factories.OrderFactory(customer=customer, notes=REVIEW)
    api_key_create(store=store, kind="secret", name=KEY_NAME)
    return owner, customer, review, enrolment


def _browser_page(browser, live_server, user, width):
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


# For each long text on the page, the widest box one of its text nodes takes: a text that
# wraps is no wider than the screen (a wide table may still scroll in its own box). A text
# cut short with an ellipsis on purpose is not measured.
MEASURE = """(texts) => {
  const found = {};
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const text of texts) {
      if (!node.textContent.includes(text)) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const rect = range.getBoundingClientRect();
      if (!rect.width) continue;  // not shown at this width
      if (getComputedStyle(node.parentElement).textOverflow === "ellipsis") continue;
      found[text] = Math.max(found[text] || 0, rect.width);
    }
  }
  return found;
}"""


def _pages(customer, review, enrolment):
    return {
        "customer list": reverse("customers:list"),
        "customer page": reverse("customers:detail", args=[customer.pk]),
        "customer edit": reverse("customers:edit", args=[customer.pk]),
        "review page": reverse("reviews:detail", args=[review.pk]),
        "review list": reverse("reviews:list"),
        "dashboard": reverse("console:dashboard"),
        "card history": reverse("loyalty:history", args=[enrolment.pk]),
        "products": reverse("products:list"),
        "product page": reverse("products:detail", args=[review.product_id]),
        "api keys": reverse("console:api_keys"),
    }


@pytest.mark.parametrize("width", WIDTHS)
def test_long_text_wraps_on_every_console_page(browser, live_server, long_shop, width):
    owner, customer, review, enrolment = long_shop
    context, page = _browser_page(browser, live_server, owner, width)
    problems = []
    for name, path in _pages(customer, review, enrolment).items():
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        scroll_width, inner_width = page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
        if scroll_width > inner_width:
            problems.append(f"{name}: the page is {scroll_width} px wide at {inner_width} px")
        shown = page.evaluate(MEASURE, LONG_TEXTS)
        assert shown, f"{name}: none of the long texts is on the page"
        for text, text_width in shown.items():
            if text_width > inner_width:
                problems.append(f"{name}: {text[:12]}… is {text_width:.0f} px wide")
    context.close()
    assert not problems, "\n".join(problems)
