"""Creating stores, their settings, keys, members (by invitation) and products."""

import logging
import zlib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from stores.identifiers import hash_secret, new_secret
from stores.models import (
    ApiKey,
    Product,
    Store,
    StoreInvitation,
    StoreMembership,
    network_public_id,
)
from stores.standards import COUNTRIES, CURRENCIES, PHONE_REGIONS, TIME_ZONES

logger = logging.getLogger(__name__)

VISIBLE_PREFIX_LENGTH = 12


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    raw: str  # shown once, never stored


def api_key_create(*, store: Store, kind: str, name: str = "") -> IssuedKey:
    """Issue a key: `store_…` (a network's: `network_…`; publishable) or `sk_…` (secret), 40+
    characters, stored hashed."""
    raw = new_secret(ApiKey.prefix_for(kind, store))
    api_key = ApiKey.objects.create(
        store=store,
        kind=kind,
        name=name,
        prefix=raw[:VISIBLE_PREFIX_LENGTH],
        key_hash=hash_secret(raw),
    )
    return IssuedKey(api_key=api_key, raw=raw)


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """The key is refused from the next request on, in every process (a cached lookup of it is
    forgotten when it is saved: "Key lookups, cached" below)."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def api_key_find(raw: str, *, kind: str) -> ApiKey | None:
    """The live key of `kind` matching `raw`, with its store, looked up by hash (never compared
    in clear). From the cache when the lookups are cached (below); otherwise from the database,
    and then the key's use is recorded (last_used_at, to LAST_USED_PRECISION)."""
    prefixes = (ApiKey.PREFIXES[ApiKey.Kind(kind)],)
    if kind == ApiKey.Kind.PUBLISHABLE:
        prefixes += (ApiKey.NETWORK_PUBLISHABLE_PREFIX,)
    if not raw or not raw.startswith(prefixes):
        return None
    key_hash = hash_secret(raw)
    seconds = api_key_cache_seconds()
    if seconds:
        entry = cache.get(_KEY_CACHE_PREFIX + key_hash)
        if isinstance(entry, tuple):  # not a tombstone
            api_key = _api_key_from_entry(entry)
            if api_key.kind == kind:
                return api_key
    found = list(
        ApiKey.objects.select_related("store")
        .filter(key_hash=key_hash, kind=kind, revoked_at__isnull=True)
        .order_by()[:1]
    )
    if not found:
        return None
    api_key = found[0]
    _api_key_used(api_key, cached_for=seconds)
    if seconds:
        # add, never set: a tombstone written by a revocation meanwhile stays.
        cache.add(_KEY_CACHE_PREFIX + key_hash, _api_key_entry(api_key), seconds)
    return api_key


# --- Key lookups, cached --------------------------------------------------------------------
#
# Every API request looks its key up. With API_KEY_CACHE_SECONDS (settings: 60 s with a
# shared cache, off otherwise), a found key and its store's row are kept in the cache for that
# long, and revocation stays exact: any
# save or delete of a key or a store (api_key_revoke, store_update, the admin, a shell, a store
# deleted with its keys) writes a tombstone over the cached lookups of the keys concerned, at
# once and again after the commit, whether or not this process caches lookups itself. A lookup
# that meets a tombstone asks the database, and a lookup writes its entry with `cache.add`,
# which never replaces a tombstone: so one that read the database just before a revocation
# committed cannot bring the key back. Only a write that bypasses the models' save and delete
# (QuerySet.update() or raw SQL on keys or stores) waits for the entries to expire.
# The cache must be one that every process shares (Redis): a tombstone written in a
# per-process cache (locmem) reaches no other process, so with several workers each would go
# on accepting a revoked key for up to API_KEY_CACHE_SECONDS.

LAST_USED_PRECISION = timedelta(minutes=5)
_TOMBSTONE = "forgotten"
# A tombstone only has to outlive a lookup that read the database before the revocation.
_TOMBSTONE_SECONDS = 60
_KEY_FIELDS = tuple(field.attname for field in ApiKey._meta.concrete_fields)
_STORE_FIELDS = tuple(field.attname for field in Store._meta.concrete_fields)
# The entries' shape follows the models: after a deploy that changes a field, none is read.
_SHAPE = zlib.crc32(" ".join(_KEY_FIELDS + _STORE_FIELDS).encode())
_KEY_CACHE_PREFIX = f"apikey:{_SHAPE:08x}:"


