"""What staff type about a card: a code set by hand (the barcode of a card handed out) is
stored as the generator's codes are, in capitals without the spaces or dashes between groups,
so that search finds it however it is typed; and a note on the ledger is refused past its
length, never cut. The rules are loyalty.services' (card_code_clean, NOTE_MAX_LENGTH)."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from loyalty.models import CustomerCard, StampEntry
from loyalty.services import CODE_CHARACTERS_MESSAGE, CODE_TAKEN_MESSAGE, NOTE_MESSAGE
from stores.services import api_key_create
from tests import factories
from tests.helpers import assert_error, client_of

pytestmark = pytest.mark.django_db

ADMIN_ADD = "admin:loyalty_customercard_add"


@pytest.fixture
def card(store):
    return factories.LoyaltyCardFactory(store=store, name="Coffee card", stamps_required=10)


@pytest.fixture
def management(store):
    return client_of(api_key_create(store=store, kind="secret"))


def _enrol_url(store, customer) -> str:
    return f"/api/v1/accounts/{store.pk}/customers/{customer.pk}/customer_cards"


# --- Codes set by hand ----------------------------------------------------------------------


def test_a_code_set_in_the_admin_is_stored_in_capitals_without_separators(
    admin_client, store, customer, card
):
    response = admin_client.post(
        reverse(ADMIN_ADD), {"customer": customer.pk, "card": card.pk, "code": "ab12-cd34"}
    )
    # Left empty, the code is a new one from the generator.
    grace = factories.CustomerFactory(store=store, email="grace@example.com")
    admin_client.post(reverse(ADMIN_ADD), {"customer": grace.pk, "card": card.pk, "code": ""})

    assert response.status_code == 302
    assert CustomerCard.objects.get(customer=customer).code == "AB12CD34"
    generated = CustomerCard.objects.get(customer=grace).code
    assert len(generated) == 12 and generated.isdigit()


@pytest.mark.parametrize("typed", ["AB#12", "ab12_cd34", "café", "１２３"])
def test_the_admin_refuses_a_code_with_other_characters(admin_client, customer, card, typed):
    response = admin_client.post(
        reverse(ADMIN_ADD), {"customer": customer.pk, "card": card.pk, "code": typed}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["code"] == [CODE_CHARACTERS_MESSAGE]
    assert not CustomerCard.objects.exists()


def test_the_admin_refuses_a_code_another_card_of_the_store_has(
    admin_client, store, customer, card
):
    factories.CustomerCardFactory(customer__store=store, code="AB12CD34")

    response = admin_client.post(
        reverse(ADMIN_ADD), {"customer": customer.pk, "card": card.pk, "code": "ab12 cd34"}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["code"] == [CODE_TAKEN_MESSAGE]
    assert not CustomerCard.objects.filter(customer=customer).exists()


def test_a_code_set_through_the_management_api_is_stored_in_capitals(
    management, store, customer, card
):
    response = management.post(
        _enrol_url(store, customer), {"card_id": card.pk, "code": "ab12-cd34"}
    )

    assert response.status_code == 201, response.content
    assert response.json()["code"] == "AB12CD34"
    assert CustomerCard.objects.get(customer=customer).code == "AB12CD34"


def test_the_management_api_refuses_a_code_with_a_hash(management, store, customer, card):
    response = management.post(_enrol_url(store, customer), {"card_id": card.pk, "code": "AB#12"})

    body = assert_error(response, 422, "code")
    assert body["fields"]["code"] == [CODE_CHARACTERS_MESSAGE]
    assert not CustomerCard.objects.exists() and not customer.events.exists()


def test_the_management_api_refuses_a_code_too_long_once_compacted(
    management, store, customer, card
):
    typed = "-".join(["ABCD"] * 9)  # 36 letters

    response = management.post(_enrol_url(store, customer), {"card_id": card.pk, "code": typed})

    body = assert_error(response, 422, "code")
    assert "32" in body["fields"]["code"][0]
    assert not CustomerCard.objects.exists()


def test_a_code_of_another_store_is_no_conflict(management, store, other_store, customer, card):
    factories.CustomerCardFactory(customer__store=other_store, code="AB12CD34")

    response = management.post(
        _enrol_url(store, customer), {"card_id": card.pk, "code": "AB12-CD34"}
    )

    assert response.status_code == 201, response.content
    assert response.json()["code"] == "AB12CD34"


@pytest.mark.parametrize("typed", ["AB12 CD34", "ab12cd34", "ab12-cd34"])
def test_a_code_set_by_hand_is_found_however_it_is_typed(
    management, staff_client, store, customer, card, typed
):
    factories.CustomerFactory(store=store, first_name="Grace", email="grace@example.com")
    management.post(_enrol_url(store, customer), {"card_id": card.pk, "code": "ab12-cd34"})

    listed = staff_client.get(reverse("customers:list"), {"q": typed})
    found = management.get(f"/api/v1/accounts/{store.pk}/customers", {"search": typed})

    assert [c.pk for c in listed.context["page_obj"].object_list] == [customer.pk]
    assert [c["id"] for c in found.json()["customers"]] == [customer.pk]


# --- The data migration -----------------------------------------------------------------------


def test_the_migration_normalises_codes_typed_by_hand_and_leaves_collisions(store, other_store):
    migration = importlib.import_module("loyalty.migrations.0005_card_codes_normalised")
    typed = {
        "dashed": factories.CustomerCardFactory(customer__store=store, code="ab12-cd34"),
        "spaced": factories.CustomerCardFactory(customer__store=store, code="9001 0000 0042"),
        "clash_a": factories.CustomerCardFactory(customer__store=store, code="x1-y2"),
        "clash_b": factories.CustomerCardFactory(customer__store=store, code="X1 Y2"),
        "taken": factories.CustomerCardFactory(customer__store=store, code="zz-99"),
        "holder": factories.CustomerCardFactory(customer__store=store, code="ZZ99"),
        "bad": factories.CustomerCardFactory(customer__store=store, code="ab#1"),
        # The same code in another store is no collision.
        "elsewhere": factories.CustomerCardFactory(customer__store=other_store, code="ab12 cd34"),
    }

    migration.normalise_codes(apps, None)

    codes = {name: CustomerCard.objects.get(pk=row.pk).code for name, row in typed.items()}
    assert codes == {
        "dashed": "AB12CD34",
        "spaced": "900100000042",
        "clash_a": "x1-y2",
        "clash_b": "X1 Y2",
        "taken": "zz-99",
        "holder": "ZZ99",
        "bad": "ab#1",
        "elsewhere": "AB12CD34",
    }


# --- Notes on the ledger ----------------------------------------------------------------------


@pytest.fixture
def enrolment(customer, card):
    return factories.CustomerCardFactory(customer=customer, card=card)


def test_a_stamp_note_over_255_characters_is_refused_by_the_management_api(
    management, store, customer, enrolment
):
    url = f"{_enrol_url(store, customer)}/{enrolment.pk}/stamp"

    response = management.post(url, {"stamps": 2, "note": "x" * 256})

    body = assert_error(response, 422, "note")
    assert body["fields"]["note"] == [NOTE_MESSAGE]
    enrolment.refresh_from_db()
    assert enrolment.stamps_count == 0 and not StampEntry.objects.exists()
    # 255 characters are kept whole.
    assert management.post(url, {"stamps": 1, "note": "x" * 255}).status_code == 200
    assert StampEntry.objects.get().note == "x" * 255


def test_a_stamp_note_over_255_characters_is_refused_in_the_console(staff_client, enrolment):
    response = staff_client.post(
        reverse("loyalty:stamp", args=[enrolment.pk]),
        {"count": "2", "note": "x" * 300},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert NOTE_MESSAGE in response.text
    enrolment.refresh_from_db()
    assert enrolment.stamps_count == 0 and not StampEntry.objects.exists()
