"""Reads shared by the console, both APIs and the admin."""

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from customers.models import Customer, ExternalReference
from customers.phones import phone_digits

MIN_PHONE_DIGITS = 4


def _enrolment_model():
    # Loyalty enrolments point at customers; reading the model through the relation keeps this
    # module from importing the loyalty app, which sits above customers.
    return Customer._meta.get_field("cards").related_model


def _looks_like_a_number(text: str) -> bool:
    digits = phone_digits(text)
    return len(digits) >= MIN_PHONE_DIGITS and len(digits) * 2 >= len(text.replace(" ", ""))


def _exact_ids(term: str) -> Q:
    """Customers whose external id or loyalty card code is `term`. An IN (subquery), not a
    per-row EXISTS: the database looks the few ids up once, through their indexes."""
    references = ExternalReference.objects.filter(external_id__iexact=term).values("customer_id")
    cards = _enrolment_model().objects.filter(code=term).values("customer_id")
    return Q(pk__in=references) | Q(pk__in=cards)


def _text_match(text: str, *, columns=("first_name", "last_name", "email")) -> Q:
    """Customers with `text` inside one of `columns`. On SQLite, through the FTS5 trigram
    index (customers/migrations/0003) when the text is long enough to have a trigram; on
    PostgreSQL `icontains` uses the trigram GIN indexes of 0002."""
    if connection.vendor == "sqlite" and len(text) >= 3:
        phrase = '"' + text.replace('"', '""') + '"'
        match = "{" + " ".join(columns) + "} : " + phrase
        rowids = RawSQL("SELECT rowid FROM customer_search WHERE customer_search MATCH %s", [match])
        return Q(pk__in=rowids)
    condition = Q()
    for column in columns:
        lookup = "contains" if column == "phone" else "icontains"
        condition |= Q(**{f"{column}__{lookup}": text})
    return condition


def _word_condition(word: str) -> Q:
    """Where one search word may match: a name, the email, an external id, a card code."""
    return _text_match(word) | _exact_ids(word)


def customer_search(queryset: QuerySet[Customer], query: str) -> QuerySet[Customer]:
    """Narrow `queryset` to customers matching every word of `query`.

    Something that is mostly digits is a phone however it is typed ("+1 (415) 555-0123",
    "4155550123", its last 4+ digits), a card code or an external id, or part of an email.
    Otherwise every word must match somewhere ("ada love" finds Ada Lovelace).
    """
    query = (query or "").strip()
    if not query:
        return queryset
    if _looks_like_a_number(query):
        return queryset.filter(
            _text_match(phone_digits(query), columns=("phone",))
            | _text_match(query, columns=("email",))
            | _exact_ids(query)
        )
    for word in query.split()[:6]:
        queryset = queryset.filter(_word_condition(word))
    return queryset


def customer_list(*, store, query: str = "") -> QuerySet[Customer]:
    return customer_search(Customer.objects.filter(store=store), query)
