"""Amounts of money as people read them, one way across the product: the currency's symbol and
its own minor units, in the language of the page ("$12.50", "€1,234.50", "¥1,200", "CA$9.99").
CLDR's data (through Babel) knows every ISO 4217 currency, so no list is kept here."""

import re
from decimal import Decimal, InvalidOperation
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency
from django.conf import settings
from django.utils import translation

# A symbol made of letters ("CHF", "SEK") is kept apart from the digits, as CLDR's currency
# spacing asks ("CHF 5.00", not "CHF5.00"); "$" and "€" stay next to them.
_LETTER_BEFORE_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)")


@cache
def _locale(name: str) -> Locale:
    try:
        return Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en_US")


def money_format(amount, currency: str) -> str:
    """`amount` in `currency` (an ISO 4217 code); "" for no amount."""
    if amount is None or amount == "":
        return ""
    try:
        amount = Decimal(str(amount))
    except InvalidOperation:
        return ""
    language = translation.get_language() or settings.LANGUAGE_CODE
    try:
        text = format_currency(amount, currency, locale=_locale(translation.to_locale(language)))
    except ValueError:  # not a code Babel knows: the plain number and the code
        return f"{amount:,.2f}\xa0{currency}"
    return _LETTER_BEFORE_DIGIT.sub("\xa0", text, count=1)


def money_totals_format(totals, currency: str = "") -> str:
    """Totals of several currencies ([{"currency": "USD", "total": …}, …]) joined with " + "
    ("$120.00 + €30.00"): amounts of two currencies are never added up. No totals: zero in
    `currency`."""
    shown = [money_format(row["total"], row["currency"]) for row in totals]
    return " + ".join(shown) if shown else money_format(Decimal("0"), currency)
