"""A store's country (its phone region), currency and time zone come from ISO 3166-1, ISO 4217
and the IANA zones, whichever way the store is created or changed: the service, the console,
Django admin and the create_store command."""

import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from stores.models import Store
from stores.services import store_create, store_update
from tests import factories

pytestmark = pytest.mark.django_db

BAD_SETTINGS = [
    ("phone_region", "ZZ"),  # user-assigned, no country
    ("phone_region", "XK"),  # a phone region of phonenumbers, not an ISO 3166-1 country
    ("phone_region", "AC"),
    ("currency", "ZZZ"),
    ("currency", "XXX"),  # ISO's "no currency": nothing a store sells in
    ("currency", "XAU"),  # gold
    ("timezone", "Mars/Olympus_Mons"),
    ("timezone", "europe/london"),  # zone names are case-sensitive
]


def _store_row(store):
    return Store.objects.values("phone_region", "currency", "timezone").get(pk=store.pk)


@pytest.mark.parametrize(("field", "value"), BAD_SETTINGS)
def test_the_service_refuses_an_unknown_setting_on_its_field(store, field, value):
    before = _store_row(store)

    with pytest.raises(ValidationError) as raised:
        store_update(store=store, data={field: value})

    assert list(raised.value.message_dict) == [field]
    assert _store_row(store) == before


@pytest.mark.parametrize(("field", "value"), BAD_SETTINGS)
def test_a_store_is_not_created_with_an_unknown_setting(field, value):
    with pytest.raises(ValidationError) as raised:
        store_create(name="Zed's", **{field: value})

    assert list(raised.value.message_dict) == [field]
    assert not Store.objects.exists()


def test_good_settings_are_saved_with_codes_in_capitals(store):
    store_update(
        store=store, data={"phone_region": "gb", "currency": "eur", "timezone": "Europe/London"}
    )

    assert _store_row(store) == {
        "phone_region": "GB",
        "currency": "EUR",
        "timezone": "Europe/London",
    }


def test_a_country_with_no_phone_numbers_of_its_own_is_refused_with_a_reason(store):
    # Antarctica is an ISO 3166-1 country, but phones there are numbers of other countries.
    with pytest.raises(ValidationError) as raised:
        store_update(store=store, data={"phone_region": "AQ"})

    assert "Antarctica" in raised.value.message_dict["phone_region"][0]
    assert _store_row(store)["phone_region"] == "US"


# --- Console --------------------------------------------------------------------------------


def test_the_console_settings_show_selects(manager_client, store):
    page = manager_client.get(reverse("console:settings")).content.decode()

    assert '<select name="phone_region"' in page
    assert '<option value="GB">United Kingdom (GB)</option>' in page
    assert '<option value="AQ"' not in page  # no phone numbers of its own
    assert '<select name="currency"' in page
    assert '<option value="EUR">EUR · Euro</option>' in page
    assert '<option value="XXX"' not in page
    assert '<select name="timezone"' in page
    assert '<optgroup label="Europe">' in page


@pytest.mark.parametrize(
    ("field", "value"), [("phone_region", "ZZ"), ("currency", "ZZZ"), ("timezone", "Mars/Base")]
)
def test_the_console_refuses_an_unknown_setting_with_a_field_error(
    manager_client, store, field, value
):
    data = {"name": store.name, "phone_region": "US", "currency": "USD", "timezone": "UTC"}
    before = _store_row(store)

    response = manager_client.post(reverse("console:settings"), {**data, field: value})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert _store_row(store) == before


# --- Django admin ---------------------------------------------------------------------------

ADMIN_STORE = {
    "name": "Babbage Bakery",
    "slug": "",
    "phone_region": "GB",
    "currency": "GBP",
    "timezone": "Europe/London",
    "reviews_enabled": "on",
    "apple_client_ids": "[]",
    "google_client_ids": "[]",
    "facebook_app_id": "",
    "api_keys-TOTAL_FORMS": "0",
    "api_keys-INITIAL_FORMS": "0",
    "api_keys-MIN_NUM_FORMS": "0",
    "api_keys-MAX_NUM_FORMS": "1000",
}


@pytest.mark.parametrize(
    ("field", "value"), [("phone_region", "ZZ"), ("currency", "ZZZ"), ("timezone", "Mars/Base")]
)
def test_the_admin_refuses_an_unknown_setting_when_adding(admin_client, field, value):
    response = admin_client.post(reverse("admin:stores_store_add"), {**ADMIN_STORE, field: value})

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == [field]
    assert not Store.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"), [("phone_region", "ZZ"), ("currency", "ZZZ"), ("timezone", "Mars/Base")]
)
def test_the_admin_refuses_an_unknown_setting_when_changing(admin_client, store, field, value):
    before = _store_row(store)
    data = {**ADMIN_STORE, "name": store.name, "slug": store.slug, field: value}

    response = admin_client.post(reverse("admin:stores_store_change", args=[store.pk]), data)

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == [field]
    assert _store_row(store) == before


def test_the_admin_saves_good_settings_through_the_service(admin_client, store):
    data = {**ADMIN_STORE, "name": store.name, "slug": store.slug, "phone_region": "JP"}
    data.update(currency="JPY", timezone="Asia/Tokyo")

    response = admin_client.post(reverse("admin:stores_store_change", args=[store.pk]), data)

    assert response.status_code == 302
    assert _store_row(store) == {"phone_region": "JP", "currency": "JPY", "timezone": "Asia/Tokyo"}


def test_the_admin_store_form_shows_selects(admin_client, store):
    page = admin_client.get(reverse("admin:stores_store_change", args=[store.pk])).content.decode()

    for name in ("phone_region", "currency", "timezone"):
        assert f'<select name="{name}"' in page, name


# --- create_store ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value"),
    [("--phone-region", "zz"), ("--currency", "zzz"), ("--timezone", "Mars/Base")],
)
def test_create_store_refuses_an_unknown_setting_and_names_the_option(option, value):
    with pytest.raises(CommandError, match=f"^{option}: "):
        call_command("create_store", "Zed's", option, value, stdout=StringIO())

    assert not Store.objects.exists()


def test_create_store_accepts_good_settings():
    out = StringIO()
    call_command(
        "create_store",
        "Kaffee Haus",
        "--phone-region",
        "de",
        "--currency",
        "eur",
        "--timezone",
        "Europe/Berlin",
        "--json",
        stdout=out,
    )

    store = Store.objects.get(pk=json.loads(out.getvalue())["id"])
    assert (store.phone_region, store.currency, store.timezone) == ("DE", "EUR", "Europe/Berlin")


def test_a_factory_store_is_valid():
    factories.StoreFactory().full_clean()


def test_a_setting_saved_before_the_lists_shows_and_must_be_changed(manager_client, store):
    Store.objects.filter(pk=store.pk).update(phone_region="XK", currency="ZZZ")
    url = reverse("console:settings")

    page = manager_client.get(url).content.decode()
    response = manager_client.post(
        url, {"name": store.name, "phone_region": "XK", "currency": "ZZZ", "timezone": "UTC"}
    )

    assert '<option value="XK" selected>XK</option>' in page
    assert '<option value="ZZZ" selected>ZZZ</option>' in page
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"phone_region", "currency"}


def test_the_admin_refuses_a_setting_saved_before_the_lists(admin_client, store):
    Store.objects.filter(pk=store.pk).update(currency="ZZZ")
    data = {**ADMIN_STORE, "name": store.name, "slug": store.slug, "currency": "ZZZ"}

    response = admin_client.post(reverse("admin:stores_store_change", args=[store.pk]), data)

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["currency"]
