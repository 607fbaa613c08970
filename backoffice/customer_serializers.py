"""The management API's customer shapes (Leal-compatible; integer ids).

Read: `ManagementCustomerSerializer`, docs/api.md's "Management customer". Rows come from
backoffice.customers.customer_queryset (tags, references and cards with their card and
rewards prefetched), so a page of any size costs the same few queries.
Write: `ManagementCustomerWriteSerializer` is the object inside `{"customer": {...}}`.
"""

import re
from datetime import MAXYEAR, UTC, date, datetime, time

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.api.serializers import CustomerGroupRefSerializer, group_ref
from customers.models import Customer
from customers.selectors import CUSTOMER_SORTS
from customers.services import (
    EXTERNAL_REFERENCES_MAX,
    METADATA_KEY_MAX_LENGTH,
    METADATA_MAX_KEYS,
    METADATA_VALUE_MAX_LENGTH,
    TAG_MAX_LENGTH,
    TAGS_MAX,
)
from loyalty.api.serializers import EnrolmentSerializer, day, enrolment_dict, moment
from stores.api.management import CappedPaginationSerializer, PageParams


class ManagementExternalReferenceSerializer(serializers.Serializer):
    source = serializers.CharField(max_length=64, help_text="The other system, e.g. shopify.")
    external_id = serializers.CharField(max_length=191, help_text="The customer's id there.")


class ManagementCustomerSerializer(serializers.ModelSerializer):
    account_id = serializers.IntegerField(source="store_id", read_only=True)
    name = serializers.CharField(read_only=True)
    birthday = serializers.DateField(read_only=True, allow_null=True)
    metadata = serializers.JSONField(read_only=True)
    external_references = ManagementExternalReferenceSerializer(many=True, read_only=True)
    customer_cards = EnrolmentSerializer(source="cards", many=True, read_only=True)
    stamp_count = serializers.SerializerMethodField()
    has_password = serializers.BooleanField(read_only=True)
    tags = serializers.SerializerMethodField()
    photo_url = serializers.SerializerMethodField()
    customer_group = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "account_id",
            "first_name",
            "last_name",
            "name",
            "email",
            "phone",
            "birthday",
            "metadata",
            "external_references",
            "customer_cards",
            "stamp_count",
            "status",
            "is_guest",
            "has_password",
            "total_orders_count",
            "tags",
            "customer_group",
            "photo_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(CustomerGroupRefSerializer(allow_null=True))
    def get_customer_group(self, customer):
        return group_ref(customer)

    def get_stamp_count(self, customer) -> int:
        """The stamps of all the customer's cards together (read from the prefetched cards)."""
        return sum(enrolment.stamps_count for enrolment in customer.cards.all())

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, customer):
        # Sorted here, whatever the database's collation: the same order on SQLite and PostgreSQL.
        return sorted((tag.name for tag in customer.tags.all()), key=str.casefold)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_photo_url(self, customer):
        if not customer.photo:
            return None
        request = self.context.get("request")
        url = customer.photo.url
        return request.build_absolute_uri(url) if request else url


def management_customer_dict(
    customer: Customer, request=None, *, tags=None, references=None, cards=None, rewards=None
) -> dict:
    """ManagementCustomerSerializer's answer for `customer`, built directly: the list's hot
    path (a page of 25 customers with their cards took 16 ms in DRF's field machinery, `make
    bench`). `tags` (names), `references` ({source, external_id}), `cards` (enrolments with
    their card) and `rewards` ({card id: rewards}) as backoffice.customers.customer_answers
    reads them; without them, from the customer's prefetched relations.
    tests/loyalty/test_fast_representations.py holds the two equal."""
    if tags is None:
        tags = [tag.name for tag in customer.tags.all()]
    if references is None:
        references = [
            {"source": reference.source, "external_id": reference.external_id}
            for reference in customer.external_references.all()
        ]
    if cards is None:
        cards = list(customer.cards.all())
    photo_url = None
    if customer.photo:
        url = customer.photo.url
        photo_url = request.build_absolute_uri(url) if request else url
    return {
        "id": customer.pk,
        "account_id": customer.store_id,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "birthday": day(customer.birthday),
        "metadata": customer.metadata,
        "external_references": references,
        "customer_cards": [
            enrolment_dict(
                enrolment, request, rewards=None if rewards is None else rewards[enrolment.card_id]
            )
            for enrolment in cards
        ],
        "stamp_count": sum(enrolment.stamps_count for enrolment in cards),
        "status": customer.status,
        "is_guest": customer.is_guest,
        "has_password": customer.has_password,
        "total_orders_count": customer.total_orders_count,
        "tags": sorted(tags, key=str.casefold),
        "customer_group": group_ref(customer),
        "photo_url": photo_url,
        "created_at": moment(customer.created_at),
        "updated_at": moment(customer.updated_at),
    }


