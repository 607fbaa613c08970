from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from stores.identifiers import new_public_id
from stores.models import ApiKey, Store


def customer_public_id():
    return new_public_id("customer")


def place_public_id():
    return new_public_id("place")


def device_public_id():
    return new_public_id("device")


def customer_photo_path(instance, filename):
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"customers/{instance.store_id}/{new_public_id('photo')}.{ext}"


class Tag(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="customer_tags")
    name = models.CharField(max_length=64)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "store",
                Lower("name"),
                name="tag_name_unique_per_store",
                violation_error_message="A tag with this name already exists.",
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="tag_name_not_blank",
                violation_error_message="Enter a tag name.",
            ),
        ]

    def __str__(self):
        return self.name


class CustomerGroup(models.Model):
    """A named group of an account's customers ("Wholesale", "Staff"): a customer is in at
    most one (Customer.customer_group)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="customer_groups")
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                "store",
                Lower("name"),
                name="customer_group_name_unique_per_store",
                violation_error_message="A group with this name already exists.",
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="customer_group_name_not_blank",
                violation_error_message="Enter a group name.",
            ),
        ]

    def __str__(self):
        return self.name


class Customer(models.Model):
    class Status(models.TextChoices):
        PROSPECT = "prospect", "Prospect"  # no order yet
        ACQUIRED = "acquired", "Acquired"  # one order
        REPEAT = "repeat", "Repeat"  # two or more orders

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="customers")
    public_id = models.CharField(
        max_length=40, unique=True, default=customer_public_id, editable=False
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    # Stored lower-cased; "" when unknown. Unique per store, whatever the case.
    email = models.EmailField(max_length=254, blank=True)
    # E.164 (+15551234567); "" when unknown. Unique per store.
    phone = models.CharField(max_length=20, blank=True)
    # When the customer last proved the email / phone is theirs with a code (registration, SMS
    # login, a confirmed change) or a provider's verified email; null when staff set it or it
    # was never proven (every row from before these columns). Social sign-in links only
    # through a verified email.
    email_verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    phone_verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A new email / phone the customer asked for, not theirs until they send the code it was
    # sent; "" when none. Unique nowhere: a pending contact blocks nobody.
    pending_email = models.EmailField(max_length=254, blank=True, editable=False)
    pending_phone = models.CharField(max_length=20, blank=True, editable=False)
    photo = models.ImageField(upload_to=customer_photo_path, blank=True)
    slug = models.SlugField(max_length=120)
    birthday = models.DateField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers")
    # Indexed with the store (customer_store_group) for the lists' filter.
    customer_group = models.ForeignKey(
        CustomerGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customers",
        db_index=False,
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROSPECT)
    is_guest = models.BooleanField(
        default=False, help_text="Created by a checkout without an account; cannot log in."
    )
    password = models.CharField(max_length=128, null=True, blank=True, editable=False)
    total_orders_count = models.PositiveIntegerField(default=0, editable=False)
    last_login_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(first_name=""),
                name="customer_first_name_required",
                violation_error_message="Enter a first name.",
            ),
            # A closed account has its personal data erased, so only open ones need a contact.
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(phone="") | Q(closed_at__isnull=False),
                name="customer_email_or_phone",
                violation_error_message="Enter an email or a phone number.",
            ),
            models.CheckConstraint(
                condition=Q(phone="") | Q(phone__startswith="+"),
                name="customer_phone_e164",
                violation_error_message="Use international format, like +14155550123.",
            ),
            models.UniqueConstraint(
                "store",
                Lower("email"),
                condition=~Q(email=""),
                name="customer_email_unique_per_store",
                violation_error_message="A customer with this email already exists.",
            ),
            models.UniqueConstraint(
                fields=["store", "phone"],
                condition=~Q(phone=""),
                name="customer_phone_unique_per_store",
                violation_error_message="A customer with this phone number already exists.",
            ),
            models.UniqueConstraint(
                fields=["store", "slug"], name="customer_slug_unique_per_store"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["prospect", "acquired", "repeat"]),
                name="customer_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(total_orders_count__gte=0), name="customer_orders_count_not_negative"
            ),
        ]
        # One index per list order (customers.selectors.CUSTOMER_SORTS), with every key of the
        # order: a page, or the page after a row (keyset), is then a walk of its index from
        # there. With the first key only, PostgreSQL sorted each group of equal first keys
        # (every "Ada", every customer with 0 orders) for one page: 150-450 ms at 1,000,000.
        indexes = [
            models.Index(fields=["store", "-created_at", "-id"], name="customer_store_created"),
            models.Index(fields=["store", "last_name", "first_name"], name="customer_store_name"),
            models.Index(
                fields=["store", "first_name", "last_name", "id"], name="customer_store_first_name"
            ),
            models.Index(fields=["store", "email", "id"], name="customer_store_email"),
            models.Index(
                fields=["store", "total_orders_count", "id"], name="customer_store_orders"
            ),
            models.Index(fields=["store", "status"], name="customer_store_status"),
            models.Index(fields=["store", "customer_group"], name="customer_store_group"),
            # Lower(email) is covered by the unique constraint's index; phone likewise.
        ]

    def __str__(self):
        return self.name or self.public_id

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def has_password(self) -> bool:
        return bool(self.password)

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    def check_password(self, raw_password: str) -> bool:
        if not self.password:
            return False
        return check_password(raw_password, self.password)


class ExternalReference(models.Model):
    """An id this customer has in another system (ERP, CRM, POS), unique per store and source."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="external_references"
    )
    source = models.CharField(max_length=64)
    external_id = models.CharField(max_length=191)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["source", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "source", "external_id"],
                name="extref_unique_per_store",
                violation_error_message="This external id already belongs to a customer.",
            ),
            models.CheckConstraint(
                condition=~Q(source="") & ~Q(external_id=""), name="extref_not_blank"
            ),
        ]

    def __str__(self):
        return f"{self.source}:{self.external_id}"


