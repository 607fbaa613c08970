"""Management API: a customer's orders (GET customers/{id}/orders), behind the store's secret
key. Integer ids, as everywhere in the management API."""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from customers.api.management import CUSTOMER_ID, NOT_FOUND, CustomerScopedView
from orders.api.serializers import OrderSerializer
from orders.models import Order, OrderLine
from stores.api.management import PageParams, PaginationSerializer, paginated


class ManagementOrderLineSerializer(serializers.ModelSerializer):
    product = serializers.IntegerField(
        source="product_id",
        read_only=True,
        allow_null=True,
        help_text="The product's id; null once the product is deleted (the line keeps its name).",
    )

    class Meta:
        model = OrderLine
        fields = ["product", "name", "sku", "quantity", "unit_price", "total"]
        read_only_fields = fields


class ManagementOrderSerializer(OrderSerializer):
    """An order as the shopper API shows it, with integer ids and without the customer (the
    path names them)."""

    id = serializers.IntegerField(read_only=True)
    items = ManagementOrderLineSerializer(source="lines", many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [field for field in OrderSerializer.Meta.fields if field != "customer"]
        read_only_fields = fields


class ManagementOrderListSerializer(serializers.Serializer):
    orders = ManagementOrderSerializer(many=True)
    pagination = PaginationSerializer()


def customer_orders(customer, account):
    """The customer's orders seen by `account`, newest first, with their lines and store: 2
    queries for a page. A network sees its customer's orders at every member store; a store
    sees those placed at it."""
    lines = OrderLine.objects.order_by("id")
    orders = Order.objects.filter(customer=customer)
    if not account.is_network:
        orders = orders.filter(store=account)
    return (
        orders.select_related("store")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("-created_at", "-id")
    )


class CustomerOrderListView(CustomerScopedView):
    @extend_schema(
        operation_id="management_customer_orders_list",
        parameters=[CUSTOMER_ID, PageParams],
        responses={
            200: ManagementOrderListSerializer,
            404: NOT_FOUND,
            422: OpenApiResponse(description="A bad `page` or `items`."),
        },
        tags=["Management: customers"],
    )
    def get(self, request, account_id, customer_id):
        """The customer's orders, newest first, a page at a time (`page`, `items` up to 100)."""
        customer = self.get_customer(customer_id)
        return Response(
            paginated(
                request,
                customer_orders(customer, request.store),
                key="orders",
                serializer_class=ManagementOrderSerializer,
            )
        )
