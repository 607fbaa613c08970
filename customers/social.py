"""Sign in with Apple, Google and Facebook.

Who signs in is decided by what the provider vouches for and nothing else: the subject and the
verified email inside an Apple or Google identity token (signature checked against the
provider's published keys, issuer, audience among the store's own client ids, expiry), or the
user id and email Facebook's Graph API returns for an access token issued to the store's app.
Ids, emails and audiences the caller sends are never trusted; a name may fill in a new account.

The `*_profile` functions check the provider's word (they call the provider, so they run outside
any transaction), `social_sign_in` finds, links or creates the customer, and `social_login` also
opens their session (customers.services.customer_login, as every way in does).
"""

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from http.client import HTTPException
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import jwt
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from customers.models import Customer, CustomerEvent, SocialIdentity
from customers.services import (
    customer_contact_verified,
    customer_create,
    customer_find_by_identity,
    customer_login,
    event_record,
    guest_account_open,
    split_name,
)

logger = logging.getLogger(__name__)

Provider = SocialIdentity.Provider

JWKS_CACHE_SECONDS = 60 * 60
# An unknown `kid` refetches the keys (the provider rotated them), at most this often, so
# tokens with made-up kids cannot make every request call the provider.
JWKS_REFETCH_INTERVAL_SECONDS = 60
# Clock skew allowed on `exp` (and `iat`/`nbf` when present).
LEEWAY_SECONDS = 60
MAX_RESPONSE_BYTES = 1024 * 1024
NAME_MAX_LENGTH = 100  # Customer.first_name / last_name


class SocialSignInRejected(Exception):
    """The provider did not vouch for this sign-in. The message is the reason, for the log only;
    the caller is told one thing whatever it is."""


class SocialAccountClosed(Exception):
    """The provider vouches for a customer whose account is closed."""


def _link_refused(label: str) -> ValidationError:
    return ValidationError(
        f"An account with this email exists. Log in to it first, then sign in with {label} "
        "again to link them."
    )


@dataclass(frozen=True)
class SocialProfile:
    """What a provider vouched for: its subject id, and an email only if it verified it."""

    provider: str
    subject: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""


# --- Talking to providers -------------------------------------------------------------------


def _get_json(url: str, *, what: str) -> dict:
    """GET `url` and parse its JSON object; any failure is a SocialSignInRejected (the URL is
    not logged: it may carry an access token)."""
    request = Request(url, headers={"Accept": "application/json"})
    try:
        with urlopen(request, timeout=settings.SOCIAL_HTTP_TIMEOUT) as response:
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except HTTPError as exc:
        raise SocialSignInRejected(f"{what} answered HTTP {exc.code}") from exc
    except (OSError, HTTPException, ValueError) as exc:  # URLError and timeouts are OSErrors
        raise SocialSignInRejected(
            f"{what} could not be reached: {type(exc).__name__}: {exc}"
        ) from exc
    if len(body) > MAX_RESPONSE_BYTES:
        raise SocialSignInRejected(f"{what} answered more than {MAX_RESPONSE_BYTES} bytes")
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise SocialSignInRejected(f"{what} answered something that is not JSON") from exc
    if not isinstance(document, dict):
        raise SocialSignInRejected(f"{what} answered JSON that is not an object")
    return document


def _jwks_cache_key(url: str, suffix: str = "") -> str:
    return f"social:jwks:{hashlib.sha256(url.encode()).hexdigest()}{suffix}"


def _jwks(url: str, *, refetch: bool = False) -> list:
    """The provider's public keys, from the cache (an hour) or fetched."""
    if not refetch:
        keys = cache.get(_jwks_cache_key(url))
        if keys is not None:
            return keys
    keys = _get_json(url, what="the JWKS").get("keys")
    if not isinstance(keys, list):
        raise SocialSignInRejected("the JWKS has no list of keys")
    cache.set(_jwks_cache_key(url), keys, JWKS_CACHE_SECONDS)
    return keys


def _jwk_with_kid(keys: list, kid: str) -> dict | None:
    return next((k for k in keys if isinstance(k, dict) and k.get("kid") == kid), None)


def _signing_key(url: str, kid: str):
    jwk = _jwk_with_kid(_jwks(url), kid)
    if jwk is None and cache.add(
        _jwks_cache_key(url, ":refetched"), 1, JWKS_REFETCH_INTERVAL_SECONDS
    ):
        jwk = _jwk_with_kid(_jwks(url, refetch=True), kid)
    if jwk is None:
        raise SocialSignInRejected(f"no key {kid!r} in the JWKS")
    try:
        return jwt.PyJWK(jwk).key
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
        raise SocialSignInRejected(f"unusable key {kid!r} in the JWKS: {exc}") from exc


