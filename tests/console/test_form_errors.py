"""Console forms show each error once, next to the field it is about, and mark that field
invalid (Bootstrap's `is-invalid`), whether the form or a service found the problem."""

from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from customers.forms import CustomerForm
from stores.forms import add_service_errors
from tests import factories

pytestmark = pytest.mark.django_db

VOID = {"input", "br", "img", "hr", "meta", "link", "source", "col", "wbr", "area", "base"}


class Page(HTMLParser):
    """The rendered page as a list of elements: tag, attributes, and the text inside."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[dict] = []
        self._open: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.elements.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_endtag(self, tag):
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index]["tag"] == tag:
                del self._open[index:]
                break

    def handle_data(self, data):
        for element in self._open:
            element["text"] += data

    def inputs(self, name: str) -> list[dict]:
        return [e for e in self.elements if e["attrs"].get("name") == name and e["tag"] != "form"]

    def by_id(self, element_id: str) -> dict:
        (element,) = [e for e in self.elements if e["attrs"].get("id") == element_id]
        return element


def page_of(response) -> tuple[Page, str]:
    html = response.content.decode()
    page = Page(html)
    return page, " ".join(page.by_id("main")["text"].split())


def assert_shown_beside(page: Page, field_input: dict, message: str):
    """The input is marked invalid and names, as its description, the element holding the
    message."""
    assert "is-invalid" in field_input["attrs"].get("class", "").split(), field_input
    assert field_input["attrs"].get("aria-invalid") == "true"
    described = field_input["attrs"].get("aria-describedby", "").split()
    assert any(message in " ".join(page.by_id(i)["text"].split()) for i in described), (
        message,
        described,
    )


def only_once(text: str, *messages: str):
    for message in messages:
        assert text.count(message) == 1, (message, text.count(message))


# --- the customer form and its metadata rows -------------------------------------------------


def test_metadata_errors_show_once_beside_their_row(store, customer, staff_client):
    response = staff_client.post(
        reverse("customers:edit", args=[customer.pk]),
        {
            "first_name": "Ada",
            "email": "not an email",
            "meta_key": ["tier", "tier", "", "k" * 70, "drink"],
            "meta_value": ["gold", "silver", "orphan", "x", "flat white"],
        },
    )
    assert response.status_code == 200
    page, text = page_of(response)
    twice = "The metadata key “tier” appears twice."
    no_key = "Every metadata value needs a key."
    too_long = "Metadata keys have at most 40 characters"  # (then the key, shortened)
    only_once(text, twice, no_key, too_long, "Enter a valid email address.")
    keys = page.inputs("meta_key")
    assert [k["attrs"].get("value", "") for k in keys[:5]] == [
        "tier",
        "tier",
        "",
        "k" * 70,
        "drink",
    ]
    assert_shown_beside(page, keys[1], twice)
    assert_shown_beside(page, keys[2], no_key)
    assert_shown_beside(page, keys[3], too_long)
    for fine in (keys[0], keys[4]):
        assert "is-invalid" not in fine["attrs"].get("class", "")
    assert_shown_beside(page, page.inputs("email")[0], "Enter a valid email address.")
    # Nothing about metadata above the form.
    assert not [e for e in page.elements if "alert-danger" in e["attrs"].get("class", "")]


def test_a_new_customers_metadata_errors_show_once(store, staff_client):
    response = staff_client.post(
        reverse("customers:create"),
        {"first_name": "Grace", "meta_key": ["", "a", "a"], "meta_value": ["x", "1", "2"]},
    )
    page, text = page_of(response)
    only_once(text, "Every metadata value needs a key.", "The metadata key “a” appears twice.")
    keys = page.inputs("meta_key")
    assert_shown_beside(page, keys[0], "Every metadata value needs a key.")
    assert_shown_beside(page, keys[2], "The metadata key “a” appears twice.")


def test_a_key_with_a_percent_sign_is_shown_as_typed(store, customer, staff_client):
    response = staff_client.post(
        reverse("customers:edit", args=[customer.pk]),
        {"first_name": "Ada", "meta_key": ["50%off", "50%off"], "meta_value": ["1", "2"]},
    )
    page, text = page_of(response)
    only_once(text, "The metadata key “50%off” appears twice.")
    assert_shown_beside(
        page, page.inputs("meta_key")[1], "The metadata key “50%off” appears twice."
    )


def test_a_services_metadata_error_lands_beside_the_row_of_its_key(store, customer):
    """What customer_update refuses about one key (after the form passed) is shown on that
    key's row; an error about the metadata as a whole is shown once, in the metadata card."""
    data = {
        "first_name": "Ada",
        "email": "ada@example.com",  # the form checks that an email or a phone remains
        "meta_key": ["tier", "drink"],
        "meta_value": ["gold", "tea"],
    }
    request = RequestFactory().post("/", data)
    form = CustomerForm(request.POST, store=store, customer=customer)
    assert form.is_valid()
    add_service_errors(
        form,
        ValidationError(
            {
                "metadata": [
                    ValidationError(
                        "The key “%(key)s” is reserved.", code="reserved", params={"key": "drink"}
                    ),
                    ValidationError("Metadata has at most 50 keys.", code="too_many"),
                ]
            }
        ),
    )
    html = render_to_string(
        "customers/customer_form.html", {"form": form, "customer": customer}, request=None
    )
    page = Page(html)
    text = " ".join(html_text(page).split())
    only_once(text, "The key “drink” is reserved.", "Metadata has at most 50 keys.")
    keys = page.inputs("meta_key")
    assert_shown_beside(page, keys[1], "The key “drink” is reserved.")
    assert "is-invalid" not in keys[0]["attrs"].get("class", "")
    card = page.by_id("metadata")
    assert "Metadata has at most 50 keys." in card["text"]
    assert not form.is_valid()


