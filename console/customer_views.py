"""Storefront → Customers: the console pages staff use all day.

Views parse and present; every write is a service call (customers.services, loyalty.services),
every read of a list goes through a selector, and every view checks the store and the role.
"""

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from customers import selectors
from customers.forms import (
    SORTS,
    AddressForm,
    CustomerCreateForm,
    CustomerFilterForm,
    CustomerForm,
    NoteForm,
    add_service_errors,
)
from customers.models import Address, Customer, CustomerEvent, CustomerNote, Tag
from customers.services import (
    address_create,
    address_delete,
    address_set_default,
    address_update,
    customer_delete,
    customer_update,
    note_create,
    note_delete,
    note_update,
)
from loyalty.selectors import enrolable_cards, enrolment_list
from loyalty.services import customer_create_enrolled
from orders.models import Order
from reviews.models import Review
from stores.access import console_view
from stores.paging import keyset_page, paginate

RECENT_ORDERS = 10
REVIEW_EVENTS = {
    CustomerEvent.Type.REVIEW_POSTED,
    CustomerEvent.Type.REVIEW_PUBLISHED,
    CustomerEvent.Type.REVIEW_HIDDEN,
    CustomerEvent.Type.REVIEW_DELETED,
}


def _customer(request, pk) -> Customer:
    """A customer the current store sees (selectors.customers_seen_by): its own, or a network
    customer it serves; any other customer is a 404."""
    seen = selectors.customers_seen_by(store=request.access.store)
    return get_object_or_404(seen.select_related("store", "customer_group"), pk=pk)


def _own_customer(request, pk) -> Customer:
    """A customer the current store may change: its own. A network's customer that a member
    store serves is a 403 there (only the network's staff change them); an unseen one a 404."""
    customer = _customer(request, pk)
    if not selectors.may_change_customer(store=request.access.store, customer=customer):
        raise PermissionDenied("A network's customer is changed by the network's staff.")
    return customer


def _filtered_customers(request):
    store = request.access.store
    form = CustomerFilterForm(request.GET or None, store=store)
    filters = form.filters() if request.GET else {}
    queryset = selectors.customer_list_for_console(store=store, filters=filters)
    # A network customer's orders count, at a member store, is their orders there.
    queryset = selectors.with_orders_here(queryset, store=store)
    return form, queryset, filters.get("sort") or "-created"


