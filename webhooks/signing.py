"""The endpoint's signing secret (encrypted at rest) and the Storefront-Signature header."""

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet
from django.conf import settings


def _fernet() -> Fernet:
    # A key of its own, derived from SECRET_KEY: rotating SECRET_KEY makes the secrets unreadable
    # (the endpoints then need new ones).
    digest = hmac.new(settings.SECRET_KEY.encode(), b"webhooks.secret", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def secret_generate() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the secret>`."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
