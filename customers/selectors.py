"""Reads shared by the console, both APIs and the admin."""

import re
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, models
from django.db.models import BooleanField, F, Func, Q, QuerySet, Subquery, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat
from django.db.models.lookups import Contains

from customers.models import Customer, CustomerEvent, ExternalReference, Tag
from customers.phones import phone_digits

MIN_PHONE_DIGITS = 4
NAME_COLUMNS = ("first_name", "last_name", "email")
# The public id shown on a customer's page (stores.identifiers.new_public_id).
PUBLIC_ID = re.compile(r"customer_[A-Za-z0-9]{1,31}")
# What people type between the groups of a card code: "AB12 CD34", "9001-0000-0042".
CODE_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]+")
MAX_CODE_LENGTH = 32  # CustomerCard.code


def _enrolment_model():
    # Loyalty enrolments point at customers; reading the model through the relation keeps this
    # module from importing the loyalty app, which sits above customers.
    return Customer._meta.get_field("cards").related_model


def _looks_like_a_number(text: str) -> bool:
    digits = phone_digits(text)
    return len(digits) >= MIN_PHONE_DIGITS and len(digits) * 2 >= len(text.replace(" ", ""))


class _SearchDocument(Func):
    """UPPER(first_name::text || ' ' || last_name::text || ' ' || email::text): the expression
    of the trigram index of customers/migrations/0004, which PostgreSQL uses only for this
    very expression."""

    arg_joiner = "::text || ' ' || "
    template = "UPPER(%(expressions)s::text)"
    output_field = TextField()

    def __init__(self):
        super().__init__(*(F(column) for column in NAME_COLUMNS))


class _ContainsUpper(Contains):
    """`lhs LIKE UPPER('%text%')`: icontains for a left side that is upper-cased already (an
    UPPER() around it would no longer be the indexed expression)."""

    def get_rhs_op(self, connection, rhs):
        return f"LIKE UPPER({rhs})"


class _AnyOf(Func):
    """`column = ANY(ARRAY(subquery))` (PostgreSQL). The subquery runs once, before the scan,
    and the column is then found through its index, so an OR of this with indexed conditions
    is still a BitmapOr of index scans. `column IN (subquery)` is not: ORed with anything, it
    made PostgreSQL filter every customer of the store (~200 ms at 100,000 customers)."""

    arg_joiner = " = ANY(ARRAY"
    template = "%(expressions)s)"
    output_field = BooleanField()


def _code_forms(term: str) -> list[str]:
    """The card codes `term` may be: as typed, and without the spaces or dashes people put
    between groups, in capitals and in small letters (codes are issued as digits; codes set
    by hand or imported may have letters)."""
    compact = CODE_SEPARATORS.sub("", term)
    forms = [term, compact, compact.upper(), compact.lower()]
    return [code for code in dict.fromkeys(forms) if code and len(code) <= MAX_CODE_LENGTH]


def _exact_ids(term: str, store=None) -> Q:
    """Customers whose external id or loyalty card code is `term`: the few ids are looked up
    once, through the indexes on UPPER(external_id) (0004) and on the card code (an IN of the
    few forms of the code, each an equality on the unique (store, code) index)."""
    references = ExternalReference.objects.filter(external_id__iexact=term)
    cards = _enrolment_model().objects.filter(code__in=_code_forms(term))
    if store is not None:  # the card code's unique index starts with the store
        references, cards = references.filter(store=store), cards.filter(store=store)
    references = references.order_by().values("customer_id")
    cards = cards.order_by().values("customer_id")
    if connection.vendor == "postgresql":
        return Q(_AnyOf(F("pk"), Subquery(references.union(cards, all=True))))
    return Q(pk__in=references) | Q(pk__in=cards)


def _text_match(text: str, *, columns=NAME_COLUMNS) -> Q:
    """Customers with `text` inside one of `columns`. On SQLite, through the FTS5 trigram
    index (customers/migrations/0003) when the text is long enough to have a trigram. On
    PostgreSQL, a word in a name or the email goes through the one trigram index over the three
    (0004; a word has no space, so it never matches across two fields): ORed `icontains` over
    the three indexes of 0002 are costed above a sequential scan, which then evaluates three
    UPPER() LIKE per row (85 ms against 9 ms at 100,000 customers). Anything else uses
    `icontains` and the trigram GIN indexes of 0002."""
    if connection.vendor == "sqlite" and len(text) >= 3:
        phrase = '"' + text.replace('"', '""') + '"'
        match = "{" + " ".join(columns) + "} : " + phrase
        rowids = RawSQL("SELECT rowid FROM customer_search WHERE customer_search MATCH %s", [match])
        return Q(pk__in=rowids)
    if connection.vendor == "postgresql" and tuple(columns) == NAME_COLUMNS and " " not in text:
        return Q(_ContainsUpper(_SearchDocument(), text))
    condition = Q()
    for column in columns:
        lookup = "contains" if column == "phone" else "icontains"
        condition |= Q(**{f"{column}__{lookup}": text})
    return condition


