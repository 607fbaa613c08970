"""The console's customer pages, through HTTP as staff use them."""

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.models import Address, Customer, CustomerEvent, Tag
from orders.models import Order
from stores.services import api_key_create
from tests import factories
from tests.customers.test_services import png_upload
from tests.helpers import form_data

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def follow_messages(client, response) -> list[str]:
    page = client.get(response["Location"])
    return [str(m) for m in page.context["messages"]]


# --- access ---------------------------------------------------------------------------------


@pytest.fixture
def urls(customer):
    address = factories.AddressFactory(customer=customer, is_default=True)
    pk = customer.pk
    return [
        reverse("console:dashboard"),
        reverse("customers:list"),
        reverse("customers:export"),
        reverse("customers:create"),
        reverse("customers:detail", args=[pk]),
        reverse("customers:edit", args=[pk]),
        reverse("customers:delete", args=[pk]),
        reverse("customers:address_create", args=[pk]),
        reverse("customers:address_edit", args=[pk, address.pk]),
    ]


def test_anonymous_users_are_sent_to_the_login_page(client, urls):
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/console/login/?next=")


def test_users_without_a_store_get_403(client, urls):
    client.force_login(factories.UserFactory())
    for url in urls:
        assert client.get(url).status_code == 403, url


def test_another_stores_customer_is_404(other_store, staff_client, member):
    stranger = factories.CustomerFactory(store=other_store)
    address = factories.AddressFactory(customer=stranger)
    manager = member("manager")
    for url in [
        reverse("customers:detail", args=[stranger.pk]),
        reverse("customers:edit", args=[stranger.pk]),
        reverse("customers:address_create", args=[stranger.pk]),
        reverse("customers:address_edit", args=[stranger.pk, address.pk]),
    ]:
        assert staff_client.get(url).status_code == 404, url
    assert manager.get(reverse("customers:delete", args=[stranger.pk])).status_code == 404
    assert manager.post(reverse("customers:delete", args=[stranger.pk])).status_code == 404
    assert (
        staff_client.post(
            reverse("customers:address_delete", args=[stranger.pk, address.pk])
        ).status_code
        == 404
    )
    assert Customer.objects.filter(pk=stranger.pk).exists()
    assert Address.objects.filter(pk=address.pk).exists()


def test_an_address_of_another_customer_is_404(customer, store, staff_client):
    other = factories.CustomerFactory(store=store)
    address = factories.AddressFactory(customer=other)
    url = reverse("customers:address_edit", args=[customer.pk, address.pk])
    assert staff_client.get(url).status_code == 404


def test_staff_cannot_delete_customers_but_managers_can(customer, staff_client, manager_client):
    url = reverse("customers:delete", args=[customer.pk])
    assert staff_client.get(url).status_code == 403
    assert staff_client.post(url).status_code == 403
    detail = staff_client.get(reverse("customers:detail", args=[customer.pk]))
    assert url not in detail.content.decode()  # no Delete button for staff
    assert manager_client.get(url).status_code == 200
    assert (
        url in manager_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    )


def test_superusers_see_every_store(client, customer):
    client.force_login(factories.UserFactory(is_superuser=True, is_staff=True))
    assert client.get(reverse("customers:detail", args=[customer.pk])).status_code == 200


def test_posts_need_a_csrf_token(customer, store):
    membership = factories.MembershipFactory(store=store, role="manager")
    client = Client(enforce_csrf_checks=True)
    client.force_login(membership.user)
    response = client.post(reverse("customers:delete", args=[customer.pk]))
    assert response.status_code == 403
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_login_page_signs_staff_in(client, store):
    membership = factories.MembershipFactory(store=store)
    response = client.post(
        reverse("login"),
        {"username": membership.user.username, "password": "correct horse battery"},
    )
    assert response.status_code == 302 and response["Location"] == "/console/"
    assert client.get("/console/").status_code == 200


