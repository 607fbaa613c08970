"""The shopper API's loyalty cards: GET customers/cards."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from customers.tokens import customer_token_issue
from loyalty.api.serializers import EnrolmentSerializer
from loyalty.selectors import enrolment_list
from loyalty.services import card_enrol
from stores.services import api_key_create, api_key_revoke
from tests import factories
from tests.helpers import as_customer, assert_error

pytestmark = pytest.mark.django_db
API = "/storefront/v1"


@pytest.fixture
def coffee_card(store):
    card = factories.LoyaltyCardFactory(store=store, name="Coffee card", stamps_required=10)
    factories.RewardFactory(card=card, name="Free cookie", stamps_required=3, position=0)
    factories.RewardFactory(card=card, name="Free coffee", stamps_required=5, position=1)
    factories.RewardFactory(card=card, name="Free bag", stamps_required=9, position=2)
    factories.RewardFactory(card=card, name="Retired", stamps_required=1, active=False)
    return card


def test_cards_need_the_key_and_a_customer_token(store, key, customer):
    client = APIClient()
    assert_error(client.get(f"{API}/customers/cards"), 401)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw}")
    assert_error(client.get(f"{API}/customers/cards"), 401)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw}", HTTP_CUSTOMER_TOKEN="forged")
    assert_error(client.get(f"{API}/customers/cards"), 401)
    token = customer_token_issue(customer=customer)
    api_key_revoke(api_key=key.api_key)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw}", HTTP_CUSTOMER_TOKEN=token)
    assert_error(client.get(f"{API}/customers/cards"), 401)


def test_cards_list_the_customers_enrolments(api, customer, coffee_card):
    enrolment = factories.CustomerCardFactory(
        customer=customer, card=coffee_card, code="000000000042", stamps_count=6
    )

    body = as_customer(api, customer).get(f"{API}/customers/cards").json()

    assert body == [
        {
            "id": str(enrolment.uuid),
            "uuid": str(enrolment.uuid),
            "card_id": coffee_card.pk,
            "card_name": "Coffee card",
            "status": "active",
            "code": "000000000042",
            "stamps_count": 6,
            "stamps_remaining": 4,
            "progress_percentage": 60,
            "available_rewards": [
                {"id": reward.pk, "name": reward.name, "stamps_required": reward.stamps_required}
                for reward in coffee_card.rewards.filter(name__in=["Free cookie", "Free coffee"])
            ],
            "pass_installed": False,
            "issued_at": body[0]["issued_at"],
            "expires_at": None,
            "apple_wallet_url": None,
            "google_wallet_url": None,
            "created_at": body[0]["created_at"],
            "updated_at": body[0]["updated_at"],
        }
    ]


@pytest.mark.usefixtures("frozen_clock")
def test_an_expired_card_shows_expired_and_offers_nothing(api, customer, coffee_card):
    factories.CustomerCardFactory(
        customer=customer,
        card=coffee_card,
        stamps_count=9,
        expires_at=timezone.now() - timedelta(days=1),
    )
    (card,) = as_customer(api, customer).get(f"{API}/customers/cards").json()
    assert card["status"] == "expired" and card["available_rewards"] == []


def test_one_customer_never_sees_anothers_cards(api, store, customer, coffee_card):
    mine = card_enrol(customer=customer, card=coffee_card)
    card_enrol(customer=factories.CustomerFactory(store=store), card=coffee_card)

    body = as_customer(api, customer).get(f"{API}/customers/cards").json()
    assert [c["id"] for c in body] == [str(mine.uuid)]


def test_a_token_of_another_store_is_refused(other_store, customer, coffee_card):
    card_enrol(customer=customer, card=coffee_card)
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {api_key_create(store=other_store, kind='publishable').raw}",
        HTTP_CUSTOMER_TOKEN=customer_token_issue(customer=customer),
    )
    assert_error(client.get(f"{API}/customers/cards"), 401)


def test_cards_page_with_limit_and_offset(api, store, customer):
    enrolments = [
        card_enrol(customer=customer, card=factories.LoyaltyCardFactory(store=store))
        for _ in range(4)
    ]
    newest_first = [str(e.uuid) for e in reversed(enrolments)]
    as_customer(api, customer)
    page = api.get(f"{API}/customers/cards", {"limit": 2, "offset": 1}).json()
    assert [c["id"] for c in page] == newest_first[1:3]
    assert_error(api.get(f"{API}/customers/cards", {"limit": 101}), 422, "limit")


def test_cards_list_queries_do_not_grow_with_the_page(
    api, store, customer, django_assert_num_queries, settings
):
    settings.API_KEY_CACHE_SECONDS = 0  # the key is one of the queries counted
    for n in range(10):
        card = factories.LoyaltyCardFactory(store=store)
        factories.RewardFactory(card=card, stamps_required=1)
        factories.RewardFactory(card=card, stamps_required=2)
        factories.CustomerCardFactory(customer=customer, card=card, stamps_count=n)
    as_customer(api, customer).get(f"{API}/customers/cards")  # last-used times written once

    # The key, the token (with its customer), the enrolments with their cards, the rewards.
    with django_assert_num_queries(4):
        assert len(api.get(f"{API}/customers/cards", {"limit": 1}).json()) == 1
    with django_assert_num_queries(4):
        page = api.get(f"{API}/customers/cards", {"limit": 10}).json()
    assert len(page) == 10 and sum(len(c["available_rewards"]) for c in page) == 17


def test_the_management_shape_keeps_the_integer_id(customer, coffee_card):
    enrolment = card_enrol(customer=customer, card=coffee_card)
    data = EnrolmentSerializer(enrolment_list(customer=customer).get()).data
    assert data["id"] == enrolment.pk and data["uuid"] == str(enrolment.uuid)
