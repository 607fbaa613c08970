"""A customer's enrolment in a card (the Leal "customer card"), for both APIs.

EnrolmentSerializer is the shape of docs/api.md's "Enrolment (customer card)": the management
API uses it as is (integer `id`); the shopper API names enrolments by their uuid only
(StorefrontEnrolmentSerializer). Rows come from loyalty.selectors.enrolment_list (or another
queryset with select_related("card") and prefetch_related("card__rewards")): no query per row.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from loyalty import selectors, wallet
from loyalty.models import CustomerCard, Reward


@extend_schema_field(
    {"type": "string", "enum": CustomerCard.Status.values}, component_name="EnrolmentStatusEnum"
)
class EnrolmentStatusField(serializers.ChoiceField):
    """Its own schema component, so that the customer's `status` enum keeps its name."""

    def __init__(self, **kwargs):
        super().__init__(choices=CustomerCard.Status.choices, **kwargs)


class AvailableRewardSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reward
        fields = ["id", "name", "stamps_required"]
        read_only_fields = fields


class EnrolmentSerializer(serializers.ModelSerializer):
    uuid = serializers.CharField(read_only=True)
    card_id = serializers.IntegerField(read_only=True)
    card_name = serializers.CharField(source="card.name", read_only=True)
    status = EnrolmentStatusField(source="effective_status", read_only=True)
    stamps_remaining = serializers.SerializerMethodField()
    progress_percentage = serializers.SerializerMethodField()
    available_rewards = serializers.SerializerMethodField()
    apple_wallet_url = serializers.SerializerMethodField()
    google_wallet_url = serializers.SerializerMethodField()

    class Meta:
        model = CustomerCard
        fields = [
            "id",
            "uuid",
            "card_id",
            "card_name",
            "status",
            "code",
            "stamps_count",
            "stamps_remaining",
            "progress_percentage",
            "available_rewards",
            "pass_installed",
            "issued_at",
            "expires_at",
            "apple_wallet_url",
            "google_wallet_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_stamps_remaining(self, enrolment) -> int:
        return selectors.stamps_remaining(enrolment)

    def get_progress_percentage(self, enrolment) -> int:
        return selectors.progress_percentage(enrolment)

    @extend_schema_field(AvailableRewardSerializer(many=True))
    def get_available_rewards(self, enrolment):
        # .all() reads the prefetched card__rewards; passing them keeps it query-free.
        rewards = selectors.available_rewards(enrolment, rewards=enrolment.card.rewards.all())
        return AvailableRewardSerializer(rewards, many=True).data

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_apple_wallet_url(self, enrolment):
        return wallet.apple_wallet_url(enrolment, request=self.context.get("request"))

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_google_wallet_url(self, enrolment):
        return wallet.google_wallet_url(enrolment, request=self.context.get("request"))


# DRF's own representations of a date and a moment, so that the dicts below read exactly as
# the serializers do (a moment in the current time zone, "Z" for UTC).
DATETIME = serializers.DateTimeField()
DATE = serializers.DateField()


def moment(value) -> str | None:
    return None if value is None else DATETIME.to_representation(value)


def day(value) -> str | None:
    return None if value is None else DATE.to_representation(value)


def enrolment_dict(enrolment: CustomerCard, request=None, *, rewards=None) -> dict:
    """EnrolmentSerializer's answer for `enrolment` (with its card; `rewards`, the card's, or
    its prefetched ones), built directly: a page of 25 customers with their cards spent most of
    its time in DRF's field machinery (`make bench`). tests/loyalty/
    test_fast_representations.py holds the two equal."""
    card = enrolment.card
    rewards = selectors.available_rewards(
        enrolment, rewards=card.rewards.all() if rewards is None else rewards
    )
    return {
        "id": enrolment.pk,
        "uuid": str(enrolment.uuid),
        "card_id": enrolment.card_id,
        "card_name": card.name,
        "status": str(enrolment.effective_status),
        "code": enrolment.code,
        "stamps_count": enrolment.stamps_count,
        "stamps_remaining": selectors.stamps_remaining(enrolment),
        "progress_percentage": selectors.progress_percentage(enrolment),
        "available_rewards": [
            {"id": reward.pk, "name": reward.name, "stamps_required": reward.stamps_required}
            for reward in rewards
        ],
        "pass_installed": enrolment.pass_installed,
        "issued_at": moment(enrolment.issued_at),
        "expires_at": moment(enrolment.expires_at),
        "apple_wallet_url": wallet.apple_wallet_url(enrolment, request=request),
        "google_wallet_url": wallet.google_wallet_url(enrolment, request=request),
        "created_at": moment(enrolment.created_at),
        "updated_at": moment(enrolment.updated_at),
    }


class StorefrontEnrolmentSerializer(EnrolmentSerializer):
    """The shopper API never shows integer ids of its own objects: `id` is the uuid."""

    id = serializers.CharField(source="uuid", read_only=True)
