"""The shopper API's store ("about") and catalogue shapes (wire-compatible with Fleetbase)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from stores.models import Product, Store
from stores.selectors import member_stores


class MemberStoreSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The member store's `store_…` id.")
    name = serializers.CharField()


class StoreSerializer(serializers.ModelSerializer):
    """The account the key belongs to: a store, or a network with its member `stores`."""

    id = serializers.CharField(source="public_id", read_only=True)
    is_network = serializers.BooleanField(read_only=True)
    stores = serializers.SerializerMethodField(
        help_text="A network's member stores (a store's `about`: an empty list)."
    )

    class Meta:
        model = Store
        fields = [
            "id",
            "name",
            "currency",
            "reviews_enabled",
            "phone_region",
            "timezone",
            "is_network",
            "stores",
        ]
        read_only_fields = fields

    @extend_schema_field(MemberStoreSerializer(many=True))
    def get_stores(self, store) -> list[dict]:
        return [{"id": member.public_id, "name": member.name} for member in member_stores(store)]


class RatingSerializer(serializers.Serializer):
    average = serializers.FloatField(allow_null=True, help_text="One decimal; null if none.")
    count = serializers.IntegerField()


class ProductSerializer(serializers.ModelSerializer):
    """Rows carry `rating_average` and `rating_count` (catalogue_views.product_queryset)."""

    id = serializers.CharField(source="public_id", read_only=True)
    rating = serializers.SerializerMethodField()

    store = serializers.CharField(
        source="store.public_id", read_only=True, help_text="The `store_…` that sells it."
    )

    class Meta:
        model = Product
        fields = ["id", "name", "sku", "price", "currency", "description", "rating", "store"]
        read_only_fields = fields

    @extend_schema_field(RatingSerializer)
    def get_rating(self, product):
        average = product.rating_average
        return {
            "average": round(float(average), 1) if average is not None else None,
            "count": product.rating_count,
        }


class ProductQuerySerializer(serializers.Serializer):
    query = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="Part of a name or SKU."
    )
    store = serializers.CharField(
        required=False,
        max_length=40,
        help_text="A network's member store (`store_…`): only its products.",
    )
