"""What a shopper's most frequent requests cost (queries), and that their answers, written out
for speed, are byte for byte what DRF's generic serializer path gives."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.test import RequestFactory
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from customers.api.serializers import (
    CustomerSerializer,
    CustomerWithTokenSerializer,
    PlaceSerializer,
)
from customers.api.views import customer_queryset
from customers.models import Customer
from reviews.api.catalogue_serializers import StoreSerializer
from reviews.api.catalogue_views import store_about
from tests import factories
from tests.helpers import client_of

pytestmark = pytest.mark.django_db
API = "/storefront/v1"


@pytest.fixture
def cached_keys(settings):
    settings.API_KEY_CACHE_SECONDS = 60


def generic(serializer, instance) -> bytes:
    """The answer through DRF's generic path: every declared and model field, built and read."""
    return JSONRenderer().render(
        serializers.ModelSerializer.to_representation(serializer, instance)
    )


@pytest.fixture
def rich_customer(store):
    """A customer with every field of the answer set, a photo and two places."""
    customer = factories.CustomerFactory(
        store=store,
        first_name="Zoë",
        last_name="O'Connor",
        email="zoe@example.com",
        phone="+14155550199",
        email_verified_at=datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=UTC),
        phone_verified_at=datetime(2025, 3, 5, 0, 0, tzinfo=UTC),
        pending_email="new@example.com",
        birthday=date(1990, 2, 28),
        metadata={"tier": "gold", "nested": {"n": 1.5, "list": [1, "two", None]}, "ü": "\u2028"},
        photo="customers/1/photo_abc.png",
        password="x",
        total_orders_count=7,
        status="repeat",
    )
    factories.AddressFactory(customer=customer, is_default=False, street2="Unit 4")
    factories.AddressFactory(
        customer=customer,
        is_default=True,
        latitude=Decimal("37.774929"),
        longitude=Decimal("-122.419416"),
        instructions="Ring twice",
    )
    return customer


def fetched(customer) -> Customer:
    """The customer as the answers read them (with their places, in the answer's order)."""
    return customer_queryset().get(pk=customer.pk)


# --- queries --------------------------------------------------------------------------------


def test_about_with_a_cached_key_takes_no_query(api, cached_keys, django_assert_num_queries):
    api.get(f"{API}/about")
    with django_assert_num_queries(0):
        assert api.get(f"{API}/about").status_code == 200


def test_about_without_the_key_cache_takes_one_query(api, settings, django_assert_num_queries):
    settings.API_KEY_CACHE_SECONDS = 0
    api.get(f"{API}/about")  # the key's use is recorded once
    with django_assert_num_queries(1):  # the key with its store
        assert api.get(f"{API}/about").status_code == 200


def test_a_customer_reading_their_profile_takes_two_queries(
    key, rich_customer, cached_keys, django_assert_num_queries
):
    shopper = client_of(key, rich_customer)
    url = f"{API}/customers/{rich_customer.public_id}"
    shopper.get(url)  # the token's use is recorded once
    with django_assert_num_queries(2):  # the token with its customer; their places
        assert len(shopper.get(url).json()["addresses"]) == 2


# --- answers --------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata"])
def test_the_profile_answer_is_the_generic_serializers(key, rich_customer, settings, zone):
    settings.TIME_ZONE = zone
    shopper = client_of(key, rich_customer)
    response = shopper.get(f"{API}/customers/{rich_customer.public_id}")
    request = RequestFactory().get("/", HTTP_HOST="testserver")
    customer = fetched(rich_customer)
    serializer = CustomerSerializer(customer, context={"request": request})
    assert response.content == generic(serializer, customer)
    assert b"+05:30" in response.content or zone == "UTC"


def test_places_in_the_profile_are_the_place_serializers(rich_customer):
    customer = fetched(rich_customer)
    places = CustomerSerializer(customer).data["addresses"]
    assert [JSONRenderer().render(place) for place in places] == [
        generic(PlaceSerializer(address), address) for address in customer.addresses.all()
    ]


def test_an_empty_profile_and_a_login_answer_are_the_generic_serializers(store):
    bare = factories.CustomerFactory(store=store, email="", phone="+14155550100", metadata={})
    customer = fetched(bare)
    assert JSONRenderer().render(CustomerSerializer(customer).data) == generic(
        CustomerSerializer(customer), customer
    )
    with_token = CustomerWithTokenSerializer(customer, context={"token": "t0k"})
    assert JSONRenderer().render(with_token.data) == generic(with_token, customer)


def test_the_about_answer_is_the_store_serializers(api, store):
    store.reviews_enabled = False
    store.save()
    assert api.get(f"{API}/about").content == generic(StoreSerializer(store), store)
    network = factories.NetworkFactory()
    factories.StoreFactory(network=network, name="Member")
    assert JSONRenderer().render(store_about(network)) == generic(StoreSerializer(network), network)
