"""The shopper API's customer and place shapes (wire-compatible with Fleetbase Storefront)."""

import base64
import binascii
import re

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.models import SNAPSHOT_FIELDS, Address, Customer
from customers.services import METADATA_MAX_KEYS

# A customer's answer (with their places) is written out in `to_representation`: DRF's generic
# path builds every field of a ModelSerializer again for each answer, about 1 ms for a customer
# with a place. The declared fields still describe the shape (OpenAPI), and
# tests/stores/test_request_cost.py checks that both paths give the same bytes. DRF's own
# fields format the dates, made once: the ISO format, the current time zone, "Z" for UTC.
_DATETIME = serializers.DateTimeField(read_only=True)
_DATE = serializers.DateField(read_only=True)


def _datetime(value):
    return None if value is None else _DATETIME.to_representation(value)


def _date(value):
    return None if value is None else _DATE.to_representation(value)


class PlaceSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    location = serializers.SerializerMethodField()
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, write_only=True
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, write_only=True
    )

    class Meta:
        model = Address
        fields = [
            "id",
            *SNAPSHOT_FIELDS,
            "location",
            "latitude",
            "longitude",
            "is_default",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"street1": {"required": True}}

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                "type": {"type": "string", "enum": ["Point"]},
                "coordinates": {"type": "array", "items": {"type": "number"}},
            },
        }
    )
    def get_location(self, address):
        return address.location

    def to_internal_value(self, data):
        # GeoJSON in, as the SDK sends it: {"location": {"type": "Point", "coordinates": [x, y]}}
        if hasattr(data, "get") and isinstance(data.get("location"), dict):
            coordinates = data["location"].get("coordinates") or []
            if len(coordinates) == 2:
                data = {**data, "longitude": coordinates[0], "latitude": coordinates[1]}
        return super().to_internal_value(data)


def _place(address) -> dict:
    """PlaceSerializer's answer, written out (a customer's places)."""
    data = {"id": address.public_id}
    for name in SNAPSHOT_FIELDS:
        data[name] = getattr(address, name)
    data["location"] = address.location
    data["is_default"] = address.is_default
    data["created_at"] = _datetime(address.created_at)
    data["updated_at"] = _datetime(address.updated_at)
    return data


class CustomerGroupRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


def group_ref(customer) -> dict | None:
    """The customer's group as both APIs show it (rows come with customer_group selected)."""
    group = customer.customer_group
    return {"id": group.pk, "name": group.name} if group is not None else None


class CustomerSerializer(serializers.ModelSerializer):
    """Read shape. `token` is added by the login and registration answers only."""

    id = serializers.CharField(source="public_id", read_only=True)
    name = serializers.CharField(read_only=True)
    photo_url = serializers.SerializerMethodField()
    address = serializers.SerializerMethodField()
    addresses = serializers.SerializerMethodField()
    meta = serializers.JSONField(source="metadata", read_only=True)
    orders = serializers.IntegerField(source="total_orders_count", read_only=True)
    has_password = serializers.BooleanField(read_only=True)
    customer_group = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "first_name",
            "last_name",
            "email",
            "phone",
            "email_verified_at",
            "phone_verified_at",
            "pending_email",
            "pending_phone",
            "birthday",
            "photo_url",
            "address",
            "addresses",
            "meta",
            "slug",
            "orders",
            "has_password",
            "status",
            "is_guest",
            "customer_group",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(CustomerGroupRefSerializer(allow_null=True))
    def get_customer_group(self, customer):
        """The customer's group (the store sets it), or null."""
        return group_ref(customer)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_photo_url(self, customer):
        if not customer.photo:
            return None
        request = self.context.get("request")
        url = customer.photo.url
        return request.build_absolute_uri(url) if request else url

    def _addresses(self, customer):
        return list(customer.addresses.all())

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_address(self, customer):
        default = next((a for a in self._addresses(customer) if a.is_default), None)
        return default.one_line if default else None

    @extend_schema_field(PlaceSerializer(many=True))
    def get_addresses(self, customer):
        return [_place(address) for address in self._addresses(customer)]

    def to_representation(self, customer):
        return {
            "id": customer.public_id,
            "name": customer.name,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "email": customer.email,
            "phone": customer.phone,
            "email_verified_at": _datetime(customer.email_verified_at),
            "phone_verified_at": _datetime(customer.phone_verified_at),
            "pending_email": customer.pending_email,
            "pending_phone": customer.pending_phone,
            "birthday": _date(customer.birthday),
            "photo_url": self.get_photo_url(customer),
            "address": self.get_address(customer),
            "addresses": self.get_addresses(customer),
            "meta": customer.metadata,
            "slug": customer.slug,
            "orders": customer.total_orders_count,
            "has_password": customer.has_password,
            "status": customer.status,
            "is_guest": customer.is_guest,
            "customer_group": self.get_customer_group(customer),
            "created_at": _datetime(customer.created_at),
            "updated_at": _datetime(customer.updated_at),
        }


