"""Reads shared by the console, both APIs and the admin."""

import base64
import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Concat
from django.db.models.lookups import Contains
from django.utils.dateparse import parse_datetime

from customers.models import Customer, CustomerEvent, ExternalReference, Tag
from customers.phones import normalize_phone, phone_digits
from stores.counting import Tally, count_cap, count_capped, count_estimated

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


def _order_model():
    # Orders point at customers; read through the relation, as _enrolment_model.
    return Customer._meta.get_field("orders").related_model


def _in_scope(queryset: QuerySet, store) -> QuerySet:
    """`queryset` (rows with a `store`) limited to what `store` reads: its own rows, and for a
    member of a network the network's too (whose customers, codes and references it may
    search; the customers themselves are limited by customers_seen_by)."""
    if store.network_id is None:
        return queryset.filter(store=store)
    return queryset.filter(store_id__in=(store.pk, store.network_id))


def network_customers_served(store) -> Q:
    """The network's customers that `store`, one of its member stores, serves: those with an
    order at the store, or enrolled in one of the network's loyalty cards. Two subqueries on
    indexed columns (orders by store, enrolments by card), however many customers."""
    network = store.network_id
    ordered_here = (
        _order_model()
        .objects.filter(store=store, customer__store_id=network)
        .order_by()
        .values("customer_id")
    )
    enrolled = (
        _enrolment_model().objects.filter(card__store_id=network).order_by().values("customer_id")
    )
    return Q(store_id=network) & (Q(pk__in=ordered_here) | Q(pk__in=enrolled))


def customers_seen_by(*, store) -> QuerySet[Customer]:
    """The customers `store`'s staff and secret key may read: its own and, for a member of a
    network, the network's customers it serves (network_customers_served). Only the account a
    customer belongs to (customer.store) may change them. A network sees its own customers."""
    if store.network_id is None:
        return Customer.objects.filter(store=store)
    return Customer.objects.filter(Q(store=store) | network_customers_served(store))


