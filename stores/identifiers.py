"""Opaque public ids and one-way hashes for high-entropy secrets.

Public ids are what the shopper API shows (`customer_…`, `order_…`): a type prefix and random
base62 characters, so nothing can be enumerated. Secrets (API keys, customer tokens) are random
values of 32+ bytes; a SHA-256 of such a value is safe to store and to look up by.
"""

import hashlib
import hmac
import secrets
import string

_ALPHABET = string.ascii_letters + string.digits
PUBLIC_ID_LENGTH = 16


def new_public_id(prefix: str, length: int = PUBLIC_ID_LENGTH) -> str:
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_secret(prefix: str = "", nbytes: int = 32) -> str:
    """A random secret: `prefix` followed by 43+ URL-safe characters (32 bytes of entropy)."""
    return prefix + secrets.token_urlsafe(nbytes)


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def secrets_match(raw: str, digest: str) -> bool:
    return hmac.compare_digest(hash_secret(raw), digest)
