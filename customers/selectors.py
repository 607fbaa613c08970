"""Reads shared by the console, both APIs and the admin."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from customers.models import Customer, ExternalReference
from customers.phones import phone_digits

MIN_PHONE_DIGITS = 4


def _enrolment_model():
    # Loyalty enrolments point at customers; reading the model through the relation keeps this
    # module from importing the loyalty app, which sits above customers.
    return Customer._meta.get_field("cards").related_model


def _word_condition(word: str) -> Q:
    """Where one search word may match: a name, the email, the phone, an external id, a
    loyalty card code."""
    references = ExternalReference.objects.filter(customer=OuterRef("pk"), external_id__iexact=word)
    cards = _enrolment_model().objects.filter(customer=OuterRef("pk"), code=word)
    condition = (
        Q(first_name__icontains=word)
        | Q(last_name__icontains=word)
        | Q(email__icontains=word)
        | Q(Exists(references))
        | Q(Exists(cards))
    )
    digits = phone_digits(word)
    # A phone is found however it is typed: "+1 (415) 555-0123", "4155550123", its last digits.
    if len(digits) >= MIN_PHONE_DIGITS and len(digits) * 2 >= len(word.replace(" ", "")):
        condition |= Q(phone__contains=digits)
    return condition


def customer_search(queryset: QuerySet[Customer], query: str) -> QuerySet[Customer]:
    """Narrow `queryset` to customers matching every word of `query`.

    A phone typed with spaces ("+1 415 555 0123") counts as one term; other words must each
    match somewhere ("ada love" finds Ada Lovelace). Card codes and external ids match whole.
    """
    query = (query or "").strip()
    if not query:
        return queryset
    digits = phone_digits(query)
    if len(digits) >= MIN_PHONE_DIGITS and len(digits) * 2 >= len(query.replace(" ", "")):
        # Mostly digits: a phone number however it is formatted, or a card code.
        return queryset.filter(_word_condition(query) | Q(phone__contains=digits))
    for word in query.split()[:6]:
        queryset = queryset.filter(_word_condition(word))
    return queryset


def customer_list(*, store, query: str = "") -> QuerySet[Customer]:
    return customer_search(Customer.objects.filter(store=store), query)