def with_orders_here(customers: QuerySet[Customer], *, store) -> QuerySet[Customer]:
    """`customers` (as customers_seen_by(store=store) gives them), each network customer with
    `orders_here`: their orders at `store` (a list shows these, never what they ordered at
    the network's other stores). Unchanged for a store outside a network: its customers'
    total_orders_count is already theirs."""
    if store.network_id is None:
        return customers
    here = (
        _order_model()
        .objects.filter(store=store, customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return customers.annotate(
        orders_here=Case(
            When(store=store, then=F("total_orders_count")),
            default=Coalesce(Subquery(here), 0),
        )
    )


def may_change_customer(*, store, customer: Customer) -> bool:
    """Whether `store` may change `customer` (its own customer), not only read them."""
    return customer.store_id == store.pk


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
        references, cards = _in_scope(references, store), _in_scope(cards, store)
    references = references.order_by().values("customer_id")
    cards = cards.order_by().values("customer_id")
    if connection.vendor == "postgresql":
        return Q(_AnyOf(F("pk"), Subquery(references.union(cards, all=True))))
    return Q(pk__in=references) | Q(pk__in=cards)


def _text_match(text: str, *, columns=NAME_COLUMNS) -> Q:
    """Customers with `text` inside one of `columns`. On SQLite, through the FTS5 trigram
    index (customers/migrations/0003) when the text is long enough to have a trigram. On
    PostgreSQL, a text in a name or the email goes through the one trigram index over the
    three (0004; callers pass no space, so a text never matches across two fields); the phone
    through its own trigram index (0002). ORed `icontains` over one index per column are
    costed above a sequential scan, which then evaluates three UPPER() LIKE per row (85 ms
    against 9 ms at 100,000 customers), and one index fewer per column makes every insert
    cheaper (0007 dropped them)."""
    if connection.vendor == "sqlite" and len(text) >= 3:
        phrase = '"' + text.replace('"', '""') + '"'
        match = "{" + " ".join(columns) + "} : " + phrase
        rowids = RawSQL("SELECT rowid FROM customer_search WHERE customer_search MATCH %s", [match])
        return Q(pk__in=rowids)
    if connection.vendor == "postgresql" and set(columns) <= set(NAME_COLUMNS):
        return Q(_ContainsUpper(_SearchDocument(), text))
    condition = Q()
    for column in columns:
        lookup = "contains" if column == "phone" else "icontains"
        condition |= Q(**{f"{column}__{lookup}": text})
    return condition


def _word_condition(word: str, store=None) -> Q:
    """Where one search word may match: a name, the email, an external id, a card code."""
    return _text_match(word) | _exact_ids(word, store)


def _whole_phone(query: str, store) -> str:
    """`query` in E.164 when it is a whole, valid phone number as the store reads numbers
    ("(415) 555-0123" in a US store), else "". A whole number is found through the (store,
    phone) unique index: its digits as a substring go through trigrams that every phone of the
    store shares ("415", "155"), 7 ms at 1,000,000 customers against 0.1 ms."""
    if len(phone_digits(query)) < 7:
        return ""
    try:  # with no store, only a number with its country code ("+1 415 …") is whole
        return normalize_phone(query, store.phone_region if store is not None else None)
    except ValidationError:
        return ""


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
        phone = _whole_phone(query, store)
        condition = (
            Q(phone=phone) if phone else _text_match(phone_digits(query), columns=("phone",))
        )
        if " " not in query:  # the digits may be in an email too; an email has no space
            condition |= _text_match(query, columns=("email",))
        return queryset.filter(condition | _exact_ids(query, store))
    words = query.split()[:6]
    if len(words) == 1:
        return queryset.filter(_word_condition(words[0], store))
    # Every word in a name or the email, or at least one word an id and each word somewhere.
    # The same rows as ANDing each word's condition, but the first part is one scan of the
    # trigram index with every word in it (3 ms for "linus borg" at 1,000,000 customers, where
    # intersecting one scan per word took 13 ms), and the second starts from the few ids.
    in_text, any_id, each = Q(), Q(), Q()
    for word in words:
        in_text &= _text_match(word)
        any_id |= _exact_ids(word, store)
        each &= _word_condition(word, store)
    return queryset.filter(in_text | (any_id & each) | _exact_ids(query, store))


def customer_list(*, store, query: str = "") -> QuerySet[Customer]:
    return customer_search(customers_seen_by(store=store), query, store=store)


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
    customer_group: int | None = None,
    sort: str = "-created_at",
) -> QuerySet[Customer]:
    """The customers the store sees (customers_seen_by) matching every filter given, in `sort`
    order (a CUSTOMER_SORTS key). `customer_group`: a group's id.

    `search` as customer_search; `source` with `external_id`: the customer holding exactly
    that reference; `tag`: a tag name, whatever its case; `created_after` (inclusive) and
    `created_before` (exclusive): aware datetimes.
    """
    customers = customer_search(customers_seen_by(store=store), search, store=store)
    if source or external_id:
        references = _in_scope(
            ExternalReference.objects.filter(source=source, external_id=external_id), store
        )
        customers = customers.filter(pk__in=references.values("customer_id"))
    if status:
        customers = customers.filter(status=status)
    if tag:
        tagged = Customer.tags.through.objects.filter(
            tag__in=Tag.objects.filter(store=store, name__iexact=tag.strip())
        )
        customers = customers.filter(pk__in=tagged.values("customer_id"))
    if customer_group is not None:
        customers = customers.filter(customer_group_id=customer_group)
    if created_after is not None:
        customers = customers.filter(created_at__gte=created_after)
    if created_before is not None:
        customers = customers.filter(created_at__lt=created_before)
    return customers.order_by(*CUSTOMER_SORTS[sort])


def customer_list_for_console(*, store, filters: dict) -> QuerySet[Customer]:
    """The console's list: the store's customers narrowed by `filters` as CustomerFilterForm
    .filters() gives them: "q" (customer_search), "status", "kind" ("guest" or "registered"),
    "tag" (a Tag of the store), "orders" ("yes": has ordered, "no": never; a network's
    customer, at this store),
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
        customer_group=filters["group"].pk if filters.get("group") else None,
    )
    if filters.get("kind") in ("guest", "registered"):
        customers = customers.filter(is_guest=filters["kind"] == "guest")
    if store.network_id is not None and filters.get("orders") in ("yes", "no"):
        # A network's customer has ordered here when an order of theirs is this store's.
        here = _order_model().objects.filter(store=store).order_by().values("customer_id")
        ordered = Q(store=store, total_orders_count__gt=0) | Q(
            store_id=store.network_id, pk__in=here
        )
        return (
            customers.filter(ordered) if filters["orders"] == "yes" else customers.exclude(ordered)
        )
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


# How long a store's estimated size is kept (its customers past the count's cap, unfiltered).
TALLY_CACHE_SECONDS = 60


def customer_tally(customers: QuerySet[Customer], *, filtered: bool, store=None) -> Tally:
    """How many customers `customers` lists: exact up to settings.COUNT_CAP. Past it, a
    store's whole list (`filtered` False) is the planner's estimate, "about 1,000,000", kept
    for a minute when `store` is given (a count and an EXPLAIN saved on every page of a big
    store; an exact tally is never kept); a search or a filter is "2,000+" (a text search's
    estimate is a guess)."""
    if filtered:
        return count_capped(customers)
    key = f"customers:tally:{store.pk}" if store is not None else None
    tally = cache.get(key) if key else None
    if tally is None:
        tally = count_estimated(customers)
        if key and not tally.exact:
            cache.set(key, tally, TALLY_CACHE_SECONDS)
    return tally


def _unindexed(field: str):
    """The value of `field`, as an expression that no index covers (`first_name || ''`,
    `created_at + interval '0'`, `total_orders_count + 0`): it sorts the same."""
    column = Customer._meta.pk if field == "pk" else Customer._meta.get_field(field)
    if isinstance(column, models.CharField):
        return Concat(F(field), Value(""), output_field=models.CharField())
    if isinstance(column, models.DateTimeField):
        return models.ExpressionWrapper(
            F(field) + timedelta(0), output_field=models.DateTimeField()
        )
    return F(field) + 0


def customer_order(customers: QuerySet[Customer], order, *, tally: Tally) -> QuerySet[Customer]:
    """`customers` (of which there are `tally`, customer_tally) in `order` (field names, "-"
    for descending), for a page that will be sliced with a LIMIT.

    With few matches (an exact tally: at most settings.COUNT_CAP), the first key becomes an
    expression no index covers, and PostgreSQL fetches every match and sorts them. Otherwise, with a
    LIMIT, PostgreSQL may walk the sort's index (customer_store_created…) and filter each row,
    expecting to meet the matches early: a search's row estimate is a guess (30 where 1 customer
    matched), and that walk then read the whole store, ~100-300 ms at 100,000 customers for one
    match, where fetching the matches and sorting them took ~8 ms. With many matches the walk
    is right: they are met early. The cap of the count balances the two at 1,000,000
    customers: a count reads up to the cap's rows, scattered (~5 µs each), and a walk about
    page size × store ÷ matches rows (~0.75 µs each).
    """
    order = list(order)
    if connection.vendor == "postgresql" and tally.exact:
        first = _unindexed(order[0].removeprefix("-"))
        order[0] = first.desc() if order[0].startswith("-") else first.asc()
    return customers.order_by(*order)


class CustomerIds(Sequence):
    """The customers of `ids`, in that order, read from `queryset` a slice at a time (what
    a paginator takes in place of a queryset)."""

    def __init__(self, ids: list[int], queryset: QuerySet[Customer]):
        self.ids, self.queryset = ids, queryset

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0] if index >= 0 else self[len(self) + index :][0]
        chunk = self.ids[index]
        found = self.queryset.in_bulk(chunk)
        return [found[pk] for pk in chunk if pk in found]


def customer_matches(
    customers: QuerySet[Customer], order, *, filtered: bool, store=None
) -> tuple[Tally, QuerySet[Customer] | CustomerIds]:
    """How many of `customers` there are (customer_tally) and the customers themselves in
    `order` (field names, "-" for descending), to be sliced into pages.

    A search or a filter reads its matches once: the ids and sort keys of up to COUNT_CAP + 1
    of them, sorted (`SELECT id FROM (… LIMIT cap + 1) ORDER BY …`). With at most the cap,
    that is the exact count and every page's ids, and a page is then read by id; counting and
    then fetching the page scanned a search's trigram index twice (6 ms each for
    "katherine.borg" at 1,000,000 customers). Past the cap, a page walks the order's index
    (customer_order)."""
    if not filtered:
        tally = customer_tally(customers, filtered=False, store=store)
        return tally, customer_order(customers, order, tally=tally)
    cap = count_cap()
    keys = [key.removeprefix("-") for key in order]
    columns = list(dict.fromkeys(["id", *keys]))
    inner = customers.prefetch_related(None).order_by().values(*columns)[: cap + 1]
    sql, params = inner.query.sql_with_params()
    quote = connection.ops.quote_name
    sort = ", ".join(
        quote(Customer._meta.get_field(key).column) + (" DESC" if way.startswith("-") else "")
        for key, way in zip(keys, order, strict=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote('id')} FROM ({sql}) matches ORDER BY {sort}", params)
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) > cap:
        tally = Tally(cap, exact=False)
        return tally, customer_order(customers, order, tally=tally)
    return Tally(len(ids)), CustomerIds(ids, customers.order_by())


# --- keyset pages ---------------------------------------------------------------------------
# Past the counted rows a list goes on page after page from where the last one ended (WHERE
# sort keys after the last row's), at the same cost however deep: an OFFSET reads every row
# it skips (page 40,000 of a 1,000,000-customer store read them all).

MAX_CURSOR_LENGTH = 512


def customer_cursor(customer: Customer, order) -> str:
    """The place right after `customer` in `order` (field names, "-" for descending), as a
    short opaque string for a link."""
    values = []
    for key in order:
        value = getattr(customer, key.removeprefix("-"))
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_values(cursor: str, order) -> list | None:
    """The sort keys a cursor holds, checked against `order`, or None for anything else."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        return None
    if not isinstance(values, list) or len(values) != len(order):
        return None
    parsed = []
    for key, value in zip(order, values, strict=True):
        field = Customer._meta.get_field(key.removeprefix("-"))
        if isinstance(field, models.DateTimeField):
            moment = parse_datetime(value) if isinstance(value, str) else None
            if moment is None or moment.tzinfo is None:
                return None
            parsed.append(moment)
        elif isinstance(field, models.CharField):
            if not isinstance(value, str) or len(value) > field.max_length:
                return None
            parsed.append(value)
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63:
            parsed.append(value)
        else:
            return None
    return parsed


