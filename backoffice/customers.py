"""Management API: a store's customers (Leal-compatible), behind the store's secret key.

A management customer carries their loyalty cards (stamps, rewards within reach, wallet links),
so these views live above customers and loyalty. Views parse and answer; customers.services and
loyalty.services decide. Paths are relative to /api/v1/accounts/{account_id}/
(backoffice/urls.py); a customer's addresses are in customers/api/management.py.
"""

from collections import defaultdict
from math import ceil

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from backoffice import customer_serializers as api
from customers.api.management import (
    CUSTOMER_ID,
    INVALID,
    NOT_FOUND,
    TAGS,
    CustomerScopedView,
    valid,
)
from customers.models import Customer, ExternalReference, Tag
from customers.selectors import (
    CUSTOMER_SORTS,
    customer_list_filtered,
    customer_matches,
    may_change_customer,
    with_orders_here,
)
from customers.services import customer_delete, customer_update
from loyalty.models import CustomerCard, LoyaltyCard, Reward
from loyalty.services import customer_upsert_by_reference
from loyalty.wallet import card_links_send
from stores.api.management import unwrap


def customer_prefetches() -> list:
    """What ManagementCustomerSerializer shows besides the row: tags, external references and
    cards, each card with its programme and the programme's rewards (4 queries for any number
    of customers)."""
    enrolments = (
        CustomerCard.objects.select_related("card")
        .prefetch_related("card__rewards")
        .order_by("-created_at", "-id")
    )
    return ["tags", "external_references", Prefetch("cards", queryset=enrolments)]


def customer_answers(customers: list[Customer], request) -> list[dict]:
    """The management answers of a page of `customers`, as ManagementCustomerSerializer gives
    them, in 2 queries: the cards (with their programme), and the tags, references and the
    programmes' rewards together (_page_extras). Django's prefetch_related made a queryset per
    customer and per level (12 of the page's 17 ms at 25 customers, `make bench`); one plain
    statement for what is only read costs a round trip and no ORM."""
    ids = [customer.pk for customer in customers]
    if not ids:
        return []
    tags, references, rewards = _page_extras(ids)
    cards = defaultdict(list)
    enrolments = (
        CustomerCard.objects.filter(customer_id__in=ids)
        .select_related("card")
        .order_by("-created_at", "-id")
    )
    for enrolment in enrolments:
        cards[enrolment.customer_id].append(enrolment)
    return [
        api.management_customer_dict(
            customer,
            request,
            tags=tags[customer.pk],
            references=references[customer.pk],
            cards=cards[customer.pk],
            rewards=rewards,
        )
        for customer in customers
    ]


def _page_extras(ids: list[int]) -> tuple[dict, dict, dict]:
    """({customer id: tag names}, {customer id: [{source, external_id}]}, {card id: rewards})
    for these customers, in one statement: references in (source, external_id) order and
    rewards in the card's (position, stamps required, id), as their models order them."""
    quote = connection.ops.quote_name
    tagged, tag = quote(Customer.tags.through._meta.db_table), quote(Tag._meta.db_table)
    held, reward = quote(ExternalReference._meta.db_table), quote(Reward._meta.db_table)
    enrolment = quote(CustomerCard._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    sql = f"""
        SELECT 't', x.customer_id, t.name, '', 0, 0, 0, 1
          FROM {tagged} x JOIN {tag} t ON t.id = x.tag_id WHERE x.customer_id IN ({marks})
        UNION ALL
        SELECT 'r', r.customer_id, r.source, r.external_id, 0, 0, 0, 1
          FROM {held} r WHERE r.customer_id IN ({marks})
        UNION ALL
        SELECT 'w', w.card_id, w.name, '', w.position, w.stamps_required, w.id,
               CASE WHEN w.active THEN 1 ELSE 0 END
          FROM {reward} w
         WHERE w.card_id IN (SELECT e.card_id FROM {enrolment} e WHERE e.customer_id IN ({marks}))
        ORDER BY 1, 5, 6, 7, 3, 4
    """
    tags, references, rewards = defaultdict(list), defaultdict(list), defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, ids * 3)
        for kind, owner, a, b, position, required, pk, active in cursor.fetchall():
            if kind == "t":
                tags[owner].append(a)
            elif kind == "r":
                references[owner].append({"source": a, "external_id": b})
            else:
                rewards[owner].append(
                    Reward(
                        id=pk,
                        card_id=owner,
                        name=a,
                        position=position,
                        stamps_required=required,
                        active=bool(active),
                    )
                )
    return tags, references, rewards


