"""Shopper sessions (the `Customer-Token` header): random, stored as a SHA-256, expiring."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from customers.models import Customer, CustomerToken
from stores.identifiers import hash_secret, new_secret

LAST_USED_PRECISION = timedelta(minutes=5)


def customer_token_issue(*, customer: Customer) -> str:
    """A new session for `customer`; the raw token is returned once and never stored."""
    raw = new_secret(nbytes=32)
    CustomerToken.objects.create(
        customer=customer,
        key_hash=hash_secret(raw),
        expires_at=timezone.now() + timedelta(days=settings.CUSTOMER_TOKEN_TTL_DAYS),
    )
    Customer.objects.filter(pk=customer.pk).update(last_login_at=timezone.now())
    return raw


def customer_token_find(raw: str, *, store) -> CustomerToken | None:
    """The live token `raw` of an open account of `store`, or None; its customer comes in the
    same query, with `store` as their store.

    Not cached, unlike store keys: the customer row is needed anyway (it is what the views
    act on), so one query checks the token and brings the customer, and a revoked token or a
    closed or deleted account is refused by the very next request, whichever process serves it."""
    if not raw or len(raw) > 200:
        return None
    found = list(
        CustomerToken.objects.select_related("customer", "customer__customer_group")
        .filter(
            key_hash=hash_secret(raw),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            customer__store=store,
            customer__closed_at__isnull=True,
        )
        .order_by()[:1]
    )
    if not found:
        return None
    token = found[0]
    token.customer.store = store
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        CustomerToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def customer_token_revoke(*, token: CustomerToken) -> None:
    CustomerToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def customer_tokens_revoke_all(*, customer: Customer, keep: CustomerToken | None = None) -> int:
    """End every session of `customer` (but `keep`, if given); returns how many."""
    tokens = CustomerToken.objects.filter(customer=customer, revoked_at__isnull=True)
    if keep is not None:
        tokens = tokens.exclude(pk=keep.pk)
    return tokens.update(revoked_at=timezone.now())