def _word_condition(word: str, store=None) -> Q:
    """Where one search word may match: a name, the email, an external id, a card code."""
    return _text_match(word) | _exact_ids(word, store)


def customer_search(queryset: QuerySet[Customer], query: str, *, store=None) -> QuerySet[Customer]:
    """Narrow `queryset` to customers matching every word of `query`.

    A public id (`customer_…`, as on the customer's page) is that customer alone, found
    through its unique index. Something that is mostly digits is a phone however it is typed
    ("+1 (415) 555-0123", "4155550123", its last 4+ digits), a card code or an external id, or
    part of an email. Otherwise every word must match somewhere ("ada love" finds Ada
    Lovelace), or the whole query is a card code typed in groups ("AB12 CD34"). A card code
    may be typed with spaces or dashes and in any case. Pass the `store` the queryset is
    limited to, and the lookups inside are limited to it too (faster with many stores; the
    same answer). Always one query.
    """
    query = (query or "").strip()
    if not query:
        return queryset
    if PUBLIC_ID.fullmatch(query):
        return queryset.filter(public_id=query)
    if _looks_like_a_number(query):
        return queryset.filter(
            _text_match(phone_digits(query), columns=("phone",))
            | _text_match(query, columns=("email",))
            | _exact_ids(query, store)
        )
    words = query.split()[:6]
    condition = Q()
    for word in words:
        condition &= _word_condition(word, store)
    if len(words) > 1:
        condition |= _exact_ids(query, store)
    return queryset.filter(condition)


def customer_list(*, store, query: str = "") -> QuerySet[Customer]:
    return customer_search(Customer.objects.filter(store=store), query, store=store)


# The orders a customer list can be sorted in; the last key breaks ties, so pages are stable.
CUSTOMER_SORTS = {
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "name": ("first_name", "last_name", "id"),
    "-name": ("-first_name", "-last_name", "-id"),
    "email": ("email", "id"),
    "-email": ("-email", "-id"),
    "total_orders_count": ("total_orders_count", "id"),
    "-total_orders_count": ("-total_orders_count", "-id"),
}


def customer_list_filtered(
    *,
    store,
    search: str = "",
    source: str = "",
    external_id: str = "",
    status: str = "",
    tag: str = "",
    created_after=None,
    created_before=None,
    sort: str = "-created_at",
) -> QuerySet[Customer]:
    """The store's customers matching every filter given, in `sort` order (a CUSTOMER_SORTS
    key).

    `search` as customer_search; `source` with `external_id`: the customer holding exactly
    that reference; `tag`: a tag name, whatever its case; `created_after` (inclusive) and
    `created_before` (exclusive): aware datetimes.
    """
    customers = customer_search(Customer.objects.filter(store=store), search, store=store)
    if source or external_id:
        references = ExternalReference.objects.filter(
            store=store, source=source, external_id=external_id
        )
        customers = customers.filter(pk__in=references.values("customer_id"))
    if status:
        customers = customers.filter(status=status)
    if tag:
        tagged = Customer.tags.through.objects.filter(
            tag__in=Tag.objects.filter(store=store, name__iexact=tag.strip())
        )
        customers = customers.filter(pk__in=tagged.values("customer_id"))
    if created_after is not None:
        customers = customers.filter(created_at__gte=created_after)
    if created_before is not None:
        customers = customers.filter(created_at__lt=created_before)
    return customers.order_by(*CUSTOMER_SORTS[sort])


def customer_list_for_console(*, store, filters: dict) -> QuerySet[Customer]:
    """The console's list: the store's customers narrowed by `filters` as CustomerFilterForm
    .filters() gives them: "q" (customer_search), "status", "kind" ("guest" or "registered"),
    "tag" (a Tag of the store), "orders" ("yes": has ordered, "no": never),
    "created_from"/"created_to" (days in the store's time zone, both included; an inverted
    range lists nothing). The caller orders it (customer_order)."""
    tag = filters.get("tag")
    created_after, created_before = days_span(
        store, filters.get("created_from"), filters.get("created_to")
    )
    customers = customer_list_filtered(
        store=store,
        search=filters.get("q", ""),
        status=filters.get("status", ""),
        tag=tag.name if tag else "",
        created_after=created_after,
        created_before=created_before,
    )
    if filters.get("kind") in ("guest", "registered"):
        customers = customers.filter(is_guest=filters["kind"] == "guest")
    if filters.get("orders") == "yes":
        customers = customers.filter(total_orders_count__gt=0)
    elif filters.get("orders") == "no":
        customers = customers.filter(total_orders_count=0)
    return customers