class CustomerWithTokenSerializer(CustomerSerializer):
    token = serializers.SerializerMethodField()

    class Meta(CustomerSerializer.Meta):
        fields = [*CustomerSerializer.Meta.fields, "token"]
        read_only_fields = fields

    def get_token(self, customer) -> str:
        return self.context["token"]

    def to_representation(self, customer):
        return {**super().to_representation(customer), "token": self.get_token(customer)}


@extend_schema_field(
    {
        "type": "string",
        "description": "A multipart image file, a base64 data URL, or REMOVE.",
        "nullable": True,
    }
)
class PhotoField(serializers.Field):
    """A multipart file, a base64 data URL ("data:image/png;base64,…") or "REMOVE"."""

    default_error_messages = {"invalid": "Send an image file, a base64 data URL, or REMOVE."}

    def to_internal_value(self, data):
        if data in ("REMOVE", None, ""):
            return None
        if hasattr(data, "read"):
            return data
        if isinstance(data, str):
            match = re.match(r"^data:image/(\w+);base64,(.+)$", data.strip(), re.DOTALL)
            if match:
                try:
                    content = base64.b64decode(match.group(2), validate=True)
                except (binascii.Error, ValueError):
                    self.fail("invalid")
                return SimpleUploadedFile(f"photo.{match.group(1)}", content)
        self.fail("invalid")

    def to_representation(self, value):
        return None


def profile_body_bytes() -> int:
    """The largest profile change: a photo at CUSTOMER_PHOTO_MAX_BYTES in base64, and
    API_MAX_JSON_BYTES for the rest (never over API_MAX_UPLOAD_BYTES)."""
    photo = 4 * -(-settings.CUSTOMER_PHOTO_MAX_BYTES // 3)
    return min(photo + settings.API_MAX_JSON_BYTES, settings.API_MAX_UPLOAD_BYTES)


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": True,
        "maxProperties": METADATA_MAX_KEYS,
        "description": "Key-value pairs: keys of A–Z, a–z, 0–9, _ - . : (at most 40), values "
        'of at most 500 characters as JSON (README, "Limits").',
    }
)
class MetadataField(serializers.JSONField):
    """`meta`: a JSON object (null, a list or text are refused by the metadata rules)."""


class CustomerUpdateSerializer(serializers.Serializer):
    """What a shopper may change. Parsing only: customers.services decides (names up to 100
    characters, a birthday from 1900 to today, the metadata rules; a new email or phone waits
    for the code sent to it)."""

    name = serializers.CharField(required=False, help_text="Split into first and last name.")
    first_name = serializers.CharField(required=False)
    last_name = serializers.CharField(required=False, allow_blank=True)
    email = serializers.CharField(
        required=False,
        max_length=254,
        allow_blank=True,
        help_text="A new one is pending until confirmed with verify-contact; empty removes it.",
    )
    phone = serializers.CharField(
        required=False,
        max_length=32,
        allow_blank=True,
        help_text="A new one is pending until confirmed with verify-contact; empty removes it.",
    )
    birthday = serializers.DateField(required=False, allow_null=True, help_text="YYYY-MM-DD")
    meta = MetadataField(required=False)
    password = serializers.CharField(required=False, write_only=True, max_length=128)
    current_password = serializers.CharField(required=False, write_only=True, max_length=128)
    photo = PhotoField(required=False, allow_null=True)


class IdentitySerializer(serializers.Serializer):
    identity = serializers.CharField(max_length=254)


class RequestCodeSerializer(IdentitySerializer):
    mode = serializers.ChoiceField(choices=["email", "sms"], required=False)


class RegisterSerializer(IdentitySerializer):
    code = serializers.CharField(max_length=12)
    name = serializers.CharField(help_text="Split into first and last name.")
    email = serializers.CharField(required=False, max_length=254, allow_blank=True)
    phone = serializers.CharField(required=False, max_length=32, allow_blank=True)
    password = serializers.CharField(required=False, max_length=128, allow_blank=True)
    meta = MetadataField(required=False)


class LoginSerializer(IdentitySerializer):
    password = serializers.CharField(max_length=128)


class VerifyCodeSerializer(IdentitySerializer):
    code = serializers.CharField(max_length=12)


class SmsLoginSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32)


class VerifyContactSerializer(serializers.Serializer):
    identity = serializers.CharField(
        max_length=254, help_text="The pending email or phone the code was sent to."
    )
    code = serializers.CharField(max_length=12)


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=12)


class DeviceSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=512)
    platform = serializers.ChoiceField(choices=["ios", "android", "web"])


class StatusSerializer(serializers.Serializer):
    status = serializers.CharField()
