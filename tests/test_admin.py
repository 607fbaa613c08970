"""Django admin: every page renders, the customer pages cost a fixed number of queries however
many rows they show, and what the admin writes goes through the services."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from customers.models import (
    Address,
    Customer,
    CustomerEvent,
    CustomerToken,
    Device,
    ExternalReference,
    OutboundMessage,
    SocialIdentity,
    Tag,
    VerificationCode,
)
from customers.services import event_record
from loyalty.models import CustomerCard, LoyaltyCard, Reward, StampEntry
from loyalty.services import DAILY_LIMIT_MESSAGE, card_enrol, stamp_add
from orders.models import Order
from orders.services import order_create
from reviews.models import Review, ReviewMedia, ReviewVote
from stores.identifiers import hash_secret
from stores.models import ApiKey, Store, StoreInvitation
from stores.services import api_key_create, invitation_create
from tests import factories
from tests.helpers import empty_inlines
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.services import endpoint_create

# Measured on SQLite: the changelist runs 7 queries (session, user, the store and tag filters,
# the count, the page, the page's tags); the change form 9, or 10 while the content-type cache
# is cold (session, user, the customer, its tags, the tag widget, enrolments, orders, addresses,
# the cards to enrol in). Neither grows with the rows shown.
CHANGELIST_MAX_QUERIES = 7
CHANGE_FORM_MAX_QUERIES = 10


def _admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _customer_form(store, **fields):
    data = {
        "store": store.pk,
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "",
        "phone": "",
        "birthday": "",
        "metadata": "",
        **empty_inlines("addresses", "cards"),
    }
    data.update(fields)
    return data


def _customers_with_tags_and_addresses(store, count):
    tags = [Tag.objects.create(store=store, name=name) for name in ("VIP", "Wholesale")]
    for _ in range(count):
        customer = factories.CustomerFactory(store=store)
        customer.tags.set(tags)
        factories.AddressFactory(customer=customer)


def _customer_with_history(customer, rows):
    """`rows` addresses and orders (two lines each), and an enrolment with `rows` stamps."""
    product = factories.ProductFactory(store=customer.store)
    other = factories.ProductFactory(store=customer.store)
    for _ in range(rows):
        factories.AddressFactory(customer=customer)
        order_create(
            store=customer.store,
            customer=customer,
            items=[{"product": product, "quantity": 1}, {"product": other, "quantity": 2}],
        )
    card = factories.LoyaltyCardFactory(store=customer.store, initial_stamps=1)
    enrolment = card_enrol(customer=customer, card=card)
    for _ in range(rows):
        stamp_add(enrolment=enrolment)
    return enrolment


# --- Query counts ---------------------------------------------------------------------------


@pytest.mark.parametrize("count", [5, 30])
def test_customer_changelist_runs_the_same_queries_for_5_or_30_customers(
    admin_client, store, count, django_assert_max_num_queries
):
    _customers_with_tags_and_addresses(store, count)

    with django_assert_max_num_queries(CHANGELIST_MAX_QUERIES):
        response = admin_client.get(_admin_url(Customer, "changelist"))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == count
    assert "VIP, Wholesale" in response.content.decode()

    with django_assert_max_num_queries(CHANGELIST_MAX_QUERIES):
        response = admin_client.get(_admin_url(Customer, "changelist"), {"q": "example.com"})

    assert len(response.context["cl"].result_list) == count


@pytest.mark.parametrize("rows", [2, 25])
def test_customer_change_form_runs_the_same_queries_for_few_or_many_rows(
    admin_client, customer, rows, django_assert_max_num_queries
):
    customer.tags.set([Tag.objects.create(store=customer.store, name="VIP")])
    _customer_with_history(customer, rows)

    with django_assert_max_num_queries(CHANGE_FORM_MAX_QUERIES):
        response = admin_client.get(_admin_url(Customer, "change", customer.pk))

    assert response.status_code == 200
    shown = {
        inline.formset.prefix: len(inline.formset.initial_forms)
        for inline in response.context["inline_admin_formsets"]
    }
    # Orders are a history: the page shows the latest 20 and links to the rest.
    assert shown == {"addresses": rows, "cards": 1, "orders": min(rows, 20)}


# --- Search ---------------------------------------------------------------------------------


def test_customer_search_finds_a_customer_by_email(admin_client, customer, store):
    factories.CustomerFactory(store=store, first_name="Charles", email="charles@example.com")

    response = admin_client.get(_admin_url(Customer, "changelist"), {"q": "ada@example.com"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [customer]


def test_customer_search_finds_a_phone_typed_with_punctuation(admin_client, customer, store):
    factories.CustomerFactory(store=store, first_name="Charles", phone="+14155550199")

    response = admin_client.get(_admin_url(Customer, "changelist"), {"q": "(415) 555-0123"})

    assert list(response.context["cl"].result_list) == [customer]


def test_customer_autocomplete_uses_the_same_search(admin_client, customer):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "customers",
            "model_name": "externalreference",
            "field_name": "customer",
            "term": "(415) 555-0123",
        },
    )

    assert response.status_code == 200
    assert [result["id"] for result in response.json()["results"]] == [str(customer.pk)]


# --- Every page -----------------------------------------------------------------------------


@pytest.fixture
def one_of_everything(store, customer, admin_user):
    """At least one row of every registered model, written the way the product writes them."""
    # django-axes' sign-in records: one failure, one success.
    staff = factories.UserFactory(is_staff=True)
    Client().post("/admin/login/", {"username": staff.username, "password": "wrong"})
    Client().post(
        "/admin/login/", {"username": staff.username, "password": "correct horse battery"}
    )
    api_key_create(store=store, kind=ApiKey.Kind.SECRET, name="Till")
    Group.objects.create(name="Support")
    factories.MembershipFactory(store=store)
    invitation_create(store=store, email="new@example.com", role="staff", invited_by=admin_user)
    tag = Tag.objects.create(store=store, name="VIP")
    customer.tags.add(tag)
    ExternalReference.objects.create(
        store=store, customer=customer, source="pos", external_id="C-1"
    )
    SocialIdentity.objects.create(
        store=store, customer=customer, provider=SocialIdentity.Provider.APPLE, subject="001.abc"
    )
    Device.objects.create(
        store=store, customer=customer, token="push-token", platform=Device.Platform.IOS
    )
    VerificationCode.objects.create(
        store=store,
        customer=customer,
        purpose=VerificationCode.Purpose.LOGIN,
        identity=customer.email,
        code_hash="pbkdf2_sha256$secret-code-hash",
        expires_at=timezone.now() + timedelta(minutes=10),
    )
    CustomerToken.objects.create(
        customer=customer,
        key_hash="f" * 64,
        expires_at=timezone.now() + timedelta(days=30),
    )
    event_record(customer=customer, type=CustomerEvent.Type.NOTE, actor_user=admin_user)
    enrolment = _customer_with_history(customer, rows=1)
    factories.RewardFactory(card=enrolment.card)
    review = factories.ReviewFactory(author=customer)
    ReviewMedia.objects.create(
        review=review,
        kind=ReviewMedia.Kind.PHOTO,
        file="reviews/1/photo.jpg",
        content_type="image/jpeg",
        size=1024,
    )
    ReviewVote.objects.create(
        review=review, customer=factories.CustomerFactory(store=store), value=1
    )
    # A message not sent yet: its text still holds the code.
    OutboundMessage.objects.create(
        store=store,
        customer=customer,
        kind="login code",
        channel=OutboundMessage.Channel.EMAIL,
        to=customer.email,
        subject="Your code",
        body="Your code is 123456",
        key="admin-test-code",
    )
    endpoint, _ = endpoint_create(
        store=store, data={"url": "https://example.com/hooks", "events": ["order.created"]}
    )
    event = WebhookEvent.objects.create(store=store, type="order.created", payload={"id": 1})
    WebhookDelivery.objects.create(event=event, endpoint=endpoint, status="failed", attempts=8)


def test_every_admin_list_add_and_change_page_renders(admin_client, admin_user, one_of_everything):
    request = RequestFactory().get("/admin/")
    request.user = admin_user

    for model, model_admin in admin.site._registry.items():
        response = admin_client.get(_admin_url(model, "changelist"))
        assert response.status_code == 200, f"{model.__name__} changelist"

        if model_admin.has_add_permission(request):
            response = admin_client.get(_admin_url(model, "add"))
            assert response.status_code == 200, f"{model.__name__} add"

        row = model._default_manager.first()
        assert row is not None, f"no {model.__name__} to show"
        response = admin_client.get(_admin_url(model, "change", row.pk))
        assert response.status_code == 200, f"{model.__name__} change"


def test_hashes_never_appear_in_lists(admin_client, one_of_everything):
    hashes = [
        *ApiKey.objects.values_list("key_hash", flat=True),
        *CustomerToken.objects.values_list("key_hash", flat=True),
        *VerificationCode.objects.values_list("code_hash", flat=True),
        *StoreInvitation.objects.values_list("token_hash", flat=True),
    ]

    for model in (ApiKey, CustomerToken, VerificationCode, StoreInvitation):
        page = admin_client.get(_admin_url(model, "changelist")).content.decode()
        assert not [digest for digest in hashes if digest in page], model.__name__


def test_message_texts_and_webhook_secrets_are_never_shown(admin_client, one_of_everything):
    message = OutboundMessage.objects.get()
    endpoint = WebhookEndpoint.objects.get()
    pages = [
        admin_client.get(_admin_url(OutboundMessage, "changelist")),
        admin_client.get(_admin_url(OutboundMessage, "change", message.pk)),
        admin_client.get(_admin_url(WebhookEndpoint, "changelist")),
        admin_client.get(_admin_url(WebhookEndpoint, "change", endpoint.pk)),
    ]
    assert all(page.status_code == 200 for page in pages)
    text = "".join(page.content.decode() for page in pages)
    assert "123456" not in text and endpoint.secret_encrypted not in text
    assert "whsec_" not in text and message.to in text and endpoint.url in text


def test_verification_code_and_token_pages_never_show_their_hash(admin_client, one_of_everything):
    code = VerificationCode.objects.get()
    token = CustomerToken.objects.get()
    invitation = StoreInvitation.objects.get()

    code_page = admin_client.get(_admin_url(VerificationCode, "change", code.pk))
    token_page = admin_client.get(_admin_url(CustomerToken, "change", token.pk))
    invitation_page = admin_client.get(_admin_url(StoreInvitation, "change", invitation.pk))

    assert code.code_hash not in code_page.content.decode()
    assert token.key_hash not in token_page.content.decode()
    assert invitation.token_hash not in invitation_page.content.decode()


# --- Customer writes go through the services ------------------------------------------------


def test_adding_a_customer_normalises_the_phone_and_records_who_created_it(
    admin_client, admin_user, store
):
    response = admin_client.post(
        _admin_url(Customer, "add"),
        _customer_form(store, email="Grace@Example.COM", phone="(415) 555-0199"),
    )

    assert response.status_code == 302
    customer = Customer.objects.get(store=store, first_name="Grace")
    assert customer.phone == "+14155550199"
    assert customer.email == "grace@example.com"
    assert customer.slug == "grace-hopper"
    event = CustomerEvent.objects.get(customer=customer)
    assert event.type == CustomerEvent.Type.CREATED
    assert event.actor_user == admin_user


def test_adding_a_customer_with_an_address_and_a_card_uses_their_services(admin_client, store):
    card = factories.LoyaltyCardFactory(store=store, initial_stamps=2)
    data = _customer_form(store, email="grace@example.com")
    data.update(
        {
            "addresses-TOTAL_FORMS": "1",
            "addresses-0-street1": "1 Navy Way",
            "addresses-0-city": "Arlington",
            "addresses-0-country": "us",
            "addresses-0-phone": "415 555 0100",
            "cards-TOTAL_FORMS": "1",
            "cards-0-card": str(card.pk),
        }
    )

    response = admin_client.post(_admin_url(Customer, "add"), data)

    assert response.status_code == 302
    customer = Customer.objects.get(store=store, email="grace@example.com")
    address = customer.addresses.get()
    assert (address.country, address.phone, address.is_default) == ("US", "+14155550100", True)
    enrolment = customer.cards.get()
    assert enrolment.stamps_count == 2
    assert enrolment.entries.get().kind == StampEntry.Kind.WELCOME
    assert set(customer.events.values_list("type", flat=True)) == {
        CustomerEvent.Type.CREATED,
        CustomerEvent.Type.ADDRESS_ADDED,
        CustomerEvent.Type.CARD_ENROLLED,
    }


def test_a_duplicate_email_in_the_store_is_a_form_error(admin_client, customer, store):
    response = admin_client.post(
        _admin_url(Customer, "add"), _customer_form(store, email="ADA@example.com")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [
        "A customer with this email already exists."
    ]
    assert Customer.objects.filter(store=store).count() == 1


def test_the_same_email_in_another_store_is_fine(admin_client, customer, other_store):
    response = admin_client.post(
        _admin_url(Customer, "add"), _customer_form(other_store, email="ada@example.com")
    )

    assert response.status_code == 302
    assert Customer.objects.filter(store=other_store, email="ada@example.com").exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"phone": "12"}, "phone", "This phone number is not valid."),
        ({}, "email", "Enter an email or a phone number."),
    ],
)
def test_a_bad_contact_is_a_form_error(admin_client, store, fields, field, message):
    response = admin_client.post(_admin_url(Customer, "add"), _customer_form(store, **fields))

    assert response.status_code == 200
    assert message in response.context["adminform"].form.errors[field]
    assert not Customer.objects.exists()


def test_changing_a_customer_records_the_changed_fields(admin_client, admin_user, customer):
    data = _customer_form(customer.store, first_name="Ada", last_name="King", phone="415 555 0123")
    data.update({"email": "ada@example.com", **empty_inlines("orders")})

    response = admin_client.post(_admin_url(Customer, "change", customer.pk), data)

    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.last_name, customer.phone) == ("King", "+14155550123")
    event = CustomerEvent.objects.get(customer=customer, type=CustomerEvent.Type.UPDATED)
    assert event.data == {"fields": ["last_name"]}
    assert event.actor_user == admin_user


def test_deleting_a_customer_keeps_their_orders(admin_client, admin_user, customer):
    _customer_with_history(customer, rows=1)
    order = Order.objects.get(customer=customer)

    confirm = admin_client.get(_admin_url(Customer, "delete", customer.pk))
    response = admin_client.post(_admin_url(Customer, "delete", customer.pk), {"post": "yes"})

    assert confirm.status_code == 200
    assert not confirm.context["perms_lacking"]
    assert response.status_code == 302
    assert not Customer.objects.filter(pk=customer.pk).exists()
    order.refresh_from_db()
    assert order.customer is None
    assert order.customer_name == "Ada Lovelace"
    event = CustomerEvent.objects.get(type=CustomerEvent.Type.DELETED)
    assert event.data == {"customer": customer.public_id, "orders_kept": 1}
    assert event.actor_user == admin_user


def test_the_bulk_delete_action_deletes_through_the_service(admin_client, customer):
    response = admin_client.post(
        _admin_url(Customer, "changelist"),
        {"action": "delete_selected", "_selected_action": [customer.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not Customer.objects.exists()
    assert CustomerEvent.objects.filter(type=CustomerEvent.Type.DELETED).count() == 1


# --- Stores and keys ------------------------------------------------------------------------


def test_adding_a_store_shows_its_keys_once_and_stores_only_hashes(admin_client):
    response = admin_client.post(
        _admin_url(Store, "add"),
        {
            "name": "Babbage Bakery",
            "slug": "",
            "phone_region": "GB",
            "currency": "GBP",
            "timezone": "Europe/London",
            "reviews_enabled": "on",
            "apple_client_ids": "[]",
            "google_client_ids": "[]",
            "facebook_app_id": "",
            **empty_inlines("api_keys"),
        },
    )

    assert response.status_code == 200
    store = Store.objects.get(name="Babbage Bakery")
    assert store.slug == "babbage-bakery"
    shown = [raw for _store, _kind, raw in response.context["keys"]]
    assert sorted(hash_secret(raw) for raw in shown) == sorted(
        store.api_keys.values_list("key_hash", flat=True)
    )
    assert all(raw in response.content.decode() for raw in shown)
    assert "no-store" in response["Cache-Control"]


def test_a_store_saved_with_blank_sign_in_ids_keeps_empty_lists(admin_client, store):
    response = admin_client.post(
        _admin_url(Store, "change", store.pk),
        {
            "name": store.name,
            "slug": store.slug,
            "phone_region": "US",
            "currency": "USD",
            "timezone": "UTC",
            "apple_client_ids": "",
            "google_client_ids": "",
            "facebook_app_id": "",
            **empty_inlines("api_keys"),
        },
    )

    assert response.status_code == 302
    store.refresh_from_db()
    assert (store.apple_client_ids, store.google_client_ids) == ([], [])


def test_the_issue_keys_action_shows_new_keys_once(admin_client, store):
    response = admin_client.post(
        _admin_url(Store, "changelist"),
        {"action": "issue_keys", "_selected_action": [store.pk]},
    )

    assert response.status_code == 200
    shown = [raw for _store, _kind, raw in response.context["keys"]]
    assert {hash_secret(raw) for raw in shown} == set(
        store.api_keys.values_list("key_hash", flat=True)
    )


def test_api_keys_cannot_be_added_in_the_admin(admin_client):
    assert admin_client.get(_admin_url(ApiKey, "add")).status_code == 403


def test_the_revoke_action_revokes_the_selected_keys(admin_client, store):
    revoked = api_key_create(store=store, kind=ApiKey.Kind.SECRET).api_key
    kept = api_key_create(store=store, kind=ApiKey.Kind.PUBLISHABLE).api_key

    response = admin_client.post(
        _admin_url(ApiKey, "changelist"),
        {"action": "revoke_keys", "_selected_action": [revoked.pk]},
    )

    assert response.status_code == 302
    revoked.refresh_from_db()
    kept.refresh_from_db()
    assert revoked.revoked_at is not None
    assert kept.revoked_at is None


# --- Loyalty, orders, reviews ---------------------------------------------------------------


def test_enrolling_in_the_admin_goes_through_card_enrol(admin_client, admin_user, customer):
    card = factories.LoyaltyCardFactory(store=customer.store, initial_stamps=3)

    response = admin_client.post(
        _admin_url(CustomerCard, "add"), {"customer": customer.pk, "card": card.pk}
    )

    assert response.status_code == 302
    enrolment = CustomerCard.objects.get(customer=customer)
    assert enrolment.stamps_count == 3
    assert len(enrolment.code) == 12
    assert enrolment.entries.get().actor_user == admin_user


def test_a_card_of_another_store_is_refused(admin_client, customer, other_store):
    card = factories.LoyaltyCardFactory(store=other_store)

    response = admin_client.post(
        _admin_url(CustomerCard, "add"), {"customer": customer.pk, "card": card.pk}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["card"] == [
        "This card belongs to another store."
    ]
    assert not CustomerCard.objects.exists()


def _card_admin_data(store, **fields):
    data = {
        "store": store.pk,
        "name": "Tea card",
        "stamps_required": "8",
        "initial_stamps": "0",
        "card_color": "#1F2937",
        "text_color": "#FFFFFF",
        **empty_inlines("rewards"),
    }
    data.update(fields)
    return data


def test_a_card_in_the_admin_is_checked_by_the_card_rules(admin_client, store):
    response = admin_client.post(
        _admin_url(LoyaltyCard, "add"), _card_admin_data(store, max_stamps_per_day="0")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["max_stamps_per_day"] == [DAILY_LIMIT_MESSAGE]
    assert not LoyaltyCard.objects.exists()


def test_a_reward_in_the_admin_costs_at_most_a_full_card(admin_client, store):
    reward_row = {
        "rewards-TOTAL_FORMS": "1",
        "rewards-0-name": "Teapot",
        "rewards-0-stamps_required": "9",
        "rewards-0-active": "on",
        "rewards-0-position": "0",
    }
    response = admin_client.post(
        _admin_url(LoyaltyCard, "add"), _card_admin_data(store, **reward_row)
    )
    assert response.status_code == 200
    assert not LoyaltyCard.objects.exists() and not Reward.objects.exists()

    card = factories.LoyaltyCardFactory(store=store, stamps_required=8)
    reward = factories.RewardFactory(card=card, stamps_required=4)
    response = admin_client.post(
        _admin_url(Reward, "change", reward.pk),
        {"card": card.pk, "name": reward.name, "stamps_required": "9", "position": "0"},
    )
    assert response.status_code == 200
    assert "at most the card" in " ".join(
        response.context["adminform"].form.errors["stamps_required"]
    )
    reward.refresh_from_db()
    assert reward.stamps_required == 4

    response = admin_client.post(
        _admin_url(Reward, "add"),
        {"card": card.pk, "name": "Mug", "stamps_required": "8", "position": "1"},
    )
    assert response.status_code == 302
    assert card.rewards.get(name="Mug").stamps_required == 8


def test_a_card_and_its_rewards_are_saved_in_the_admin(admin_client, store):
    reward_row = {
        "rewards-TOTAL_FORMS": "1",
        "rewards-0-name": "Teapot",
        "rewards-0-stamps_required": "8",
        "rewards-0-active": "on",
        "rewards-0-position": "0",
    }
    response = admin_client.post(
        _admin_url(LoyaltyCard, "add"), _card_admin_data(store, **reward_row)
    )
    assert response.status_code == 302
    card = LoyaltyCard.objects.get()
    assert list(card.rewards.values_list("name", "stamps_required")) == [("Teapot", 8)]


def test_the_ledger_is_read_only(admin_client, customer):
    _customer_with_history(customer, rows=1)
    entry = StampEntry.objects.first()

    assert admin_client.get(_admin_url(StampEntry, "add")).status_code == 403
    assert admin_client.get(_admin_url(StampEntry, "delete", entry.pk)).status_code == 403
    response = admin_client.post(
        _admin_url(StampEntry, "change", entry.pk), {"delta": "50", "balance_after": "50"}
    )
    assert response.status_code == 403


def test_orders_are_found_by_number(admin_client, customer):
    _customer_with_history(customer, rows=3)
    second = Order.objects.get(number=2)

    response = admin_client.get(_admin_url(Order, "changelist"), {"q": "#2"})

    assert list(response.context["cl"].result_list) == [second]


def test_the_hide_action_hides_reviews_and_publish_shows_them(admin_client, customer):
    review = factories.ReviewFactory(author=customer)
    url = _admin_url(Review, "changelist")

    admin_client.post(url, {"action": "hide_reviews", "_selected_action": [review.pk]})
    review.refresh_from_db()
    assert review.status == Review.Status.HIDDEN

    admin_client.post(url, {"action": "publish_reviews", "_selected_action": [review.pk]})
    review.refresh_from_db()
    assert review.status == Review.Status.PUBLISHED


def test_editing_an_address_in_the_admin_checks_it_like_the_service(admin_client, customer):
    address = factories.AddressFactory(customer=customer)
    data = {
        "name": "Home",
        "street1": address.street1,
        "country": "U1",
        "phone": "",
        "is_default": "on",
    }

    response = admin_client.post(_admin_url(Address, "change", address.pk), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["country"]


def test_customer_rows_carry_the_same_checkbox_as_djangos(admin_client, customer):
    """The changelist writes its action checkbox out (Django renders a form widget a row):
    the same input, which the admin's actions script and the delete action read."""
    html = admin_client.get(reverse("admin:customers_customer_changelist")).content.decode()
    model_admin = admin.site._registry[Customer]
    djangos = admin.ModelAdmin.action_checkbox(model_admin, customer)
    ours = model_admin.action_checkbox(customer)
    attributes = lambda markup: sorted(markup.strip("<>").removesuffix("/").split())  # noqa: E731
    assert attributes(ours) == attributes(djangos)
    assert ours in html