class SocialIdentity(models.Model):
    """A verified Apple / Google / Facebook subject that signs this customer in."""

    class Provider(models.TextChoices):
        APPLE = "apple", "Apple"
        GOOGLE = "google", "Google"
        FACEBOOK = "facebook", "Facebook"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="social_identities"
    )
    provider = models.CharField(max_length=16, choices=Provider.choices)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "social identities"
        constraints = [
            models.UniqueConstraint(
                fields=["store", "provider", "subject"], name="social_identity_unique_per_store"
            ),
        ]

    def __str__(self):
        return f"{self.provider}:{self.subject}"


SNAPSHOT_FIELDS = (
    "name",
    "street1",
    "street2",
    "city",
    "province",
    "postal_code",
    "country",
    "neighborhood",
    "district",
    "building",
    "security_access_code",
    "phone",
    "instructions",
)


class Address(models.Model):
    """A saved place (Fleetbase "place"): where a customer wants things delivered."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    public_id = models.CharField(
        max_length=40, unique=True, default=place_public_id, editable=False
    )
    name = models.CharField(max_length=100, blank=True, help_text="Home, Office …")
    street1 = models.CharField(max_length=255)
    street2 = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    province = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    neighborhood = models.CharField(max_length=100, blank=True)
    district = models.CharField(max_length=100, blank=True)
    building = models.CharField(max_length=100, blank=True)
    security_access_code = models.CharField(max_length=64, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    instructions = models.TextField(blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "created_at", "id"]
        verbose_name_plural = "addresses"
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(is_default=True),
                name="address_one_default",
                violation_error_message="The customer already has a default address.",
            ),
            models.CheckConstraint(
                condition=~Q(street1=""),
                name="address_street1_required",
                violation_error_message="Enter a street address.",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__isnull=False,
                    longitude__isnull=False,
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="address_location_valid",
                violation_error_message="Give a latitude and a longitude on Earth, or neither.",
            ),
        ]

    def __str__(self):
        return self.one_line

    @property
    def one_line(self) -> str:
        parts = [
            self.street1,
            self.street2,
            self.city,
            self.province,
            self.postal_code,
            self.country,
        ]
        return ", ".join(part for part in parts if part)

    @property
    def location(self):
        if self.latitude is None or self.longitude is None:
            return None
        return {"type": "Point", "coordinates": [float(self.longitude), float(self.latitude)]}

    def snapshot(self) -> dict:
        """The address as plain data, for an order to keep after the address changes."""
        data = {field: getattr(self, field) for field in SNAPSHOT_FIELDS}
        data["location"] = self.location
        return data


class Device(models.Model):
    """A push-notification token registered by a shopper's app."""

    class Platform(models.TextChoices):
        IOS = "ios", "iOS"
        ANDROID = "android", "Android"
        WEB = "web", "Web"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="devices")
    public_id = models.CharField(
        max_length=40, unique=True, default=device_public_id, editable=False
    )
    token = models.CharField(max_length=512)
    platform = models.CharField(max_length=16, choices=Platform.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store", "token"], name="device_token_unique_per_store"
            ),
            models.CheckConstraint(
                condition=Q(platform__in=["ios", "android", "web"]), name="device_platform_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_platform_display()} device of {self.customer_id}"


class VerificationCode(models.Model):
    """A 6-digit code sent to an identity for one purpose; stored hashed, single use."""

    class Purpose(models.TextChoices):
        CREATE = "create", "Create an account"
        LOGIN = "login", "Log in"
        CLOSURE = "closure", "Close the account"
        CONTACT_CHANGE = "contact_change", "Confirm a new email or phone"

    MAX_ATTEMPTS = 5

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    identity = models.CharField(max_length=254, help_text="Normalised e-mail or E.164 phone.")
    code_hash = models.CharField(max_length=128, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(attempts__gte=0) & Q(attempts__lte=5),
                name="verification_attempts_bounded",
            ),
        ]
        indexes = [
            models.Index(
                fields=["store", "identity", "purpose", "-created_at"],
                name="verification_lookup",
            ),
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} code for {self.identity}"


