"""Creating stores, their settings, keys, members and products."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from stores.identifiers import hash_secret, new_secret
from stores.models import ApiKey, Product, Store, StoreMembership
from stores.standards import COUNTRIES, CURRENCIES, PHONE_REGIONS, TIME_ZONES

VISIBLE_PREFIX_LENGTH = 12


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    raw: str  # shown once, never stored


def api_key_create(*, store: Store, kind: str, name: str = "") -> IssuedKey:
    """Issue a key: `store_…` (publishable) or `sk_…` (secret), 40+ characters, stored hashed."""
    raw = new_secret(ApiKey.PREFIXES[ApiKey.Kind(kind)])
    api_key = ApiKey.objects.create(
        store=store,
        kind=kind,
        name=name,
        prefix=raw[:VISIBLE_PREFIX_LENGTH],
        key_hash=hash_secret(raw),
    )
    return IssuedKey(api_key=api_key, raw=raw)


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def api_key_find(raw: str, *, kind: str) -> ApiKey | None:
    """The live key of `kind` matching `raw`, looked up by hash (never compared in clear)."""
    if not raw or not raw.startswith(ApiKey.PREFIXES[ApiKey.Kind(kind)]):
        return None
    return (
        ApiKey.objects.select_related("store")
        .filter(key_hash=hash_secret(raw), kind=kind, revoked_at__isnull=True)
        .first()
    )


def _unique_store_slug(name: str) -> str:
    base = slugify(name)[:70] or "store"
    slug, n = base, 2
    while Store.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@dataclass(frozen=True)
class NewStore:
    store: Store
    publishable_key: str
    secret_key: str


def store_locale_clean(data: dict) -> dict:
    """`data` with its phone_region, currency and timezone checked against ISO 3166-1, ISO 4217
    and the IANA zones, codes in capitals; a ValidationError names each field refused.

    The store's country is also the region of phones typed without a country code, so it must
    be a country with phone numbers of its own: Antarctica, Bouvet Island and the like (their
    phones are other countries' numbers) are refused with that reason."""
    cleaned, errors = dict(data), {}
    if "phone_region" in cleaned:
        region = cleaned["phone_region"] = str(cleaned["phone_region"] or "").strip().upper()
        if region not in COUNTRIES:
            errors["phone_region"] = ["Choose a country from the list (ISO 3166-1, like US)."]
        elif region not in PHONE_REGIONS:
            errors["phone_region"] = [
                f"{COUNTRIES[region]} has no phone numbers of its own: choose the country whose "
                "phone numbers the store's customers have."
            ]
    if "currency" in cleaned:
        currency = cleaned["currency"] = str(cleaned["currency"] or "").strip().upper()
        if currency not in CURRENCIES:
            errors["currency"] = ["Choose a currency from the list (ISO 4217, like USD)."]
    if "timezone" in cleaned:
        zone = cleaned["timezone"] = str(cleaned["timezone"] or "").strip()
        if zone not in TIME_ZONES:
            errors["timezone"] = ["Choose a time zone from the list (like America/New_York)."]
    if errors:
        raise ValidationError(errors)
    return cleaned


def store_create(*, name: str, slug: str = "", **fields) -> NewStore:
    """Create a store with one publishable and one secret key; the raw keys exist only in the
    returned value. The country, currency and time zone are checked (store_locale_clean)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Enter a store name."]})
    fields = store_locale_clean(fields)
    with transaction.atomic():
        store = Store.objects.create(name=name, slug=slug or _unique_store_slug(name), **fields)
        publishable = api_key_create(store=store, kind=ApiKey.Kind.PUBLISHABLE, name="Default")
        secret = api_key_create(store=store, kind=ApiKey.Kind.SECRET, name="Default")
    return NewStore(store=store, publishable_key=publishable.raw, secret_key=secret.raw)


# --- Settings and members -------------------------------------------------------------------

STORE_SETTINGS = {"name", "phone_region", "currency", "timezone", "reviews_enabled"}


def store_update(*, store: Store, data: dict) -> Store:
    """Change the store's settings named in `data`; the country, currency and time zone come
    from the standard lists (store_locale_clean). Products priced in an old currency stay as
    they are, and cannot be ordered until they are priced in the new one (order_create)."""
    unknown = set(data) - STORE_SETTINGS
    if unknown:
        raise ValidationError(
            {field: ["This setting cannot be changed here."] for field in unknown}
        )
    errors = {}
    if "name" in data and not (data["name"] or "").strip():
        errors["name"] = ["Enter a store name."]
    try:
        data = store_locale_clean(data)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    for field, value in data.items():
        setattr(store, field, value.strip() if isinstance(value, str) else value)
    store.full_clean(exclude=["slug", "apple_client_ids", "google_client_ids", "facebook_app_id"])
    store.save()
    return store


def membership_add(*, store: Store, user, role: str) -> StoreMembership:
    if StoreMembership.objects.filter(store=store, user=user).exists():
        raise ValidationError({"user": ["This person is already a member of the store."]})
    if role not in StoreMembership.Role.values:
        raise ValidationError({"role": ["Choose owner, manager or staff."]})
    return StoreMembership.objects.create(store=store, user=user, role=role)


def _owners_left(store: Store, *, without: StoreMembership) -> int:
    return (
        StoreMembership.objects.filter(store=store, role=StoreMembership.Role.OWNER)
        .exclude(pk=without.pk)
        .count()
    )


def membership_change_role(*, membership: StoreMembership, role: str) -> StoreMembership:
    """Change a member's role; a store always keeps at least one owner."""
    if role not in StoreMembership.Role.values:
        raise ValidationError({"role": ["Choose owner, manager or staff."]})
    with transaction.atomic():
        if (
            membership.role == StoreMembership.Role.OWNER
            and role != StoreMembership.Role.OWNER
            and not _owners_left(membership.store, without=membership)
        ):
            raise ValidationError({"role": ["The store needs at least one owner."]})
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def membership_remove(*, membership: StoreMembership) -> None:
    """Remove a member; the last owner cannot be removed."""
    with transaction.atomic():
        if membership.role == StoreMembership.Role.OWNER and not _owners_left(
            membership.store, without=membership
        ):
            raise ValidationError("The store needs at least one owner.")
        membership.delete()


# --- Products -------------------------------------------------------------------------------


def product_save(*, product: Product) -> Product:
    """Save a product of the catalogue (new or changed). Its price is in its store's currency,
    so an order never adds prices of two currencies; the model's checks all run first."""
    product.full_clean()
    product.save()
    return product
