"""The shopper API's store ("about") and catalogue shapes (wire-compatible with Fleetbase)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from stores.models import Product, Store


class StoreSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)

    class Meta:
        model = Store
        fields = ["id", "name", "currency", "reviews_enabled", "phone_region", "timezone"]
        read_only_fields = fields


class RatingSerializer(serializers.Serializer):
    average = serializers.FloatField(allow_null=True, help_text="One decimal; null if none.")
    count = serializers.IntegerField()


class ProductSerializer(serializers.ModelSerializer):
    """Rows carry `rating_average` and `rating_count` (catalogue_views.product_queryset)."""

    id = serializers.CharField(source="public_id", read_only=True)
    rating = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = ["id", "name", "sku", "price", "currency", "description", "rating"]
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