def html_text(page: Page) -> str:
    return " ".join(e["text"] for e in page.elements if e["tag"] == "html")


# --- the address form ------------------------------------------------------------------------


@pytest.fixture
def address_url(customer):
    address = factories.AddressFactory(customer=customer)
    return reverse("customers:address_edit", args=[customer.pk, address.pk])


def test_a_field_the_form_could_not_read_gets_only_its_own_error(address_url, staff_client):
    """An empty street and a latitude that is no number: the form's message for each, not a
    second one from the service, which saw them missing."""
    response = staff_client.post(
        address_url, {"street1": "", "latitude": "north", "longitude": "2.35"}
    )
    page, text = page_of(response)
    only_once(text, "This field is required.", "Enter a number.")
    assert "Enter a street address." not in text
    assert "Give both a latitude and a longitude" not in text
    assert_shown_beside(page, page.inputs("street1")[0], "This field is required.")
    assert_shown_beside(page, page.inputs("latitude")[0], "Enter a number.")


def test_half_a_location_is_shown_beside_the_missing_half(address_url, staff_client):
    response = staff_client.post(address_url, {"street1": "1 Rue de Rivoli", "longitude": "2.35"})
    page, text = page_of(response)
    message = "Give both a latitude and a longitude, or neither."
    only_once(text, message)
    assert_shown_beside(page, page.inputs("latitude")[0], message)
    assert not [e for e in page.elements if "alert-danger" in e["attrs"].get("class", "")]

    response = staff_client.post(address_url, {"street1": "1 Rue de Rivoli", "latitude": "48.8"})
    page, text = page_of(response)
    only_once(text, message)
    assert_shown_beside(page, page.inputs("longitude")[0], message)


def test_a_location_off_the_earth_marks_both_halves_once(address_url, staff_client):
    response = staff_client.post(
        address_url, {"street1": "1 Rue de Rivoli", "latitude": "95", "longitude": "2.35"}
    )
    page, text = page_of(response)
    message = "Enter a latitude and longitude on Earth."
    only_once(text, message)
    assert_shown_beside(page, page.inputs("latitude")[0], message)
    assert_shown_beside(page, page.inputs("longitude")[0], message)