def api_key_cache_seconds() -> int:
    """How long a key lookup is cached (API_KEY_CACHE_SECONDS); 0 is never."""
    return getattr(settings, "API_KEY_CACHE_SECONDS", 0) or 0


def _api_key_entry(api_key: ApiKey) -> tuple:
    return (
        tuple(getattr(api_key, name) for name in _KEY_FIELDS),
        tuple(getattr(api_key.store, name) for name in _STORE_FIELDS),
    )


def _api_key_from_entry(entry: tuple) -> ApiKey:
    key_values, store_values = entry
    api_key = ApiKey.from_db(DEFAULT_DB_ALIAS, _KEY_FIELDS, key_values)
    api_key.store = Store.from_db(DEFAULT_DB_ALIAS, _STORE_FIELDS, store_values)
    return api_key


def _api_key_used(api_key: ApiKey, *, cached_for: int) -> None:
    """Record the use of a key read from the database. A key served from the cache writes
    nothing, so this writes ahead by the time the lookup may stay cached: last_used_at is
    never more than LAST_USED_PRECISION behind, and is written at most once in that time."""
    now = timezone.now()
    stale_after = max(LAST_USED_PRECISION - timedelta(seconds=cached_for), timedelta(0))
    if api_key.last_used_at is None or now - api_key.last_used_at > stale_after:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now


def _api_keys_forget(key_hashes) -> None:
    """Tombstones over the cached lookups of these keys, now and after the commit."""
    entries = dict.fromkeys((_KEY_CACHE_PREFIX + key_hash for key_hash in key_hashes), _TOMBSTONE)
    if entries:
        cache.set_many(entries, _TOMBSTONE_SECONDS)
        transaction.on_commit(lambda: cache.set_many(entries, _TOMBSTONE_SECONDS))


@receiver(post_save, sender=ApiKey, dispatch_uid="stores.api_key_saved")
@receiver(post_delete, sender=ApiKey, dispatch_uid="stores.api_key_deleted")
def _api_key_changed(sender, instance, created=False, **kwargs):
    # A cache-coherence hook, as django.contrib.sites clears its cache: no business rule.
    if not created:
        _api_keys_forget([instance.key_hash])


@receiver(post_save, sender=Store, dispatch_uid="stores.store_saved")
def _store_changed(sender, instance, created=False, **kwargs):
    # Lookups carry the store's row (about, time zone, country, reviews on or off).
    if not created:
        _api_keys_forget(ApiKey.objects.filter(store=instance).values_list("key_hash", flat=True))


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


# --- Networks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewNetwork:
    network: Store
    publishable_key: str
    secret_key: str
    stores: list[Store]


def network_create(*, name: str, store_ids=(), slug: str = "", **fields) -> NewNetwork:
    """Create a network (an account like a store, with a `network_…` publishable key and a secret
    key) and make the stores `store_ids` its members; the raw keys exist only in the returned
    value."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Enter a network name."]})
    fields = store_locale_clean(fields)
    with transaction.atomic():
        network = Store.objects.create(
            name=name,
            slug=slug or _unique_store_slug(name),
            kind=Store.Kind.NETWORK,
            public_id=network_public_id(),
            **fields,
        )
        stores = network_stores_add(network=network, store_ids=store_ids)
        publishable = api_key_create(store=network, kind=ApiKey.Kind.PUBLISHABLE, name="Default")
        secret = api_key_create(store=network, kind=ApiKey.Kind.SECRET, name="Default")
    return NewNetwork(
        network=network,
        publishable_key=publishable.raw,
        secret_key=secret.raw,
        stores=stores,
    )


def network_stores_add(*, network: Store, store_ids) -> list[Store]:
    """Make the stores `store_ids` members of `network`. A store belongs to at most one network,
    and a network is never a member."""
    if not network.is_network:
        raise ValidationError({"network": ["Only a network has member stores."]})
    store_ids = list(dict.fromkeys(store_ids))
    with transaction.atomic():
        stores = list(Store.objects.select_for_update().filter(pk__in=store_ids).order_by("pk"))
        errors = []
        missing = sorted(set(store_ids) - {store.pk for store in stores})
        if missing:
            errors.append(f"No store with the id {', '.join(map(str, missing))}.")
        for store in stores:
            if store.is_network:
                errors.append(f"{store.name} (id {store.pk}) is a network, not a store.")
            elif store.network_id not in (None, network.pk):
                errors.append(
                    f"{store.name} (id {store.pk}) is already a member of another network."
                )
        if errors:
            raise ValidationError({"stores": errors})
        Store.objects.filter(pk__in=[store.pk for store in stores]).update(network=network)
        for store in stores:
            store.network = network
    return stores


def network_store_remove(*, store: Store) -> Store:
    """The store leaves its network. The network's customers stay the network's; their orders at
    the store stay the store's."""
    Store.objects.filter(pk=store.pk).update(network=None)
    store.network = None
    return store


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


