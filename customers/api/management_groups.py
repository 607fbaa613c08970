"""Management API: the account's customer groups (`customer_groups`, a bare array by name). A
customer's group is written as `customer_group_id` on the customer."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from customers.api.management import INVALID
from customers.models import CustomerGroup
from customers.services import customer_group_create, customer_group_delete, customer_group_update
from stores.api.management import AccountView, unwrap

TAGS = ["Management: customer groups"]
GROUP_ID = OpenApiParameter("group_id", int, OpenApiParameter.PATH, description="The group's id.")


class CustomerGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerGroup
        fields = ["id", "name", "description", "created_at"]
        read_only_fields = ["id", "created_at"]


class CustomerGroupWriteSerializer(serializers.Serializer):
    """The body of a create or change: the group inside `{"customer_group": {...}}`."""

    customer_group = CustomerGroupSerializer()


def group_fields(data) -> dict:
    """The group inside `{"customer_group": {...}}` (only its name and description)."""
    body = unwrap(data, "customer_group")
    return {key: body[key] for key in ("name", "description") if key in body}


class CustomerGroupListView(AccountView):
    @extend_schema(
        operation_id="management_customer_groups_list",
        responses={200: CustomerGroupSerializer(many=True)},
        tags=TAGS,
    )
    def get(self, request, account_id):
        """The account's customer groups by name (a bare array; at most 100)."""
        groups = CustomerGroup.objects.filter(store=self.store)
        return Response(CustomerGroupSerializer(groups, many=True).data)

    @extend_schema(
        operation_id="management_customer_groups_create",
        request=CustomerGroupWriteSerializer,
        responses={201: CustomerGroupSerializer, 422: INVALID},
        tags=TAGS,
    )
    def post(self, request, account_id):
        """A new group: `name` (1–80 characters, unique whatever its case), `description`."""
        group = customer_group_create(store=self.store, data=group_fields(request.data))
        return Response(CustomerGroupSerializer(group).data, status=status.HTTP_201_CREATED)


class CustomerGroupDetailView(AccountView):
    def get_group(self, group_id) -> CustomerGroup:
        group = CustomerGroup.objects.filter(store=self.store, pk=int(group_id)).first()
        if group is None:
            raise exceptions.NotFound("Customer group not found.")
        return group

    @extend_schema(
        operation_id="management_customer_group_retrieve",
        parameters=[GROUP_ID],
        responses={200: CustomerGroupSerializer},
        tags=TAGS,
    )
    def get(self, request, account_id, group_id):
        return Response(CustomerGroupSerializer(self.get_group(group_id)).data)

    @extend_schema(
        operation_id="management_customer_group_update",
        parameters=[GROUP_ID],
        request=CustomerGroupWriteSerializer,
        responses={200: CustomerGroupSerializer, 422: INVALID},
        tags=TAGS,
    )
    def patch(self, request, account_id, group_id):
        """Rename the group or change its description."""
        group = customer_group_update(
            group=self.get_group(group_id), data=group_fields(request.data)
        )
        return Response(CustomerGroupSerializer(group).data)

    @extend_schema(
        operation_id="management_customer_group_delete",
        parameters=[GROUP_ID],
        responses={204: None},
        tags=TAGS,
    )
    def delete(self, request, account_id, group_id):
        """Delete the group; its customers are then in no group."""
        customer_group_delete(group=self.get_group(group_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
