"""The shopper API's account flows, through HTTP as an app built on the Fleetbase SDK calls
them (paths without a trailing slash, the store key as Bearer, Customer-Token)."""

import base64
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from customers import notifications
from customers.models import Customer, CustomerEvent, CustomerToken, Device, VerificationCode
from customers.tokens import customer_token_issue
from stores.services import api_key_create, api_key_revoke
from tests import factories
from tests.customers.test_api_social import (  # noqa: F401 (fixtures)
    GOOGLE,
    app_client,
    google_token,
    providers,
    signing_key,
    social_store,
)
from tests.helpers import as_customer, assert_error

pytestmark = pytest.mark.django_db
API = "/storefront/v1"


@pytest.fixture
def registered(store):
    customer = factories.CustomerFactory(
        store=store,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        phone="+14155550123",
    )
    customer.password = "x"
    from django.contrib.auth.hashers import make_password

    customer.password = make_password("analytical engine")
    customer.save()
    return customer


def last_code() -> str:
    texts = [m.body for m in mail.outbox] + [s.body for s in notifications.outbox]
    return re.search(r"\b(\d{6})\b", texts[-1]).group(1)


# --- keys -----------------------------------------------------------------------------------


def test_every_call_needs_the_store_key(store, key, other_store):
    client = APIClient()
    assert_error(client.get(f"{API}/customers/places"), 401)
    client.credentials(HTTP_AUTHORIZATION="Bearer store_not-a-real-key-at-all-0000000000000000")
    assert_error(client.post(f"{API}/customers/login", {}, format="json"), 401)
    secret = api_key_create(store=store, kind="secret")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret.raw}")  # a secret key is not one
    assert_error(client.post(f"{API}/customers/login", {}, format="json"), 401)
    api_key_revoke(api_key=key.api_key)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw}")
    assert_error(client.post(f"{API}/customers/login", {}, format="json"), 401)


def test_malformed_json_is_400_with_the_error_shape(api):
    response = api.generic(
        "POST", f"{API}/customers/login", "{not json", content_type="application/json"
    )
    assert_error(response, 400)


def test_paths_work_with_and_without_a_trailing_slash(api):
    for path in (f"{API}/customers/login", f"{API}/customers/login/"):
        assert_error(api.post(path, {"identity": "x@y.io", "password": "nope"}, format="json"), 401)


# --- registration ---------------------------------------------------------------------------