def _verified_claims(token: str, *, jwks_url: str, issuer, audience: list[str]) -> dict:
    """The claims of an RS256 identity token signed by a key of `jwks_url`, issued by `issuer`
    (one or several), for one of `audience`, not expired, with a subject."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise SocialSignInRejected(f"malformed token: {exc}") from exc
    if header.get("alg") != "RS256":
        raise SocialSignInRejected(f"token algorithm {header.get('alg')!r} is not RS256")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise SocialSignInRejected("token header has no kid")
    key = _signing_key(jwks_url, kid)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=audience,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise SocialSignInRejected(f"token rejected: {type(exc).__name__}: {exc}") from exc
    if not isinstance(claims.get("sub"), str) or not claims["sub"].strip():
        raise SocialSignInRejected("token has no subject")
    return claims


def _verified_email(claims: dict) -> str:
    """The token's email, only when the provider says it verified it (Apple sends "true")."""
    email = claims.get("email")
    verified = claims.get("email_verified")
    verified = verified is True or (isinstance(verified, str) and verified.lower() == "true")
    if verified and isinstance(email, str) and email.strip():
        return email.strip().lower()
    return ""


def _client_ids(value) -> list[str]:
    if not isinstance(value, list | tuple):
        return []
    return [item.strip() for item in value if isinstance(item, str) and item.strip()]


def _not_set_up(provider: str) -> ValidationError:
    label = Provider(provider).label
    return ValidationError(f"Sign in with {label} is not set up for this store.")


def _split(name) -> tuple[str, str]:
    return split_name(name if isinstance(name, str) else "")


def _names(first_name: str, last_name: str) -> tuple[str, str]:
    return (
        (first_name or "").strip()[:NAME_MAX_LENGTH],
        (last_name or "").strip()[:NAME_MAX_LENGTH],
    )


def apple_profile(
    *, store, identity_token: str, first_name: str = "", last_name: str = ""
) -> SocialProfile:
    """Who an Apple identity token names. Apple puts no name in the token; the app's name
    (first sign-in only) is passed in as `first_name`/`last_name`, for a new account.

    Raises ValidationError when the store has no Apple client id, SocialSignInRejected when
    the token is not a valid one for this store."""
    audience = _client_ids(store.apple_client_ids)
    if not audience:
        raise _not_set_up(Provider.APPLE)
    claims = _verified_claims(
        identity_token,
        jwks_url=settings.APPLE_JWKS_URL,
        issuer=settings.APPLE_ISSUER,
        audience=audience,
    )
    first_name, last_name = _names(first_name, last_name)
    return SocialProfile(
        provider=Provider.APPLE,
        subject=claims["sub"],
        email=_verified_email(claims),
        first_name=first_name,
        last_name=last_name,
    )


def google_profile(*, store, id_token: str) -> SocialProfile:
    """Who a Google ID token names (audience among the store's Google client ids).

    Raises ValidationError when the store has no Google client id, SocialSignInRejected when
    the token is not a valid one for this store."""
    audience = _client_ids(store.google_client_ids)
    if not audience:
        raise _not_set_up(Provider.GOOGLE)
    claims = _verified_claims(
        id_token,
        jwks_url=settings.GOOGLE_JWKS_URL,
        issuer=list(settings.GOOGLE_ISSUERS),
        audience=audience,
    )
    given, family = claims.get("given_name"), claims.get("family_name")
    if not isinstance(given, str) or not given.strip():
        given, family = _split(claims.get("name"))
    first_name, last_name = _names(given, family if isinstance(family, str) else "")
    return SocialProfile(
        provider=Provider.GOOGLE,
        subject=claims["sub"],
        email=_verified_email(claims),
        first_name=first_name,
        last_name=last_name,
    )


