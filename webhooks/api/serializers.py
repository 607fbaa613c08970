"""Webhook endpoints and their deliveries as the management API shows and reads them."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from stores.api.management import PaginationSerializer
from webhooks.models import EVENT_CHOICES, WebhookDelivery, WebhookEndpoint

# http(s), a host name or IPv4 address, an optional port (1–65535), an optional path and query
# (RFC 3986 characters; no fragment).
URL_PATTERN = (
    r"^https?://[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?"
    r"(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?"
    r"(?:/[A-Za-z0-9._~!$&'()*+,;=:@/?%-]*)?$"
)


class WebhookSerializer(serializers.ModelSerializer):
    url = serializers.CharField(read_only=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES))

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "events",
            "active",
            "description",
            "failing_since",
            "disabled_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (whsec_…): shown in this answer only. Keep it: "
        "Storefront-Signature is an HMAC-SHA256 keyed by it.",
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookWriteSerializer(serializers.Serializer):
    url = serializers.RegexField(
        URL_PATTERN,
        max_length=2000,
        help_text="Where events are POSTed: http or https; not a private, loopback, "
        "link-local, multicast or reserved address.",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_CHOICES),
        min_length=1,
        max_length=len(EVENT_CHOICES),
    )
    active = serializers.BooleanField(required=False, default=True)
    description = serializers.CharField(max_length=255, allow_blank=True, required=False)


class WebhookBodySerializer(serializers.Serializer):
    webhook = WebhookWriteSerializer()


class WebhookUpdateBodySerializer(serializers.Serializer):
    """PATCH: the `webhook` object is required, each field inside it optional."""

    webhook = WebhookWriteSerializer(partial=True)


@extend_schema_field(
    {"type": "string", "enum": WebhookDelivery.Status.values},
    component_name="WebhookDeliveryStatusEnum",
)
class DeliveryStatusField(serializers.ChoiceField):
    """Its own schema component, so that the customer's `status` enum keeps its name."""

    def __init__(self, **kwargs):
        super().__init__(choices=WebhookDelivery.Status.choices, **kwargs)


class DeliverySerializer(serializers.ModelSerializer):
    status = DeliveryStatusField(read_only=True)
    uuid = serializers.UUIDField(
        read_only=True, help_text="The Storefront-Delivery header the receiver got."
    )
    event_id = serializers.CharField(source="event.public_id", read_only=True)
    event_type = serializers.CharField(source="event.type", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "uuid",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "response_status",
            "duration_ms",
            "next_attempt_at",
            "last_error",
            "created_at",
        ]
        read_only_fields = fields


class DeliveryListSerializer(serializers.Serializer):
    deliveries = DeliverySerializer(many=True)
    pagination = PaginationSerializer()
