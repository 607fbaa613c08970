import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.timezone import now

from stores.identifiers import new_public_id
from stores.standards import currency_choices, phone_region_choices, timezone_choices


def store_public_id():
    return new_public_id("store")


def network_public_id():
    return new_public_id("network")


def product_public_id():
    return new_public_id("product")


class Store(models.Model):
    """An account: the tenant that owns customers, cards, reviews and settings, and has keys and
    members. Most accounts are stores. A network (kind "network") is an account too, whose
    customers and cards are shared by its member stores (`network` on each of them): everything
    that belongs to "the account" works for both; what happens at a counter (an order, a product,
    a stamp) belongs to a store."""

    class Kind(models.TextChoices):
        STORE = "store", "Store"
        NETWORK = "network", "Network"

    public_id = models.CharField(
        max_length=40, unique=True, default=store_public_id, editable=False
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.STORE)
    # The network this store is a member of (at most one); never set on a network.
    network = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="member_stores",
        limit_choices_to={"kind": "network"},
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    # The store's country, kept as the region phones without a country code belong to.
    phone_region = models.CharField(
        "country",
        max_length=2,
        default="US",
        choices=phone_region_choices,
        help_text="Phones typed without a country code are read as numbers of this country.",
    )
    currency = models.CharField(
        max_length=3,
        default="USD",
        choices=currency_choices,
        help_text="Orders and product prices are in this currency.",
    )
    timezone = models.CharField(
        "time zone",
        max_length=64,
        default="UTC",
        choices=timezone_choices,
        help_text="Daily limits and the dates on pages follow this time zone.",
    )
    reviews_enabled = models.BooleanField(default=True)
    # Social sign-in: tokens must be issued for one of these audiences (never the caller's word).
    apple_client_ids = models.JSONField(default=list, blank=True)
    google_client_ids = models.JSONField(default=list, blank=True)
    facebook_app_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["store", "network"]), name="store_kind_valid"
            ),
            # A network is not a member of a network.
            models.CheckConstraint(
                condition=Q(kind="store") | Q(network__isnull=True), name="network_has_no_network"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def tzinfo(self):
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def is_network(self) -> bool:
        return self.kind == self.Kind.NETWORK


class StoreMembership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MANAGER = "manager", "Manager"
        STAFF = "staff", "Staff"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="store_memberships"
    )
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["store__name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "store"],
                name="membership_one_per_store",
                violation_error_message="This user is already a member of the store.",
            ),
            models.CheckConstraint(
                condition=Q(role__in=["owner", "manager", "staff"]), name="membership_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.store} ({self.get_role_display()})"


class ApiKey(models.Model):
    """An account's key (a store's or a network's). Only a SHA-256 of the key is kept; `prefix`
    is what a person can read."""

    class Kind(models.TextChoices):
        PUBLISHABLE = "publishable", "Publishable (shopper API)"
        SECRET = "secret", "Secret (management API)"

    PREFIXES = {Kind.PUBLISHABLE: "store_", Kind.SECRET: "sk_"}
    # A network's publishable key says so; its secret key looks like a store's.
    NETWORK_PUBLISHABLE_PREFIX = "network_"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="api_keys")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, help_text="The first characters, to tell keys apart.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["publishable", "secret"]), name="apikey_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.prefix}… ({self.get_kind_display()})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def prefix_for(cls, kind: str, store: "Store") -> str:
        if kind == cls.Kind.PUBLISHABLE and store.is_network:
            return cls.NETWORK_PUBLISHABLE_PREFIX
        return cls.PREFIXES[cls.Kind(kind)]


class Product(models.Model):
    """What orders and reviews point at; prices come from here, never from a shopper."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="products")
    public_id = models.CharField(
        max_length=40, unique=True, default=product_public_id, editable=False
    )
    name = models.CharField(max_length=200)
    sku = models.CharField("SKU", max_length=64, blank=True)
    description = models.TextField(blank=True)
    price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(
        max_length=3,
        default="USD",
        choices=currency_choices,
        help_text="The store's currency: an order never adds prices of two currencies.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0),
                name="product_price_not_negative",
                violation_error_message="The price cannot be negative.",
            ),
            models.UniqueConstraint(
                "store",
                Lower("sku"),
                condition=~Q(sku=""),
                name="product_sku_unique_per_store",
                violation_error_message="Another product of the store has this SKU.",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "active", "name"], name="product_store_active_name"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        store = self.store if self.store_id else None
        if store is not None and self.currency and self.currency != store.currency:
            raise ValidationError(
                {
                    "currency": [
                        f"Price the product in the store's currency, {store.currency}: "
                        "an order never adds prices of two currencies."
                    ]
                }
            )


class StoreInvitation(models.Model):
    """An invitation to work in a store, e-mailed as a link. Only a SHA-256 of the link's token
    is kept; it is used once, expires (INVITATION_TTL_DAYS) and can be revoked. The row is the
    record of who invited whom, and who accepted."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(help_text="Lower case: the invitation is bound to this address.")
    role = models.CharField(
        max_length=16, choices=StoreMembership.Role.choices, default=StoreMembership.Role.STAFF
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=now, editable=False)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_address",
                violation_error_message="This address already has an open invitation.",
            ),
            models.CheckConstraint(
                condition=Q(role__in=["owner", "manager", "staff"]), name="invitation_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_accepted_or_revoked",
            ),
        ]

    def __str__(self):
        return f"{self.email} → {self.store} ({self.get_role_display()})"

    def addressed_to(self, user) -> bool:
        """Whether `user`'s account has the invited address (whatever its case)."""
        return (user.email or "").strip().lower() == self.email