def facebook_profile(
    *, store, access_token: str, claimed_user_id: str = "", name: str = ""
) -> SocialProfile:
    """Who a Facebook access token belongs to, as the Graph API says: the token must be valid
    and issued to the store's app (debug_token), and `claimed_user_id`, when the app sends one,
    must be that user. Name and email come from /me; `name` only fills a missing name.

    Raises ValidationError when the store has no app id or the server no app secret,
    SocialSignInRejected otherwise."""
    app_id = (store.facebook_app_id or "").strip()
    secret = settings.FACEBOOK_APP_SECRET
    if not app_id or not secret:
        raise _not_set_up(Provider.FACEBOOK)
    graph = settings.FACEBOOK_GRAPH_URL.rstrip("/")
    debug = _get_json(
        f"{graph}/debug_token?"
        + urlencode({"input_token": access_token, "access_token": f"{app_id}|{secret}"}),
        what="Facebook debug_token",
    )
    data = debug.get("data")
    if not isinstance(data, dict) or data.get("is_valid") is not True:
        raise SocialSignInRejected("Facebook says the access token is not valid")
    if str(data.get("app_id", "")) != app_id:
        raise SocialSignInRejected(f"the access token is for app {data.get('app_id')!r}")
    user_id = str(data.get("user_id") or "")
    if not user_id:
        raise SocialSignInRejected("Facebook names no user for the access token")
    if claimed_user_id and claimed_user_id != user_id:
        raise SocialSignInRejected("the app sent another facebookUserId than the token's user")
    # appsecret_proof ties the call to our app, as Facebook asks of server-side calls.
    proof = hmac.new(secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()
    me = _get_json(
        f"{graph}/me?"
        + urlencode(
            {"fields": "id,name,email", "access_token": access_token, "appsecret_proof": proof}
        ),
        what="Facebook /me",
    )
    if str(me.get("id", "")) != user_id:
        raise SocialSignInRejected("Facebook /me names another user than debug_token")
    email = me.get("email")
    email = email.strip().lower() if isinstance(email, str) else ""
    full_name = me.get("name") if isinstance(me.get("name"), str) and me["name"].strip() else name
    first_name, last_name = _names(*_split(full_name))
    return SocialProfile(
        provider=Provider.FACEBOOK,
        subject=user_id,
        email=email,
        first_name=first_name,
        last_name=last_name,
    )


# --- Finding or creating the customer -------------------------------------------------------


def social_login(
    *, store, profile: SocialProfile, signed_in: Customer | None = None
) -> tuple[Customer, str]:
    """(customer, token): the customer `profile` signs in (social_sign_in), with a new session
    whose "logged in" event names the provider."""
    customer = social_sign_in(store=store, profile=profile, signed_in=signed_in)
    return customer, customer_login(customer=customer, method=profile.provider)


def social_sign_in(*, store, profile: SocialProfile, signed_in: Customer | None = None) -> Customer:
    """The open, registered customer of `store` that `profile` signs in, in one transaction:

    1. the customer already linked to this provider subject;
    2. else the open customer with the profile's (provider-verified) email, linked now, when
       that email is verified on the account too (email_verified_at), or the account is
       `signed_in` (the caller's Customer-Token: they proved the account is theirs, and now
       the provider proves the email); a guest record becomes a registered account (its
       orders stay with it, its unproven phone is put aside as pending). Any other account
       with the email is not linked: a ValidationError says to log in to it first, and
       nothing is created;
    3. else a new registered customer with that email, linked.

    The provider's verified email, when it is the customer's, is marked verified. Writes the
    SocialIdentity on first link and a "registered" event for a new or converted account.
    Raises SocialAccountClosed for a closed account, and ValidationError when there is no
    verified email to create an account with.
    """
    try:
        return _sign_in(store, profile, signed_in)
    except (IntegrityError, ValidationError) as exc:
        # Another request may have linked or created the same person between our look-up and
        # our insert; the second look-up finds what it saved.
        if isinstance(exc, ValidationError) and not _is_conflict(exc):
            raise
    try:
        return _sign_in(store, profile, signed_in)
    except IntegrityError as exc:
        raise ValidationError("The sign-in conflicts with another one; try again.") from exc


def _email_verified(customer: Customer, profile: SocialProfile) -> None:
    """The provider verified the customer's own email: so is it now, on the account."""
    if profile.email and profile.email == customer.email:
        customer_contact_verified(customer=customer, field="email")


def _is_conflict(exc: ValidationError) -> bool:
    messages = exc.message_dict.get("email", []) if hasattr(exc, "error_dict") else []
    return "A customer with this email already exists." in messages


def _sign_in(store, profile: SocialProfile, signed_in: Customer | None) -> Customer:
    label = Provider(profile.provider).label
    with transaction.atomic():
        identity = (
            SocialIdentity.objects.select_related("customer")
            .filter(store=store, provider=profile.provider, subject=profile.subject)
            .first()
        )
        if identity is not None:
            if identity.customer.is_closed:
                raise SocialAccountClosed()
            _email_verified(identity.customer, profile)
            return identity.customer

        customer = (
            customer_find_by_identity(store, "email", profile.email) if profile.email else None
        )
        registered = customer is None or customer.is_guest
        if (
            customer is not None
            and not customer.is_guest
            and customer.email_verified_at is None
            and (signed_in is None or signed_in.pk != customer.pk)
        ):
            raise _link_refused(label)
        if customer is None:
            if not profile.email:
                raise ValidationError(
                    f"{label} did not share an email address; sign in with email instead."
                )
            customer = customer_create(
                store=store,
                first_name=profile.first_name or "Customer",
                last_name=profile.last_name,
                email=profile.email,
            )
        elif customer.is_guest:
            customer = guest_account_open(guest=customer, proven="email")
        SocialIdentity.objects.create(
            store=store, customer=customer, provider=profile.provider, subject=profile.subject
        )
        _email_verified(customer, profile)
        if registered:
            event_record(
                customer=customer,
                type=CustomerEvent.Type.REGISTERED,
                actor_customer=customer,
                data={"provider": profile.provider},
            )
    return customer