# --- Invitations ----------------------------------------------------------------------------
#
# A person joins a store by opening a link e-mailed to their address. The owner who invites
# learns nothing about the address (whether anyone uses it, in which store): the answer, the
# work done and the e-mail are the same for every address. Only a SHA-256 of the link's token
# is kept; the link works once, until INVITATION_TTL_DAYS pass or the owner revokes it.

INVITATION_INVALID = "This invitation is no longer valid."


def _normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _open_invitations():
    return StoreInvitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def invitation_url(token: str) -> str:
    """The absolute link of an invitation (SITE_URL: it is sent outside any request)."""
    path = reverse("console:invitation_accept", args=[token])
    return settings.SITE_URL.rstrip("/") + path


def _invitation_send(*, invitation: StoreInvitation, token: str) -> None:
    context = {
        "store": invitation.store,
        "role": invitation.get_role_display(),
        "email": invitation.email,
        "url": invitation_url(token),
        "expires_at": invitation.expires_at,
        "ttl_days": settings.INVITATION_TTL_DAYS,
    }
    subject = render_to_string("console/email/invitation_subject.txt", context)
    body = render_to_string("console/email/invitation.txt", context)
    send_mail(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [invitation.email])


def invitation_create(*, store: Store, email: str, role: str, invited_by) -> StoreInvitation:
    """Invite `email` to work in `store` with `role`: an open invitation to the same address is
    revoked (the new one replaces it), and the link is e-mailed once the invitation is committed.

    Whether the address belongs to an account, here or in another store, is never looked up, so
    the answer is the same for every address; only an address of this store's own members (the
    owner sees them on the members page) is refused."""
    email = _normalise_email(email)
    errors = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter a valid email address."]
    if len(email) > StoreInvitation._meta.get_field("email").max_length:
        errors["email"] = ["An email address has at most 254 characters."]
    if role not in StoreMembership.Role.values:
        errors["role"] = ["Choose owner, manager or staff."]
    if errors:
        raise ValidationError(errors)
    token = new_secret()
    with transaction.atomic():
        # One invitation at a time per store: re-inviting the same address twice at once
        # would otherwise trip the "one open invitation" constraint.
        Store.objects.select_for_update().get(pk=store.pk)
        if StoreMembership.objects.filter(store=store, user__email__iexact=email).exists():
            raise ValidationError({"email": ["Someone with this address is already a member."]})
        now = timezone.now()
        StoreInvitation.objects.filter(
            store=store, email=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        invitation = StoreInvitation.objects.create(
            store=store,
            email=email,
            role=role,
            token_hash=hash_secret(token),
            invited_by=invited_by,
            created_at=now,
            expires_at=now + timedelta(days=settings.INVITATION_TTL_DAYS),
        )
        # The raw token lives only in this closure and in the e-mail. robust: a mail server
        # failure is logged, not a 500 after the invitation was saved (inviting again resends).
        transaction.on_commit(
            lambda: _invitation_send(invitation=invitation, token=token), robust=True
        )
    logger.info(
        "Invitation %s to store %s (%s) created by user %s",
        invitation.pk,
        store.pk,
        role,
        getattr(invited_by, "pk", None),
    )
    return invitation


def invitation_find(token: str) -> StoreInvitation | None:
    """The open invitation whose link carries `token`, or None (unknown, used, revoked or
    expired: the caller cannot tell which, and should not say)."""
    if not token:
        return None
    return _open_invitations().select_related("store").filter(token_hash=hash_secret(token)).first()


def invitation_revoke(*, invitation: StoreInvitation) -> StoreInvitation:
    """Its link stops working now; an accepted invitation stays accepted."""
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        logger.info("Invitation %s to store %s revoked", invitation.pk, invitation.store_id)
    return invitation


def _invitation_use(*, token: str, user) -> StoreInvitation:
    """Mark the open invitation of `token` accepted by `user`, atomically (a link works once,
    however many requests race for it); ValidationError INVITATION_INVALID otherwise."""
    invitation = invitation_find(token)
    if invitation is None:
        raise ValidationError(INVITATION_INVALID, code="invitation_invalid")
    used = (
        _open_invitations()
        .filter(pk=invitation.pk)
        .update(accepted_at=timezone.now(), accepted_by=user)
    )
    if used != 1:
        raise ValidationError(INVITATION_INVALID, code="invitation_invalid")
    return invitation


def invitation_accept_new_user(*, token: str, username: str, password: str):
    """Create a staff account with the invitation's address, `username` and `password`, and
    make it a member of the store with the invited role. Returns the membership.

    The username follows Django's rules and is unique whatever its case; the password passes
    AUTH_PASSWORD_VALIDATORS. A link that no longer works raises ValidationError with the code
    "invitation_invalid", and nothing is created."""
    invitation = invitation_find(token)
    if invitation is None:
        raise ValidationError(INVITATION_INVALID, code="invitation_invalid")
    User = get_user_model()
    username = User.normalize_username((username or "").strip())
    user = User(username=username, email=invitation.email)
    errors = {}
    try:
        user.full_clean(exclude=["password"], validate_unique=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if "username" not in errors and User.objects.filter(username__iexact=username).exists():
        errors["username"] = ["This username is taken: choose another."]
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    with transaction.atomic():
        user.save()
        invitation = _invitation_use(token=token, user=user)
        membership = StoreMembership.objects.create(
            store=invitation.store, user=user, role=invitation.role
        )
    logger.info(
        "Invitation %s accepted: new user %s joined store %s",
        invitation.pk,
        user.pk,
        invitation.store_id,
    )
    return membership


def invitation_accept_existing_user(*, token: str, user) -> StoreMembership:
    """Make the signed-in `user` a member of the invitation's store with the invited role.

    The invitation is bound to its address: the user's account must have it (whatever its
    case). A member of the store already is refused (their role changes on the members page).
    A link that no longer works raises ValidationError with the code "invitation_invalid"."""
    invitation = invitation_find(token)
    if invitation is None:
        raise ValidationError(INVITATION_INVALID, code="invitation_invalid")
    if not invitation.addressed_to(user):
        raise ValidationError(
            f"This invitation was sent to {invitation.email}. Sign in with the account that "
            "has this address, or sign out and create a new account.",
            code="other_address",
        )
    with transaction.atomic():
        if StoreMembership.objects.filter(store=invitation.store, user=user).exists():
            raise ValidationError(
                f"You are already a member of {invitation.store.name}.", code="already_member"
            )
        invitation = _invitation_use(token=token, user=user)
        membership = StoreMembership.objects.create(
            store=invitation.store, user=user, role=invitation.role
        )
    logger.info(
        "Invitation %s accepted: user %s joined store %s",
        invitation.pk,
        user.pk,
        invitation.store_id,
    )
    return membership


# --- Products -------------------------------------------------------------------------------


def product_save(*, product: Product) -> Product:
    """Save a product of the catalogue (new or changed). Its price is in its store's currency,
    so an order never adds prices of two currencies; the model's checks all run first."""
    product.full_clean()
    product.save()
    return product
