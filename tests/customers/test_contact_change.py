"""A shopper's email or phone changes only once a code sent to the new one proves it is theirs,
so nobody can take another person's email or phone (and with it their registration, their SMS
logins and their social sign-ins). Staff and back offices still set contact details directly."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from customers import notifications
from customers.models import Customer, CustomerEvent, SocialIdentity, VerificationCode
from stores.services import api_key_create
from tests import factories
from tests.customers.test_api_social import (  # noqa: F401 (fixtures)
    APPLE,
    GOOGLE,
    app_client,
    google_token,
    id_token,
    providers,
    signing_key,
    social_store,
)
from tests.helpers import as_customer, assert_error, client_of

pytestmark = pytest.mark.django_db
API = "/storefront/v1"

X_PHONE = "+14155550150"  # the real owner's phone
X_EMAIL = "xavier@example.com"


@pytest.fixture
def yann(store):
    """Customer Y: a registered shopper who will try to take someone else's contact."""
    return factories.CustomerFactory(
        store=store,
        first_name="Yann",
        email="yann@example.com",
        phone="+14155550140",
        password=make_password("a long passphrase"),
    )


@pytest.fixture
def y_api(api, yann):
    return as_customer(api, yann)


def texts_to(number: str) -> list[str]:
    return [sms.body for sms in notifications.outbox if sms.to == number]


def mails_to(address: str) -> list[str]:
    return [message.body for message in mail.outbox if address in message.to]


def code_in(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)


def put(client, customer, body):
    return client.put(f"{API}/customers/{customer.public_id}", body, format="json")


def verify(client, customer, identity, code):
    return client.post(
        f"{API}/customers/{customer.public_id}/verify-contact",
        {"identity": identity, "code": code},
        format="json",
    )


# --- asking for a change --------------------------------------------------------------------


