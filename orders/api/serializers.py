"""The shopper API's order shape and checkout body (wire-compatible with Fleetbase Storefront)."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from customers.api.serializers import PlaceSerializer
from orders.models import Order, OrderLine
from orders.services import MAX_LINES, MAX_QUANTITY


@extend_schema_field(
    {"type": "string", "enum": Order.Status.values}, component_name="OrderStatusEnum"
)
class OrderStatusField(serializers.ChoiceField):
    """Its own schema component, so that the customer's `status` enum keeps its name."""

    def __init__(self, **kwargs):
        super().__init__(choices=Order.Status.choices, **kwargs)


class OrderLineSerializer(serializers.ModelSerializer):
    product = serializers.SerializerMethodField()

    class Meta:
        model = OrderLine
        fields = ["product", "name", "quantity", "unit_price", "total"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_product(self, line):
        # The product's public id; null once the product is deleted (the line keeps its name).
        return line.product.public_id if line.product_id else None


class OrderSerializer(serializers.ModelSerializer):
    """Lists select_related("customer") and prefetch lines with their products (see
    orders.api.views.order_queryset), so any number of orders is 2 queries."""

    id = serializers.CharField(source="public_id", read_only=True)
    status = OrderStatusField(read_only=True)
    items = OrderLineSerializer(source="lines", many=True, read_only=True)
    shipping_address = serializers.SerializerMethodField()
    customer = serializers.SerializerMethodField()
    store = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "status",
            "currency",
            "subtotal",
            "total",
            "items",
            "shipping_address",
            "customer",
            "store",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "description": "The place as it was when ordered (Place fields, without its id).",
            "additionalProperties": True,
        }
    )
    def get_shipping_address(self, order):
        return order.shipping_address or None

    @extend_schema_field(
        inline_serializer(
            "OrderStore", {"id": serializers.CharField(), "name": serializers.CharField()}
        )
    )
    def get_store(self, order):
        """The store the order was placed at (in a network, one of its member stores)."""
        return {"id": order.store.public_id, "name": order.store.name}

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_customer(self, order):
        if self.context.get("hide_customer") or not order.customer_id:
            return None
        return order.customer.public_id


class CheckoutItemSerializer(serializers.Serializer):
    # Anything else sent with an item (a "price", say) is ignored: prices are the catalogue's.
    product = serializers.CharField(max_length=64, help_text="A product id (product_…).")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, default=1)


class GuestSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=201)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)


class ShippingAddressField(serializers.Field):
    """A saved place id ("place_…", the logged-in customer's) or a place's fields."""

    default_error_messages = {"invalid": "Send a saved place id (place_…) or a place object."}

    def to_internal_value(self, data):
        if isinstance(data, str):
            return data.strip()
        if isinstance(data, dict):
            place = PlaceSerializer(data=data)
            if not place.is_valid():
                raise serializers.ValidationError(place.errors)
            return dict(place.validated_data)
        self.fail("invalid")

    def to_representation(self, value):
        return value


class ShippingAddressFieldExtension(OpenApiSerializerFieldExtension):
    """Documents ShippingAddressField as "a place id, or a Place"."""

    target_class = ShippingAddressField

    def map_serializer_field(self, auto_schema, direction):
        place = auto_schema.resolve_serializer(PlaceSerializer, direction)
        return {
            "oneOf": [{"type": "string", "description": "A saved place id (place_…)."}, place.ref],
            "nullable": True,
        }


class CheckoutSerializer(serializers.Serializer):
    store = serializers.CharField(
        required=False,
        max_length=40,
        help_text="With a network's key, the member store (`store_…`) the order is placed at "
        "(required).",
    )
    items = CheckoutItemSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    shipping_address = ShippingAddressField(required=False, allow_null=True)
    customer = GuestSerializer(
        required=False,
        allow_null=True,
        help_text="The guest who orders, when no Customer-Token is sent (ignored with one).",
    )
