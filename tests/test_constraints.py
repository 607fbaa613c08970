"""The database itself refuses rows that break a rule (not only forms and services)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import Address, Customer, CustomerEvent, ExternalReference, Tag
from customers.services import event_record
from loyalty.models import CustomerCard, LoyaltyCard, Reward, StampEntry
from orders.models import Order, OrderLine
from reviews.models import Review, ReviewVote
from stores.models import ApiKey, Product, StoreMembership
from tests import factories

pytestmark = pytest.mark.django_db


def refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


# --- customers ------------------------------------------------------------------------------


def test_customer_needs_a_first_name(store):
    refused(lambda: factories.CustomerFactory(store=store, first_name=""))


def test_customer_needs_an_email_or_a_phone(store):
    refused(lambda: factories.CustomerFactory(store=store, email="", phone=""))
    assert factories.CustomerFactory(store=store, email="", phone="+14155550100").pk
    assert factories.CustomerFactory(store=store, email="only@example.com", phone="").pk


def test_closed_customer_may_have_no_contact(store):
    customer = factories.CustomerFactory(store=store, email="", phone="", closed_at=timezone.now())
    assert customer.pk


def test_email_unique_per_store_whatever_the_case(store, other_store):
    factories.CustomerFactory(store=store, email="ada@example.com")
    refused(lambda: factories.CustomerFactory(store=store, email="ADA@Example.com"))
    assert factories.CustomerFactory(store=other_store, email="ada@example.com").pk


def test_blank_emails_do_not_collide(store):
    factories.CustomerFactory(store=store, email="", phone="+14155550101")
    assert factories.CustomerFactory(store=store, email="", phone="+14155550102").pk


def test_phone_unique_per_store(store, other_store):
    factories.CustomerFactory(store=store, phone="+14155550123")
    refused(lambda: factories.CustomerFactory(store=store, phone="+14155550123"))
    assert factories.CustomerFactory(store=other_store, phone="+14155550123").pk


def test_phone_is_stored_in_e164(store):
    refused(lambda: factories.CustomerFactory(store=store, phone="415 555 0123"))


def test_slug_unique_per_store(store, other_store):
    factories.CustomerFactory(store=store, slug="ada-lovelace")
    refused(lambda: factories.CustomerFactory(store=store, slug="ada-lovelace"))
    assert factories.CustomerFactory(store=other_store, slug="ada-lovelace").pk


def test_status_is_one_of_three(store):
    refused(lambda: factories.CustomerFactory(store=store, status="vip"))


def test_orders_count_not_negative(customer):
    refused(lambda: Customer.objects.filter(pk=customer.pk).update(total_orders_count=-1))


def test_external_reference_unique_per_store_and_source(customer, store):
    other = factories.CustomerFactory(store=store)
    ExternalReference.objects.create(
        store=store, customer=customer, source="erp", external_id="C-1"
    )
    refused(
        lambda: ExternalReference.objects.create(
            store=store, customer=other, source="erp", external_id="C-1"
        )
    )
    assert ExternalReference.objects.create(
        store=store, customer=other, source="pos", external_id="C-1"
    ).pk


def test_tag_names_unique_per_store_whatever_the_case(store):
    Tag.objects.create(store=store, name="VIP")
    refused(lambda: Tag.objects.create(store=store, name="vip"))


def test_one_default_address_per_customer(customer):
    factories.AddressFactory(customer=customer, is_default=True)
    refused(lambda: factories.AddressFactory(customer=customer, is_default=True))
    assert factories.AddressFactory(customer=customer, is_default=False).pk


def test_address_needs_a_street(customer):
    refused(lambda: factories.AddressFactory(customer=customer, street1=""))


def test_address_location_on_earth(customer):
    refused(lambda: factories.AddressFactory(customer=customer, latitude=91, longitude=0))
    refused(lambda: factories.AddressFactory(customer=customer, latitude=10, longitude=None))
    assert factories.AddressFactory(customer=customer, latitude=37.77, longitude=-122.42).pk
    assert Address.objects.filter(customer=customer).count() == 1


def test_event_has_at_most_one_actor(customer, admin_user):
    refused(
        lambda: CustomerEvent.objects.create(
            store=customer.store,
            customer=customer,
            type="note",
            actor_user=admin_user,
            actor_customer=customer,
        )
    )
    key = ApiKey.objects.create(store=customer.store, kind="secret", prefix="sk_x", key_hash="x")
    for actors in ({"actor_user": admin_user}, {"actor_customer": customer}):
        refused(
            lambda actors=actors: CustomerEvent.objects.create(
                store=customer.store, customer=customer, type="note", actor_api_key=key, **actors
            )
        )
    CustomerEvent.objects.create(
        store=customer.store, customer=customer, type="note", actor_api_key=key
    )


def test_events_are_recorded_with_a_kind_from_the_enum_never_a_string(customer):
    with pytest.raises(TypeError):
        event_record(customer=customer, type="logged_in")
    event = event_record(customer=customer, type=CustomerEvent.Type.LOGGED_IN)
    assert event.get_type_display() == "Logged in"


# --- stores ---------------------------------------------------------------------------------


def test_membership_one_per_user_and_store(store):
    user = factories.UserFactory()
    StoreMembership.objects.create(user=user, store=store, role="staff")
    refused(lambda: StoreMembership.objects.create(user=user, store=store, role="manager"))
    refused(
        lambda: StoreMembership.objects.create(
            user=factories.UserFactory(), store=store, role="god"
        )
    )


def test_product_price_not_negative_and_sku_unique(store):
    refused(lambda: factories.ProductFactory(store=store, price=Decimal("-1")))
    factories.ProductFactory(store=store, sku="ABC")
    refused(lambda: factories.ProductFactory(store=store, sku="abc"))
    assert factories.ProductFactory(store=store, sku="").pk
    assert factories.ProductFactory(store=store, sku="").pk
    assert Product.objects.filter(store=store).count() == 3


# --- orders ---------------------------------------------------------------------------------


def test_order_number_unique_per_store(customer, other_store):
    factories.OrderFactory(customer=customer, number=7)
    refused(lambda: factories.OrderFactory(customer=customer, number=7))
    other = factories.CustomerFactory(store=other_store)
    assert factories.OrderFactory(customer=other, number=7).pk


def test_order_totals_not_negative(customer):
    refused(lambda: factories.OrderFactory(customer=customer, total=Decimal("-0.01")))
    refused(lambda: factories.OrderFactory(customer=customer, subtotal=Decimal("-5")))


def test_order_line_quantity_positive(customer):
    order = factories.OrderFactory(customer=customer)
    line = {
        "order": order,
        "name": "Espresso",
        "unit_price": Decimal("2.80"),
        "total": Decimal("0"),
    }
    refused(lambda: OrderLine.objects.create(quantity=0, **line))
    refused(lambda: OrderLine.objects.create(quantity=1, **{**line, "unit_price": Decimal("-1")}))


def test_order_survives_its_customer(customer):
    order = factories.OrderFactory(customer=customer)
    customer.delete()
    order.refresh_from_db()
    assert order.customer is None
    assert order.customer_name == "Ada Lovelace"


# --- reviews --------------------------------------------------------------------------------


def test_review_rating_one_to_five(customer):
    refused(lambda: factories.ReviewFactory(author=customer, rating=0))
    refused(lambda: factories.ReviewFactory(author=customer, rating=6))


def test_review_has_exactly_one_subject(customer, store):
    product = factories.ProductFactory(store=store)
    refused(lambda: factories.ReviewFactory(author=customer, subject_type="product", product=None))
    refused(lambda: factories.ReviewFactory(author=customer, subject_type="store", product=product))
    assert factories.ReviewFactory(author=customer, subject_type="product", product=product).pk


def test_one_review_per_customer_and_subject(customer, store):
    product = factories.ProductFactory(store=store)
    factories.ReviewFactory(author=customer, subject_type="store")
    refused(lambda: factories.ReviewFactory(author=customer, subject_type="store"))
    factories.ReviewFactory(author=customer, subject_type="product", product=product)
    refused(
        lambda: factories.ReviewFactory(author=customer, subject_type="product", product=product)
    )
    assert Review.objects.count() == 2


def test_review_votes_not_negative_and_one_per_customer(customer, store):
    review = factories.ReviewFactory(author=customer)
    refused(lambda: Review.objects.filter(pk=review.pk).update(upvotes=-1))
    voter = factories.CustomerFactory(store=store)
    ReviewVote.objects.create(review=review, customer=voter, value=1)
    refused(lambda: ReviewVote.objects.create(review=review, customer=voter, value=-1))
    refused(
        lambda: ReviewVote.objects.create(
            review=review, customer=factories.CustomerFactory(store=store), value=2
        )
    )


# --- loyalty --------------------------------------------------------------------------------


@pytest.mark.parametrize("required", [0, 22])
def test_card_stamps_required_one_to_twenty_one(store, required):
    refused(lambda: factories.LoyaltyCardFactory(store=store, stamps_required=required))


def test_card_initial_stamps_below_required(store):
    refused(lambda: factories.LoyaltyCardFactory(store=store, stamps_required=5, initial_stamps=5))
    assert factories.LoyaltyCardFactory(store=store, stamps_required=5, initial_stamps=4).pk


def test_card_limits_positive(store):
    refused(lambda: factories.LoyaltyCardFactory(store=store, expiry_days=0))
    refused(lambda: factories.LoyaltyCardFactory(store=store, max_stamps_per_day=0))


def test_reward_costs_at_least_one_stamp(store):
    card = factories.LoyaltyCardFactory(store=store)
    refused(lambda: Reward.objects.create(card=card, name="Free", stamps_required=0))


def test_enrolment_one_per_customer_and_card(customer):
    enrolment = factories.CustomerCardFactory(customer=customer)
    refused(lambda: factories.CustomerCardFactory(customer=customer, card=enrolment.card))


def test_enrolment_code_unique_per_store(customer, store, other_store):
    factories.CustomerCardFactory(customer=customer, code="123456789012")
    refused(
        lambda: factories.CustomerCardFactory(
            customer=factories.CustomerFactory(store=store), code="123456789012"
        )
    )
    assert factories.CustomerCardFactory(
        customer=factories.CustomerFactory(store=other_store), code="123456789012"
    ).pk


def test_enrolment_stamps_not_negative(customer):
    enrolment = factories.CustomerCardFactory(customer=customer)
    refused(lambda: CustomerCard.objects.filter(pk=enrolment.pk).update(stamps_count=-1))


def test_ledger_entries_keep_their_sign_and_balance(customer):
    enrolment = factories.CustomerCardFactory(customer=customer)

    def entry(**kwargs):
        return lambda: StampEntry.objects.create(enrolment=enrolment, **kwargs)

    refused(entry(kind="stamp", delta=-1, balance_after=0))
    refused(entry(kind="welcome", delta=0, balance_after=0))
    refused(entry(kind="redeem", delta=3, balance_after=3))
    refused(entry(kind="adjust", delta=-1, balance_after=-1))
    refused(entry(kind="bonus", delta=1, balance_after=1))
    assert StampEntry.objects.create(
        enrolment=enrolment, kind="adjust", delta=-1, balance_after=0
    ).pk


def test_card_in_use_cannot_be_deleted(customer):
    enrolment = factories.CustomerCardFactory(customer=customer)
    refused(lambda: LoyaltyCard.objects.filter(pk=enrolment.card_id).delete())


@pytest.mark.usefixtures("frozen_clock")
def test_expired_enrolment_reports_expired(customer):
    enrolment = factories.CustomerCardFactory(
        customer=customer, expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert enrolment.effective_status == "expired"
    assert Order.objects.count() == 0
