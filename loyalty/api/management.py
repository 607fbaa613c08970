"""Management API (Leal-compatible): card programmes, rewards, and a customer's cards with
stamping, redeeming and the ledger. Views parse and answer; loyalty.services decides.

Everything is looked up inside the key's store: an id of another store's customer, card,
reward or enrolment in the path is a 404; in a body (card_id, reward_id) it is a 422 on that
field. Writes made here record the API key as the actor of their ledger entries.
"""

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from customers.models import Customer
from loyalty import selectors, services
from loyalty.api import management_serializers as api
from loyalty.api.serializers import EnrolmentSerializer
from loyalty.models import CustomerCard, LoyaltyCard, Reward
from loyalty.wallet import card_links_send
from stores.api.management import AccountView, PageParams, paginated, unwrap

TAGS = ["Management: loyalty"]


def _path_id(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.PATH, description=description)


CARD_ID = [_path_id("id", "Card ID")]
REWARD_ID = [_path_id("id", "Reward ID")]
CUSTOMER_ID = [_path_id("customer_id", "Customer ID")]
ENROLMENT_ID = [*CUSTOMER_ID, _path_id("id", "Customer card (enrolment) ID")]
NOT_FOUND = OpenApiResponse(description="Not found in this store (or another store's key).")
INVALID = OpenApiResponse(description="Validation failed: `errors`, and `fields` per field.")
REFUSED = OpenApiResponse(
    description="Refused: past the card's daily limit, too few stamps, or the card expired or "
    "was canceled (`errors`, and `fields`)."
)


def _found(queryset, pk, what: str):
    """The row of `queryset` with primary key `pk` (a path segment), or a 404."""
    row = queryset.filter(pk=int(pk)).first()
    if row is None:
        raise exceptions.NotFound(f"{what} not found.")
    return row


def _valid(serializer_class, data, *, partial=False) -> dict:
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _card_of_store(store, card_id: int) -> LoyaltyCard:
    """The store's card named in a body, or a 422 on card_id."""
    card = LoyaltyCard.objects.filter(store=store, pk=card_id).first()
    if card is None:
        raise ValidationError({"card_id": ["There is no card with this id in the store."]})
    return card


def _card_answer(card: LoyaltyCard, status_code=status.HTTP_200_OK) -> Response:
    card = LoyaltyCard.objects.prefetch_related("rewards").get(pk=card.pk)
    return Response(api.CardSerializer(card).data, status=status_code)


# --- Card programmes ----------------------------------------------------------------------------


class CardListView(AccountView):
    @extend_schema(
        operation_id="management_cards_list",
        responses={200: api.CardSerializer(many=True)},
        tags=TAGS,
    )
    def get(self, request, **kwargs):
        """All the store's card programmes with their rewards (a bare array, archived last)."""
        cards = selectors.store_cards(store=self.store)
        return Response(api.CardSerializer(cards, many=True).data)

    @extend_schema(
        operation_id="management_cards_create",
        request=api.CardBodySerializer,
        responses={201: api.CardSerializer, 422: INVALID},
        tags=TAGS,
    )
    def post(self, request, **kwargs):
        """Create a card programme: `{"card": {name, stamps_required (1–21), initial_stamps
        (0 ≤ n < stamps_required), card_color, text_color, header_text, expires_at, expiry_days,
        max_stamps_per_day}}`."""
        data = _valid(api.CardWriteSerializer, unwrap(request.data, "card"))
        card = services.card_create(store=self.store, data=data)
        return _card_answer(card, status.HTTP_201_CREATED)


