"""Management API shapes for card programmes, rewards, stamping, redeeming and the ledger.

Write serializers only parse (types, lengths, what is required); the rules (1–21 stamps, a
reward within its card, the daily limit…) are loyalty.services', whose field errors come back
as 422s. Enrolments are shown by loyalty.api.serializers.EnrolmentSerializer, as the shopper
API and the customer endpoints show them.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from loyalty.models import LoyaltyCard, Reward, StampEntry
from loyalty.services import CARD_FIELDS, MAX_STAMPS_PER_CALL
from stores.api.management import PaginationSerializer

STAMPS_MESSAGE = f"Add from 1 to {MAX_STAMPS_PER_CALL} stamps at a time."

# --- Answers ------------------------------------------------------------------------------------


class CardRewardSerializer(serializers.ModelSerializer):
    """A reward inside its card."""

    class Meta:
        model = Reward
        fields = ["id", "name", "stamps_required", "description", "active", "position"]
        read_only_fields = fields


class CardSerializer(serializers.ModelSerializer):
    """A card programme; rows come with prefetch_related("rewards")."""

    rewards = CardRewardSerializer(many=True, read_only=True)

    class Meta:
        model = LoyaltyCard
        fields = [
            "id",
            *CARD_FIELDS,
            "rewards",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RewardSerializer(serializers.ModelSerializer):
    card_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Reward
        fields = [
            "id",
            "card_id",
            "name",
            "stamps_required",
            "description",
            "active",
            "position",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RedemptionSerializer(serializers.Serializer):
    """A "redeem" ledger entry as Leal shows a redemption."""

    id = serializers.IntegerField(help_text="The ledger entry's id (see history).")
    reward_id = serializers.IntegerField(allow_null=True)
    reward_name = serializers.CharField()
    stamps_spent = serializers.SerializerMethodField()
    stamps_remaining = serializers.IntegerField(
        source="balance_after", help_text="The stamps left on the card after the redemption."
    )
    redeemed_at = serializers.DateTimeField(source="created_at")

    def get_stamps_spent(self, entry) -> int:
        return -entry.delta


class RedeemAnswerSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    redemption = RedemptionSerializer()


class HistoryEntrySerializer(serializers.ModelSerializer):
    """One ledger entry; rows come with select_related("actor_user", "actor_api_key")."""

    reward_id = serializers.IntegerField(allow_null=True, read_only=True)
    actor = serializers.SerializerMethodField()

    class Meta:
        model = StampEntry
        fields = [
            "id",
            "kind",
            "delta",
            "balance_after",
            "reward_id",
            "reward_name",
            "note",
            "actor",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.CharField(
            allow_null=True,
            help_text='Who made the change: a staff username, "api key sk_…", or null for the '
            "system.",
        )
    )
    def get_actor(self, entry) -> str | None:
        if entry.actor_user is not None:
            return entry.actor_user.get_username()
        if entry.actor_api_key is not None:
            return f"api key {entry.actor_api_key.prefix}…"
        return None


class HistorySerializer(serializers.Serializer):
    entries = HistoryEntrySerializer(many=True)
    pagination = PaginationSerializer()


# --- Requests -----------------------------------------------------------------------------------


class CardWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True)
    stamps_required = serializers.IntegerField(help_text="Stamps for a full card: 1 to 21.")
    initial_stamps = serializers.IntegerField(
        required=False, help_text="Welcome stamps given on enrolment: 0 ≤ n < stamps_required."
    )
    card_color = serializers.CharField(required=False, help_text="#RRGGBB")
    text_color = serializers.CharField(required=False, help_text="#RRGGBB")
    header_text = serializers.CharField(required=False, allow_blank=True, max_length=100)
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="The whole programme ends at this time."
    )
    expiry_days = serializers.IntegerField(
        required=False, allow_null=True, help_text="Each enrolment expires this many days after."
    )
    max_stamps_per_day = serializers.IntegerField(
        required=False, allow_null=True, help_text="The most stamps a card may get in a day."
    )
    archived = serializers.BooleanField(required=False, help_text="Takes no new customers.")


class CardBodySerializer(serializers.Serializer):
    card = CardWriteSerializer()


class RewardWriteSerializer(serializers.Serializer):
    card_id = serializers.IntegerField(help_text="A card of the store.")
    name = serializers.CharField(max_length=100)
    stamps_required = serializers.IntegerField(help_text="From 1 to the card's stamps_required.")
    description = serializers.CharField(required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)
    position = serializers.IntegerField(required=False, help_text="Order within the card.")


class RewardBodySerializer(serializers.Serializer):
    reward = RewardWriteSerializer()


class RewardListParams(serializers.Serializer):
    card_id = serializers.IntegerField(required=False, help_text="Only this card's rewards.")


class EnrolRequestSerializer(serializers.Serializer):
    card_id = serializers.IntegerField(help_text="A card of the store.")
    code = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The barcode of a card handed to the customer: letters and digits, stored in "
        "capitals without the spaces or dashes between groups (`ab12-cd34` is `AB12CD34`), "
        "free in the store. Without it a new 12-digit code is issued.",
    )
    send_card_links = serializers.BooleanField(
        required=False, default=False, help_text="E-mail / text the card's code and wallet links."
    )


class StampRequestSerializer(serializers.Serializer):
    stamps = serializers.IntegerField(
        required=False,
        default=1,
        min_value=1,
        max_value=MAX_STAMPS_PER_CALL,
        error_messages={
            "min_value": STAMPS_MESSAGE,
            "max_value": STAMPS_MESSAGE,
        },
    )
    skip_notifications = serializers.BooleanField(required=False, default=False)
    # At most 255 characters: loyalty.services refuses a longer note with its own message.
    note = serializers.CharField(required=False, default="", allow_blank=True)


class RedeemRequestSerializer(serializers.Serializer):
    reward_id = serializers.IntegerField(help_text="A reward of the enrolment's card.")
