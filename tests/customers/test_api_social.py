"""Sign in with Apple, Google and Facebook, against fake providers on a real local HTTP server
(keys made here, never the internet)."""

import json
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.utils import timezone
from rest_framework.test import APIClient

from customers.models import Customer, CustomerEvent, SocialIdentity
from customers.services import customer_close
from stores.services import api_key_create
from tests import factories

pytestmark = pytest.mark.django_db

APPLE_CLIENT = "com.example.app"
GOOGLE_CLIENT = "123.apps.googleusercontent.com"
FACEBOOK_APP = "42"
FACEBOOK_SECRET = "facebook-app-secret"
SIGN_IN_FAILED = "The sign-in could not be verified."

APPLE = "/storefront/v1/customers/login-with-apple"
GOOGLE = "/storefront/v1/customers/login-with-google"
FACEBOOK = "/storefront/v1/customers/login-with-facebook"


# --- Fake providers -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signing_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def stranger_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk_of(private_key, kid):
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


class FakeProviders:
    """What Apple's and Google's key endpoints and Facebook's Graph API answer, and what they
    were asked."""

    def __init__(self, signing_key):
        self.jwks = {"keys": [jwk_of(signing_key, "key-1")]}
        self.debug_token = {"data": {"app_id": FACEBOOK_APP, "is_valid": True, "user_id": "10001"}}
        self.me = {"id": "10001", "name": "Grace Hopper", "email": "grace@example.com"}
        self.hits = Counter()
        self.queries = []

    def answer(self, path, query):
        self.hits[path] += 1
        self.queries.append((path, query))
        if path in ("/apple/auth/keys", "/google/oauth2/v3/certs"):
            return 200, self.jwks
        if path == "/graph/debug_token":
            return 200, self.debug_token
        if path == "/graph/me":
            return 200, self.me
        return 404, {"error": "not found"}