def test_register_with_an_emailed_code(api, store):
    response = api.post(
        f"{API}/customers/request-creation-code",
        {"identity": "Grace@Example.com", "mode": "email"},
        format="json",
    )
    assert response.status_code == 200 and response.json() == {"status": "OK"}
    assert mail.outbox[-1].to == ["grace@example.com"]
    code = last_code()
    assert not VerificationCode.objects.filter(code_hash__contains=code).exists()

    response = api.post(
        f"{API}/customers",
        {
            "identity": "grace@example.com",
            "code": code,
            "name": "Grace Brewster Hopper",
            "password": "cobol is fine",
            "phone": "202 555 0188",
            "meta": {"team": "navy"},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"].startswith("customer_") and len(body["token"]) >= 40
    assert (body["first_name"], body["last_name"]) == ("Grace", "Brewster Hopper")
    # The phone is not proven by this code: it waits for its own (see test_contact_change.py).
    assert body["email"] == "grace@example.com" and body["pending_phone"] == "+12025550188"
    assert body["has_password"] is True and "password" not in body
    assert body["meta"] == {"team": "navy"} and body["orders"] == 0 and body["status"] == "prospect"
    for field in ("name", "photo_url", "address", "addresses", "slug", "created_at", "updated_at"):
        assert field in body

    api.credentials(
        HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"], HTTP_CUSTOMER_TOKEN=body["token"]
    )
    me = api.get(f"{API}/customers/{body['id']}")
    assert me.status_code == 200 and me.json()["email"] == "grace@example.com"
    assert "token" not in me.json()
    assert CustomerToken.objects.get().key_hash != body["token"]  # only a hash is stored


def test_register_with_an_sms_code(api):
    api.post(
        f"{API}/customers/request-creation-code",
        {"identity": "(415) 555-0177", "mode": "sms"},
        format="json",
    )
    assert notifications.outbox[-1].to == "+14155550177"
    response = api.post(
        f"{API}/customers",
        {"identity": "+1 415 555 0177", "code": last_code(), "name": "Alan"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["has_password"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"identity": "not an identity", "mode": "email"}, "identity"),
        ({"identity": "ada@example.com", "mode": "sms"}, "mode"),
        ({"identity": "ada@example.com", "mode": "pigeon"}, "mode"),
        ({}, "identity"),
    ],
)
def test_request_code_refuses_bad_input(api, body, field):
    assert_error(
        api.post(f"{API}/customers/request-creation-code", body, format="json"), 422, field
    )


def test_codes_are_single_use(api):
    api.post(f"{API}/customers/request-creation-code", {"identity": "a@b.io"}, format="json")
    code = last_code()
    first = api.post(
        f"{API}/customers", {"identity": "a@b.io", "code": code, "name": "A"}, format="json"
    )
    assert first.status_code == 201
    Customer.objects.all().delete()
    again = api.post(
        f"{API}/customers", {"identity": "a@b.io", "code": code, "name": "A"}, format="json"
    )
    assert_error(again, 422, "code")


def test_codes_die_after_five_wrong_tries(api):
    api.post(f"{API}/customers/request-creation-code", {"identity": "a@b.io"}, format="json")
    code = last_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert_error(
            api.post(
                f"{API}/customers",
                {"identity": "a@b.io", "code": wrong, "name": "A"},
                format="json",
            ),
            422,
            "code",
        )
    right = api.post(
        f"{API}/customers", {"identity": "a@b.io", "code": code, "name": "A"}, format="json"
    )
    assert_error(right, 422, "code")
    assert not Customer.objects.exists()


@pytest.mark.usefixtures("frozen_clock")
def test_codes_expire_after_ten_minutes(api):
    api.post(f"{API}/customers/request-creation-code", {"identity": "a@b.io"}, format="json")
    VerificationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api.post(
        f"{API}/customers", {"identity": "a@b.io", "code": last_code(), "name": "A"}, format="json"
    )
    assert_error(response, 422, "code")


def test_a_code_is_only_good_for_its_identity_and_purpose(api, registered):
    api.post(f"{API}/customers/request-creation-code", {"identity": "a@b.io"}, format="json")
    code = last_code()
    response = api.post(
        f"{API}/customers", {"identity": "c@d.io", "code": code, "name": "C"}, format="json"
    )
    assert_error(response, 422, "code")
    # a creation code does not log anybody in
    response = api.post(
        f"{API}/customers/verify-code", {"identity": "a@b.io", "code": code}, format="json"
    )
    assert response.status_code in (401, 422)


def test_a_new_code_retires_the_old_one(api):
    api.post(f"{API}/customers/request-creation-code", {"identity": "a@b.io"}, format="json")
    old = last_code()
    api.post(f"{API}/customers/request-creation-code", {"identity": "a@b.io"}, format="json")
    if old != last_code():
        response = api.post(
            f"{API}/customers", {"identity": "a@b.io", "code": old, "name": "A"}, format="json"
        )
        assert_error(response, 422, "code")


def test_registering_an_existing_account_is_refused(api, registered):
    api.post(
        f"{API}/customers/request-creation-code", {"identity": "ada@example.com"}, format="json"
    )
    response = api.post(
        f"{API}/customers",
        {"identity": "ada@example.com", "code": last_code(), "name": "Eve"},
        format="json",
    )
    assert_error(response, 422, "identity")
    assert Customer.objects.get(email="ada@example.com").first_name == "Ada"


def test_registering_turns_a_guest_record_into_an_account_with_its_orders(api, store):
    guest = factories.CustomerFactory(
        store=store,
        email="guest@example.com",
        phone="",
        is_guest=True,
        total_orders_count=1,
        status="acquired",
    )
    order = factories.OrderFactory(customer=guest)
    api.post(
        f"{API}/customers/request-creation-code", {"identity": "guest@example.com"}, format="json"
    )
    response = api.post(
        f"{API}/customers",
        {
            "identity": "guest@example.com",
            "code": last_code(),
            "name": "Now Registered",
            "password": "a long password",
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["id"] == guest.public_id and response.json()["orders"] == 1
    guest.refresh_from_db()
    assert not guest.is_guest and guest.first_name == "Now"
    order.refresh_from_db()
    assert order.customer_id == guest.pk


def test_a_refused_registration_leaves_the_code_usable(api):
    api.post(f"{API}/customers/request-creation-code", {"identity": "lin@example.com"})
    code = last_code()
    body = {"identity": "lin@example.com", "code": code, "name": "Lin Yu"}
    assert_error(api.post(f"{API}/customers", {**body, "password": "short"}, format="json"), 422)
    assert_error(api.post(f"{API}/customers", {**body, "name": "x" * 101}, format="json"), 422)
    assert not Customer.objects.exists()
    response = api.post(f"{API}/customers", {**body, "password": "long enough now"}, format="json")
    assert response.status_code == 201, response.content


def test_registering_with_a_name_over_the_limit_is_422_on_name(api):
    api.post(f"{API}/customers/request-creation-code", {"identity": "lin@example.com"})
    response = api.post(
        f"{API}/customers",
        {"identity": "lin@example.com", "code": last_code(), "name": f"Lin {'y' * 101}"},
        format="json",
    )
    body = assert_error(response, 422, "name")
    assert body["fields"] == {"name": ["Use at most 100 characters."]}


def test_registering_with_bad_meta_is_422_on_meta(api):
    api.post(f"{API}/customers/request-creation-code", {"identity": "lin@example.com"})
    response = api.post(
        f"{API}/customers",
        {"identity": "lin@example.com", "code": last_code(), "name": "Lin", "meta": {"": 1}},
        format="json",
    )
    assert assert_error(response, 422, "meta")["fields"] == {
        "meta": ["Every metadata value needs a key."]
    }


def test_the_sixth_code_request_in_an_hour_is_throttled(api):
    for n in range(5):
        assert (
            api.post(
                f"{API}/customers/request-creation-code", {"identity": f"u{n}@b.io"}, format="json"
            ).status_code
            == 200
        )
    response = api.post(
        f"{API}/customers/request-creation-code", {"identity": "u9@b.io"}, format="json"
    )
    assert_error(response, 429)
    assert int(response["Retry-After"]) > 0


# One phone (in a US store), or one email, typed six ways: one identity each.
SAME_PHONE = [
    "+1.415.555.0199",
    "4155550199",
    "tel:+1-415-555-0199",
    "(415) 555-0199",
    "４１５５５５０１９９",  # full-width digits
    "1 415 555 0199",
]
SAME_EMAIL = [
    "Ada@Example.com",
    "ada@example.com",
    "ADA@EXAMPLE.COM",
    " ada@example.com ",
    "ada@EXAMPLE.com",
    "Ａda@example.com",  # a full-width A: NFKC makes it "Ada"
]


@pytest.mark.parametrize(
    ("path", "field", "spellings"),
    [
        ("customers/request-creation-code", "identity", SAME_PHONE),
        ("customers/request-creation-code", "identity", SAME_EMAIL),
        ("customers/login-with-sms", "phone", SAME_PHONE),
    ],
)
def test_code_requests_for_one_identity_typed_differently_are_counted_together(
    api, path, field, spellings
):
    # Each from its own address, so only the per-identity count (THROTTLE_SEND_CODE) can stop them.
    for n, typed in enumerate(spellings[:5]):
        response = api.post(
            f"{API}/{path}", {field: typed}, format="json", REMOTE_ADDR=f"10.1.0.{n}"
        )
        assert response.status_code == 200, response.content
    response = api.post(
        f"{API}/{path}", {field: spellings[5]}, format="json", REMOTE_ADDR="10.1.1.1"
    )
    assert_error(response, 429)
    assert int(response["Retry-After"]) > 0
    # Another identity from the same addresses is not held back.
    other = api.post(
        f"{API}/{path}", {field: "+1 415 555 0123"}, format="json", REMOTE_ADDR="10.1.2.1"
    )
    assert other.status_code == 200


def test_an_identity_sent_as_a_json_number_is_counted_as_the_same_phone(api):
    for n in range(5):
        identity = 4155550199 if n % 2 else "+1 415 555 0199"
        response = api.post(
            f"{API}/customers/request-creation-code",
            {"identity": identity},
            format="json",
            REMOTE_ADDR=f"10.1.0.{n}",
        )
        assert response.status_code == 200, response.content
    response = api.post(
        f"{API}/customers/request-creation-code",
        {"identity": 4155550199},
        format="json",
        REMOTE_ADDR="10.1.1.1",
    )
    assert_error(response, 429)


# --- login ----------------------------------------------------------------------------------


def test_password_login(api, registered):
    response = api.post(
        f"{API}/customers/login",
        {"identity": "ADA@example.com", "password": "analytical engine"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["id"] == registered.public_id
    assert response.json()["token"]
    by_phone = api.post(
        f"{API}/customers/login",
        {"identity": "(415) 555-0123", "password": "analytical engine"},
        format="json",
    )
    assert by_phone.status_code == 200


def test_every_login_mismatch_says_the_same(api, registered, store):
    factories.CustomerFactory(store=store, email="guest@example.com", is_guest=True)
    answers = set()
    for identity, password in [
        ("ada@example.com", "wrong"),
        ("nobody@example.com", "analytical engine"),
        ("guest@example.com", ""),
        ("guest@example.com", "anything"),
        ("garbage", "analytical engine"),
    ]:
        response = api.post(
            f"{API}/customers/login",
            {"identity": identity, "password": password or "x"},
            format="json",
        )
        assert response.status_code == 401
        answers.add(response.content)
    assert len(answers) == 1


def test_login_is_throttled(api, registered):
    statuses = [
        api.post(
            f"{API}/customers/login",
            {"identity": "ada@example.com", "password": "wrong"},
            format="json",
        ).status_code
        for _ in range(12)
    ]
    assert statuses[0] == 401 and statuses[-1] == 429


@pytest.mark.parametrize("spellings", [SAME_PHONE, SAME_EMAIL])
def test_logins_for_one_identity_typed_differently_are_counted_together(api, registered, spellings):
    # From twenty addresses: only THROTTLE_LOGIN_IDENTITY (20/hour), per email or phone, can
    # stop the twenty-first.
    for n in range(20):
        response = api.post(
            f"{API}/customers/login",
            {"identity": spellings[n % len(spellings)], "password": "wrong"},
            format="json",
            REMOTE_ADDR=f"10.2.0.{n}",
        )
        assert response.status_code == 401, response.content
    response = api.post(
        f"{API}/customers/login",
        {"identity": spellings[0], "password": "analytical engine"},
        format="json",
        REMOTE_ADDR="10.2.1.1",
    )
    assert_error(response, 429)
    assert int(response["Retry-After"]) > 0


def test_sms_login(api, registered):
    response = api.post(f"{API}/customers/login-with-sms", {"phone": "415-555-0123"}, format="json")
    assert response.json() == {"status": "OK", "method": "sms"}
    assert notifications.outbox[-1].to == "+14155550123"
    response = api.post(
        f"{API}/customers/verify-code",
        {"identity": "+14155550123", "code": last_code()},
        format="json",
    )
    assert response.status_code == 200 and response.json()["id"] == registered.public_id


def test_sms_login_says_the_same_for_an_unknown_phone_and_sends_nothing(api, registered):
    response = api.post(
        f"{API}/customers/login-with-sms", {"phone": "+1 202 555 0100"}, format="json"
    )
    assert response.status_code == 200 and response.json() == {"status": "OK", "method": "sms"}
    assert notifications.outbox == []


def test_verify_code_refuses_a_wrong_code(api, registered):
    api.post(f"{API}/customers/login-with-sms", {"phone": "+14155550123"}, format="json")
    response = api.post(
        f"{API}/customers/verify-code",
        {"identity": "+14155550123", "code": "000000" if last_code() != "000000" else "111111"},
        format="json",
    )
    assert_error(response, 422, "code")


def logins_of(customer) -> list:
    events = customer.events.filter(type=CustomerEvent.Type.LOGGED_IN).order_by("id")
    return [(event.actor_customer_id, event.data) for event in events]


def test_each_way_of_logging_in_opens_a_session_named_by_its_method(api, registered):
    password = api.post(
        f"{API}/customers/login",
        {"identity": "ada@example.com", "password": "analytical engine"},
        format="json",
    )
    api.post(f"{API}/customers/login-with-sms", {"phone": "+14155550123"}, format="json")
    sms = api.post(
        f"{API}/customers/verify-code",
        {"identity": "+14155550123", "code": last_code()},
        format="json",
    )
    assert password.status_code == sms.status_code == 200
    assert logins_of(registered) == [
        (registered.pk, {"method": "password"}),
        (registered.pk, {"method": "sms"}),
    ]
    assert CustomerToken.objects.filter(customer=registered).count() == 2
    registered.refresh_from_db()
    assert registered.last_login_at is not None

    api.post(f"{API}/customers/request-creation-code", {"identity": "lin@example.com"})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)  # (an SMS was sent too)
    created = api.post(
        f"{API}/customers",
        {"identity": "lin@example.com", "code": code, "name": "Lin"},
        format="json",
    )
    assert created.status_code == 201, created.content
    lin = Customer.objects.get(public_id=created.json()["id"])
    assert logins_of(lin) == [(lin.pk, {"method": "registration"})]


def test_signing_in_with_google_is_a_login_named_google(
    providers,  # noqa: F811 (a fixture imported from test_api_social)
    signing_key,  # noqa: F811
    social_store,  # noqa: F811
):
    response = app_client(social_store).post(
        GOOGLE, {"idToken": google_token(signing_key)}, format="json"
    )
    assert response.status_code == 200, response.content
    customer = Customer.objects.get(public_id=response.json()["id"])
    assert logins_of(customer) == [(customer.pk, {"method": "google"})]


def test_a_login_code_for_an_account_closed_meanwhile_is_401_and_stays_unused(api, registered):
    api.post(f"{API}/customers/login-with-sms", {"phone": "+14155550123"}, format="json")
    Customer.objects.filter(pk=registered.pk).update(closed_at=timezone.now())
    response = api.post(
        f"{API}/customers/verify-code",
        {"identity": "+14155550123", "code": last_code()},
        format="json",
    )
    assert_error(response, 401)
    assert VerificationCode.objects.get(purpose="login").used_at is None
    assert not registered.events.filter(type=CustomerEvent.Type.LOGGED_IN).exists()


# --- the customer's own data ----------------------------------------------------------------


def test_a_token_reads_only_its_own_customer(api, registered, store):
    other = factories.CustomerFactory(store=store)
    as_customer(api, registered)
    assert_error(api.get(f"{API}/customers/{other.public_id}"), 404)
    assert_error(
        api.put(f"{API}/customers/{other.public_id}", {"first_name": "Hacked"}, format="json"), 404
    )
    other.refresh_from_db()
    assert other.first_name != "Hacked"


def test_customer_calls_need_a_valid_token(api, registered, store, other_store):
    assert_error(api.get(f"{API}/customers/{registered.public_id}"), 401)
    api.credentials(
        HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"], HTTP_CUSTOMER_TOKEN="made-up"
    )
    assert_error(api.get(f"{API}/customers/{registered.public_id}"), 401)
    # a token of another store's customer is no token here
    stranger = factories.CustomerFactory(store=other_store)
    api.credentials(
        HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"],
        HTTP_CUSTOMER_TOKEN=customer_token_issue(customer=stranger),
    )
    assert_error(api.get(f"{API}/customers/{stranger.public_id}"), 401)


@pytest.mark.usefixtures("frozen_clock")
def test_expired_tokens_stop_working(api, registered):
    as_customer(api, registered)
    CustomerToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(api.get(f"{API}/customers/{registered.public_id}"), 401)


def test_update_profile(api, registered):
    # A new email or phone waits for its code (tests/customers/test_contact_change.py).
    as_customer(api, registered)
    response = api.put(
        f"{API}/customers/{registered.public_id}",
        {
            "name": "Augusta Ada King",
            "email": "countess@example.com",
            "phone": "415 555 0199",
            "meta": {"tier": "gold"},
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["first_name"], body["last_name"]) == ("Augusta", "Ada King")
    assert (body["email"], body["phone"]) == ("ada@example.com", "+14155550123")
    assert (body["pending_email"], body["pending_phone"]) == (
        "countess@example.com",
        "+14155550199",
    )
    assert body["meta"]["tier"] == "gold"
    # The caller's own token comes back (the Fleetbase SDK keeps the answer as its customer).
    assert body["token"] == api._credentials["HTTP_CUSTOMER_TOKEN"]


def test_update_refuses_a_taken_email_with_a_field_message(api, registered, store):
    factories.CustomerFactory(store=store, email="taken@example.com")
    as_customer(api, registered)
    response = api.put(
        f"{API}/customers/{registered.public_id}", {"email": "TAKEN@example.com"}, format="json"
    )
    assert_error(response, 422, "email")


def test_password_change_needs_the_current_one_and_ends_other_sessions(api, registered):
    other_session = customer_token_issue(customer=registered)
    as_customer(api, registered)
    url = f"{API}/customers/{registered.public_id}"
    assert_error(
        api.put(url, {"password": "a new long password"}, format="json"), 422, "current_password"
    )
    response = api.put(
        url,
        {"password": "a new long password", "current_password": "analytical engine"},
        format="json",
    )
    assert response.status_code == 200
    assert api.get(url).status_code == 200  # this session goes on
    stale = APIClient()
    stale.credentials(
        HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"], HTTP_CUSTOMER_TOKEN=other_session
    )
    assert_error(stale.get(url), 401)


def test_a_refused_profile_change_keeps_the_password_and_every_session(api, registered):
    other_session = customer_token_issue(customer=registered)
    as_customer(api, registered)
    url = f"{API}/customers/{registered.public_id}"
    response = api.put(
        url,
        {
            "password": "a new long password",
            "current_password": "analytical engine",
            "first_name": "Augusta",
            "email": "not-an-email",
        },
        format="json",
    )
    assert assert_error(response, 422, "email")["fields"].keys() == {"email"}
    registered.refresh_from_db()
    assert registered.check_password("analytical engine") and registered.first_name == "Ada"
    assert not registered.events.exists()
    stale = APIClient()
    stale.credentials(
        HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"], HTTP_CUSTOMER_TOKEN=other_session
    )
    assert stale.get(url).status_code == 200


def test_profile_errors_name_the_fields_the_app_sent(api, registered):
    as_customer(api, registered)
    url = f"{API}/customers/{registered.public_id}"
    cases = [
        ({"name": f"Ada {'x' * 101}"}, "name", "Use at most 100 characters."),
        ({"first_name": "x" * 101}, "first_name", "Use at most 100 characters."),
        ({"last_name": "x" * 101, "name": "Ada King"}, "last_name", "at most 100 characters"),
        ({"meta": {"k" * 41: 1}}, "meta", "Metadata keys have at most 40 characters"),
        ({"meta": ["a"]}, "meta", "Metadata must be an object of keys and values."),
        ({"meta": {" tier": "gold"}}, "meta", "cannot start or end with a space"),
    ]
    for body, field, message in cases:
        fields = assert_error(api.put(url, body, format="json"), 422)["fields"]
        assert list(fields) == [field] and message in fields[field][0], (body, fields)
    registered.refresh_from_db()
    assert (registered.first_name, registered.last_name, registered.metadata) == (
        "Ada",
        "Lovelace",
        {},
    )


def test_profile_birthday_is_kept_and_refused_in_the_future_or_before_1900(api, registered):
    as_customer(api, registered)
    url = f"{API}/customers/{registered.public_id}"
    with time_machine.travel(datetime(2025, 6, 15, 12, tzinfo=UTC), tick=False):
        future = api.put(url, {"birthday": "2025-06-16", "first_name": "Augusta"}, format="json")
        too_old = api.put(url, {"birthday": "1899-12-31"}, format="json")
        today = api.put(url, {"birthday": "2025-06-15"}, format="json")
    assert assert_error(future, 422)["fields"] == {
        "birthday": ["A birthday cannot be in the future."]
    }
    assert assert_error(too_old, 422)["fields"] == {"birthday": ["Enter a birthday from 1900 on."]}
    assert today.status_code == 200 and today.json()["birthday"] == "2025-06-15"
    registered.refresh_from_db()
    assert registered.first_name == "Ada" and registered.birthday == date(2025, 6, 15)
    assert api.put(url, {"birthday": None}, format="json").json()["birthday"] is None


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (12, 12), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_photo_as_a_file_a_data_url_and_remove(api, registered):
    as_customer(api, registered)
    url = f"{API}/customers/{registered.public_id}"
    upload = io.BytesIO(png_bytes())
    upload.name = "me.png"
    response = api.put(url, {"photo": upload}, format="multipart")
    assert response.status_code == 200 and response.json()["photo_url"].startswith("http")
    data_url = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    assert api.put(url, {"photo": data_url}, format="json").json()["photo_url"]
    assert api.put(url, {"photo": "REMOVE"}, format="json").json()["photo_url"] is None
    text = "data:image/png;base64," + base64.b64encode(b"not an image").decode()
    assert_error(api.put(url, {"photo": text}, format="json"), 422, "photo")


def test_logout_ends_the_session(api, registered):
    as_customer(api, registered)
    assert api.post(f"{API}/customers/logout").json() == {"status": "OK"}
    assert_error(api.get(f"{API}/customers/{registered.public_id}"), 401)


def test_register_device_is_idempotent_and_moves_tokens(api, registered, store):
    as_customer(api, registered)
    first = api.post(
        f"{API}/customers/register-device", {"token": "apns-123", "platform": "ios"}, format="json"
    )
    again = api.post(
        f"{API}/customers/register-device", {"token": "apns-123", "platform": "ios"}, format="json"
    )
    assert first.json()["device"] == again.json()["device"] and first.json()["device"].startswith(
        "device_"
    )
    other = factories.CustomerFactory(store=store)
    as_customer(api, other)
    api.post(
        f"{API}/customers/register-device", {"token": "apns-123", "platform": "ios"}, format="json"
    )
    assert Device.objects.get().customer == other
    assert_error(
        api.post(
            f"{API}/customers/register-device",
            {"token": "x", "platform": "blackberry"},
            format="json",
        ),
        422,
        "platform",
    )


def test_account_closure(api, registered, store):
    order = factories.OrderFactory(customer=registered)
    factories.AddressFactory(customer=registered)
    as_customer(api, registered)
    assert api.post(f"{API}/customers/account-closure").json() == {"status": "OK"}
    assert mail.outbox[-1].to == ["ada@example.com"]
    assert_error(
        api.post(f"{API}/customers/confirm-account-closure", {"code": "12345x"}, format="json"),
        422,
        "code",
    )
    response = api.post(
        f"{API}/customers/confirm-account-closure", {"code": last_code()}, format="json"
    )
    assert response.json() == {"status": "OK"}
    registered.refresh_from_db()
    assert registered.closed_at and not registered.email and not registered.phone
    assert registered.first_name == "Closed" and not registered.addresses.exists()
    assert registered.events.filter(type="closed").exists()
    order.refresh_from_db()
    assert order.customer_id == registered.pk and order.customer_email == "ada@example.com"
    assert_error(api.get(f"{API}/customers/{registered.public_id}"), 401)
    login = APIClient()
    login.credentials(HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"])
    assert_error(
        login.post(
            f"{API}/customers/login",
            {"identity": "ada@example.com", "password": "analytical engine"},
            format="json",
        ),
        401,
    )


# --- places ---------------------------------------------------------------------------------


PLACE = {
    "name": "Home",
    "street1": "1 Market St",
    "city": "San Francisco",
    "country": "US",
    "location": {"type": "Point", "coordinates": [-122.42, 37.77]},
}


def test_places_crud(api, registered, store):
    as_customer(api, registered)
    created = api.post(f"{API}/customers/places", PLACE, format="json")
    assert created.status_code == 201, created.content
    place = created.json()
    assert place["id"].startswith("place_") and place["is_default"] is True
    assert place["location"] == {"type": "Point", "coordinates": [-122.42, 37.77]}
    listed = api.get(f"{API}/customers/places").json()
    assert [p["id"] for p in listed] == [place["id"]]
    updated = api.put(f"{API}/customers/places/{place['id']}", {"street2": "Apt 4"}, format="json")
    assert updated.json()["street2"] == "Apt 4" and updated.json()["street1"] == "1 Market St"
    me = api.get(f"{API}/customers/{registered.public_id}").json()
    assert me["address"].startswith("1 Market St, Apt 4") and len(me["addresses"]) == 1
    assert api.delete(f"{API}/customers/places/{place['id']}").status_code == 204
    assert api.get(f"{API}/customers/places").json() == []


def test_places_errors_and_isolation(api, registered, store):
    other = factories.CustomerFactory(store=store)
    theirs = factories.AddressFactory(customer=other)
    as_customer(api, registered)
    assert_error(api.post(f"{API}/customers/places", {"name": "x"}, format="json"), 422, "street1")
    assert_error(
        api.post(f"{API}/customers/places", {**PLACE, "country": "USA"}, format="json"),
        422,
        "country",
    )
    assert_error(api.get(f"{API}/customers/places/{theirs.public_id}"), 404)
    assert_error(api.delete(f"{API}/customers/places/{theirs.public_id}"), 404)
    assert other.addresses.count() == 1


def test_guests_cannot_save_places(api, store):
    guest = factories.CustomerFactory(store=store, is_guest=True)
    as_customer(api, guest)
    assert_error(api.post(f"{API}/customers/places", PLACE, format="json"), 403)


def test_schema_documents_the_api(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/storefront/v1/customers/login",
        "/storefront/v1/customers/{public_id}",
        "/storefront/v1/orders",
        "/storefront/v1/customers/login-with-apple",
    ):
        assert path in paths, path
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "/static/drf_spectacular_sidecar/" in docs.content.decode()  # no CDN


def test_a_shopper_key_lists_no_customers(api, registered):
    as_customer(api, registered)
    response = api.get(f"{API}/customers")
    assert_error(response, 405)
    assert "ada@example.com" not in response.content.decode()


def test_an_unknown_api_path_is_a_json_404(api):
    for path in (f"{API}/nothing-here", "/api/v1/accounts/1/nothing"):
        assert_error(api.get(path), 404)


def test_a_huge_offset_is_a_422_not_a_500(api, registered):
    assert_error(api.get(f"{API}/products", {"offset": "99999999999999999999999"}), 422, "offset")
    as_customer(api, registered)
    assert_error(api.get(f"{API}/customers/orders", {"offset": str(2**70)}), 422, "offset")


def test_a_mail_server_failure_is_logged_and_a_code_can_be_asked_for_again(api, settings, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    body = {"identity": "ada@example.com"}
    response = api.post(f"{API}/customers/request-creation-code", body, format="json")
    assert response.status_code == 200, response.content
    assert "Could not deliver" in caplog.text
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = api.post(f"{API}/customers/request-creation-code", body, format="json")
    assert response.status_code == 200 and len(mail.outbox) == 1