def customers_after(customers: QuerySet[Customer], order, cursor: str) -> QuerySet[Customer] | None:
    """`customers` from right after `cursor` (customer_cursor) in `order`, every key in one
    direction (CUSTOMER_SORTS); None when the cursor is not one of `order`.

    One row comparison, `(first_name, last_name, id) > (…)`, which PostgreSQL (and SQLite)
    answer from the sort's index by seeking to the cursor; the same condition spelt out with
    ORs was a walk through every row of the cursor's first key (94 ms for the middle of the
    name order at 1,000,000 customers, 15 ms now)."""
    values = _cursor_values(cursor, order)
    if values is None:
        return None
    quote, table = connection.ops.quote_name, Customer._meta.db_table
    columns, params = [], []
    for key, value in zip(order, values, strict=True):
        field = Customer._meta.get_field(key.removeprefix("-"))
        columns.append(f"{quote(table)}.{quote(field.column)}")
        if isinstance(field, models.DateTimeField):
            value = connection.ops.adapt_datetimefield_value(value)
        params.append(value)
    past = "<" if order[0].startswith("-") else ">"
    placeholders = ", ".join(["%s"] * len(params))
    after = RawSQL(
        f"({', '.join(columns)}) {past} ({placeholders})", params, output_field=BooleanField()
    )
    return customers.filter(after)


TIMELINE_LENGTH = 30


def customer_timeline(*, customer: Customer, limit: int = TIMELINE_LENGTH) -> list[CustomerEvent]:
    """The customer's latest events, newest first, with their actors (one query, however
    many events and whoever their actors)."""
    return list(
        CustomerEvent.objects.filter(customer=customer)
        .select_related("actor_user", "actor_api_key")
        .order_by("-created_at", "-id")[:limit]
    )
