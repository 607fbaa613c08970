"""What each webhook event carries: the object as the management API shows it, built by the
API's own representations (backoffice.customer_serializers, loyalty.api.serializers,
orders.api.management; for reviews the shopper API's, the only one that shows them), read afresh
inside the transaction of the change, so the payload is the object as that change left it."""

from django.db.models import Prefetch

from backoffice.customer_serializers import management_customer_dict
from customers.models import Customer
from loyalty.api.serializers import enrolment_dict
from loyalty.models import CustomerCard
from orders.api.management import ManagementOrderSerializer
from orders.models import Order, OrderLine
from reviews.api.serializers import ReviewSerializer
from reviews.models import Review
from stores import events


def customer_payload(customer: Customer) -> dict:
    fresh = (
        Customer.objects.select_related("customer_group")
        .prefetch_related("tags", "external_references", "cards__card__rewards")
        .get(pk=customer.pk)
    )
    return management_customer_dict(fresh)


def customer_card_payload(enrolment: CustomerCard) -> dict:
    fresh = CustomerCard.objects.select_related("card").get(pk=enrolment.pk)
    return enrolment_dict(fresh)


def order_payload(order: Order) -> dict:
    lines = OrderLine.objects.order_by("id")
    fresh = (
        Order.objects.select_related("store")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .get(pk=order.pk)
    )
    return ManagementOrderSerializer(fresh).data


def review_payload(review: Review) -> dict:
    """The review as the shopper API shows it (the management API has no reviews), with its
    moderation status and its author's customer id (`customer.id`)."""
    fresh = (
        Review.objects.select_related("store", "author", "product")
        .prefetch_related("media")
        .get(pk=review.pk)
    )
    return {**ReviewSerializer(fresh).data, "status": fresh.status}


def register() -> None:
    for type in ("customer.created", "customer.updated", "customer.deleted"):
        events.payload_builder_register(type, customer_payload)
    for type in ("customer_card.created", "customer_card.stamped", "customer_card.redeemed"):
        events.payload_builder_register(type, customer_card_payload)
    events.payload_builder_register("order.created", order_payload)
    for type in ("review.created", "review.published", "review.hidden", "review.deleted"):
        events.payload_builder_register(type, review_payload)
