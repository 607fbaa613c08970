"""What the tests share: a client carrying a store's key (and a customer's token), the error
shape both APIs answer with, the instant date-dependent tests run at, and the management forms
of the Django admin inlines a test leaves empty. The fixtures over them (`key`, `api`,
`frozen_clock`) are in tests/conftest.py."""

from datetime import UTC, datetime

from rest_framework.test import APIClient

from customers.tokens import customer_token_issue

# A Wednesday at noon UTC: mid-week, and the same date in every zone from UTC-11 to UTC+11.
FROZEN_NOW = datetime(2025, 6, 11, 12, 0, tzinfo=UTC)


def client_of(key, customer=None) -> APIClient:
    """An API client with `key` (an issued key) as Bearer and, given a customer, a fresh
    Customer-Token of theirs. A secret key's client (the management API) sends JSON."""
    client = APIClient()
    if key.api_key.kind == "secret":
        client.default_format = "json"
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key.raw}"}
    if customer is not None:
        headers["HTTP_CUSTOMER_TOKEN"] = customer_token_issue(customer=customer)
    client.credentials(**headers)
    return client


def as_customer(api, customer):
    """`api` signed in as `customer` (a new Customer-Token), keeping its store key."""
    api.credentials(
        HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"],
        HTTP_CUSTOMER_TOKEN=customer_token_issue(customer=customer),
    )
    return api


def assert_error(response, status, *fields):
    """`response` has `status` and the APIs' error shape, `{"errors": [...], "fields": {...}}`,
    with a message for each of `fields`. Returns the body."""
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["errors"], list) and body["errors"] and all(body["errors"])
    for field in fields:
        assert field in body["fields"], body
    return body


def empty_inlines(*prefixes) -> dict:
    """The management forms of a Django admin page's inlines that a test leaves empty."""
    data = {}
    for prefix in prefixes:
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data


def form_data(**overrides):
    """A valid console customer form (edit or create), with `overrides`."""
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone": "+14155550123",
        "birthday": "",
        "tags": "",
        "meta_key": [],
        "meta_value": [],
    }
    data.update(overrides)
    return data