def test_a_new_phone_is_pending_and_a_code_goes_to_the_new_number(y_api, yann):
    response = put(y_api, yann, {"phone": "(415) 555-0150"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["phone"] == "+14155550140"  # unchanged
    assert body["pending_phone"] == X_PHONE
    assert body["pending_email"] == ""
    yann.refresh_from_db()
    assert yann.phone == "+14155550140" and yann.pending_phone == X_PHONE
    assert len(texts_to(X_PHONE)) == 1
    assert texts_to("+14155550140") == []  # the code proves the NEW number
    requested = yann.events.get(type=CustomerEvent.Type.CONTACT_CHANGE_REQUESTED)
    assert requested.data == {"fields": ["phone"]} and requested.actor_customer == yann


def test_a_new_email_is_pending_and_a_code_is_emailed_to_it(y_api, yann):
    response = put(y_api, yann, {"email": "Xavier@Example.com", "first_name": "Yannick"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["email"], body["pending_email"]) == ("yann@example.com", X_EMAIL)
    assert body["first_name"] == "Yannick"  # the rest of the body is applied at once
    assert len(mails_to(X_EMAIL)) == 1
    assert mails_to("yann@example.com") == []


def test_the_profile_answer_shows_what_is_verified_and_pending(y_api, yann):
    put(y_api, yann, {"email": X_EMAIL})

    body = y_api.get(f"{API}/customers/{yann.public_id}").json()

    assert body["pending_email"] == X_EMAIL and body["pending_phone"] == ""
    assert body["email_verified_at"] is None and body["phone_verified_at"] is None


def test_an_unchanged_contact_in_the_body_sends_nothing(y_api, yann):
    response = put(y_api, yann, {"email": "YANN@example.com", "phone": "415 555 0140"})

    assert response.status_code == 200
    assert (response.json()["pending_email"], response.json()["pending_phone"]) == ("", "")
    assert notifications.outbox == [] and mail.outbox == []
    assert not VerificationCode.objects.exists()


def test_a_taken_contact_is_still_refused_at_once_and_nothing_is_sent(y_api, yann, customer):
    response = put(y_api, yann, {"phone": customer.phone, "first_name": "Yannick"})

    assert_error(response, 422, "phone")
    yann.refresh_from_db()
    assert (yann.first_name, yann.pending_phone) == ("Yann", "")
    assert notifications.outbox == [] and not VerificationCode.objects.exists()


def test_a_refused_body_sends_no_code_and_keeps_nothing_pending(y_api, yann):
    response = put(y_api, yann, {"email": X_EMAIL, "name": "x" * 101})

    assert_error(response, 422, "name")
    yann.refresh_from_db()
    assert yann.pending_email == ""
    assert mail.outbox == [] and not VerificationCode.objects.exists()


def test_removing_the_email_needs_no_code_when_a_phone_remains(y_api, yann):
    Customer.objects.filter(pk=yann.pk).update(email_verified_at=timezone.now())

    response = put(y_api, yann, {"email": ""})

    assert response.status_code == 200
    yann.refresh_from_db()
    assert yann.email == "" and yann.email_verified_at is None
    assert mail.outbox == []


def test_a_pending_phone_does_not_count_as_the_contact_that_must_remain(y_api, yann):
    Customer.objects.filter(pk=yann.pk).update(phone="")

    response = put(y_api, yann, {"email": "", "phone": X_PHONE})

    assert_error(response, 422, "email")
    yann.refresh_from_db()
    assert yann.email == "yann@example.com" and yann.pending_phone == ""


# --- confirming it --------------------------------------------------------------------------


def test_a_wrong_code_is_422_counts_a_try_and_changes_nothing(y_api, yann):
    put(y_api, yann, {"phone": X_PHONE})
    right = code_in(texts_to(X_PHONE)[-1])
    wrong = "000000" if right != "000000" else "111111"

    response = verify(y_api, yann, X_PHONE, wrong)

    assert_error(response, 422, "code")
    assert VerificationCode.objects.get(purpose="contact_change").attempts == 1
    yann.refresh_from_db()
    assert yann.phone == "+14155550140" and yann.pending_phone == X_PHONE


def test_the_right_code_applies_the_change_verifies_it_and_records_an_event(y_api, yann):
    put(y_api, yann, {"phone": X_PHONE})

    response = verify(y_api, yann, "415-555-0150", code_in(texts_to(X_PHONE)[-1]))

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["phone"], body["pending_phone"]) == (X_PHONE, "")
    assert body["phone_verified_at"] is not None
    yann.refresh_from_db()
    assert yann.phone == X_PHONE and yann.phone_verified_at is not None
    changed = yann.events.get(type=CustomerEvent.Type.CONTACT_CHANGED)
    assert changed.data == {"fields": ["phone"]} and changed.actor_customer == yann
    assert VerificationCode.objects.get(purpose="contact_change").used_at is not None
    # Used once: the same code again is refused.
    assert_error(verify(y_api, yann, X_PHONE, code_in(texts_to(X_PHONE)[-1])), 422)


def test_an_email_change_is_confirmed_the_same_way(y_api, yann):
    put(y_api, yann, {"email": X_EMAIL})

    response = verify(y_api, yann, X_EMAIL, code_in(mails_to(X_EMAIL)[-1]))

    assert response.status_code == 200, response.content
    yann.refresh_from_db()
    assert yann.email == X_EMAIL and yann.email_verified_at is not None
    assert yann.pending_email == ""


def test_asking_again_for_the_pending_value_sends_a_new_code_and_retires_the_old(y_api, yann):
    put(y_api, yann, {"phone": X_PHONE})
    first = code_in(texts_to(X_PHONE)[-1])
    put(y_api, yann, {"phone": X_PHONE})
    second = code_in(texts_to(X_PHONE)[-1])

    assert len(texts_to(X_PHONE)) == 2
    if first != second:
        assert_error(verify(y_api, yann, X_PHONE, first), 422, "code")
    assert verify(y_api, yann, X_PHONE, second).status_code == 200
    yann.refresh_from_db()
    assert yann.phone == X_PHONE


def test_verify_contact_needs_a_pending_identity_and_the_own_id(y_api, yann, store):
    put(y_api, yann, {"phone": X_PHONE})
    code = code_in(texts_to(X_PHONE)[-1])

    assert_error(verify(y_api, yann, "+14155550199", code), 422, "identity")
    other = factories.CustomerFactory(store=store)
    assert_error(verify(y_api, other, X_PHONE, code), 404)
    assert_error(verify(client_of_store(store), yann, X_PHONE, code), 401)
    yann.refresh_from_db()
    assert yann.phone == "+14155550140"


def client_of_store(store):
    return client_of(api_key_create(store=store, kind="publishable"))


def test_a_code_proves_the_change_only_for_the_customer_who_asked(api, yann, store):
    zoe = factories.CustomerFactory(store=store, first_name="Zoe", email="zoe@example.com")
    put(as_customer(api, yann), yann, {"phone": X_PHONE})
    yann_code = code_in(texts_to(X_PHONE)[-1])
    zoe_api = as_customer(client_of_store(store), zoe)
    put(zoe_api, zoe, {"phone": X_PHONE})  # Zoe asks for the same number

    # Zoe's request retired nothing of Yann's, and Yann's code does nothing for Zoe.
    assert_error(verify(zoe_api, zoe, X_PHONE, yann_code), 422, "code")
    zoe.refresh_from_db()
    assert zoe.phone != X_PHONE


def test_a_contact_taken_meanwhile_is_refused_at_confirmation(y_api, yann, store):
    put(y_api, yann, {"email": X_EMAIL})
    code = code_in(mails_to(X_EMAIL)[-1])
    factories.CustomerFactory(store=store, email=X_EMAIL)  # the owner registered meanwhile

    response = verify(y_api, yann, X_EMAIL, code)

    assert_error(response, 422, "identity")
    yann.refresh_from_db()
    assert yann.email == "yann@example.com"
    assert not yann.events.filter(type=CustomerEvent.Type.CONTACT_CHANGED).exists()


def test_contact_change_codes_are_throttled_like_other_code_sends(y_api, yann):
    for n in range(5):
        assert put(y_api, yann, {"phone": f"+1415555016{n}"}).status_code == 200
    assert_error(put(y_api, yann, {"phone": "+14155550169"}), 429)
    # Changing anything else is not a code send, and is not held back.
    for name in ("Yannick", "Yves", "Yuri", "Yannis", "Yorick", "Yusuf"):
        assert put(y_api, yann, {"first_name": name}).status_code == 200


# --- the takeover is closed -----------------------------------------------------------------


def test_the_real_owner_can_register_with_a_contact_another_customer_has_pending(
    y_api, yann, api, store
):
    put(y_api, yann, {"phone": X_PHONE})

    api.credentials(HTTP_AUTHORIZATION=y_api._credentials["HTTP_AUTHORIZATION"])
    sent = api.post(f"{API}/customers/request-creation-code", {"identity": X_PHONE}, format="json")
    assert sent.status_code == 200
    response = api.post(
        f"{API}/customers",
        {"identity": X_PHONE, "code": code_in(texts_to(X_PHONE)[-1]), "name": "Xavier"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert Customer.objects.get(phone=X_PHONE).first_name == "Xavier"


def test_an_sms_login_to_a_pending_phone_does_not_reach_the_pending_customer(y_api, yann, api):
    put(y_api, yann, {"phone": X_PHONE})
    change_code = code_in(texts_to(X_PHONE)[-1])
    api.credentials(HTTP_AUTHORIZATION=y_api._credentials["HTTP_AUTHORIZATION"])

    sent = api.post(f"{API}/customers/login-with-sms", {"phone": X_PHONE}, format="json")

    assert sent.status_code == 200
    assert len(texts_to(X_PHONE)) == 1  # no login code: no account has this phone
    response = api.post(
        f"{API}/customers/verify-code", {"identity": X_PHONE, "code": change_code}, format="json"
    )
    assert response.status_code in (401, 422)
    assert not yann.events.filter(type=CustomerEvent.Type.LOGGED_IN).exists()


def test_registering_by_email_leaves_the_other_contact_pending(api):
    api.post(f"{API}/customers/request-creation-code", {"identity": X_EMAIL}, format="json")
    response = api.post(
        f"{API}/customers",
        {
            "identity": X_EMAIL,
            "code": code_in(mails_to(X_EMAIL)[-1]),
            "name": "Xavier",
            "phone": X_PHONE,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["email"], body["phone"], body["pending_phone"]) == (X_EMAIL, "", X_PHONE)
    assert body["email_verified_at"] is not None and body["phone_verified_at"] is None
    assert len(texts_to(X_PHONE)) == 1  # a code to confirm the phone
    # The phone is not the new account's until confirmed: its owner can still register with it.
    xavier = Customer.objects.get(public_id=body["id"])
    api.credentials(
        HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"],
        HTTP_CUSTOMER_TOKEN=body["token"],
    )
    confirmed = verify(api, xavier, X_PHONE, code_in(texts_to(X_PHONE)[-1]))
    assert confirmed.status_code == 200, confirmed.content
    xavier.refresh_from_db()
    assert xavier.phone == X_PHONE and xavier.phone_verified_at is not None


def test_a_guest_record_turned_account_keeps_only_the_contact_that_was_proven(api, store):
    # Y checked out as a guest with their own email and X's phone, then registers the email.
    guest = factories.CustomerFactory(
        store=store, email="yann@example.com", phone=X_PHONE, is_guest=True
    )
    api.post(f"{API}/customers/request-creation-code", {"identity": "yann@example.com"})
    response = api.post(
        f"{API}/customers",
        {
            "identity": "yann@example.com",
            "code": code_in(mails_to("yann@example.com")[-1]),
            "name": "Yann",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    guest.refresh_from_db()
    assert (guest.is_guest, guest.email, guest.phone) == (False, "yann@example.com", "")
    assert guest.pending_phone == X_PHONE
    sent = api.post(f"{API}/customers/login-with-sms", {"phone": X_PHONE}, format="json")
    assert sent.status_code == 200 and texts_to(X_PHONE) == []


# --- what counts as verified ----------------------------------------------------------------


def test_registering_with_a_code_verifies_the_identity_it_used(api):
    api.post(f"{API}/customers/request-creation-code", {"identity": X_PHONE}, format="json")
    response = api.post(
        f"{API}/customers",
        {"identity": X_PHONE, "code": code_in(texts_to(X_PHONE)[-1]), "name": "Xavier"},
        format="json",
    )

    assert response.status_code == 201, response.content
    xavier = Customer.objects.get(public_id=response.json()["id"])
    assert xavier.phone_verified_at is not None and xavier.email_verified_at is None


def test_an_sms_login_verifies_the_phone(api, customer):
    api.post(f"{API}/customers/login-with-sms", {"phone": customer.phone}, format="json")

    response = api.post(
        f"{API}/customers/verify-code",
        {"identity": customer.phone, "code": code_in(texts_to(customer.phone)[-1])},
        format="json",
    )

    assert response.status_code == 200, response.content
    customer.refresh_from_db()
    assert customer.phone_verified_at is not None and customer.email_verified_at is None


def test_a_social_sign_up_verifies_its_email(providers, signing_key, social_store):  # noqa: F811
    response = app_client(social_store).post(
        GOOGLE, {"idToken": google_token(signing_key)}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["email_verified_at"] is not None


def test_social_sign_in_does_not_link_to_an_account_whose_email_is_unverified(
    providers,  # noqa: F811
    signing_key,  # noqa: F811
    social_store,  # noqa: F811
):
    grace = factories.CustomerFactory(store=social_store, email="grace@example.com")

    response = app_client(social_store).post(
        GOOGLE, {"idToken": google_token(signing_key)}, format="json"
    )

    body = assert_error(response, 422)
    assert "log in" in body["errors"][0].lower()
    assert not SocialIdentity.objects.exists()
    assert list(Customer.objects.all()) == [grace]
    assert not grace.events.filter(type=CustomerEvent.Type.LOGGED_IN).exists()


def test_social_sign_in_links_to_an_account_whose_email_is_verified(
    providers,  # noqa: F811
    signing_key,  # noqa: F811
    social_store,  # noqa: F811
):
    grace = factories.CustomerFactory(
        store=social_store, email="grace@example.com", email_verified_at=timezone.now()
    )

    response = app_client(social_store).post(
        GOOGLE, {"idToken": google_token(signing_key)}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["id"] == grace.public_id
    assert SocialIdentity.objects.get().customer == grace


def test_a_logged_in_customer_links_a_provider_with_their_email_and_verifies_it(
    providers,  # noqa: F811
    signing_key,  # noqa: F811
    social_store,  # noqa: F811
):
    grace = factories.CustomerFactory(store=social_store, email="grace@example.com")
    app = as_customer(app_client(social_store), grace)

    response = app.post(GOOGLE, {"idToken": google_token(signing_key)}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["id"] == grace.public_id
    grace.refresh_from_db()
    assert grace.email_verified_at is not None
    assert SocialIdentity.objects.get().customer == grace


def test_a_pending_email_does_not_link_a_social_sign_in(
    providers,  # noqa: F811
    signing_key,  # noqa: F811
    social_store,  # noqa: F811
):
    yann = factories.CustomerFactory(store=social_store, email="yann@example.com")
    put(as_customer(app_client(social_store), yann), yann, {"email": "ada@example.com"})

    response = app_client(social_store).post(
        APPLE, {"identityToken": id_token(signing_key)}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["id"] != yann.public_id  # Ada gets a new account of her own
    assert SocialIdentity.objects.get().customer.email == "ada@example.com"


# --- staff and back offices set contact details directly ------------------------------------


def test_management_patch_sets_the_contact_directly_with_the_key_as_actor(store, customer):
    secret = api_key_create(store=store, kind="secret")
    Customer.objects.filter(pk=customer.pk).update(
        email_verified_at=timezone.now() - timedelta(days=1),
        phone_verified_at=timezone.now() - timedelta(days=1),
    )

    response = client_of(secret).patch(
        f"/api/v1/accounts/{store.pk}/customers/{customer.pk}",
        {"customer": {"email": "countess@example.com"}},
    )

    assert response.status_code == 200, response.content
    customer.refresh_from_db()
    assert customer.email == "countess@example.com"
    # Set by the store, not proven by the customer: no longer "verified". The phone is untouched.
    assert customer.email_verified_at is None and customer.phone_verified_at is not None
    event = customer.events.get(type=CustomerEvent.Type.UPDATED)
    assert event.actor_api_key == secret.api_key and event.data["fields"] == ["email"]
    assert mail.outbox == [] and not VerificationCode.objects.exists()


def test_the_console_sets_the_contact_directly_and_unverified(staff_client, customer):
    Customer.objects.filter(pk=customer.pk).update(phone_verified_at=timezone.now())

    response = staff_client.post(
        reverse("customers:edit", args=[customer.pk]),
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "phone": "+14155550199",
            "birthday": "",
            "tags": "",
            "meta_key": [],
            "meta_value": [],
        },
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.phone == "+14155550199" and customer.phone_verified_at is None
    event = customer.events.get(type=CustomerEvent.Type.UPDATED)
    assert event.actor_user == staff_client.user and event.data["fields"] == ["phone"]


def test_closing_an_account_erases_pending_and_verified_contacts(y_api, yann):
    Customer.objects.filter(pk=yann.pk).update(email_verified_at=timezone.now())
    put(y_api, yann, {"phone": X_PHONE})
    y_api.post(f"{API}/customers/account-closure")
    y_api.post(
        f"{API}/customers/confirm-account-closure",
        {"code": code_in(mails_to("yann@example.com")[-1])},
        format="json",
    )

    yann.refresh_from_db()
    assert yann.is_closed
    assert (yann.pending_phone, yann.pending_email) == ("", "")
    assert yann.email_verified_at is None and yann.phone_verified_at is None
