"""Customer groups: named groups of a store ("Wholesale", "Staff"), a customer in at most one;
managed in the management API and the console, shown by both APIs, filtered on."""

import pytest
from django.urls import reverse

from customers.models import CustomerEvent, CustomerGroup
from customers.services import customer_group_create, customer_update
from stores.services import api_key_create
from tests import factories
from tests.helpers import assert_error, client_of

pytestmark = pytest.mark.django_db
API = "/storefront/v1"


@pytest.fixture
def management(store):
    return client_of(api_key_create(store=store, kind="secret"))


@pytest.fixture
def wholesale(store):
    return customer_group_create(store=store, data={"name": "Wholesale"})


def groups_url(store, group=None) -> str:
    base = f"/api/v1/accounts/{store.pk}/customer_groups"
    return f"{base}/{group.pk}" if group else base


def test_groups_through_the_management_api(store, management):
    created = management.post(
        groups_url(store), {"customer_group": {"name": " Wholesale ", "description": "B2B"}}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["name"], body["description"]) == ("Wholesale", "B2B")
    management.post(groups_url(store), {"customer_group": {"name": "Staff"}})
    assert [row["name"] for row in management.get(groups_url(store)).json()] == [
        "Staff",
        "Wholesale",
    ]
    group = CustomerGroup.objects.get(name="Wholesale")
    renamed = management.patch(groups_url(store, group), {"customer_group": {"name": "Trade"}})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Trade"
    assert management.get(groups_url(store, group)).json()["description"] == "B2B"
    assert management.delete(groups_url(store, group)).status_code == 204
    assert list(CustomerGroup.objects.values_list("name", flat=True)) == ["Staff"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customer_group": {"name": ""}}, "name"),
        ({"customer_group": {"name": "x" * 81}}, "name"),
        ({"customer_group": {"name": "wholesale"}}, "name"),  # taken, whatever its case
        ({"customer_group": {"name": "Fine", "description": "x" * 501}}, "description"),
        ({"name": "Unwrapped"}, "customer_group"),
    ],
)
def test_a_bad_group_is_422_and_writes_nothing(store, management, wholesale, body, field):
    assert_error(management.post(groups_url(store), body), 422, field)
    assert list(CustomerGroup.objects.values_list("name", flat=True)) == ["Wholesale"]


def test_a_store_has_at_most_100_groups(store, management):
    CustomerGroup.objects.bulk_create(
        CustomerGroup(store=store, name=f"Group {n}") for n in range(100)
    )
    assert_error(management.post(groups_url(store), {"customer_group": {"name": "One more"}}), 422)
    assert CustomerGroup.objects.count() == 100


def test_another_stores_group_is_404_and_cannot_be_given(store, other_store, management, customer):
    theirs = customer_group_create(store=other_store, data={"name": "Theirs"})
    assert_error(management.get(groups_url(store, theirs)), 404)
    assert_error(management.delete(groups_url(store, theirs)), 404)
    url = f"/api/v1/accounts/{store.pk}/customers/{customer.pk}"
    answer = management.patch(url, {"customer": {"customer_group_id": theirs.pk}})
    assert_error(answer, 422, "customer_group")
    customer.refresh_from_db()
    assert customer.customer_group is None and CustomerGroup.objects.filter(pk=theirs.pk).exists()