@pytest.fixture
def providers(settings, signing_key):
    fake = FakeProviders(signing_key)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urlsplit(self.path)
            status, body = fake.answer(url.path, parse_qs(url.query))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings.APPLE_JWKS_URL = f"{base}/apple/auth/keys"
    settings.GOOGLE_JWKS_URL = f"{base}/google/oauth2/v3/certs"
    settings.FACEBOOK_GRAPH_URL = f"{base}/graph"
    settings.FACEBOOK_APP_SECRET = FACEBOOK_SECRET
    settings.SOCIAL_HTTP_TIMEOUT = 2
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def closed_port_url() -> str:
    """A local address nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def id_token(key, *, kid="key-1", issuer="https://appleid.apple.com", **claims):
    now = int(time.time())
    payload = {
        "iss": issuer,
        "aud": APPLE_CLIENT,
        "sub": "001234.apple-subject",
        "iat": now,
        "exp": now + 600,
        "email": "ada@example.com",
        "email_verified": "true",
        **claims,
    }
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


def google_token(key, **claims):
    claims = {
        "issuer": "https://accounts.google.com",
        "aud": GOOGLE_CLIENT,
        "sub": "109876543210",
        "email": "grace@example.com",
        "email_verified": True,
        "given_name": "Grace",
        "family_name": "Hopper",
        **claims,
    }
    return id_token(key, **claims)


# --- The store and its app ------------------------------------------------------------------


@pytest.fixture
def social_store(db):
    return factories.StoreFactory(
        apple_client_ids=[APPLE_CLIENT],
        google_client_ids=[GOOGLE_CLIENT],
        facebook_app_id=FACEBOOK_APP,
    )


def app_client(store) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {api_key_create(store=store, kind='publishable').raw}"
    )
    return client


@pytest.fixture
def app(social_store):
    return app_client(social_store)


def refused(response, status=401, message=SIGN_IN_FAILED):
    assert response.status_code == status, response.content
    assert response.json()["errors"] == [message]
    return response


# --- Apple ----------------------------------------------------------------------------------


def test_apple_sign_in_creates_a_customer_whose_token_works(app, providers, signing_key):
    response = app.post(
        APPLE,
        {"identityToken": id_token(signing_key), "name": "Ada King Lovelace"},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["email"] == "ada@example.com"
    assert (body["first_name"], body["last_name"]) == ("Ada", "King Lovelace")
    assert body["is_guest"] is False
    customer = Customer.objects.get(public_id=body["id"])
    assert SocialIdentity.objects.filter(
        customer=customer, provider="apple", subject="001234.apple-subject"
    ).exists()
    assert set(customer.events.values_list("type", flat=True)) == {
        CustomerEvent.Type.CREATED,
        CustomerEvent.Type.REGISTERED,
        CustomerEvent.Type.LOGGED_IN,
    }
    profile = app.get(f"/storefront/v1/customers/{body['id']}", HTTP_CUSTOMER_TOKEN=body["token"])
    assert profile.status_code == 200
    assert profile.json()["id"] == body["id"]


def test_apple_second_sign_in_finds_the_same_customer(app, providers, signing_key):
    first = app.post(APPLE, {"identityToken": id_token(signing_key)}, format="json")
    # Later Apple tokens may leave the email out; the subject is enough.
    again = app.post(APPLE, {"identityToken": id_token(signing_key, email=None)}, format="json")

    assert first.status_code == again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["token"] != first.json()["token"]
    assert Customer.objects.count() == 1
    assert SocialIdentity.objects.count() == 1


def test_apple_links_the_customer_with_the_same_verified_email(
    app, providers, signing_key, social_store
):
    ada = factories.CustomerFactory(
        store=social_store,
        email="ada@example.com",
        first_name="Ada",
        email_verified_at=timezone.now(),  # an unverified one is not linked: test_contact_change
    )

    response = app.post(
        APPLE, {"identityToken": id_token(signing_key), "name": "Someone Else"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["id"] == ada.public_id
    assert response.json()["first_name"] == "Ada"  # an existing account keeps its name
    assert Customer.objects.count() == 1
    assert SocialIdentity.objects.get().customer == ada


def test_apple_turns_a_guest_record_into_an_account(app, providers, signing_key, social_store):
    guest = factories.CustomerFactory(store=social_store, email="ada@example.com", is_guest=True)

    response = app.post(APPLE, {"identityToken": id_token(signing_key)}, format="json")

    assert response.status_code == 200
    assert response.json()["id"] == guest.public_id
    guest.refresh_from_db()
    assert guest.is_guest is False
    assert SocialIdentity.objects.get().customer == guest
    assert guest.events.filter(type=CustomerEvent.Type.REGISTERED).exists()
    assert Customer.objects.count() == 1


def test_apple_unverified_email_is_not_used(app, providers, signing_key, social_store):
    ada = factories.CustomerFactory(store=social_store, email="ada@example.com")

    response = app.post(
        APPLE, {"identityToken": id_token(signing_key, email_verified="false")}, format="json"
    )

    refused(response, 422, "Apple did not share an email address; sign in with email instead.")
    assert not SocialIdentity.objects.exists()
    assert Customer.objects.get() == ada


def test_apple_without_an_email_cannot_create_an_account(app, providers, signing_key):
    response = app.post(APPLE, {"identityToken": id_token(signing_key, email=None)}, format="json")

    refused(response, 422, "Apple did not share an email address; sign in with email instead.")
    assert not Customer.objects.exists()


def test_apple_ignores_the_email_and_user_id_in_the_body(app, providers, signing_key, social_store):
    victim = factories.CustomerFactory(store=social_store, email="victim@example.com")
    SocialIdentity.objects.create(
        store=social_store, customer=victim, provider="apple", subject="victim-subject"
    )
    token = id_token(signing_key, sub="attacker-subject", email="mallory@example.com")

    response = app.post(
        APPLE,
        {
            "identityToken": token,
            "appleUserId": "victim-subject",
            "email": "victim@example.com",
            "authorizationCode": "whatever",
        },
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["id"] != victim.public_id
    assert response.json()["email"] == "mallory@example.com"
    assert SocialIdentity.objects.get(subject="attacker-subject").customer.email == (
        "mallory@example.com"
    )


def test_apple_token_signed_by_another_key_is_401(app, providers, stranger_key):
    response = app.post(APPLE, {"identityToken": id_token(stranger_key)}, format="json")

    refused(response)
    assert not Customer.objects.exists()


def test_apple_token_for_another_app_is_401(app, providers, signing_key):
    token = id_token(signing_key, aud="com.attacker.app")

    refused(app.post(APPLE, {"identityToken": token, "clientId": "com.attacker.app"}, "json"))


def test_apple_expired_token_is_401(app, providers, signing_key):
    an_hour_ago = int(time.time()) - 3600
    token = id_token(signing_key, iat=an_hour_ago - 600, exp=an_hour_ago)

    refused(app.post(APPLE, {"identityToken": token}, format="json"))


def test_apple_token_from_another_issuer_is_401(app, providers, signing_key):
    token = id_token(signing_key, issuer="https://appleid.apple.com.evil.example")

    refused(app.post(APPLE, {"identityToken": token}, format="json"))


def test_apple_malformed_and_unsigned_tokens_are_401(app, providers, signing_key):
    unsigned = jwt.encode(
        {"iss": "https://appleid.apple.com", "aud": APPLE_CLIENT, "sub": "x", "exp": 2**40},
        "the public key is no secret, so this proves nothing at all",
        algorithm="HS256",
        headers={"kid": "key-1"},
    )
    no_kid = jwt.encode({"sub": "x"}, signing_key, algorithm="RS256")

    for token in ("not-a-jwt", "a.b.c", unsigned, no_kid, id_token(signing_key, kid="unknown")):
        refused(app.post(APPLE, {"identityToken": token}, format="json"))
    assert not Customer.objects.exists()


def test_apple_token_is_required(app, providers):
    response = app.post(APPLE, {"appleUserId": "001234.apple-subject"}, format="json")

    assert response.status_code == 422
    assert response.json()["errors"]
    assert "identityToken" in response.json()["fields"]


def test_apple_not_set_up_for_the_store_is_422(providers, signing_key):
    store = factories.StoreFactory(apple_client_ids=[], google_client_ids=[])

    response = app_client(store).post(
        APPLE, {"identityToken": id_token(signing_key)}, format="json"
    )

    refused(response, 422, "Sign in with Apple is not set up for this store.")
    assert providers.hits["/apple/auth/keys"] == 0


def test_closed_account_cannot_sign_in(app, providers, signing_key, social_store):
    ada = factories.CustomerFactory(store=social_store, email="ada@example.com")
    SocialIdentity.objects.create(
        store=social_store, customer=ada, provider="apple", subject="001234.apple-subject"
    )
    Customer.objects.filter(pk=ada.pk).update(closed_at=timezone.now())

    response = app.post(APPLE, {"identityToken": id_token(signing_key)}, format="json")

    refused(response, 401, "This account is closed.")
    assert Customer.objects.count() == 1


def test_closing_an_account_forgets_its_apple_id(app, providers, signing_key):
    first = app.post(APPLE, {"identityToken": id_token(signing_key)}, format="json").json()
    customer_close(customer=Customer.objects.get(public_id=first["id"]))

    again = app.post(APPLE, {"identityToken": id_token(signing_key)}, format="json")

    # The closed account is erased, not reopened: the same Apple ID starts a new account.
    assert again.status_code == 200
    assert again.json()["id"] != first["id"]
    assert (
        app.get(
            f"/storefront/v1/customers/{first['id']}", HTTP_CUSTOMER_TOKEN=first["token"]
        ).status_code
        == 401
    )


def test_apple_keys_are_fetched_once_for_two_sign_ins(app, providers, signing_key):
    for _ in range(2):
        assert app.post(APPLE, {"identityToken": id_token(signing_key)}, "json").status_code == 200

    assert providers.hits["/apple/auth/keys"] == 1


def test_apple_rotated_key_is_fetched_once_more(app, providers, signing_key, stranger_key):
    assert app.post(APPLE, {"identityToken": id_token(signing_key)}, "json").status_code == 200
    providers.jwks = {"keys": [jwk_of(stranger_key, "key-2")]}

    rotated = app.post(APPLE, {"identityToken": id_token(stranger_key, kid="key-2")}, format="json")
    made_up = app.post(APPLE, {"identityToken": id_token(stranger_key, kid="key-3")}, format="json")

    assert rotated.status_code == 200
    refused(made_up)
    # The first fetch, the refetch for key-2; key-3 does not refetch again so soon.
    assert providers.hits["/apple/auth/keys"] == 2


def test_apple_keys_unreachable_is_401(app, providers, signing_key, settings):
    settings.APPLE_JWKS_URL = f"{closed_port_url()}/auth/keys"

    refused(app.post(APPLE, {"identityToken": id_token(signing_key)}, format="json"))


def test_apple_keys_endpoint_answering_garbage_is_401(app, providers, signing_key):
    providers.jwks = ["not", "an", "object"]

    refused(app.post(APPLE, {"identityToken": id_token(signing_key)}, format="json"))


# --- Google ---------------------------------------------------------------------------------


def test_google_sign_in_creates_a_customer(app, providers, signing_key):
    response = app.post(
        GOOGLE,
        {"idToken": google_token(signing_key, issuer="accounts.google.com")},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["first_name"], body["last_name"], body["email"]) == (
        "Grace",
        "Hopper",
        "grace@example.com",
    )
    assert SocialIdentity.objects.get().provider == "google"
    assert providers.hits["/google/oauth2/v3/certs"] == 1


def test_google_unverified_email_does_not_link(app, providers, signing_key, social_store):
    grace = factories.CustomerFactory(store=social_store, email="grace@example.com")

    response = app.post(
        GOOGLE, {"idToken": google_token(signing_key, email_verified=False)}, format="json"
    )

    refused(response, 422, "Google did not share an email address; sign in with email instead.")
    assert not SocialIdentity.objects.exists()
    assert list(Customer.objects.all()) == [grace]


def test_google_client_id_from_the_caller_does_not_widen_the_audience(app, providers, signing_key):
    token = google_token(signing_key, aud="999.apps.googleusercontent.com")

    response = app.post(
        GOOGLE, {"idToken": token, "clientId": "999.apps.googleusercontent.com"}, format="json"
    )

    refused(response)


def test_google_token_from_apple_issuer_is_401(app, providers, signing_key):
    token = google_token(signing_key, issuer="https://appleid.apple.com")

    refused(app.post(GOOGLE, {"idToken": token}, format="json"))


def test_google_not_set_up_for_the_store_is_422(providers, signing_key):
    store = factories.StoreFactory(apple_client_ids=[APPLE_CLIENT], google_client_ids=[])

    response = app_client(store).post(GOOGLE, {"idToken": google_token(signing_key)}, format="json")

    refused(response, 422, "Sign in with Google is not set up for this store.")


# --- Facebook -------------------------------------------------------------------------------


def test_facebook_sign_in_checks_the_token_with_facebook(app, providers):
    response = app.post(
        FACEBOOK,
        {
            "accessToken": "EAAB-user-token",
            "facebookUserId": "10001",
            "name": "Not Used",
            "email": "not-used@example.com",
            "avatarUrl": "http://127.0.0.1:1/not-fetched.png",
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["first_name"], body["last_name"], body["email"]) == (
        "Grace",
        "Hopper",
        "grace@example.com",
    )
    assert SocialIdentity.objects.get().subject == "10001"
    queries = dict(providers.queries)
    assert queries["/graph/debug_token"]["input_token"] == ["EAAB-user-token"]
    assert queries["/graph/debug_token"]["access_token"] == [f"{FACEBOOK_APP}|{FACEBOOK_SECRET}"]
    assert queries["/graph/me"]["access_token"] == ["EAAB-user-token"]
    assert "appsecret_proof" in queries["/graph/me"]


def test_facebook_second_sign_in_finds_the_same_customer(app, providers):
    first = app.post(FACEBOOK, {"accessToken": "EAAB-user-token"}, format="json")
    again = app.post(FACEBOOK, {"accessToken": "EAAB-other-session"}, format="json")

    assert first.status_code == again.status_code == 200
    assert again.json()["id"] == first.json()["id"]


def test_facebook_invalid_token_is_401(app, providers):
    providers.debug_token["data"]["is_valid"] = False

    refused(app.post(FACEBOOK, {"accessToken": "EAAB-expired"}, format="json"))
    assert providers.hits["/graph/me"] == 0


def test_facebook_token_of_another_app_is_401(app, providers):
    providers.debug_token["data"]["app_id"] = "666"

    refused(app.post(FACEBOOK, {"accessToken": "EAAB-other-app"}, format="json"))
    assert not Customer.objects.exists()


def test_facebook_user_id_in_the_body_must_be_facebooks(app, providers):
    response = app.post(
        FACEBOOK, {"accessToken": "EAAB-user-token", "facebookUserId": "20002"}, format="json"
    )

    refused(response)
    assert not Customer.objects.exists()


def test_facebook_graph_unreachable_is_401(app, providers, settings):
    settings.FACEBOOK_GRAPH_URL = closed_port_url()

    refused(app.post(FACEBOOK, {"accessToken": "EAAB-user-token"}, format="json"))


def test_facebook_graph_error_is_401(app, providers, settings):
    settings.FACEBOOK_GRAPH_URL = settings.FACEBOOK_GRAPH_URL + "/v0.0-missing"

    refused(app.post(FACEBOOK, {"accessToken": "EAAB-user-token"}, format="json"))


def test_facebook_without_email_cannot_create_an_account(app, providers):
    del providers.me["email"]

    response = app.post(FACEBOOK, {"accessToken": "EAAB-user-token"}, format="json")

    refused(response, 422, "Facebook did not share an email address; sign in with email instead.")


def test_facebook_not_set_up_is_422(providers, settings, social_store):
    no_app = factories.StoreFactory(facebook_app_id="")
    response = app_client(no_app).post(FACEBOOK, {"accessToken": "EAAB"}, format="json")
    refused(response, 422, "Sign in with Facebook is not set up for this store.")

    settings.FACEBOOK_APP_SECRET = ""
    response = app_client(social_store).post(FACEBOOK, {"accessToken": "EAAB"}, format="json")
    refused(response, 422, "Sign in with Facebook is not set up for this store.")
    assert providers.hits["/graph/debug_token"] == 0


# --- All three ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [APPLE, GOOGLE, FACEBOOK])
def test_social_sign_in_needs_the_store_key(path, providers):
    response = APIClient().post(path, {}, format="json")

    assert response.status_code == 401
    assert response.json()["errors"]


def test_a_subject_is_per_store(providers, signing_key, social_store):
    other = factories.StoreFactory(apple_client_ids=[APPLE_CLIENT])
    here = app_client(social_store).post(APPLE, {"identityToken": id_token(signing_key)}, "json")
    there = app_client(other).post(APPLE, {"identityToken": id_token(signing_key)}, "json")

    assert here.status_code == there.status_code == 200
    assert here.json()["id"] != there.json()["id"]
    assert Customer.objects.get(public_id=there.json()["id"]).store == other


def test_social_sign_in_is_throttled_like_login(app, providers):
    for _ in range(10):
        refused(app.post(GOOGLE, {"idToken": "not-a-jwt"}, format="json"))

    response = app.post(GOOGLE, {"idToken": "not-a-jwt"}, format="json")

    assert response.status_code == 429
    assert response.json()["errors"]
    assert "Retry-After" in response.headers