class CustomerToken(models.Model):
    """A shopper's session (the `Customer-Token` header). Only a SHA-256 of it is kept."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tokens")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["customer", "revoked_at"], name="token_customer_live")]

    def __str__(self):
        return f"token of {self.customer_id}"


class OutboundMessage(models.Model):
    """A message to a customer (a code, card links, a stamp notification): written in the
    transaction that asks for it, sent by a job after the commit (customers.tasks).

    `key` is unique, so asking twice for one message writes one row, and the job sends a row
    only from `pending` (a conditional UPDATE claims it): a retried or duplicated job never
    sends it twice. The text is kept only until it is sent or has failed (a code is in it).
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "SMS"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    key = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=64, help_text="What it is: a login code, card links...")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "sent", "failed"]),
                name="message_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="message_status")]

    def __str__(self):
        return f"{self.kind} by {self.get_channel_display()} to {self.to} ({self.status})"


class CustomerEvent(models.Model):
    """One line of a customer's timeline: what happened, who did it, when.

    The customer link is kept nullable so the store's record of a deletion outlives the
    customer; the actor is either a staff user or the customer themself, never both.
    """

    class Type(models.TextChoices):
        """Every kind of event; services pass a member, never a string (event_record checks)."""

        CREATED = "created", "Customer created"
        UPDATED = "updated", "Customer updated"
        DELETED = "deleted", "Customer deleted"
        CLOSED = "closed", "Account closed"
        REGISTERED = "registered", "Registered an account"
        LOGGED_IN = "logged_in", "Logged in"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        CONTACT_CHANGE_REQUESTED = "contact_change_requested", "Contact change requested"
        CONTACT_CHANGED = "contact_changed", "Contact change confirmed"
        ADDRESS_ADDED = "address_added", "Address added"
        ADDRESS_UPDATED = "address_updated", "Address updated"
        ADDRESS_DELETED = "address_deleted", "Address deleted"
        ADDRESS_DEFAULT_SET = "address_default_set", "Default address changed"
        ORDER_PLACED = "order_placed", "Order placed"
        CARD_ENROLLED = "card_enrolled", "Enrolled in a loyalty card"
        STAMPS_ADDED = "stamps_added", "Stamps added"
        REWARD_REDEEMED = "reward_redeemed", "Reward redeemed"
        STAMPS_ADJUSTED = "stamps_adjusted", "Stamps adjusted"
        CARD_EXPIRED = "card_expired", "Loyalty card expired"
        REVIEW_POSTED = "review_posted", "Review posted"
        REVIEW_PUBLISHED = "review_published", "Review published"
        REVIEW_HIDDEN = "review_hidden", "Review hidden"
        REVIEW_DELETED = "review_deleted", "Review deleted"
        MESSAGE_FAILED = "message_failed", "Message not delivered"
        NOTE = "note", "Note added"
        NOTE_CHANGED = "note_changed", "Note changed"
        NOTE_DELETED = "note_deleted", "Note deleted"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    type = models.CharField(max_length=32, choices=Type.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A back office acting through the management API with this secret key.
    actor_api_key = models.ForeignKey(
        ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(actor_user__isnull=True, actor_customer__isnull=True)
                    | Q(actor_user__isnull=True, actor_api_key__isnull=True)
                    | Q(actor_customer__isnull=True, actor_api_key__isnull=True)
                ),
                name="event_single_actor",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="event_customer_timeline"),
            models.Index(fields=["store", "type", "-created_at"], name="event_store_type"),
        ]

    def __str__(self):
        return f"{self.get_type_display()} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def actor_label(self) -> str:
        if self.actor_user_id:
            return self.actor_user.get_full_name() or self.actor_user.get_username()
        if self.actor_customer_id:
            return "the customer"
        if self.actor_api_key_id:
            name = self.actor_api_key.name
            return f"API key {name}" if name else f"API key {self.actor_api_key.prefix}…"
        return "the system"


class CustomerNote(models.Model):
    """A staff note on a customer: written by a staff member (console) or a back office (the
    management API's key); pinned notes come first. Never shown to the shopper."""

    BODY_MAX_LENGTH = 5000

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes")
    body = models.TextField()
    pinned = models.BooleanField(default=False)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_api_key = models.ForeignKey(
        ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-pinned", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(author_user__isnull=False, author_api_key__isnull=False),
                name="note_single_author",
            ),
        ]
        indexes = [
            models.Index(
                fields=["customer", "-pinned", "-created_at", "-id"], name="note_customer_order"
            ),
        ]

    def __str__(self):
        return self.body[:60]

    @property
    def author_label(self) -> str:
        if self.author_user_id:
            return self.author_user.get_full_name() or self.author_user.get_username()
        if self.author_api_key_id:
            name = self.author_api_key.name
            return f"API key {name}" if name else f"API key {self.author_api_key.prefix}…"
        return "a former member"