class ManagementCustomerWriteSerializer(serializers.Serializer):
    """The fields of `{"customer": {...}}`. On create `first_name` and an email or a phone are
    required; on update only the fields sent change. Unknown fields are ignored. Parsing only:
    customers.services decides (names up to 100 characters, a birthday from 1900 to today,
    the metadata rules)."""

    first_name = serializers.CharField(help_text="Up to 100 characters.")
    last_name = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="Up to 100 characters."
    )
    email = serializers.CharField(
        max_length=254,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Unique in the store; required if phone is blank. Stored lower-case.",
    )
    phone = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Unique in the store; required if email is blank. Returned in E.164; "
        "national formats are read as numbers of the store's default region.",
    )
    birthday = serializers.DateField(required=False, allow_null=True, help_text="YYYY-MM-DD")
    metadata = serializers.DictField(
        required=False,
        allow_null=True,
        help_text="Key-value pairs. On update they are merged into the customer's metadata; "
        f"a key sent as null is removed. At most {METADATA_MAX_KEYS} keys of 1–"
        f"{METADATA_KEY_MAX_LENGTH} characters (A–Z, a–z, 0–9, _ - . :), each value at most "
        f"{METADATA_VALUE_MAX_LENGTH} characters as JSON, 16 KB in all after merging.",
    )
    external_references = ManagementExternalReferenceSerializer(
        many=True,
        required=False,
        # Refused before any reference is looked at (a body of 500 used to take seconds).
        max_length=EXTERNAL_REFERENCES_MAX,
        error_messages={
            "max_length": "A customer has at most {max_length} external references; "
            "send at most that many."
        },
        help_text="Ids of the customer in other systems; each (source, external_id) belongs "
        f"to one customer of the store. On update, references not held yet are added. A "
        f"customer holds at most {EXTERNAL_REFERENCES_MAX}.",
    )
    customer_group_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="One of the store's customer_groups, or null for none.",
    )
    tags = serializers.ListField(
        child=serializers.CharField(allow_blank=True),  # length: customers.services.tags_clean
        required=False,
        allow_null=True,
        help_text=f"Tag names; on update the list replaces the customer's tags. At most "
        f"{TAGS_MAX} tags of at most {TAG_MAX_LENGTH} characters.",
    )

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        for field in ("last_name", "email", "phone"):
            if field in values and values[field] is None:
                values[field] = ""
        if "tags" in values and values["tags"] is None:
            values["tags"] = []
        if "customer_group_id" in values:  # the service's name for it
            values["customer_group"] = values.pop("customer_group_id")
        if "external_references" in values:
            values["external_references"] = [dict(ref) for ref in values["external_references"]]
        return values


class ManagementCustomerCreateOptions(serializers.Serializer):
    """What POST customers takes beside the customer."""

    card_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="A loyalty card of the store to enrol the customer in; its initial_stamps "
        "are given as a welcome bonus.",
    )
    send_card_links = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true/false/1/0. Send the card's code and wallet links by e-mail and SMS "
        "once enrolled.",
    )


class ManagementCustomerCreateSerializer(ManagementCustomerCreateOptions):
    """The body of POST customers (the view reads the customer and the options apart, so that
    field errors are named as in the customer object: `email`, not `customer.email`)."""

    customer = ManagementCustomerWriteSerializer()


class ManagementCustomerUpdateSerializer(serializers.Serializer):
    customer = ManagementCustomerWriteSerializer(partial=True)


@extend_schema_field(
    {
        "type": "string",
        "description": "An ISO 8601 date (midnight in the store's time zone) or date-time "
        "(without an offset: in the store's time zone).",
        "example": "2025-01-31",
    }
)
class StoreDateTimeField(serializers.Field):
    """A date or a date-time, read in the store's time zone (context["store"])."""

    default_error_messages = {"invalid": "Use an ISO 8601 date (2025-01-31) or date-time."}

    def to_internal_value(self, data):
        # An unencoded "+" of an offset arrives as a space ("…T10:00:00 02:00").
        text = re.sub(r"(T[\d:.]+) (\d\d:?\d\d)$", r"\1+\2", str(data).strip())
        tz = self.context["store"].tzinfo
        try:
            day = parse_date(text)
            moment = None if day else parse_datetime(text)
        except ValueError:
            self.fail("invalid")
        if day is not None:
            return _in_utc(datetime.combine(day, time.min, tzinfo=tz))
        if moment is None:
            self.fail("invalid")
        return _in_utc(moment if timezone.is_aware(moment) else moment.replace(tzinfo=tz))

    def to_representation(self, value):
        return value.isoformat() if isinstance(value, date) else value


def _in_utc(moment: datetime) -> datetime:
    """`moment` in UTC; one that UTC cannot hold (9999-12-31T23:00-12:00 is in the year 10000,
    0001-01-01T00:00+01:00 in the year 0) becomes the last or first moment a datetime holds,
    which keeps or leaves out the same customers."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        edge = datetime.max if moment.year == MAXYEAR else datetime.min
        return edge.replace(tzinfo=UTC)


class ManagementCustomerListParams(PageParams):
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Words to find in the name, email, phone (however typed), card code or "
        "external id; every word must match.",
    )
    source = serializers.CharField(
        required=False, max_length=64, help_text="With external_id: an exact reference."
    )
    external_id = serializers.CharField(
        required=False, max_length=191, help_text="With source: an exact reference."
    )
    status = serializers.ChoiceField(choices=Customer.Status.choices, required=False)
    tag = serializers.CharField(required=False, max_length=64, help_text="A tag name.")
    customer_group = serializers.IntegerField(
        required=False, min_value=1, help_text="A customer group's id: its customers."
    )
    created_after = StoreDateTimeField(required=False, help_text="Created at or after.")
    created_before = StoreDateTimeField(required=False, help_text="Created before.")
    sort = serializers.ChoiceField(
        choices=list(CUSTOMER_SORTS), required=False, default="-created_at"
    )

    def validate(self, attrs):
        if bool(attrs.get("source")) != bool(attrs.get("external_id")):
            missing = "external_id" if attrs.get("source") else "source"
            raise serializers.ValidationError({missing: ["Send source and external_id together."]})
        return attrs


class ManagementCustomerListSerializer(serializers.Serializer):
    customers = ManagementCustomerSerializer(many=True)
    pagination = CappedPaginationSerializer()