def test_store_switcher(client, store, other_store):
    user = factories.UserFactory()
    factories.MembershipFactory(user=user, store=store)
    factories.MembershipFactory(user=user, store=other_store, role="manager")
    foreign = factories.StoreFactory(name="Not mine")
    client.force_login(user)
    page = client.get(reverse("customers:list")).content.decode()
    assert "Rival Roasters" in page and "Not mine" not in page  # the switcher lists my stores
    factories.CustomerFactory(store=other_store, first_name="Rivalcustomer")
    response = client.post(
        reverse("console:switch"), {"store": other_store.pk, "next": "/console/customers/"}
    )
    assert response.status_code == 302
    assert "Rivalcustomer" in client.get(reverse("customers:list")).content.decode()
    response = client.post(reverse("console:switch"), {"store": foreign.pk})
    assert "not a member" in follow_messages(client, response)[0]
    assert "Rivalcustomer" in client.get(reverse("customers:list")).content.decode()


# --- list -----------------------------------------------------------------------------------


@pytest.fixture
def crowd(frozen_clock, store, other_store):
    now = timezone.now()
    vip = Tag.objects.create(store=store, name="vip")
    ada = factories.CustomerFactory(
        store=store,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        phone="+14155550123",
        status="repeat",
        total_orders_count=2,
        created_at=now - timedelta(days=40),
    )
    ada.tags.add(vip)
    grace = factories.CustomerFactory(
        store=store,
        first_name="Grace",
        last_name="Hopper",
        email="grace@example.com",
        phone="+12025550188",
        is_guest=True,
        created_at=now - timedelta(days=2),
    )
    alan = factories.CustomerFactory(
        store=store,
        first_name="Alan",
        last_name="Turing",
        email="alan@example.com",
        phone="+442079460958",
        status="acquired",
        total_orders_count=1,
        created_at=now - timedelta(days=10),
    )
    factories.CustomerFactory(store=other_store, first_name="Ada", last_name="Elsewhere")
    return ada, grace, alan


def listed(client, **params) -> list[str]:
    response = client.get(reverse("customers:list"), params)
    assert response.status_code == 200
    return [c.name for c in response.context["page_obj"]]


@pytest.mark.parametrize(
    "query", ["+1 415 555 0123", "(415) 555-0123", "4155550123", "0123", "ada love", "ADA@EXAMPLE"]
)
def test_search_finds_a_customer_however_typed(staff_client, crowd, query):
    assert listed(staff_client, q=query) == ["Ada Lovelace"]


def test_filters(staff_client, crowd, store):
    today = timezone.localdate()
    assert listed(staff_client, status="repeat") == ["Ada Lovelace"]
    assert listed(staff_client, kind="guest") == ["Grace Hopper"]
    assert sorted(listed(staff_client, kind="registered")) == ["Ada Lovelace", "Alan Turing"]
    assert listed(staff_client, tag="vip") == ["Ada Lovelace"]
    assert listed(staff_client, orders="no") == ["Grace Hopper"]
    assert sorted(listed(staff_client, orders="yes")) == ["Ada Lovelace", "Alan Turing"]
    since = (today - timedelta(days=15)).isoformat()
    assert sorted(listed(staff_client, created_from=since)) == ["Alan Turing", "Grace Hopper"]
    until = (today - timedelta(days=5)).isoformat()
    assert sorted(listed(staff_client, created_to=until)) == ["Ada Lovelace", "Alan Turing"]


def test_bad_filter_values_are_ignored_not_errors(staff_client, crowd):
    names = listed(
        staff_client,
        status="nonsense",
        created_from="yesterday",
        sort="drop table",
        per_page="9999",
        page="abc",
    )
    assert len(names) == 3


def test_sorting(staff_client, crowd):
    assert listed(staff_client, sort="name") == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    assert listed(staff_client, sort="-orders")[0] == "Ada Lovelace"
    assert listed(staff_client, sort="-created") == ["Grace Hopper", "Alan Turing", "Ada Lovelace"]
    assert listed(staff_client, sort="email") == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]


