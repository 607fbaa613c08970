"""An address's country is an ISO 3166-1 country, the same list everywhere: the console, Django
admin, the shopper API's places, the management API's addresses and a checkout's new place.
Antarctica (AQ) is a country with no phone numbers of its own; Kosovo's XK and Ascension's AC
are phone regions, not ISO 3166-1 codes."""

import pytest
from django.urls import reverse

from customers.models import Address
from stores.services import api_key_create
from tests import factories
from tests.helpers import client_of

pytestmark = pytest.mark.django_db

PLACE = {"name": "Base", "street1": "1 Ice Shelf", "city": "McMurdo"}
REFUSED = ["ZZ", "XK", "AC", "TA", "U1"]
ACCEPTED = ["AQ", "BV", "us"]


@pytest.fixture
def back_office(store):
    """A management API client with a secret key of `store`."""
    return client_of(api_key_create(store=store, kind="secret"))


def _assert_422_on_country(response):
    assert response.status_code == 422, response.content
    assert response.json()["fields"]["country"]


# --- Shopper API ----------------------------------------------------------------------------


@pytest.mark.parametrize("country", REFUSED)
def test_a_shopper_place_with_an_unknown_country_is_422(shopper, country):
    _assert_422_on_country(
        shopper.post(
            "/storefront/v1/customers/places", {**PLACE, "country": country}, format="json"
        )
    )
    assert not Address.objects.exists()


@pytest.mark.parametrize("country", ACCEPTED)
def test_a_shopper_place_in_any_iso_country_is_saved(shopper, country):
    response = shopper.post(
        "/storefront/v1/customers/places", {**PLACE, "country": country}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["country"] == country.upper()


def test_a_shopper_place_cannot_be_changed_to_an_unknown_country(shopper, customer):
    address = factories.AddressFactory(customer=customer, country="US")

    _assert_422_on_country(
        shopper.put(
            f"/storefront/v1/customers/places/{address.public_id}", {"country": "XK"}, format="json"
        )
    )
    address.refresh_from_db()
    assert address.country == "US"


def test_a_checkout_to_a_new_place_in_an_unknown_country_is_422(shopper, store):
    product = factories.ProductFactory(store=store)

    response = shopper.post(
        "/storefront/v1/orders",
        {
            "items": [{"product": product.public_id}],
            "shipping_address": {**PLACE, "country": "XK"},
        },
        format="json",
    )

    assert response.status_code == 422, response.content
    assert "shipping_address" in response.json()["fields"]


# --- Management API -------------------------------------------------------------------------


@pytest.mark.parametrize("country", REFUSED)
def test_a_management_address_with_an_unknown_country_is_422(back_office, store, customer, country):
    _assert_422_on_country(
        back_office.post(
            f"/api/v1/accounts/{store.pk}/customers/{customer.pk}/addresses",
            {**PLACE, "country": country},
        )
    )
    assert not Address.objects.exists()


def test_a_management_address_in_antarctica_is_saved(back_office, store, customer):
    response = back_office.post(
        f"/api/v1/accounts/{store.pk}/customers/{customer.pk}/addresses",
        {**PLACE, "country": "aq"},
    )

    assert response.status_code == 201, response.content
    assert response.json()["country"] == "AQ"


def test_a_management_address_cannot_be_changed_to_an_unknown_country(back_office, store, customer):
    address = factories.AddressFactory(customer=customer, country="US")

    _assert_422_on_country(
        back_office.patch(
            f"/api/v1/accounts/{store.pk}/customers/{customer.pk}/addresses/{address.pk}",
            {"country": "ZZ"},
        )
    )
    address.refresh_from_db()
    assert address.country == "US"


# --- Console --------------------------------------------------------------------------------


def test_the_console_address_form_shows_a_country_select(staff_client, customer):
    page = staff_client.get(
        reverse("customers:address_create", args=[customer.pk])
    ).content.decode()

    assert '<select name="country"' in page
    assert '<option value="AQ">Antarctica (AQ)</option>' in page
    assert '<option value="XK"' not in page


@pytest.mark.parametrize(("country", "saved"), [("XK", False), ("ZZ", False), ("AQ", True)])
def test_the_console_address_form_checks_the_country(staff_client, customer, country, saved):
    response = staff_client.post(
        reverse("customers:address_create", args=[customer.pk]), {**PLACE, "country": country}
    )

    if saved:
        assert response.status_code == 302
        assert customer.addresses.get().country == country
    else:
        assert response.status_code == 200
        assert list(response.context["form"].errors) == ["country"]
        assert not customer.addresses.exists()


def test_an_address_with_a_code_no_longer_listed_keeps_it_on_the_form(staff_client, customer):
    # Saved before the list was ISO's: the form shows the code (and refuses it) rather than
    # silently choosing another country.
    address = factories.AddressFactory(customer=customer, country="XK")

    page = staff_client.get(
        reverse("customers:address_edit", args=[customer.pk, address.pk])
    ).content.decode()

    assert '<option value="XK" selected>XK</option>' in page


# --- Django admin ---------------------------------------------------------------------------


@pytest.mark.parametrize(("country", "saved"), [("XK", False), ("ZZ", False), ("AQ", True)])
def test_the_admin_address_form_checks_the_country(admin_client, customer, country, saved):
    address = factories.AddressFactory(customer=customer, country="US")
    data = {
        "customer": customer.pk,
        "name": "Home",
        "street1": address.street1,
        "country": country,
        "phone": "",
        "is_default": "on",
    }

    response = admin_client.post(reverse("admin:customers_address_change", args=[address.pk]), data)

    address.refresh_from_db()
    if saved:
        assert response.status_code == 302, response.context["adminform"].form.errors
        assert address.country == country
    else:
        assert response.status_code == 200
        assert list(response.context["adminform"].form.errors) == ["country"]
        assert address.country == "US"


def test_the_admin_address_form_shows_a_country_select(admin_client, customer):
    address = factories.AddressFactory(customer=customer)

    page = admin_client.get(
        reverse("admin:customers_address_change", args=[address.pk])
    ).content.decode()

    assert '<select name="country"' in page
    assert '<option value="AQ">Antarctica (AQ)</option>' in page


def test_a_new_address_in_the_console_starts_in_the_stores_country(staff_client, customer, store):
    store.phone_region = "GB"
    store.save()

    page = staff_client.get(
        reverse("customers:address_create", args=[customer.pk])
    ).content.decode()

    assert '<option value="GB" selected>United Kingdom (GB)</option>' in page