def customer_queryset():
    return Customer.objects.select_related("customer_group").prefetch_related(
        *customer_prefetches()
    )


NETWORK_CUSTOMER = OpenApiResponse(
    description="A network's customer, read through a member store's key: only the network's "
    "key changes them."
)

# The list's filters: with none, the count past the cap is the planner's estimate of the store.
FILTERS = (
    "search",
    "source",
    "external_id",
    "status",
    "tag",
    "created_after",
    "created_before",
    "customer_group",
)


class ManagementCustomerView(CustomerScopedView):
    """A customer answered as the management API shows it, with their loyalty cards.

    A member store's key reads the network's customers it serves as well as its own
    (customers.selectors.customers_seen_by), and changes only its own: a change to a network's
    customer through a member store's paths is a 403 (the network's key makes it)."""

    def get_own_customer(self, customer_id) -> Customer:
        """The account's own customer, to change: a served network customer is a 403."""
        customer = self.get_customer(customer_id)
        if not may_change_customer(store=self.store, customer=customer):
            raise exceptions.PermissionDenied(
                "This customer is the network's: change them with the network's key."
            )
        return customer

    def customer_answer(self, customer, status_code=status.HTTP_200_OK) -> Response:
        """The customer as the API shows it, read again with everything it shows."""
        customer = customer_queryset().get(pk=customer.pk)
        data = api.ManagementCustomerSerializer(customer, context={"request": self.request}).data
        return Response(data, status=status_code)