def test_pagination_and_page_size(staff_client, store):
    factories.CustomerFactory.create_batch(30, store=store)
    response = staff_client.get(reverse("customers:list"))
    assert len(response.context["page_obj"]) == 25
    assert "of 30 customers" in response.content.decode()
    response = staff_client.get(reverse("customers:list"), {"page": 2})
    assert len(response.context["page_obj"]) == 5
    response = staff_client.get(reverse("customers:list"), {"per_page": 50})
    assert len(response.context["page_obj"]) == 30


def test_empty_states(staff_client, store):
    page = staff_client.get(reverse("customers:list")).content.decode()
    assert "No customers yet" in page
    factories.CustomerFactory(store=store)
    page = staff_client.get(reverse("customers:list"), {"q": "zzzz"}).content.decode()
    assert "No customer matches" in page


def test_search_as_you_type_returns_only_the_results(staff_client, crowd):
    response = staff_client.get(
        reverse("customers:list"), {"q": "grace"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    body = response.content.decode()
    assert '<nav class="navbar' not in body and "Grace Hopper" in body and "Ada" not in body


def test_list_queries_do_not_grow_with_the_page(staff_client, store, django_assert_max_num_queries):
    vip = Tag.objects.create(store=store, name="vip")
    for customer in factories.CustomerFactory.create_batch(5, store=store):
        customer.tags.add(vip)
    with django_assert_max_num_queries(9) as small:
        staff_client.get(reverse("customers:list"))
    for customer in factories.CustomerFactory.create_batch(95, store=store):
        customer.tags.add(vip)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = staff_client.get(reverse("customers:list"), {"per_page": 100, "q": "first"})
    assert len(response.context["page_obj"]) == 100


# --- CSV ------------------------------------------------------------------------------------


def test_export_streams_the_filtered_list_as_csv(staff_client, crowd, store):
    ada, _, _ = crowd
    ada.first_name = "=HYPERLINK(evil)"
    ada.save()
    response = staff_client.get(reverse("customers:export"), {"kind": "registered", "sort": "name"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:5] == ["id", "first_name", "last_name", "email", "phone"]
    assert [row[2] for row in rows[1:]] == ["Lovelace", "Turing"]
    assert rows[1][1] == "'=HYPERLINK(evil)"  # not a formula in a spreadsheet
    assert rows[1][4] == "+14155550123" and rows[1][8] == "vip" and rows[1][7] == "2"


def test_export_opens_in_excel_with_accents_intact(staff_client, store):
    factories.CustomerFactory(store=store, first_name="Zoë", last_name="Ñúñez-Müller")
    response = staff_client.get(reverse("customers:export"))
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # the UTF-8 byte order mark Excel looks for
    assert body.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "id"
    assert rows[1][1:3] == ["Zoë", "Ñúñez-Müller"]


def test_export_never_includes_another_store(staff_client, crowd):
    response = staff_client.get(reverse("customers:export"))
    body = b"".join(response.streaming_content).decode()
    assert "Elsewhere" not in body and body.count("\n") == 4


# --- detail ---------------------------------------------------------------------------------


def test_a_stamp_or_redemption_updates_the_timeline_in_place(
    staff_client, customer, store, django_assert_max_num_queries
):
    card = factories.LoyaltyCardFactory(store=store, name="Coffee card")
    reward = factories.RewardFactory(card=card, name="Free coffee", stamps_required=2)
    enrolment = factories.CustomerCardFactory(customer=customer, card=card)
    htmx = {"HX-Request": "true"}

    def timeline_of(response) -> str:
        assert response.status_code == 200
        return response.text.split('<div class="card mb-4" id="timeline" hx-swap-oob="true">')[1]

    stamp_url = reverse("loyalty:stamp", args=[enrolment.pk])
    stamped = staff_client.post(stamp_url, {"count": "2"}, headers=htmx)
    assert f'id="enrolment-{enrolment.pk}"' in stamped.text  # the card's panel, as before
    timeline = timeline_of(stamped)
    assert "Stamps added" in timeline and "2 stamps on Coffee card" in timeline
    redeemed = staff_client.post(
        reverse("loyalty:redeem", args=[enrolment.pk]), {"reward": reward.pk}, headers=htmx
    )
    assert "Reward redeemed" in timeline_of(redeemed)

    # The same queries with 3 events or 30, whoever their actors.
    with django_assert_max_num_queries(100) as few:
        staff_client.post(stamp_url, headers=htmx)
    key = api_key_create(store=store, kind="secret", name="Till").api_key
    for n in range(30):
        actor = {"actor_api_key": key} if n % 2 else {"actor_user": staff_client.user}
        CustomerEvent.objects.create(store=store, customer=customer, type="note", **actor)
    with django_assert_max_num_queries(len(few.captured_queries)):
        many = staff_client.post(stamp_url, headers=htmx)
    assert "API key Till" in timeline_of(many)


def test_customer_page_shows_everything(staff_client, customer, store):
    factories.AddressFactory(customer=customer, is_default=True, street1="1 Market St")
    factories.OrderFactory(customer=customer, number=42)
    card = factories.LoyaltyCardFactory(store=store, name="Coffee card")
    factories.CustomerCardFactory(customer=customer, card=card, stamps_count=3)
    factories.ReviewFactory(author=customer, content="Lovely flat white")
    CustomerEvent.objects.create(store=store, customer=customer, type="note")
    customer.metadata = {"tier": "gold"}
    customer.save()
    page = staff_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    for text in [
        "Ada Lovelace",
        "ada@example.com",
        "+14155550123",
        "1 Market St",
        "#42",
        "Coffee card",
        "Lovely flat white",
        "gold",
        "Note",
        "<svg",
    ]:
        assert text in page, text


def test_customer_page_queries_do_not_grow(
    staff_client, customer, store, django_assert_max_num_queries
):
    def add_history(n):
        for _ in range(n):
            factories.AddressFactory(customer=customer)
            factories.OrderFactory(customer=customer)
            factories.ReviewFactory(
                author=customer,
                subject_type="product",
                product=factories.ProductFactory(store=store),
            )
            card = factories.LoyaltyCardFactory(store=store)
            factories.RewardFactory(card=card)
            factories.CustomerCardFactory(customer=customer, card=card)
            CustomerEvent.objects.create(store=store, customer=customer, type="note")

    add_history(1)
    url = reverse("customers:detail", args=[customer.pk])
    with django_assert_max_num_queries(20) as small:
        staff_client.get(url)
    add_history(8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert staff_client.get(url).status_code == 200


# --- edit and create ------------------------------------------------------------------------


def test_edit_saves_and_leaves_a_message_and_an_event(staff_client, customer):
    url = reverse("customers:edit", args=[customer.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(
        url,
        form_data(
            email="Countess@Example.com",
            phone="(415) 555-0199",
            tags="vip, newsletter",
            meta_key=["tier", "drink"],
            meta_value=["gold", "flat white"],
            birthday="1985-12-10",  # a birthday before 1900 is refused
        ),
    )
    assert response.status_code == 302
    assert "saved" in follow_messages(staff_client, response)[0]
    customer.refresh_from_db()
    assert customer.email == "countess@example.com"
    assert customer.phone == "+14155550199"
    assert customer.metadata == {"tier": "gold", "drink": "flat white"}
    assert sorted(customer.tags.values_list("name", flat=True)) == ["newsletter", "vip"]
    event = customer.events.get(type="updated")
    assert event.actor_user == staff_client.user
    assert set(event.data["fields"]) >= {"email", "phone", "metadata", "tags", "birthday"}


def test_edit_shows_form_errors_and_changes_nothing(staff_client, customer, store):
    factories.CustomerFactory(store=store, email="taken@example.com", phone="+14155550100")
    url = reverse("customers:edit", args=[customer.pk])
    cases = [
        (form_data(email="taken@EXAMPLE.com"), "email", "already exists"),
        (form_data(phone="+1 415 555 0100"), "phone", "already exists"),
        (form_data(phone="12"), "phone", "valid"),
        (form_data(first_name=""), "first_name", "required"),
        (form_data(email="", phone=""), "email", "email or a phone"),
        (form_data(meta_key=["", "x"], meta_value=["orphan", "1"]), "metadata", "needs a key"),
    ]
    for data, field, text in cases:
        response = staff_client.post(url, data)
        assert response.status_code == 200, data
        errors = response.context["form"].errors
        assert text in " ".join(errors.get(field or "__all__", [])), (field, errors)
    customer.refresh_from_db()
    assert customer.email == "ada@example.com" and customer.phone == "+14155550123"


def test_edit_refuses_a_photo_that_is_not_an_image(staff_client, customer):
    fake = png_upload("me.jpg")
    fake.file = io.BytesIO(b"just text pretending to be a JPEG")
    fake.size = 33
    response = staff_client.post(
        reverse("customers:edit", args=[customer.pk]), {**form_data(), "photo": fake}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["photo"]


def test_edit_uploads_a_photo(staff_client, customer):
    response = staff_client.post(
        reverse("customers:edit", args=[customer.pk]), {**form_data(), "photo": png_upload()}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.photo.name.endswith(".png")


def test_create_with_a_card_applies_the_welcome_stamps(staff_client, store):
    card = factories.LoyaltyCardFactory(store=store, name="Coffee card", initial_stamps=2)
    response = staff_client.post(
        reverse("customers:create"),
        form_data(email="new@example.com", phone="", first_name="Newbie", card=card.pk),
    )
    assert response.status_code == 302
    customer = Customer.objects.get(email="new@example.com")
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert "Enrolled in Coffee card with 2 stamps" in follow_messages(staff_client, response)[0]
    assert customer.cards.get().stamps_count == 2
    assert customer.events.filter(type="created", actor_user=staff_client.user).exists()


def test_create_refuses_another_stores_card_and_duplicates(
    staff_client, store, other_store, customer
):
    foreign_card = factories.LoyaltyCardFactory(store=other_store)
    response = staff_client.post(
        reverse("customers:create"),
        form_data(email="x@example.com", phone="", card=foreign_card.pk),
    )
    assert response.status_code == 200 and "card" in response.context["form"].errors
    response = staff_client.post(reverse("customers:create"), form_data())
    assert response.status_code == 200 and "email" in response.context["form"].errors
    assert Customer.objects.filter(store=store).count() == 1


# --- delete ---------------------------------------------------------------------------------


def test_delete_confirms_then_keeps_orders(manager_client, customer):
    order = factories.OrderFactory(customer=customer)
    url = reverse("customers:delete", args=[customer.pk])
    page = manager_client.get(url).content.decode()
    assert "1 order" in page and "Kept" in page and "Removed" in page
    assert Customer.objects.filter(pk=customer.pk).exists()  # GET deletes nothing
    response = manager_client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("customers:list")
    assert "deleted" in follow_messages(manager_client, response)[0]
    assert not Customer.objects.filter(pk=customer.pk).exists()
    order.refresh_from_db()
    assert order.customer is None and order.customer_name == "Ada Lovelace"
    assert CustomerEvent.objects.get(type="deleted").actor_user == manager_client.user


# --- addresses ------------------------------------------------------------------------------


ADDRESS = {
    "name": "Home",
    "street1": "1 Market St",
    "city": "San Francisco",
    "country": "us",
    "postal_code": "94103",
}


def test_address_add_edit_default_delete(staff_client, customer):
    add = reverse("customers:address_create", args=[customer.pk])
    assert staff_client.get(add).status_code == 200
    response = staff_client.post(add, ADDRESS)
    assert response.status_code == 302
    assert "Address added" in follow_messages(staff_client, response)[0]
    home = customer.addresses.get()
    assert home.is_default and home.country == "US"
    staff_client.post(add, {**ADDRESS, "name": "Office", "street1": "2 Mission St"}, follow=True)
    office = customer.addresses.get(name="Office")

    response = staff_client.post(
        reverse("customers:address_edit", args=[customer.pk, office.pk]),
        {**ADDRESS, "name": "Office", "street1": "3 Mission St", "phone": "415 555 0111"},
        follow=True,
    )
    office.refresh_from_db()
    assert office.street1 == "3 Mission St" and office.phone == "+14155550111"

    staff_client.post(
        reverse("customers:address_default", args=[customer.pk, office.pk]), follow=True
    )
    assert list(customer.addresses.filter(is_default=True)) == [office]

    response = staff_client.post(reverse("customers:address_delete", args=[customer.pk, office.pk]))
    assert "deleted" in follow_messages(staff_client, response)[0]
    assert list(customer.addresses.values_list("name", "is_default")) == [("Home", True)]
    types = set(customer.events.values_list("type", flat=True))
    assert {"address_added", "address_updated", "address_default_set", "address_deleted"} <= types


def test_address_form_errors(staff_client, customer):
    response = staff_client.post(
        reverse("customers:address_create", args=[customer.pk]),
        {**ADDRESS, "street1": "", "country": "USA", "latitude": "12"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "street1" in errors and "country" in errors and "longitude" in errors
    assert not customer.addresses.exists()


def test_address_delete_needs_post(staff_client, customer):
    address = factories.AddressFactory(customer=customer)
    url = reverse("customers:address_delete", args=[customer.pk, address.pk])
    assert staff_client.get(url).status_code == 405
    assert Address.objects.filter(pk=address.pk).exists()


# --- dashboard ------------------------------------------------------------------------------


@pytest.mark.usefixtures("frozen_clock")
def test_dashboard_counts(staff_client, store, customer):
    factories.CustomerFactory(store=store, created_at=timezone.now() - timedelta(days=30))
    factories.OrderFactory(customer=customer)
    factories.CustomerFactory(store=factories.StoreFactory())
    response = staff_client.get(reverse("console:dashboard"))
    figures = response.context["figures"]
    assert (figures["customers"].value, figures["new_customers_this_week"]) == (2, 1)
    assert figures["orders"].value == 1 and figures["orders"].exact
    assert '<div class="display-6" data-stat="customers">2</div>' in response.content.decode()
    assert Order.objects.count() == 1


def test_results_refresh_the_forms_sort_out_of_band(staff_client, crowd):
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
    response = staff_client.get(reverse("customers:list"), {"sort": "name"}, **htmx)
    body = response.content.decode()
    assert 'id="list-sort"' in body and 'value="name"' in body and 'hx-swap-oob="true"' in body
    full = staff_client.get(reverse("customers:list"), {"sort": "name"}).content.decode()
    assert full.count('id="list-sort"') == 1 and "hx-swap-oob" not in full


def test_export_link_follows_the_filters_after_an_htmx_update(staff_client, crowd):
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
    body = staff_client.get(reverse("customers:list"), {"status": "repeat"}, **htmx).content
    assert b'id="export-link"' in body and b"export.csv?status=repeat" in body


def test_no_template_comment_leaks_into_the_page(staff_client, crowd):
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
    for response in (
        staff_client.get(reverse("customers:list")),
        staff_client.get(reverse("customers:list"), {"q": "ada"}, **htmx),
    ):
        assert b"{#" not in response.content and b"out of band" not in response.content


def test_an_unknown_country_code_is_refused(staff_client, customer):
    response = staff_client.post(
        reverse("customers:address_create", args=[customer.pk]), {**ADDRESS, "country": "ZZ"}
    )
    assert response.status_code == 200 and "country" in response.context["form"].errors
