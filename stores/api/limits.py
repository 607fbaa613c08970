"""How much input both APIs take before they look at it (README, "Limits").

A request body over its endpoint's limit is a 413 before a byte of it is read:
errors.InputBoundsMiddleware compares Content-Length with the view's limit, and the parsers
(parsers.py) read no more than the limit and one byte whatever the headers say. The limit is
API_MAX_JSON_BYTES, unless the view takes files and names its own with `max_body_bytes` (a
function, e.g. `upload_body_bytes`).

Imported by the parsers, which DRF loads while rest_framework.views is being imported: nothing
here may import a view (or errors.py, which does).
"""

from django.conf import settings
from rest_framework import exceptions, status

NUL_MESSAGE = "Text cannot hold NUL characters (\\u0000)."


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."


def upload_body_bytes() -> int:
    """The limit of a view that takes files (review posts): API_MAX_UPLOAD_BYTES."""
    return settings.API_MAX_UPLOAD_BYTES


def body_limit(view) -> int:
    """The largest body `view` (a view class or instance, or None) reads, in bytes."""
    own = getattr(view, "max_body_bytes", None)
    return own() if own is not None else settings.API_MAX_JSON_BYTES


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The request body is too large: this endpoint takes at most {limit:,} bytes."
    )


def content_length(meta) -> int:
    """The body's declared length; 0 when absent or not a number (Django then reads none)."""
    try:
        return max(int(meta.get("CONTENT_LENGTH") or meta.get("HTTP_CONTENT_LENGTH") or 0), 0)
    except (TypeError, ValueError):
        return 0