class CustomerListView(ManagementCustomerView):
    @extend_schema(
        operation_id="management_customers_list",
        parameters=[api.ManagementCustomerListParams],
        responses={200: api.ManagementCustomerListSerializer, 422: INVALID},
        tags=TAGS,
    )
    def get(self, request, account_id):
        """The store's customers, a page at a time (`page` from 1, `items` up to 100).

        `search` finds names, emails, phones however typed, card codes and external ids (every
        word must match); `source` with `external_id` finds the customer holding exactly that
        reference. `created_after` is inclusive, `created_before` exclusive; a date means
        midnight in the store's time zone. `sort`: created_at, name, email or
        total_orders_count, with "-" for descending (default -created_at).
        """
        params = api.ManagementCustomerListParams(
            data=request.query_params, context={"store": self.store}
        )
        filters = valid(params)
        customers = customer_list_filtered(
            store=self.store,
            search=filters.get("search", ""),
            source=filters.get("source", ""),
            external_id=filters.get("external_id", ""),
            status=filters.get("status", ""),
            tag=filters.get("tag", ""),
            created_after=filters.get("created_after"),
            created_before=filters.get("created_before"),
            customer_group=filters.get("customer_group"),
            sort=filters["sort"],
        ).select_related("customer_group")
        # Paged here rather than with stores.api.management.paginated: the count decides how
        # the page is read (customers.selectors.customer_matches).
        page, items = filters["page"], filters["items"]
        filtered = any(filters.get(name) for name in FILTERS)
        # A network customer's total_orders_count, through a member store's key: their
        # orders at this store (never what they ordered at the network's other stores).
        customers = with_orders_here(customers, store=self.store)
        tally, ordered = customer_matches(
            customers, CUSTOMER_SORTS[filters["sort"]], filtered=filtered, store=self.store
        )
        offset = (page - 1) * items
        answers = []
        if offset < tally.value or not tally.exact:  # past a cap or an estimate, rows may be
            rows = list(ordered[offset : offset + items])
            answers = customer_answers(rows, request)
            for customer, answer in zip(rows, answers, strict=True):
                if customer.store_id != self.store.pk:
                    answer["total_orders_count"] = customer.orders_here
        pagination = {
            "count": tally.value,
            "count_is_exact": tally.exact,
            "items": items,
            "page": page,
            "pages": ceil(tally.value / items),
        }
        return Response({"customers": answers, "pagination": pagination})

    @extend_schema(
        operation_id="management_customers_create",
        request=api.ManagementCustomerCreateSerializer,
        responses={
            201: api.ManagementCustomerSerializer,
            200: OpenApiResponse(
                api.ManagementCustomerSerializer,
                description="A retry: a customer of the store already holds one of the "
                "external_references sent; it was updated with the fields sent instead.",
            ),
            422: INVALID,
        },
        tags=TAGS,
    )
    def post(self, request, account_id):
        """Create a customer: `first_name` and an email or a phone, both unique in the store.

        With `card_id` the customer is enrolled in that card of the store and gets its
        initial_stamps as a welcome bonus; with `send_card_links` the card's code and wallet
        links are sent by e-mail and SMS.

        Safe to retry with `external_references`: when one of them already belongs to a
        customer of the store, no second customer is made. That customer is updated with the
        fields sent (metadata merged), enrolled in `card_id` if not yet, and answered with 200
        (card links are sent only for a card enrolled by this call). References sent that
        belong to two different customers are a 422.
        """
        body = unwrap(request.data, "customer")
        fields = dict(valid(api.ManagementCustomerWriteSerializer, body))
        options = valid(api.ManagementCustomerCreateOptions, request.data)
        card = self._card(options.get("card_id"))
        references = fields.pop("external_references", [])

        customer, enrolment, created = customer_upsert_by_reference(
            store=self.store,
            card=card,
            external_references=references,
            actor_api_key=self.api_key,
            **fields,
        )

        if options.get("send_card_links") and enrolment is not None:
            card_links_send(enrolment=enrolment, request=request)
        return self.customer_answer(
            customer, status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def _card(self, card_id) -> LoyaltyCard | None:
        if card_id is None:
            return None
        card = LoyaltyCard.objects.filter(store=self.store, pk=card_id).first()
        if card is None:
            raise ValidationError({"card_id": ["This store has no loyalty card with this id."]})
        return card


class CustomerDetailView(ManagementCustomerView):
    @extend_schema(
        operation_id="management_customer_retrieve",
        parameters=[CUSTOMER_ID],
        responses={200: api.ManagementCustomerSerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, account_id, customer_id):
        """A customer with their loyalty cards (stamps, rewards within reach, wallet links)."""
        customer = self.get_customer(customer_id, customer_queryset())
        data = api.ManagementCustomerSerializer(customer, context={"request": request}).data
        if customer.store_id != self.store.pk:  # a network's customer: their orders here
            data["total_orders_count"] = customer.orders.filter(store=self.store).count()
        return Response(data)

    @extend_schema(
        operation_id="management_customer_update",
        parameters=[CUSTOMER_ID],
        request=api.ManagementCustomerUpdateSerializer,
        responses={
            200: api.ManagementCustomerSerializer,
            403: NETWORK_CUSTOMER,
            404: NOT_FOUND,
            422: INVALID,
        },
        tags=TAGS,
    )
    def patch(self, request, account_id, customer_id):
        """Change the fields sent, and only those. `metadata` is merged (a key sent as null is
        removed), `tags` replaces the tags, `external_references` adds the references the
        customer does not hold yet. Stamps and rewards have their own customer_cards calls."""
        customer = self.get_own_customer(customer_id)
        serializer = api.ManagementCustomerWriteSerializer(
            data=unwrap(request.data, "customer"), partial=True
        )
        fields = dict(valid(serializer))
        references = fields.pop("external_references", None) or ()
        customer = customer_update(
            customer=customer,
            data=fields,
            external_references=references,
            merge_metadata=True,
            actor_api_key=self.api_key,
        )
        return self.customer_answer(customer)

    @extend_schema(
        operation_id="management_customer_replace",
        parameters=[CUSTOMER_ID],
        request=api.ManagementCustomerUpdateSerializer,
        responses={
            200: api.ManagementCustomerSerializer,
            403: NETWORK_CUSTOMER,
            404: NOT_FOUND,
            422: INVALID,
        },
        tags=TAGS,
    )
    def put(self, request, account_id, customer_id):
        """The same as PATCH (as in Leal): only the fields sent change."""
        return self.patch(request, account_id, customer_id)

    @extend_schema(
        operation_id="management_customer_destroy",
        parameters=[CUSTOMER_ID],
        responses={204: None, 403: NETWORK_CUSTOMER, 404: NOT_FOUND},
        tags=TAGS,
    )
    def delete(self, request, account_id, customer_id):
        """Delete the customer with their addresses, cards and reviews. Their orders stay,
        with the name, contact and address they were placed with."""
        customer_delete(customer=self.get_own_customer(customer_id), actor_api_key=self.api_key)
        return Response(status=status.HTTP_204_NO_CONTENT)