@console_view("view_customers")
def customer_list(request):
    form, queryset, sort = _filtered_customers(request)
    filtered = any(
        v for k, v in request.GET.items() if k not in ("page", "per_page", "sort", "after")
    )
    order = SORTS[sort]
    tally, ordered = selectors.customer_matches(
        queryset.prefetch_related("tags"), order, filtered=filtered, store=request.access.store
    )
    # The counted rows have numbered pages; a list longer than its count goes on from the last
    # row shown (keyset: as fast on the 40,000th page as on the first).
    cursor = request.GET.get("after", "")
    after = None
    if cursor and not tally.exact:
        after = selectors.customers_after(ordered, order, cursor)
    if after is not None:
        paging = keyset_page(request, after, tally=tally)
        further = paging["has_more"]
    else:
        paging = paginate(request, ordered, tally=tally)
        # The last numbered page of a list longer than its count: "Next" carries on from its
        # last row (a row follows it: the count went past the cap).
        further = not tally.exact and not paging["page_obj"].has_next()
    rows = list(paging["page_obj"].object_list)  # read once: the template reuses the rows
    context = {
        "form": form,
        "sort": sort,
        "filtered": filtered,
        **paging,
        "keyset": after is not None,
        "next_cursor": selectors.customer_cursor(rows[-1], order) if further else "",
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "results":
        return render(request, "customers/_results.html", {**context, "partial": True})
    return render(request, "customers/customer_list.html", context)


class _Echo:
    def write(self, value):
        return value


CSV_HEADER = [
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "status",
    "guest",
    "orders",
    "tags",
    "birthday",
    "created_at",
]


def _csv_safe(value: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@console_view("view_customers")
def customer_export(request):
    """The filtered list as CSV, streamed in chunks so 100,000 rows never sit in memory."""
    _form, queryset, sort = _filtered_customers(request)
    store = request.access.store
    rows = queryset.order_by(*SORTS[sort]).prefetch_related("tags").iterator(chunk_size=2000)
    writer = csv.writer(_Echo())

    store_zone = store.tzinfo  # the rows stream after the view has returned

    def orders_of(customer):
        if customer.store_id == store.pk:
            return customer.total_orders_count
        return customer.orders_here

    def lines():
        # A byte order mark first: without it Excel reads UTF-8 as a legacy code page (Zoë → ZoÃ«).
        yield "\ufeff"
        yield writer.writerow(CSV_HEADER)
        for c in rows:
            yield writer.writerow(
                [
                    c.public_id,
                    _csv_safe(c.first_name),
                    _csv_safe(c.last_name),
                    _csv_safe(c.email),
                    c.phone,  # E.164: "+" and digits only, validated on the way in
                    c.status,
                    "yes" if c.is_guest else "no",
                    orders_of(c),
                    _csv_safe(", ".join(tag.name for tag in c.tags.all())),
                    c.birthday.isoformat() if c.birthday else "",
                    timezone.localtime(c.created_at, store_zone).isoformat(),
                ]
            )

    stamp = timezone.localdate().isoformat()
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.csv"'
    return response


@console_view("view_customers")
def customer_detail(request, pk):
    customer = _customer(request, pk)
    store = request.access.store
    own = selectors.may_change_customer(store=store, customer=customer)
    orders = Order.objects.filter(customer=customer)
    if not own:  # a network's customer, at one of its member stores: the orders placed here
        orders = orders.filter(store=store)
    # One query, a row per currency: amounts of two currencies are never added up.
    spent = list(
        orders.order_by()
        .values("currency")
        .annotate(count=Count("pk"), total=Sum("total"))
        .order_by("-total", "currency")
    )
    reviews = Review.objects.filter(author=customer)
    if not own:  # their reviews of this store and its products (the network moderates them)
        reviews = reviews.filter(Q(reviewed_store=store) | Q(product__store=store))
    context = {
        "customer": customer,
        # A network's customer seen from a member store: read only, and nothing of what they
        # did at the other member stores (their timeline is the network's, so it is not shown).
        "own": own,
        "tags": list(customer.tags.all()),
        "addresses": list(customer.addresses.all()),
        "orders": list(orders.order_by("-created_at", "-id")[:RECENT_ORDERS]),
        "order_count": sum(row["count"] for row in spent),
        "order_spent": spent,  # [{"currency", "count", "total"}], the largest first
        "enrolments": list(enrolment_list(customer=customer)),
        "enrolable_cards": list(enrolable_cards(store=store, customer=customer)) if own else [],
        "reviews": list(reviews.select_related("product").order_by("-created_at")[:10]),
        "notes": list(customer.notes.select_related("author_user", "author_api_key"))
        if own
        else [],
        "note_form": NoteForm(),
        "events": (
            _with_review_links(request, selectors.customer_timeline(customer=customer))
            if own
            else []
        ),
    }
    return render(request, "customers/customer_detail.html", context)


def _with_review_links(request, events: list[CustomerEvent]) -> list[CustomerEvent]:
    """`events`, each review event carrying `review_pk`, its review's id while the review
    exists and the user may open its console page (None otherwise): one query, however many
    events. An event keeps the review's public id only, so that it reads after a deletion."""
    reviewed = [event for event in events if event.type in REVIEW_EVENTS]
    found = {}
    if reviewed and request.access.can("moderate_reviews"):
        ids = {event.data.get("review") for event in reviewed} - {None}
        reviews = Review.objects.filter(store=request.access.store, public_id__in=ids)
        found = dict(reviews.values_list("public_id", "pk"))
    for event in reviewed:
        event.review_pk = found.get(event.data.get("review"))
    return events


def _customer_form_context(request, form, **extra):
    return {"form": form, "tag_options": Tag.objects.filter(store=request.access.store), **extra}


@console_view("edit_customers")
def customer_create_view(request):
    store = request.access.store
    cards = enrolable_cards(store=store)
    form = CustomerCreateForm(request.POST or None, request.FILES or None, store=store, cards=cards)
    if request.method == "POST" and form.is_valid():
        card = form.cleaned_data.get("card")
        try:
            customer, enrolment = customer_create_enrolled(
                store=store, card=card, actor_user=request.user, **form.service_data()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            text = f"Customer {customer.name} created."
            if enrolment:
                stamps = enrolment.stamps_count
                text += f" Enrolled in {card.name} with {stamps} stamp{pluralize(stamps)}."
            messages.success(request, text)
            return redirect("customers:detail", customer.pk)
    return render(
        request,
        "customers/customer_form.html",
        _customer_form_context(request, form, creating=True),
    )


@console_view("edit_customers")
def customer_edit(request, pk):
    customer = _own_customer(request, pk)
    form = CustomerForm(
        request.POST or None, request.FILES or None, store=request.access.store, customer=customer
    )
    if request.method == "POST" and form.is_valid():
        try:
            customer_update(customer=customer, data=form.service_data(), actor_user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Customer {customer.name} saved.")
            return redirect("customers:detail", customer.pk)
    return render(
        request,
        "customers/customer_form.html",
        _customer_form_context(request, form, customer=customer),
    )


@console_view("delete_customers")
def customer_delete_view(request, pk):
    customer = _own_customer(request, pk)
    if request.method == "POST":
        name = customer.name
        customer_delete(customer=customer, actor_user=request.user)
        messages.success(request, f"Customer {name} deleted. Their orders were kept.")
        return redirect("customers:list")
    context = {
        "customer": customer,
        "order_count": Order.objects.filter(customer=customer).count(),
        "address_count": customer.addresses.count(),
        "card_count": customer.cards.count(),
        "review_count": customer.reviews.count(),
    }
    return render(request, "customers/customer_confirm_delete.html", context)


# --- Addresses ------------------------------------------------------------------------------


def _address(request, pk, address_pk) -> tuple[Customer, Address]:
    customer = _own_customer(request, pk)
    return customer, get_object_or_404(Address, pk=address_pk, customer=customer)


def _back_to_addresses(customer):
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#addresses")


@console_view("edit_customers")
def address_create_view(request, pk):
    customer = _own_customer(request, pk)
    form = AddressForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            address_create(customer=customer, data=form.service_data, actor_user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Address added.")
            return _back_to_addresses(customer)
    return render(request, "customers/address_form.html", {"form": form, "customer": customer})


@console_view("edit_customers")
def address_edit(request, pk, address_pk):
    customer, address = _address(request, pk, address_pk)
    form = AddressForm(request.POST or None, instance=address, customer=customer)
    if request.method == "POST" and form.is_valid():
        stored = Address.objects.select_related("customer__store").get(pk=address.pk)
        try:
            address_update(address=stored, data=form.service_data, actor_user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Address saved.")
            return _back_to_addresses(customer)
    return render(
        request,
        "customers/address_form.html",
        {"form": form, "customer": customer, "address": address},
    )


@require_POST
@console_view("edit_customers")
def address_delete_view(request, pk, address_pk):
    customer, address = _address(request, pk, address_pk)
    address_delete(address=address, actor_user=request.user)
    messages.success(request, "Address deleted.")
    return _back_to_addresses(customer)


@require_POST
@console_view("edit_customers")
def address_default(request, pk, address_pk):
    customer, address = _address(request, pk, address_pk)
    address_set_default(address=address, actor_user=request.user)
    messages.success(request, "Default address changed.")
    return _back_to_addresses(customer)


# --- Staff notes ----------------------------------------------------------------------------


def _note(request, pk, note_pk) -> tuple[Customer, CustomerNote]:
    """A note of a customer the store may change, that the user may change: their own, or any
    note for managers (403 otherwise)."""
    customer = _own_customer(request, pk)
    note = get_object_or_404(
        CustomerNote.objects.select_related("author_user"), pk=note_pk, customer=customer
    )
    if note.author_user_id != request.user.pk and not request.access.can("delete_customers"):
        raise PermissionDenied("Only its author or a manager changes a note.")
    return customer, note


def _notes_url(customer) -> str:
    return reverse("customers:detail", args=[customer.pk]) + "#notes"


@require_POST
@console_view("edit_customers")
def note_create_view(request, pk):
    customer = _own_customer(request, pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            note_create(customer=customer, data=form.cleaned_data, actor_user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Note added.")
    else:
        messages.error(request, " ".join(form.errors.get("body", ["Write the note."])))
    return redirect(_notes_url(customer))


@console_view("edit_customers")
def note_edit(request, pk, note_pk):
    customer, note = _note(request, pk, note_pk)
    form = NoteForm(request.POST or None, initial={"body": note.body, "pinned": note.pinned})
    if request.method == "POST" and form.is_valid():
        try:
            note_update(note=note, data=form.cleaned_data, actor_user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Note saved.")
            return redirect(_notes_url(customer))
    status = 422 if request.method == "POST" else 200
    context = {"customer": customer, "note": note, "form": form}
    return render(request, "customers/note_form.html", context, status=status)


@require_POST
@console_view("edit_customers")
def note_pin(request, pk, note_pk):
    customer, note = _note(request, pk, note_pk)
    pinned = request.POST.get("pinned") == "1"
    note_update(note=note, data={"pinned": pinned}, actor_user=request.user)
    messages.success(request, "Note pinned to the top." if pinned else "Note unpinned.")
    return redirect(_notes_url(customer))


@require_POST
@console_view("edit_customers")
def note_delete_view(request, pk, note_pk):
    customer, note = _note(request, pk, note_pk)
    note_delete(note=note, actor_user=request.user)
    messages.success(request, "Note deleted.")
    return redirect(_notes_url(customer))