def days_span(
    store, first: date | None, last: date | None
) -> tuple[datetime | None, datetime | None]:
    """(from, until) in UTC for the days `first` to `last`, both included, in the store's time
    zone: from midnight starting `first` (inclusive) to midnight ending `last` (exclusive).
    A bound that a datetime cannot hold, midnight of 0001-01-01 east of UTC or the midnight
    ending 9999-12-31 west of it, leaves nothing out: it is None, as a missing day is."""
    tz = store.tzinfo
    return (
        _midnight_starting(first, tz) if first else None,
        _midnight_ending(last, tz) if last else None,
    )


def _midnight_starting(day: date, tz) -> datetime | None:
    try:
        return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)
    except OverflowError:  # before 0001-01-01T00:00Z: every moment is after it
        return None


def _midnight_ending(day: date, tz) -> datetime | None:
    if day < date.max:
        return _midnight_starting(day + timedelta(days=1), tz)
    # The day after 9999-12-31 has no date: its midnight is the last day's end, with the
    # offset of the last day's last moment.
    offset = datetime.combine(day, time.max, tzinfo=tz).utcoffset()
    try:
        return datetime.combine(day, time.min, tzinfo=UTC) + (timedelta(days=1) - offset)
    except OverflowError:  # after 9999-12-31T23:59:59.999999Z: every moment is before it
        return None


def customers_with_references(*, store, references) -> list[Customer]:
    """The store's customers holding any of `references` ([{source, external_id}], compared as
    customers.services stores them: stripped), each once, oldest first."""
    condition = Q()
    for reference in references or ():
        source = str(reference.get("source", "")).strip()
        external_id = str(reference.get("external_id", "")).strip()
        if source and external_id:
            condition |= Q(source=source, external_id=external_id)
    if not condition:
        return []
    owners = ExternalReference.objects.filter(condition, store=store).values("customer_id")
    return list(Customer.objects.filter(store=store, pk__in=owners).order_by("created_at", "id"))


# Up to this many matches, a page of customers is read by fetching every match (through the
# indexes of the filters) and sorting them; beyond it, by walking the index of the sort order.
FEW_MATCHES = 2_000


def _unindexed(field: str):
    """The value of `field`, as an expression that no index covers (`first_name || ''`,
    `created_at + interval '0'`, `total_orders_count + 0`): it sorts the same."""
    column = Customer._meta.get_field(field)
    if isinstance(column, models.CharField):
        return Concat(F(field), Value(""), output_field=models.CharField())
    if isinstance(column, models.DateTimeField):
        return models.ExpressionWrapper(
            F(field) + timedelta(0), output_field=models.DateTimeField()
        )
    return F(field) + 0


def customer_order(customers: QuerySet[Customer], order, *, count: int) -> QuerySet[Customer]:
    """`customers` (of which there are `count`, the caller counted them) in `order` (field
    names, "-" for descending), for a page that will be sliced with a LIMIT.

    With few matches, the first key becomes an expression no index covers. Otherwise, with a
    LIMIT, PostgreSQL may walk the sort's index (customer_store_created…) and filter each row,
    expecting to meet the matches early: a search's row estimate is a guess (30 where 1 customer
    matched), and that walk then read the whole store, ~100-300 ms at 100,000 customers for one
    match, where fetching the matches and sorting them took ~8 ms. With many matches the walk
    is right: they are met early.
    """
    order = list(order)
    if connection.vendor == "postgresql" and count <= FEW_MATCHES:
        first = _unindexed(order[0].removeprefix("-"))
        order[0] = first.desc() if order[0].startswith("-") else first.asc()
    return customers.order_by(*order)


def customer_page(
    customers: QuerySet[Customer], *, sort: str, count: int, offset: int, limit: int
) -> QuerySet[Customer]:
    """Rows `offset` to `offset + limit` of `customers` in `sort` order (a CUSTOMER_SORTS key);
    see customer_order."""
    ordered = customer_order(customers, CUSTOMER_SORTS[sort], count=count)
    return ordered[offset : offset + limit]


TIMELINE_LENGTH = 30


def customer_timeline(*, customer: Customer, limit: int = TIMELINE_LENGTH) -> list[CustomerEvent]:
    """The customer's latest events, newest first, with their actors (one query, however
    many events and whoever their actors)."""
    return list(
        CustomerEvent.objects.filter(customer=customer)
        .select_related("actor_user", "actor_api_key")
        .order_by("-created_at", "-id")[:limit]
    )
