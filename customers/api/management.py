"""Management API: a store's customers and their addresses (Leal-compatible), behind the
store's secret key. Views parse and answer; customers.services and loyalty.services decide.

Paths are relative to /api/v1/accounts/{account_id}/ (customers/api/management_urls.py).
"""

from math import ceil

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from customers.api import management_serializers as api
from customers.models import Address, Customer
from customers.selectors import customer_list_filtered, customer_page
from customers.services import (
    address_create,
    address_delete,
    address_update,
    customer_delete,
    customer_update,
    external_references_upsert,
)
from loyalty.models import CustomerCard, LoyaltyCard
from loyalty.services import customer_upsert_by_reference
from loyalty.wallet import card_links_send
from stores.api.management import AccountView, unwrap

TAGS = ["Management: customers"]
CUSTOMER_ID = OpenApiParameter(
    "customer_id", int, OpenApiParameter.PATH, description="The customer's id."
)
ADDRESS_ID = OpenApiParameter(
    "address_id", int, OpenApiParameter.PATH, description="The address's id."
)
NOT_FOUND = OpenApiResponse(description="No such customer in this store (or another store's key).")
INVALID = OpenApiResponse(description="Validation failed: `errors`, and `fields` per field.")


def valid(serializer, data=None):
    """The validated data of `serializer` (a class, or an instance built with its options)."""
    if isinstance(serializer, type):
        serializer = serializer(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def customer_prefetches() -> list:
    """What ManagementCustomerSerializer shows besides the row: tags, external references and
    cards, each card with its programme and the programme's rewards (4 queries for any number
    of customers)."""
    enrolments = (
        CustomerCard.objects.select_related("card")
        .prefetch_related("card__rewards")
        .order_by("-created_at", "-id")
    )
    return ["tags", "external_references", Prefetch("cards", queryset=enrolments)]


def customer_queryset():
    return Customer.objects.prefetch_related(*customer_prefetches())


class CustomerScopedView(AccountView):
    """A view under customers/{customer_id}/: the store's customer, or 404."""

    def get_customer(self, customer_id, queryset=None) -> Customer:
        queryset = Customer.objects.all() if queryset is None else queryset
        customer = queryset.filter(store=self.store, pk=int(customer_id)).first()
        if customer is None:
            raise exceptions.NotFound("Customer not found.")
        return customer

    def customer_answer(self, customer, status_code=status.HTTP_200_OK) -> Response:
        """The customer as the API shows it, read again with everything it shows."""
        customer = customer_queryset().get(pk=customer.pk)
        data = api.ManagementCustomerSerializer(customer, context={"request": self.request}).data
        return Response(data, status=status_code)


class CustomerListView(CustomerScopedView):
    @extend_schema(
        operation_id="management_customers_list",
        parameters=[api.ManagementCustomerListParams],
        responses={200: api.ManagementCustomerListSerializer, 422: INVALID},
        tags=TAGS,
    )
    def get(self, request, account_id):
        """The store's customers, a page at a time (`page` from 1, `items` up to 100).

        `search` finds names, emails, phones however typed, card codes and external ids (every
        word must match); `source` with `external_id` finds the customer holding exactly that
        reference. `created_after` is inclusive, `created_before` exclusive; a date means
        midnight in the store's time zone. `sort`: created_at, name, email or
        total_orders_count, with "-" for descending (default -created_at).
        """
        params = api.ManagementCustomerListParams(
            data=request.query_params, context={"store": self.store}
        )
        filters = valid(params)
        customers = customer_list_filtered(
            store=self.store,
            search=filters.get("search", ""),
            source=filters.get("source", ""),
            external_id=filters.get("external_id", ""),
            status=filters.get("status", ""),
            tag=filters.get("tag", ""),
            created_after=filters.get("created_after"),
            created_before=filters.get("created_before"),
            sort=filters["sort"],
        )
        # Paged here rather than with stores.api.management.paginated: the count decides how
        # the page is read (customers.selectors.customer_page).
        page, items = filters["page"], filters["items"]
        count = customers.count()
        offset = (page - 1) * items
        rows = []
        if offset < count:
            rows = customer_page(
                customers.prefetch_related(*customer_prefetches()),
                sort=filters["sort"],
                count=count,
                offset=offset,
                limit=items,
            )
        serializer = api.ManagementCustomerSerializer(rows, many=True, context={"request": request})
        pagination = {"count": count, "items": items, "page": page, "pages": ceil(count / items)}
        return Response({"customers": serializer.data, "pagination": pagination})

    @extend_schema(
        operation_id="management_customers_create",
        request=api.ManagementCustomerCreateSerializer,
        responses={
            201: api.ManagementCustomerSerializer,
            200: OpenApiResponse(
                api.ManagementCustomerSerializer,
                description="A retry: a customer of the store already holds one of the "
                "external_references sent; it was updated with the fields sent instead.",
            ),
            422: INVALID,
        },
        tags=TAGS,
    )
    def post(self, request, account_id):
        """Create a customer: `first_name` and an email or a phone, both unique in the store.

        With `card_id` the customer is enrolled in that card of the store and gets its
        initial_stamps as a welcome bonus; with `send_card_links` the card's code and wallet
        links are sent by e-mail and SMS.

        Safe to retry with `external_references`: when one of them already belongs to a
        customer of the store, no second customer is made. That customer is updated with the
        fields sent (metadata merged), enrolled in `card_id` if not yet, and answered with 200
        (card links are sent only for a card enrolled by this call). References sent that
        belong to two different customers are a 422.
        """
        body = unwrap(request.data, "customer")
        fields = dict(valid(api.ManagementCustomerWriteSerializer, body))
        options = valid(api.ManagementCustomerCreateOptions, request.data)
        card = self._card(options.get("card_id"))
        references = fields.pop("external_references", [])

        customer, enrolment, created = customer_upsert_by_reference(
            store=self.store,
            card=card,
            external_references=references,
            actor_api_key=self.api_key,
            **fields,
        )

        if options.get("send_card_links") and enrolment is not None:
            card_links_send(enrolment=enrolment, request=request)
        return self.customer_answer(
            customer, status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def _card(self, card_id) -> LoyaltyCard | None:
        if card_id is None:
            return None
        card = LoyaltyCard.objects.filter(store=self.store, pk=card_id).first()
        if card is None:
            raise ValidationError({"card_id": ["This store has no loyalty card with this id."]})
        return card


class CustomerDetailView(CustomerScopedView):
    @extend_schema(
        operation_id="management_customer_retrieve",
        parameters=[CUSTOMER_ID],
        responses={200: api.ManagementCustomerSerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, account_id, customer_id):
        """A customer with their loyalty cards (stamps, rewards within reach, wallet links)."""
        customer = self.get_customer(customer_id, customer_queryset())
        return Response(
            api.ManagementCustomerSerializer(customer, context={"request": request}).data
        )

    @extend_schema(
        operation_id="management_customer_update",
        parameters=[CUSTOMER_ID],
        request=api.ManagementCustomerUpdateSerializer,
        responses={200: api.ManagementCustomerSerializer, 404: NOT_FOUND, 422: INVALID},
        tags=TAGS,
    )
    def patch(self, request, account_id, customer_id):
        """Change the fields sent, and only those. `metadata` is merged (a key sent as null is
        removed), `tags` replaces the tags, `external_references` adds the references the
        customer does not hold yet. Stamps and rewards have their own customer_cards calls."""
        customer = self.get_customer(customer_id)
        serializer = api.ManagementCustomerWriteSerializer(
            data=unwrap(request.data, "customer"), partial=True
        )
        fields = dict(valid(serializer))
        references = fields.pop("external_references", None)
        with transaction.atomic():
            customer = customer_update(customer=customer, data=fields, merge_metadata=True)
            if references:
                external_references_upsert(customer=customer, references=references)
        return self.customer_answer(customer)

    @extend_schema(
        operation_id="management_customer_replace",
        parameters=[CUSTOMER_ID],
        request=api.ManagementCustomerUpdateSerializer,
        responses={200: api.ManagementCustomerSerializer, 404: NOT_FOUND, 422: INVALID},
        tags=TAGS,
    )
    def put(self, request, account_id, customer_id):
        """The same as PATCH (as in Leal): only the fields sent change."""
        return self.patch(request, account_id, customer_id)

    @extend_schema(
        operation_id="management_customer_destroy",
        parameters=[CUSTOMER_ID],
        responses={204: None, 404: NOT_FOUND},
        tags=TAGS,
    )
    def delete(self, request, account_id, customer_id):
        """Delete the customer with their addresses, cards and reviews. Their orders stay,
        with the name, contact and address they were placed with."""
        customer_delete(customer=self.get_customer(customer_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def address_fields(data) -> dict:
    """The place fields of a body, sent bare or wrapped as {"address": {...}}."""
    if hasattr(data, "get") and isinstance(data.get("address"), dict):
        return data["address"]
    return data


class AddressListView(CustomerScopedView):
    @extend_schema(
        operation_id="management_customer_addresses_list",
        parameters=[CUSTOMER_ID],
        responses={200: api.ManagementPlaceSerializer(many=True), 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, account_id, customer_id):
        """The customer's saved places, the default first (a bare array)."""
        customer = self.get_customer(customer_id)
        return Response(api.ManagementPlaceSerializer(customer.addresses.all(), many=True).data)

    @extend_schema(
        operation_id="management_customer_addresses_create",
        parameters=[CUSTOMER_ID],
        request=api.ManagementPlaceSerializer,
        responses={201: api.ManagementPlaceSerializer, 404: NOT_FOUND, 422: INVALID},
        tags=TAGS,
    )
    def post(self, request, account_id, customer_id):
        """Save a place for the customer (bare or as {"address": {...}}); the first one, or one
        sent with is_default, becomes the default."""
        customer = self.get_customer(customer_id)
        data = valid(api.ManagementPlaceSerializer, address_fields(request.data))
        address = address_create(customer=customer, data=dict(data))
        return Response(api.ManagementPlaceSerializer(address).data, status=status.HTTP_201_CREATED)


class AddressDetailView(CustomerScopedView):
    def get_address(self, customer_id, address_id) -> Address:
        customer = self.get_customer(customer_id)
        address = customer.addresses.filter(pk=int(address_id)).first()
        if address is None:
            raise exceptions.NotFound("Address not found.")
        address.customer = customer
        return address

    @extend_schema(
        operation_id="management_customer_address_retrieve",
        parameters=[CUSTOMER_ID, ADDRESS_ID],
        responses={200: api.ManagementPlaceSerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, account_id, customer_id, address_id):
        """One of the customer's saved places."""
        address = self.get_address(customer_id, address_id)
        return Response(api.ManagementPlaceSerializer(address).data)

    @extend_schema(
        operation_id="management_customer_address_update",
        parameters=[CUSTOMER_ID, ADDRESS_ID],
        request=api.ManagementPlaceSerializer,
        responses={200: api.ManagementPlaceSerializer, 404: NOT_FOUND, 422: INVALID},
        tags=TAGS,
    )
    def patch(self, request, account_id, customer_id, address_id):
        """Change the place fields sent; is_default true makes it the default."""
        address = self.get_address(customer_id, address_id)
        serializer = api.ManagementPlaceSerializer(
            address, data=address_fields(request.data), partial=True
        )
        address = address_update(address=address, data=dict(valid(serializer)))
        return Response(api.ManagementPlaceSerializer(address).data)

    @extend_schema(
        operation_id="management_customer_address_replace",
        parameters=[CUSTOMER_ID, ADDRESS_ID],
        request=api.ManagementPlaceSerializer,
        responses={200: api.ManagementPlaceSerializer, 404: NOT_FOUND, 422: INVALID},
        tags=TAGS,
    )
    def put(self, request, account_id, customer_id, address_id):
        """The same as PATCH: only the fields sent change."""
        return self.patch(request, account_id, customer_id, address_id)

    @extend_schema(
        operation_id="management_customer_address_destroy",
        parameters=[CUSTOMER_ID, ADDRESS_ID],
        responses={204: None, 404: NOT_FOUND},
        tags=TAGS,
    )
    def delete(self, request, account_id, customer_id, address_id):
        """Delete a place; if it was the default, the oldest remaining one becomes it."""
        address_delete(address=self.get_address(customer_id, address_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
