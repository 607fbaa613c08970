"""A tag is at most 64 characters (customers.services.TAG_MAX_LENGTH): a longer one is refused
with a message on `tags` by every face that sets tags (the console's forms, the management
API's create and update), never cut; a refused write changes nothing. The shopper API sets no
tags, and the admin picks tags that exist already."""

import re

import pytest
from django.urls import reverse

from customers.models import Customer, Tag
from customers.services import TAG_MAX_LENGTH
from stores.services import api_key_create
from tests.helpers import assert_error, client_of, form_data

pytestmark = pytest.mark.django_db

LONG = "x" * (TAG_MAX_LENGTH + 1)
LONGEST = "y" * TAG_MAX_LENGTH


def _is_the_tag_message(messages: list[str]) -> bool:
    return (
        len(messages) == 1
        and f"at most {TAG_MAX_LENGTH} characters" in messages[0]
        and f"has {TAG_MAX_LENGTH + 1}" in messages[0]
    )


@pytest.fixture
def management(store):
    return client_of(api_key_create(store=store, kind="secret"))


@pytest.fixture
def tagged(customer):
    customer.tags.set([Tag.objects.create(store=customer.store, name="regular")])
    return customer


def _tag_names(customer) -> list[str]:
    return sorted(customer.tags.values_list("name", flat=True))


# --- Console --------------------------------------------------------------------------------


def test_the_console_edit_form_refuses_a_long_tag_and_changes_nothing(staff_client, tagged):
    response = staff_client.post(
        reverse("customers:edit", args=[tagged.pk]),
        form_data(first_name="Augusta", tags=f"vip, {LONG}"),
    )

    assert response.status_code == 200
    assert _is_the_tag_message(response.context["form"].errors["tags"])
    assert "is-invalid" in re.search(r'<input[^>]*name="tags"[^>]*>', response.text)[0]
    tagged.refresh_from_db()
    assert tagged.first_name == "Ada" and _tag_names(tagged) == ["regular"]
    assert not Tag.objects.filter(name__in=["vip", LONG, LONG[:TAG_MAX_LENGTH]]).exists()
    # 64 characters are kept whole.
    response = staff_client.post(
        reverse("customers:edit", args=[tagged.pk]), form_data(tags=f"vip, {LONGEST}")
    )
    assert response.status_code == 302
    assert _tag_names(tagged) == ["vip", LONGEST]


def test_the_console_create_form_refuses_a_long_tag(staff_client, store):
    response = staff_client.post(
        reverse("customers:create"),
        form_data(email="grace@example.com", phone="", first_name="Grace", tags=LONG),
    )

    assert response.status_code == 200
    assert _is_the_tag_message(response.context["form"].errors["tags"])
    assert not Customer.objects.filter(store=store).exists()
    assert not Tag.objects.exists()


# --- Management API -------------------------------------------------------------------------


def test_a_management_patch_with_a_long_tag_is_refused_and_changes_nothing(
    management, store, tagged
):
    url = f"/api/v1/accounts/{store.pk}/customers/{tagged.pk}"

    response = management.patch(url, {"customer": {"first_name": "Augusta", "tags": ["vip", LONG]}})

    body = assert_error(response, 422, "tags")
    assert _is_the_tag_message(body["fields"]["tags"])
    tagged.refresh_from_db()
    assert tagged.first_name == "Ada" and _tag_names(tagged) == ["regular"]
    assert not tagged.events.exists()
    assert not Tag.objects.exclude(name="regular").exists()
    # 64 characters are kept whole; spaces around a tag, blanks and a repeat are dropped.
    response = management.patch(url, {"customer": {"tags": [LONGEST, "  vip  ", "VIP", ""]}})
    assert response.status_code == 200, response.content
    assert sorted(response.json()["tags"]) == _tag_names(tagged) == sorted([LONGEST, "vip"])


def test_a_management_create_with_a_long_tag_is_refused(management, store):
    response = management.post(
        f"/api/v1/accounts/{store.pk}/customers",
        {"customer": {"first_name": "Grace", "email": "grace@example.com", "tags": [LONG]}},
    )

    body = assert_error(response, 422, "tags")
    assert _is_the_tag_message(body["fields"]["tags"])
    assert not Customer.objects.exists() and not Tag.objects.exists()