def test_a_customers_group_is_set_shown_and_filtered(store, management, customer, wholesale):
    url = f"/api/v1/accounts/{store.pk}/customers"
    other = factories.CustomerFactory(store=store, phone="")
    answer = management.patch(
        f"{url}/{customer.pk}", {"customer": {"customer_group_id": wholesale.pk}}
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["customer_group"] == {"id": wholesale.pk, "name": "Wholesale"}
    event = CustomerEvent.objects.filter(customer=customer).latest("created_at")
    assert event.type == "updated" and "customer_group" in event.data["fields"]

    listed = management.get(url, {"customer_group": wholesale.pk}).json()["customers"]
    assert [row["id"] for row in listed] == [customer.pk]
    everyone = management.get(url).json()["customers"]
    assert {row["id"]: row["customer_group"] for row in everyone} == {
        customer.pk: {"id": wholesale.pk, "name": "Wholesale"},
        other.pk: None,
    }
    created = management.post(
        url,
        {
            "customer": {
                "first_name": "Bulk",
                "email": "bulk@example.com",
                "customer_group_id": wholesale.pk,
            }
        },
    )
    assert created.status_code == 201 and created.json()["customer_group"]["name"] == "Wholesale"

    # Deleting the group leaves its customers in none.
    management.delete(groups_url(store, wholesale))
    customer.refresh_from_db()
    assert customer.customer_group is None
    cleared = management.patch(f"{url}/{other.pk}", {"customer": {"customer_group_id": None}})
    assert cleared.status_code == 200 and cleared.json()["customer_group"] is None


def test_the_shopper_sees_their_group_and_cannot_set_it(store, customer, shopper, wholesale):
    customer_update(customer=customer, data={"customer_group": wholesale})
    profile = shopper.get(f"{API}/customers/{customer.public_id}").json()
    assert profile["customer_group"] == {"id": wholesale.pk, "name": "Wholesale"}
    shopper.put(f"{API}/customers/{customer.public_id}", {"customer_group_id": None}, format="json")
    customer.refresh_from_db()
    assert customer.customer_group == wholesale


def test_staff_set_a_customers_group_and_filter_the_list_by_it(member, store, customer, wholesale):
    staff = member("staff")
    edit = reverse("customers:edit", args=[customer.pk])
    form = staff.get(edit).context["form"]
    assert [label for _value, label in form.fields["customer_group"].choices] == [
        "No group",
        "Wholesale",
    ]
    data = {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email": customer.email,
        "phone": customer.phone,
        "customer_group": wholesale.pk,
        "metadata-TOTAL_FORMS": "0",
        "metadata-INITIAL_FORMS": "0",
    }
    answer = staff.post(edit, data)
    assert answer.status_code == 302, answer.context["form"].errors if answer.context else answer
    customer.refresh_from_db()
    assert customer.customer_group == wholesale
    page = staff.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Wholesale" in page
    factories.CustomerFactory(store=store, first_name="Ungrouped", phone="")
    listed = staff.get(reverse("customers:list"), {"group": wholesale.pk})
    assert [row.pk for row in listed.context["page_obj"]] == [customer.pk]


def test_managers_add_rename_and_delete_groups_in_the_console(member, store, customer):
    manager = member("manager")
    url = reverse("console:customer_groups")
    assert member("staff").get(url).status_code == 403
    assert "No groups yet" in manager.get(url).content.decode()
    added = manager.post(url, {"name": "Wholesale", "description": "B2B"}, follow=True)
    assert "Group “Wholesale” added." in [str(m) for m in added.context["messages"]]
    taken = manager.post(url, {"name": "wholesale"})
    assert taken.status_code == 422 and taken.context["form"].errors["name"]
    group = CustomerGroup.objects.get()
    customer_update(customer=customer, data={"customer_group": group})
    change = reverse("console:customer_group_change", args=[group.pk])
    manager.post(change, {"name": "Trade", "description": ""})
    group.refresh_from_db()
    assert (group.name, group.description) == ("Trade", "")
    page = manager.get(url).content.decode()
    assert 'data-confirm="Delete the group Trade? Its 1 customer will be in no group."' in page
    deleted = manager.post(change, {"action": "delete"}, follow=True)
    assert "1 customer now in no group" in " ".join(str(m) for m in deleted.context["messages"])
    customer.refresh_from_db()
    assert customer.customer_group is None and not CustomerGroup.objects.exists()


def test_another_stores_group_is_404_in_the_console(member, other_store):
    theirs = customer_group_create(store=other_store, data={"name": "Theirs"})
    manager = member("manager")
    change = reverse("console:customer_group_change", args=[theirs.pk])
    assert manager.post(change, {"action": "delete"}).status_code == 404
    assert CustomerGroup.objects.filter(pk=theirs.pk).exists()