def test_a_new_address_without_a_street_says_so_once(customer, staff_client):
    response = staff_client.post(
        reverse("customers:address_create", args=[customer.pk]), {"street1": "  "}
    )
    page, text = page_of(response)
    only_once(text, "This field is required.")
    assert "Enter a street address." not in text
    assert_shown_beside(page, page.inputs("street1")[0], "This field is required.")


# --- every console form ----------------------------------------------------------------------


def _card_post(**fields):
    return {
        "name": "Coffee",
        "stamps_required": "10",
        "initial_stamps": "0",
        "card_color": "#222222",
        "text_color": "#ffffff",
        "rewards-TOTAL_FORMS": "0",
        "rewards-INITIAL_FORMS": "0",
        **fields,
    }


CONSOLE_FORMS = {
    "customer edit": (
        lambda c: reverse("customers:edit", args=[c.pk]),
        {
            "first_name": "",
            "email": "nope",
            "phone": "12",
            "meta_key": ["a", "a"],
            "meta_value": ["", "1"],
        },
    ),
    "customer create": (
        lambda c: reverse("customers:create"),
        {
            "first_name": "Bo",
            "email": "ada@example.com",
            "meta_key": ["", "x"],
            "meta_value": ["1", ""],
        },
    ),
    "address": (
        lambda c: reverse("customers:address_create", args=[c.pk]),
        {"street1": "", "country": "Narnia", "phone": "1", "longitude": "2"},
    ),
    "loyalty card": (
        lambda c: reverse("loyalty:card_create"),
        _card_post(name="", stamps_required="40", max_stamps_per_day="0", expiry_days="0"),
    ),
    "loyalty card welcome stamps": (
        lambda c: reverse("loyalty:card_create"),
        _card_post(stamps_required="5", initial_stamps="5"),
    ),
    "store settings": (
        lambda c: reverse("console:settings"),
        {"name": " ", "phone_region": "USA", "currency": "dollars", "timezone": "Mars/Base"},
    ),
    "members": (lambda c: reverse("console:members"), {"user": "nobody", "role": "boss"}),
    "api keys": (lambda c: reverse("console:api_keys"), {"kind": "gold", "name": "n" * 101}),
}


@pytest.mark.parametrize("name", CONSOLE_FORMS)
def test_every_console_form_shows_each_error_once_beside_its_field(name, customer, member):
    url, data = CONSOLE_FORMS[name]
    response = member("owner").post(url(customer), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors, "the bad input was accepted"
    page, text = page_of(response)
    for field, messages in form.errors.items():
        for message in messages:
            assert text.count(message) == 1 or (
                # the same words on two fields appear once per field
                text.count(message) == sum(message in m for m in form.errors.values())
            ), (field, message, text.count(message))
            if field == "__all__":
                continue
            if field == "metadata":
                continue  # rows, checked above
            assert_shown_beside(page, page.by_id(form[field].auto_id), message)


def test_a_value_the_service_refuses_is_marked_on_its_row(store, customer, staff_client):
    response = staff_client.post(
        reverse("customers:edit", args=[customer.pk]),
        {"first_name": "Ada", "meta_key": ["tier", "notes"], "meta_value": ["gold", "x" * 1200]},
    )
    page, text = page_of(response)
    (message,) = response.context["form"].errors["metadata"]
    assert "notes" in message
    only_once(text, message)
    keys, values = page.inputs("meta_key"), page.inputs("meta_value")
    assert_shown_beside(page, values[1], message)
    for fine in (keys[0], values[0], keys[1]):
        assert "is-invalid" not in fine["attrs"].get("class", "")


def test_an_error_about_the_whole_metadata_shows_once_in_its_card(store, customer, staff_client):
    keys = [f"key{n}" for n in range(51)]
    response = staff_client.post(
        reverse("customers:edit", args=[customer.pk]),
        {"first_name": "Ada", "meta_key": keys, "meta_value": ["1"] * 51},
    )
    page, text = page_of(response)
    (message,) = response.context["form"].errors["metadata"]
    only_once(text, message)
    assert message in page.by_id("metadata-errors")["text"]
    assert not [k for k in page.inputs("meta_key") if "is-invalid" in k["attrs"].get("class", "")]
