"""The codes that settings and addresses are chosen from, one list each for the whole product:
ISO 3166-1 countries and ISO 4217 currencies (pycountry, which follows the standards), IANA time
zones (the system's tz database, through zoneinfo).

The `*_choices` functions are what model fields, forms and admin selects show; the models name
them as callables so that a newer list never needs a migration.
"""

import unicodedata
import zoneinfo
from functools import cache

import phonenumbers
import pycountry


def _sort_key(name: str) -> str:
    # "Åland Islands" beside "Albania", "Côte d'Ivoire" beside "Costa Rica".
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


# Code → the name people use ("Bolivia", "South Korea", "Taiwan"), sorted by that name.
COUNTRIES: dict[str, str] = dict(
    sorted(
        ((c.alpha_2, getattr(c, "common_name", c.name)) for c in pycountry.countries),
        key=lambda item: _sort_key(item[1]),
    )
)

# The countries whose phone numbers phonenumbers can read: a store's country is also the region
# of the phones typed without a country code. Left out: AQ, BV, GS, HM, PN, TF, UM (no
# numbering plan of their own; their phones are numbers of other countries).
PHONE_REGIONS: frozenset[str] = frozenset(COUNTRIES) & phonenumbers.SUPPORTED_REGIONS

# ISO 4217 codes that are not money a store charges in: precious metals, bond-market units,
# the SDR and other accounting units, the testing code and "no currency".
NOT_MONEY = frozenset(
    {"XAD", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA"}
    | {"XXX"}
)
CURRENCIES: dict[str, str] = {
    c.alpha_3: c.name
    for c in sorted(pycountry.currencies, key=lambda c: c.alpha_3)
    if c.alpha_3 not in NOT_MONEY
}

# "Factory" is the tz database's placeholder zone and "localtime" the machine's own setting.
TIME_ZONES: frozenset[str] = frozenset(zoneinfo.available_timezones()) - {"Factory", "localtime"}


_COUNTRY_CHOICES = tuple((code, f"{name} ({code})") for code, name in COUNTRIES.items())
_CURRENCY_CHOICES = tuple((code, f"{code} · {name}") for code, name in CURRENCIES.items())


def country_choices() -> list[tuple[str, str]]:
    """Every ISO 3166-1 country, by name: ("AQ", "Antarctica (AQ)")."""
    return list(_COUNTRY_CHOICES)


def phone_region_choices() -> list[tuple[str, str]]:
    """The countries a store can be in: those with phone numbers of their own."""
    return [(code, label) for code, label in _COUNTRY_CHOICES if code in PHONE_REGIONS]


def currency_choices() -> list[tuple[str, str]]:
    """ISO 4217 currencies by code: ("EUR", "EUR · Euro")."""
    return list(_CURRENCY_CHOICES)


@cache
def _timezone_groups() -> tuple:
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(TIME_ZONES - {"UTC"}):
        area = name.split("/", 1)[0] if "/" in name else "Other"
        groups.setdefault(area, []).append((name, name.replace("_", " ")))
    other = tuple(groups.pop("Other", []))
    areas = ((area, tuple(zones)) for area, zones in groups.items())
    return (("UTC", "UTC"), *areas, ("Other", other))


def timezone_choices() -> list:
    """UTC, then the IANA zones grouped by area (Africa, America, …), legacy names last."""
    return list(_timezone_groups())


def _values(choices):
    for value, label in choices:
        if isinstance(label, list | tuple):  # an optgroup: (area, [(value, label), ...])
            yield from (option for option, _ in label)
        else:
            yield value


def choices_with(choices: list, current: str) -> list:
    """`choices` plus `current` when a row holds a code the list no longer has (saved before
    it was checked), so a select shows that code, and saving refuses it, instead of quietly
    picking the first entry of the list."""
    if not current or current in set(_values(choices)):
        return choices
    return [*choices, (current, current)]
