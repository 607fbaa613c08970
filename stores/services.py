"""Creating stores and their keys."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from stores.identifiers import hash_secret, new_secret
from stores.models import ApiKey, Store

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


def store_create(*, name: str, slug: str = "", **fields) -> NewStore:
    """Create a store with one publishable and one secret key; the raw keys exist only in the
    returned value."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Enter a store name."]})
    with transaction.atomic():
        store = Store.objects.create(name=name, slug=slug or _unique_store_slug(name), **fields)
        publishable = api_key_create(store=store, kind=ApiKey.Kind.PUBLISHABLE, name="Default")
        secret = api_key_create(store=store, kind=ApiKey.Kind.SECRET, name="Default")
    return NewStore(store=store, publishable_key=publishable.raw, secret_key=secret.raw)
