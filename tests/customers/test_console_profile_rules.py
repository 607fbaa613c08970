"""The console's customer forms apply the same rules as both APIs, from customers.services: a
name over 100 characters, a birthday in the future or before 1900, and a metadata key or value
outside the rules are refused with a message, and nothing is saved."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from customers.models import Customer
from tests.helpers import empty_inlines, form_data

pytestmark = pytest.mark.django_db

LIMIT = "Use at most 100 characters."


def errors_of(response) -> dict:
    assert response.status_code == 200, response.status_code  # the form again, not a redirect
    return response.context["form"].errors


def unchanged(customer):
    customer.refresh_from_db()
    return (customer.first_name, customer.last_name, customer.birthday, customer.metadata) == (
        "Ada",
        "Lovelace",
        None,
        {},
    ) and not customer.events.exists()


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_a_name_over_100_characters_is_refused_not_cut(staff_client, customer, field):
    edit = staff_client.post(
        reverse("customers:edit", args=[customer.pk]), form_data(**{field: "x" * 101})
    )
    assert errors_of(edit)[field] == [LIMIT]
    assert unchanged(customer)
    create = staff_client.post(
        reverse("customers:create"),
        form_data(email="lin@example.com", phone="", **{field: "y" * 101}),
    )
    assert errors_of(create)[field] == [LIMIT]
    assert not Customer.objects.filter(email="lin@example.com").exists()


@pytest.mark.parametrize(
    ("birthday", "message"),
    [
        ("2025-06-16", "A birthday cannot be in the future."),
        ("1899-12-31", "Enter a birthday from 1900 on."),
    ],
)
def test_a_birthday_in_the_future_or_before_1900_is_refused(
    staff_client, customer, birthday, message
):
    with time_machine.travel(datetime(2025, 6, 15, 12, tzinfo=UTC), tick=False):
        edit = staff_client.post(
            reverse("customers:edit", args=[customer.pk]),
            form_data(birthday=birthday, last_name="King"),
        )
        create = staff_client.post(
            reverse("customers:create"),
            form_data(email="lin@example.com", phone="", birthday=birthday),
        )
        today = staff_client.post(
            reverse("customers:edit", args=[customer.pk]), form_data(birthday="2025-06-15")
        )
    assert errors_of(edit)["birthday"] == [message]
    assert errors_of(create)["birthday"] == [message]
    assert not Customer.objects.filter(email="lin@example.com").exists()
    assert today.status_code == 302
    customer.refresh_from_db()
    assert customer.birthday == date(2025, 6, 15) and customer.last_name == "Lovelace"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("k" * 41, "1", "Metadata keys have at most 40 characters"),
        ("", "orphan", "Every metadata value needs a key."),
        ("notes", "x" * 499, "at most 500 characters"),  # 501 as JSON
    ],
)
def test_metadata_follows_the_same_rules_as_the_apis(staff_client, customer, key, value, message):
    response = staff_client.post(
        reverse("customers:edit", args=[customer.pk]),
        form_data(meta_key=["tier", key], meta_value=["gold", value]),
    )
    assert message in " ".join(errors_of(response)["metadata"])
    assert unchanged(customer)


def test_metadata_errors_come_with_the_other_fields_errors(staff_client, customer):
    response = staff_client.post(
        reverse("customers:edit", args=[customer.pk]),
        form_data(
            email="not an email", birthday="2999-01-01", meta_key=["k" * 65], meta_value=["1"]
        ),
    )
    errors = errors_of(response)
    assert {"email", "birthday", "metadata"} <= set(errors)
    assert unchanged(customer)


def test_the_admin_refuses_what_the_console_refuses(admin_client, store, customer):
    """Django admin saves through the same services: a bad birthday or metadata key is a form
    error there too, not a server error."""
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    base = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone": "+14155550123",
        "birthday": "",
        "metadata": "{}",
        **empty_inlines("addresses", "cards"),
    }
    with time_machine.travel(datetime(2025, 6, 15, 12, tzinfo=UTC), tick=False):
        future = admin_client.post(url, {**base, "birthday": "2025-06-16"})
        bad_key = admin_client.post(url, {**base, "metadata": '{"%s": 1}' % ("k" * 41)})
    for response in (future, bad_key):
        assert response.status_code == 200  # the form again
    assert future.context["adminform"].form.errors["birthday"] == [
        "A birthday cannot be in the future."
    ]
    assert "at most 40 characters" in bad_key.context["adminform"].form.errors["metadata"][0]
    assert unchanged(customer)