class CardDetailView(AccountView):
    def card(self) -> LoyaltyCard:
        return _found(LoyaltyCard.objects.filter(store=self.store), self.kwargs["id"], "Card")

    @extend_schema(
        operation_id="management_cards_retrieve",
        parameters=CARD_ID,
        responses={200: api.CardSerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, **kwargs):
        """A card programme with its rewards."""
        return _card_answer(self.card())

    @extend_schema(
        operation_id="management_cards_partial_update",
        parameters=CARD_ID,
        request=api.CardUpdateBodySerializer,
        responses={200: api.CardSerializer, 404: NOT_FOUND, 422: INVALID},
        tags=TAGS,
    )
    def patch(self, request, **kwargs):
        """Change a card programme: only the fields sent change. Lowering stamps_required below
        a reward's cost is refused."""
        card = self.card()
        data = _valid(api.CardWriteSerializer, unwrap(request.data, "card"), partial=True)
        return _card_answer(services.card_update(card=card, data=data))

    @extend_schema(
        operation_id="management_cards_update",
        parameters=CARD_ID,
        request=api.CardUpdateBodySerializer,
        responses={200: api.CardSerializer, 404: NOT_FOUND, 422: INVALID},
        tags=TAGS,
    )
    def put(self, request, **kwargs):
        """The same as PATCH (as Leal, a Rails API, routes both): only the fields sent change."""
        return self.patch(request, **kwargs)


# --- Rewards ------------------------------------------------------------------------------------


class RewardListView(AccountView):
    @extend_schema(
        operation_id="management_rewards_list",
        parameters=[api.RewardListParams],
        responses={200: api.RewardSerializer(many=True), 422: INVALID},
        tags=TAGS,
    )
    def get(self, request, **kwargs):
        """The rewards of the store's cards, or of one card (`card_id`): a bare array."""
        card_id = _valid(api.RewardListParams, request.query_params).get("card_id")
        rewards = selectors.store_rewards(store=self.store, card_id=card_id)
        return Response(api.RewardSerializer(rewards, many=True).data)

    @extend_schema(
        operation_id="management_rewards_create",
        request=api.RewardBodySerializer,
        responses={201: api.RewardSerializer, 422: INVALID},
        tags=TAGS,
    )
    def post(self, request, **kwargs):
        """Add a reward to one of the store's cards; it costs from 1 stamp to a full card."""
        data = _valid(api.RewardWriteSerializer, unwrap(request.data, "reward"))
        card = _card_of_store(self.store, data.pop("card_id"))
        reward = services.reward_create(card=card, data=data)
        return Response(api.RewardSerializer(reward).data, status=status.HTTP_201_CREATED)


class RewardDetailView(AccountView):
    def reward(self) -> Reward:
        rewards = Reward.objects.filter(card__store=self.store)
        return _found(rewards, self.kwargs["id"], "Reward")

    @extend_schema(
        operation_id="management_rewards_retrieve",
        parameters=REWARD_ID,
        responses={200: api.RewardSerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, **kwargs):
        """A reward."""
        return Response(api.RewardSerializer(self.reward()).data)

    @extend_schema(
        operation_id="management_rewards_partial_update",
        parameters=REWARD_ID,
        request=api.RewardUpdateBodySerializer,
        responses={200: api.RewardSerializer, 404: NOT_FOUND, 422: INVALID},
        tags=TAGS,
    )
    def patch(self, request, **kwargs):
        """Change a reward: only the fields sent change; `card_id` moves it to another of the
        store's cards."""
        reward = self.reward()
        data = _valid(api.RewardWriteSerializer, unwrap(request.data, "reward"), partial=True)
        card = _card_of_store(self.store, data.pop("card_id")) if "card_id" in data else None
        reward = services.reward_update(reward=reward, data=data, card=card)
        return Response(api.RewardSerializer(reward).data)

    @extend_schema(
        operation_id="management_rewards_update",
        parameters=REWARD_ID,
        request=api.RewardUpdateBodySerializer,
        responses={200: api.RewardSerializer, 404: NOT_FOUND, 422: INVALID},
        tags=TAGS,
    )
    def put(self, request, **kwargs):
        """The same as PATCH: only the fields sent change."""
        return self.patch(request, **kwargs)

    @extend_schema(
        operation_id="management_rewards_destroy",
        parameters=REWARD_ID,
        responses={204: None, 404: NOT_FOUND},
        tags=TAGS,
    )
    def delete(self, request, **kwargs):
        """Delete a reward. Redemptions already made stay in the ledger under its name."""
        services.reward_delete(reward=self.reward())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- A customer's cards -------------------------------------------------------------------------


class CustomerCardsView(AccountView):
    """Base for customers/{customer_id}/customer_cards/…: the customer and the enrolment must
    be the store's, and the enrolment the customer's."""

    def customer(self) -> Customer:
        customers = Customer.objects.filter(store=self.store)
        return _found(customers, self.kwargs["customer_id"], "Customer")

    def enrolment(self) -> CustomerCard:
        enrolments = selectors.enrolment_list(customer=self.customer()).filter(store=self.store)
        return _found(enrolments, self.kwargs["id"], "Customer card")

    def enrolment_answer(self, enrolment, status_code=status.HTTP_200_OK) -> Response:
        data = EnrolmentSerializer(enrolment, context={"request": self.request}).data
        return Response(data, status=status_code)


class CustomerCardListView(CustomerCardsView):
    @extend_schema(
        operation_id="management_customer_cards_list",
        parameters=CUSTOMER_ID,
        responses={200: EnrolmentSerializer(many=True), 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, **kwargs):
        """The customer's cards (enrolments), newest first: a bare array."""
        enrolments = selectors.enrolment_list(customer=self.customer())
        return Response(
            EnrolmentSerializer(enrolments, many=True, context={"request": request}).data
        )

    @extend_schema(
        operation_id="management_customer_cards_create",
        parameters=CUSTOMER_ID,
        request=api.EnrolRequestSerializer,
        responses={201: EnrolmentSerializer, 404: NOT_FOUND, 422: INVALID},
        tags=TAGS,
    )
    def post(self, request, **kwargs):
        """Enrol the customer in a card; its welcome stamps (initial_stamps) are applied. The
        card's `code` is the one given (the barcode of a card handed out) or a new one. With
        `send_card_links`, the card's code and wallet links are e-mailed / texted to them."""
        customer = self.customer()
        data = _valid(api.EnrolRequestSerializer, request.data)
        card = _card_of_store(self.store, data["card_id"])
        enrolment = services.card_enrol(
            customer=customer, card=card, code=data.get("code"), actor_api_key=self.api_key
        )
        enrolment = (
            selectors.enrolment_list(customer=customer)
            .select_related("customer", "store")
            .get(pk=enrolment.pk)
        )
        if data["send_card_links"]:
            card_links_send(enrolment=enrolment, request=request)
        return self.enrolment_answer(enrolment, status.HTTP_201_CREATED)


class CustomerCardDetailView(CustomerCardsView):
    @extend_schema(
        operation_id="management_customer_cards_retrieve",
        parameters=ENROLMENT_ID,
        responses={200: EnrolmentSerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, **kwargs):
        """One of the customer's cards, with its balance and the rewards it can buy now."""
        return self.enrolment_answer(self.enrolment())


class StampView(CustomerCardsView):
    @extend_schema(
        operation_id="management_customer_cards_stamp",
        parameters=ENROLMENT_ID,
        request=api.StampRequestSerializer,
        responses={200: EnrolmentSerializer, 404: NOT_FOUND, 422: REFUSED},
        tags=TAGS,
    )
    def post(self, request, **kwargs):
        """Add stamps (1–100, default 1). Refused (422) past the card's daily limit (a
        network's card: over all its member stores that day), or when the card has expired or
        was canceled. A network's card takes `store_id`, the member store where it happens.
        The customer is told their balance (or that a reward is ready) by e-mail, else SMS,
        unless `skip_notifications` is true."""
        enrolment = self.enrolment()
        data = _valid(api.StampRequestSerializer, request.data)
        services.stamp_add(
            enrolment=enrolment,
            count=data["stamps"],
            note=data["note"],
            actor_api_key=self.api_key,
            notify=not data["skip_notifications"],
            at_store=services.at_store_find(account=self.store, store_id=data["store_id"]),
        )
        return self.enrolment_answer(enrolment)


class RedeemView(CustomerCardsView):
    @extend_schema(
        operation_id="management_customer_cards_redeem",
        parameters=ENROLMENT_ID,
        request=api.RedeemRequestSerializer,
        responses={200: api.RedeemAnswerSerializer, 404: NOT_FOUND, 422: REFUSED},
        tags=TAGS,
    )
    def post(self, request, **kwargs):
        """Redeem a reward of the card: its stamps_required are taken off the balance. Refused
        (422) with too few stamps, an inactive reward, or an expired card. A network's card
        takes `store_id`, the member store where it happens."""
        enrolment = self.enrolment()
        data = _valid(api.RedeemRequestSerializer, request.data)
        reward = Reward.objects.filter(card__store=self.store, pk=data["reward_id"]).first()
        if reward is None:
            raise ValidationError({"reward_id": ["There is no reward with this id in the store."]})
        entry = services.reward_redeem(
            enrolment=enrolment,
            reward=reward,
            actor_api_key=self.api_key,
            at_store=services.at_store_find(account=self.store, store_id=data["store_id"]),
        )
        return Response(api.RedeemAnswerSerializer({"success": True, "redemption": entry}).data)


class HistoryView(CustomerCardsView):
    @extend_schema(
        operation_id="management_customer_cards_history",
        parameters=[*ENROLMENT_ID, PageParams],
        responses={200: api.HistorySerializer, 404: NOT_FOUND, 422: INVALID},
        tags=TAGS,
    )
    def get(self, request, **kwargs):
        """The card's ledger, newest first: every stamp, welcome bonus, redemption, adjustment
        and expiry with its `delta`, the `balance_after` it left, who made it and at which
        `store`."""
        entries = selectors.enrolment_entries(enrolment=self.enrolment())
        return Response(
            paginated(request, entries, key="entries", serializer_class=api.HistoryEntrySerializer)
        )
