"""Phone numbers: stored in E.164; typed any common way."""

import re
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Return `raw` in E.164, reading national formats as numbers of `region`.

    Raises ValidationError for anything that is not a possible, valid number.
    """
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region or None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            "Enter a valid phone number, with its country code (like +1 415 555 0123).",
            code="invalid_phone",
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("This phone number is not valid.", code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_digits(raw: str) -> str:
    """The digits of a typed phone, for searching ("(415) 555-0123" → "4155550123")."""
    return re.sub(r"\D", "", raw or "")


@lru_cache(maxsize=2048)  # a list shows each phone twice (the phone cell, the phone-width line)
def format_phone_display(e164: str, region: str | None = None) -> str:
    """A stored (E.164) phone as people read it: the national format for a number of
    `region` ("(415) 555-0123" in a US store), the international one otherwise
    ("+44 20 7946 0958"). What does not parse is returned as it is."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if region and phonenumbers.region_code_for_number(number) == region.upper():
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
