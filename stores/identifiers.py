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
    # One read of the OS's random source per id (not one per character): seeding 100,000
    # demo customers spends its time elsewhere. 62**16 > 2**95, so 16 characters hold 88 bits.
    number = int.from_bytes(secrets.token_bytes(11))
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        chars.append(_ALPHABET[digit])
    return f"{prefix}_" + "".join(chars)


def new_secret(prefix: str = "", nbytes: int = 32) -> str:
    """A random secret: `prefix` followed by 43+ URL-safe characters (32 bytes of entropy)."""
    return prefix + secrets.token_urlsafe(nbytes)


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def secrets_match(raw: str, digest: str) -> bool:
    return hmac.compare_digest(hash_secret(raw), digest)
