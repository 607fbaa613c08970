"""Staff notes on a customer: written in the console (authors change their own, managers any)
and through the management API (the key is the author); pinned first on the customer page, each
change a line of the timeline; never in the shopper API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import CustomerEvent, CustomerNote
from customers.services import note_create
from stores.services import api_key_create
from tests import factories
from tests.helpers import assert_error, client_of

pytestmark = pytest.mark.django_db
API = "/storefront/v1"


@pytest.fixture
def management(store):
    key = api_key_create(store=store, kind="secret", name="CRM")
    return client_of(key), key.api_key


def notes_url(store, customer, note=None) -> str:
    base = f"/api/v1/accounts/{store.pk}/customers/{customer.pk}/notes"
    return f"{base}/{note.pk}" if note else base


def page_text(response) -> str:
    return " ".join(response.content.decode().split())


# --- the service -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "body"),
        ({"body": "   "}, "body"),
        ({"body": 12}, "body"),
        ({"body": "x" * (CustomerNote.BODY_MAX_LENGTH + 1)}, "body"),
        ({"body": "Fine", "pinned": "yes"}, "pinned"),
        ({"body": "Fine", "colour": "red"}, "colour"),
    ],
)
def test_a_bad_note_is_refused_on_its_field(customer, data, field):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        note_create(customer=customer, data=data)
    assert field in caught.value.message_dict
    assert not CustomerNote.objects.exists() and not CustomerEvent.objects.exists()


# --- the management API ----------------------------------------------------------------------


def test_notes_through_the_management_api(store, customer, management):
    client, key = management
    created = client.post(
        notes_url(store, customer), {"note": {"body": "Prefers oat milk.", "pinned": True}}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["body"], body["pinned"]) == ("Prefers oat milk.", True)
    assert body["author"] == {"type": "api_key", "name": "API key CRM"}
    note = CustomerNote.objects.get()
    assert note.author_api_key == key and note.customer == customer

    client.post(notes_url(store, customer), {"note": {"body": "Allergic to nuts."}})
    listed = client.get(notes_url(store, customer)).json()
    assert [row["body"] for row in listed["notes"]] == ["Allergic to nuts.", "Prefers oat milk."]
    assert listed["pagination"]["count"] == 2

    changed = client.patch(notes_url(store, customer, note), {"note": {"pinned": False}})
    assert changed.status_code == 200 and changed.json()["pinned"] is False
    assert client.get(notes_url(store, customer, note)).json()["pinned"] is False
    assert client.delete(notes_url(store, customer, note)).status_code == 204
    assert list(CustomerNote.objects.values_list("body", flat=True)) == ["Allergic to nuts."]
    kinds = list(
        CustomerEvent.objects.filter(customer=customer)
        .order_by("created_at", "id")
        .values_list("type", "actor_api_key")
    )
    assert kinds == [
        ("note", key.pk),
        ("note", key.pk),
        ("note_changed", key.pk),
        ("note_deleted", key.pk),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"note": {"body": ""}}, "body"),
        ({"note": {"body": "x" * 5001}}, "body"),
        ({"note": {"body": "ok", "pinned": "maybe"}}, "pinned"),
        ({"body": None}, "body"),
    ],
)
def test_a_bad_note_is_422_and_writes_nothing(store, customer, management, body, field):
    client, _ = management
    assert_error(client.post(notes_url(store, customer), body), 422, field)
    assert not CustomerNote.objects.exists() and not CustomerEvent.objects.exists()


def test_another_stores_notes_are_404(store, other_store, customer, management):
    client, _ = management
    theirs = factories.CustomerFactory(store=other_store)
    note = note_create(customer=theirs, data={"body": "Theirs."})
    assert_error(client.get(notes_url(store, theirs)), 404)
    assert_error(client.get(notes_url(store, customer, note)), 404)
    assert_error(client.patch(notes_url(store, customer, note), {"note": {"body": "x"}}), 404)
    assert_error(client.delete(notes_url(store, customer, note)), 404)
    other = client_of(api_key_create(store=other_store, kind="secret"))
    assert_error(other.get(notes_url(store, customer)), 404)  # its key on this store's path
    assert CustomerNote.objects.get().body == "Theirs."


def test_notes_never_reach_the_shopper_api(store, customer, shopper):
    note_create(customer=customer, data={"body": "Secret staff note."})
    answers = [
        shopper.get(f"{API}/customers/{customer.public_id}"),
        shopper.get(f"{API}/customers/{customer.public_id}/notes"),
    ]
    assert answers[0].status_code == 200 and answers[1].status_code == 404
    assert all("Secret staff note" not in answer.content.decode() for answer in answers)


# --- the console -----------------------------------------------------------------------------


def test_staff_add_and_pin_notes_shown_pinned_first(member, customer):
    staff = member("staff")
    detail = reverse("customers:detail", args=[customer.pk])
    assert "No notes yet." in page_text(staff.get(detail))
    for body in ("First note.", "Second note."):
        response = staff.post(reverse("customers:note_create", args=[customer.pk]), {"body": body})
        assert response.status_code == 302 and response["Location"].endswith("#notes")
    first = CustomerNote.objects.get(body="First note.")
    assert first.author_user == staff.user
    staff.post(reverse("customers:note_pin", args=[customer.pk, first.pk]), {"pinned": "1"})
    page = staff.get(detail)
    assert [note.body for note in page.context["notes"]] == ["First note.", "Second note."]
    text = page_text(page)
    assert text.index("Pinned") < text.index("First note.") < text.index("Second note.")
    assert "Note added" in text and "“Second note.”" in text  # and in the timeline
    empty = staff.post(reverse("customers:note_create", args=[customer.pk]), {"body": " "})
    assert empty.status_code == 302 and CustomerNote.objects.count() == 2


def test_authors_change_their_own_notes_and_managers_any(member, customer):
    author, colleague, manager = member("staff"), member("staff"), member("manager")
    note = note_create(customer=customer, data={"body": "Mine."}, actor_user=author.user)
    edit = reverse("customers:note_edit", args=[customer.pk, note.pk])
    delete = reverse("customers:note_delete", args=[customer.pk, note.pk])
    pin = reverse("customers:note_pin", args=[customer.pk, note.pk])

    assert colleague.get(edit).status_code == 403
    assert colleague.post(edit, {"body": "Hijacked."}).status_code == 403
    assert colleague.post(pin, {"pinned": "1"}).status_code == 403
    assert colleague.post(delete).status_code == 403
    note.refresh_from_db()
    assert (note.body, note.pinned) == ("Mine.", False)
    page = colleague.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert edit not in page and delete not in page

    assert author.post(edit, {"body": "Mine, edited."}).status_code == 302
    bad = author.post(edit, {"body": ""})
    assert bad.status_code == 422 and bad.context["form"].errors["body"]
    note.refresh_from_db()
    assert note.body == "Mine, edited."
    assert manager.post(delete).status_code == 302
    assert not CustomerNote.objects.exists()
    assert CustomerEvent.objects.filter(type="note_deleted", actor_user=manager.user).exists()


def test_another_stores_customer_notes_are_404(member, other_store):
    theirs = factories.CustomerFactory(store=other_store)
    note = note_create(customer=theirs, data={"body": "Theirs."})
    manager = member("manager")
    assert (
        manager.post(reverse("customers:note_create", args=[theirs.pk]), {"body": "x"}).status_code
        == 404
    )
    assert (
        manager.post(reverse("customers:note_delete", args=[theirs.pk, note.pk])).status_code == 404
    )
    assert CustomerNote.objects.count() == 1


def test_the_customer_page_reads_a_constant_number_of_queries_for_notes(member, customer):
    staff = member("staff")
    detail = reverse("customers:detail", args=[customer.pk])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert staff.get(detail).status_code == 200
        return len(captured)

    note_create(customer=customer, data={"body": "One."}, actor_user=staff.user)
    few = queries()
    api_key = api_key_create(store=customer.store, kind="secret").api_key
    for number in range(12):
        actor = {"actor_user": member("staff").user} if number % 2 else {"actor_api_key": api_key}
        note_create(customer=customer, data={"body": f"Note {number}."}, **actor)
    assert queries() == few
