"""Management API shapes for card programmes, rewards, stamping, redeeming and the ledger.

Write serializers only parse (types, lengths, bounds, what is required: the bounds with
loyalty.services' own messages, so that the OpenAPI schema shows them); the rules (welcome
stamps below a full card, a reward within its card, the daily limit…) are loyalty.services',
whose field errors come back as 422s. Enrolments are shown by
loyalty.api.serializers.EnrolmentSerializer, as the shopper API and the customer endpoints
show them.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from loyalty.models import (
    MAX_EXPIRY_DAYS,
    MAX_STAMPS_PER_DAY,
    MAX_STAMPS_REQUIRED,
    LoyaltyCard,
    Reward,
    StampEntry,
    color_validator,
)
from loyalty.services import (
    CARD_FIELDS,
    DAILY_LIMIT_MESSAGE,
    DESCRIPTION_MAX_LENGTH,
    DESCRIPTION_MESSAGE,
    EXPIRY_DAYS_MESSAGE,
    MAX_STAMPS_PER_CALL,
    STAMPS_REQUIRED_MESSAGE,
    STORE_ID_MESSAGE,
)
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


class EntryStoreSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id", help_text="The store's public id (store_…).")
    name = serializers.CharField()


class HistoryEntrySerializer(serializers.ModelSerializer):
    """One ledger entry; rows come with select_related("actor_user", "actor_api_key",
    "store")."""

    reward_id = serializers.IntegerField(allow_null=True, read_only=True)
    actor = serializers.SerializerMethodField()
    store = EntryStoreSerializer(
        read_only=True,
        allow_null=True,
        help_text="Where it happened: the card's store, or for a network's card the member "
        "store; null when the network acted without a store.",
    )

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
            "store",
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


def _bounded(low: int, high: int, message: str, **kwargs) -> serializers.IntegerField:
    """A whole number from `low` to `high` (in the schema too), refused with the message
    loyalty.services gives for it."""
    messages = {"min_value": message, "max_value": message}
    return serializers.IntegerField(
        min_value=low, max_value=high, error_messages=messages, **kwargs
    )


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": MAX_STAMPS_REQUIRED - 1})
class WelcomeStampsField(serializers.IntegerField):
    """Bounded in the schema only: loyalty.services refuses a number out of range with a
    message naming the card's own limit (fewer than its stamps_required)."""


def _description(**kwargs) -> serializers.CharField:
    return serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH,
        error_messages={"max_length": DESCRIPTION_MESSAGE},
        required=False,
        allow_blank=True,
        **kwargs,
    )


def _color(**kwargs) -> serializers.CharField:
    return serializers.CharField(validators=[color_validator], required=False, **kwargs)


class CardWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = _description()
    stamps_required = _bounded(
        1, MAX_STAMPS_REQUIRED, STAMPS_REQUIRED_MESSAGE, help_text="Stamps for a full card."
    )
    initial_stamps = WelcomeStampsField(
        required=False, help_text="Welcome stamps given on enrolment: fewer than stamps_required."
    )
    card_color = _color(help_text="#RRGGBB")
    text_color = _color(help_text="#RRGGBB")
    header_text = serializers.CharField(required=False, allow_blank=True, max_length=100)
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="The whole programme ends at this time."
    )
    expiry_days = _bounded(
        1,
        MAX_EXPIRY_DAYS,
        EXPIRY_DAYS_MESSAGE,
        required=False,
        allow_null=True,
        help_text="Each enrolment expires this many days after; null: never.",
    )
    max_stamps_per_day = _bounded(
        1,
        MAX_STAMPS_PER_DAY,
        DAILY_LIMIT_MESSAGE,
        required=False,
        allow_null=True,
        help_text="The most stamps a card may get in a day; null: no limit.",
    )
    archived = serializers.BooleanField(required=False, help_text="Takes no new customers.")


class CardBodySerializer(serializers.Serializer):
    card = CardWriteSerializer()


class CardUpdateBodySerializer(serializers.Serializer):
    """PUT and PATCH: the `card` object is required, each field inside it optional."""

    card = CardWriteSerializer(partial=True)


class RewardWriteSerializer(serializers.Serializer):
    card_id = serializers.IntegerField(help_text="A card of the store.")
    name = serializers.CharField(max_length=100)
    stamps_required = serializers.IntegerField(
        min_value=1,
        max_value=MAX_STAMPS_REQUIRED,
        help_text="From 1 to the card's stamps_required.",
    )
    description = _description()
    active = serializers.BooleanField(required=False)
    position = serializers.IntegerField(
        min_value=0, max_value=32767, required=False, help_text="Order within the card."
    )


class RewardBodySerializer(serializers.Serializer):
    reward = RewardWriteSerializer()


class RewardUpdateBodySerializer(serializers.Serializer):
    """PUT and PATCH: the `reward` object is required, each field inside it optional."""

    reward = RewardWriteSerializer(partial=True)


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


@extend_schema_field({"type": "integer", "nullable": True})
class StoreIdField(serializers.IntegerField):
    """A store's numeric id as a JSON number: "3", 3.0 or true are refused, not read as 3."""

    default_error_messages = {"invalid": STORE_ID_MESSAGE}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


def _store_id() -> StoreIdField:
    return StoreIdField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Where it happens: for a network's card, one of the network's member stores "
        "(its numeric id); the entry records it. A store's own card takes only that store.",
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
    skip_notifications = serializers.BooleanField(
        required=False,
        default=False,
        help_text='Do not tell the customer ("you have N stamps" or "a reward is ready").',
    )
    # At most 255 characters: loyalty.services refuses a longer note with its own message.
    note = serializers.CharField(required=False, default="", allow_blank=True)
    store_id = _store_id()


class RedeemRequestSerializer(serializers.Serializer):
    reward_id = serializers.IntegerField(help_text="A reward of the enrolment's card.")
    store_id = _store_id()
