import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from customers.models import Customer
from stores.models import ApiKey, Store

color_validator = RegexValidator(r"^#[0-9A-Fa-f]{6}$", "Use a colour like #1F6FEB.")

MAX_STAMPS_REQUIRED = 21
MAX_STAMPS_PER_DAY = 1000  # SQLite would store more than the field's PostgreSQL range
MAX_EXPIRY_DAYS = 36500  # a hundred years; far larger dates overflow Python's datetime


class LoyaltyCard(models.Model):
    """A stamp-card programme: collect `stamps_required` stamps, spend them on rewards."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="loyalty_cards")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    stamps_required = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_STAMPS_REQUIRED)]
    )
    initial_stamps = models.PositiveSmallIntegerField(
        default=0, help_text="Welcome stamps given on enrolment."
    )
    card_color = models.CharField(max_length=7, default="#1F2937", validators=[color_validator])
    text_color = models.CharField(max_length=7, default="#FFFFFF", validators=[color_validator])
    header_text = models.CharField(max_length=100, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="The whole programme ends at this time."
    )
    expiry_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_EXPIRY_DAYS)],
        help_text="Each enrolment expires this many days after issue.",
    )
    max_stamps_per_day = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(MAX_STAMPS_PER_DAY)]
    )
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stamps_required__gte=1) & Q(stamps_required__lte=MAX_STAMPS_REQUIRED),
                name="card_stamps_required_1_to_21",
                violation_error_message="A card needs from 1 to 21 stamps.",
            ),
            models.CheckConstraint(
                condition=Q(initial_stamps__gte=0) & Q(initial_stamps__lt=F("stamps_required")),
                name="card_initial_below_required",
                violation_error_message="Welcome stamps must be fewer than the stamps required.",
            ),
            models.CheckConstraint(
                condition=Q(expiry_days__isnull=True) | Q(expiry_days__gte=1),
                name="card_expiry_days_positive",
                violation_error_message="Expiry must be at least 1 day.",
            ),
            models.CheckConstraint(
                condition=Q(max_stamps_per_day__isnull=True) | Q(max_stamps_per_day__gte=1),
                name="card_daily_limit_positive",
                violation_error_message="The daily limit must be at least 1 stamp.",
            ),
        ]

    def __str__(self):
        return self.name


class Reward(models.Model):
    card = models.ForeignKey(LoyaltyCard, on_delete=models.CASCADE, related_name="rewards")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    stamps_required = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "stamps_required", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stamps_required__gte=1),
                name="reward_stamps_required_positive",
                violation_error_message="A reward costs at least 1 stamp.",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.stamps_required} stamps)"


class CustomerCard(models.Model):
    """A customer's enrolment in a card: their stamp balance and the barcode that finds it."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        CANCELED = "canceled", "Canceled"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="cards")
    card = models.ForeignKey(LoyaltyCard, on_delete=models.PROTECT, related_name="enrolments")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(max_length=32, help_text="The barcode value, unique in the store.")
    stamps_count = models.IntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    pass_installed = models.BooleanField(default=False)
    last_stamped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "customer card"
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "card"],
                name="enrolment_one_per_card",
                violation_error_message="The customer is already enrolled in this card.",
            ),
            models.UniqueConstraint(
                fields=["store", "code"],
                name="enrolment_code_unique_per_store",
                violation_error_message="Another card of the store has this code.",
            ),
            models.CheckConstraint(
                condition=Q(stamps_count__gte=0), name="enrolment_stamps_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "expired", "canceled"]),
                name="enrolment_status_valid",
            ),
        ]
        # A code typed in the admin's search, over every store: the unique index starts with
        # the store (a read of every enrolment, 50 ms at 500,000, without this one).
        indexes = [models.Index(fields=["code"], name="enrolment_code")]

    def __str__(self):
        return f"{self.card} · {self.code}"

    @property
    def is_expired(self) -> bool:
        """Expired by status, by the enrolment's own date, or because the programme ended
        (its end may have moved since enrolment). Lists select_related("card")."""
        if self.status == self.Status.EXPIRED:
            return True
        now = timezone.now()
        ends = [self.expires_at, self.card.expires_at]
        return any(end is not None and end <= now for end in ends)

    @property
    def effective_status(self) -> str:
        if self.status == self.Status.ACTIVE and self.is_expired:
            return self.Status.EXPIRED
        return self.status


class StampEntry(models.Model):
    """The ledger: every change of a balance, with the balance it left. Summing `delta` over an
    enrolment's entries always gives its `stamps_count`."""

    class Kind(models.TextChoices):
        WELCOME = "welcome", "Welcome bonus"
        STAMP = "stamp", "Stamp"
        REDEEM = "redeem", "Redemption"
        ADJUST = "adjust", "Adjustment"
        EXPIRE = "expire", "Expiry"

    enrolment = models.ForeignKey(CustomerCard, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    delta = models.IntegerField()
    balance_after = models.IntegerField()
    reward = models.ForeignKey(
        Reward, on_delete=models.SET_NULL, null=True, blank=True, related_name="redemptions"
    )
    reward_name = models.CharField(max_length=100, blank=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_api_key = models.ForeignKey(
        ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=255, blank=True)
    # Where it happened: the card's own store, or for a network's card the member store at
    # whose counter it was made (null when the network acted without a store).
    store = models.ForeignKey(
        Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "stamp entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="stampentry_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["welcome", "stamp", "redeem", "adjust", "expire"]),
                name="stampentry_kind_valid",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["welcome", "stamp"], delta__gt=0)
                    | Q(kind__in=["redeem", "expire"], delta__lte=0)
                    | Q(kind="adjust")
                ),
                name="stampentry_delta_sign",
            ),
        ]
        indexes = [
            models.Index(fields=["enrolment", "-created_at"], name="stampentry_enrolment"),
            models.Index(fields=["kind", "-created_at"], name="stampentry_kind_created"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.delta:+d} → {self.balance_after}"
