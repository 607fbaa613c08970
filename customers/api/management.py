"""Management API: a customer's addresses (Leal-compatible), behind the store's secret key,
and the base of every view under customers/{customer_id}/ (here, in backoffice/ and in
orders/api/). The customers themselves, who carry their loyalty cards, are in
backoffice/customers.py. Paths are relative to /api/v1/accounts/{account_id}/
(customers/api/management_urls.py).
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from customers.api.serializers import PlaceSerializer
from customers.models import Address, Customer
from customers.selectors import customers_seen_by, may_change_customer
from customers.services import address_create, address_delete, address_update
from stores.api.management import AccountView

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


class CustomerScopedView(AccountView):
    """A view under customers/{customer_id}/: a customer the account sees, or 404. A member
    store sees the network's customers it serves too (customers_seen_by), but only reads them:
    any other method on one of them is a 403 (the network's key changes them)."""

    def get_customer(self, customer_id, queryset=None) -> Customer:
        seen = customers_seen_by(store=self.store)
        if queryset is not None:
            seen = queryset & seen  # what `queryset` loads, over the customers seen
        customer = seen.filter(pk=int(customer_id)).first()
        if customer is None:
            raise exceptions.NotFound("Customer not found.")
        if self.request.method not in SAFE_METHODS and not may_change_customer(
            store=self.store, customer=customer
        ):
            raise exceptions.PermissionDenied(
                "This customer is the network's: change them with the network's key."
            )
        return customer


def address_fields(data) -> dict:
    """The place fields of a body, sent bare or wrapped as {"address": {...}}."""
    if hasattr(data, "get") and isinstance(data.get("address"), dict):
        return data["address"]
    return data


class ManagementPlaceSerializer(PlaceSerializer):
    """A place as the shopper API shows it, with the address's integer id."""

    id = serializers.IntegerField(read_only=True)


class AddressListView(CustomerScopedView):
    @extend_schema(
        operation_id="management_customer_addresses_list",
        parameters=[CUSTOMER_ID],
        responses={200: ManagementPlaceSerializer(many=True), 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, account_id, customer_id):
        """The customer's saved places, the default first (a bare array)."""
        customer = self.get_customer(customer_id)
        return Response(ManagementPlaceSerializer(customer.addresses.all(), many=True).data)

    @extend_schema(
        operation_id="management_customer_addresses_create",
        parameters=[CUSTOMER_ID],
        request=ManagementPlaceSerializer,
        responses={201: ManagementPlaceSerializer, 404: NOT_FOUND, 422: INVALID},
        tags=TAGS,
    )
    def post(self, request, account_id, customer_id):
        """Save a place for the customer (bare or as {"address": {...}}); the first one, or one
        sent with is_default, becomes the default."""
        customer = self.get_customer(customer_id)
        data = valid(ManagementPlaceSerializer, address_fields(request.data))
        address = address_create(customer=customer, data=dict(data), actor_api_key=self.api_key)
        return Response(ManagementPlaceSerializer(address).data, status=status.HTTP_201_CREATED)


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
        responses={200: ManagementPlaceSerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, account_id, customer_id, address_id):
        """One of the customer's saved places."""
        address = self.get_address(customer_id, address_id)
        return Response(ManagementPlaceSerializer(address).data)

    @extend_schema(
        operation_id="management_customer_address_update",
        parameters=[CUSTOMER_ID, ADDRESS_ID],
        request=ManagementPlaceSerializer,
        responses={200: ManagementPlaceSerializer, 404: NOT_FOUND, 422: INVALID},
        tags=TAGS,
    )
    def patch(self, request, account_id, customer_id, address_id):
        """Change the place fields sent; is_default true makes it the default."""
        address = self.get_address(customer_id, address_id)
        serializer = ManagementPlaceSerializer(
            address, data=address_fields(request.data), partial=True
        )
        address = address_update(
            address=address, data=dict(valid(serializer)), actor_api_key=self.api_key
        )
        return Response(ManagementPlaceSerializer(address).data)

    @extend_schema(
        operation_id="management_customer_address_replace",
        parameters=[CUSTOMER_ID, ADDRESS_ID],
        request=ManagementPlaceSerializer(partial=True),
        responses={200: ManagementPlaceSerializer, 404: NOT_FOUND, 422: INVALID},
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
        address_delete(
            address=self.get_address(customer_id, address_id), actor_api_key=self.api_key
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
