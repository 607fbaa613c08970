"""Shopper API: sign in with Apple, Google or Facebook (Fleetbase's login-with-* calls).

The views parse the body and answer; customers.social checks the provider's word and finds,
links or creates the customer, and customers.services.customer_login opens the session as for
every other way in. Every way a token can fail is one 401 message (the reason goes to the
log); a provider the store has not set up is a 422, and so is an existing account whose email
is not verified yet (sent with that account's Customer-Token, the sign-in links to it).
"""

import logging

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers

from customers import social
from customers.api import serializers as api
from customers.api.base import StorefrontView
from customers.api.throttles import ApiKeyThrottle, LoginThrottle
from customers.api.views import customer_answer, valid
from customers.services import split_name

logger = logging.getLogger(__name__)

SIGN_IN_FAILED = "The sign-in could not be verified."
ACCOUNT_CLOSED = "This account is closed."
TOKEN_MAX_LENGTH = 8192


class AppleLoginSerializer(serializers.Serializer):
    identityToken = serializers.CharField(max_length=TOKEN_MAX_LENGTH)
    # What the app says about the person; never trusted (the token's claims decide). `name`
    # (a string, or {"givenName"/"firstName", "familyName"/"lastName"}) names a new account.
    appleUserId = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    authorizationCode = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    email = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    name = serializers.JSONField(required=False, allow_null=True)


class GoogleLoginSerializer(serializers.Serializer):
    idToken = serializers.CharField(max_length=TOKEN_MAX_LENGTH)
    # Ignored: the audience must be one of the store's own Google client ids.
    clientId = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class FacebookLoginSerializer(serializers.Serializer):
    accessToken = serializers.CharField(max_length=TOKEN_MAX_LENGTH)
    # When sent, must be the user Facebook names for the token.
    facebookUserId = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=64
    )
    # Never trusted: the email and name come from Facebook; `name` only fills a missing one.
    email = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    name = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    avatarUrl = serializers.CharField(required=False, allow_blank=True, allow_null=True)


def name_hint(value) -> tuple[str, str]:
    """(first, last) from a name the app sends as a string or as Apple's name components."""
    if isinstance(value, str):
        return split_name(value)
    if isinstance(value, dict):
        first = value.get("givenName") or value.get("firstName") or ""
        last = value.get("familyName") or value.get("lastName") or ""
        if isinstance(first, str) and isinstance(last, str):
            return first, last
    return "", ""


def social_login_answer(request, store, provider: str, verify):
    """Log in the customer that `verify()`'s profile names, or answer 401 with one message. A
    Customer-Token sent with it names the account the shopper may link the provider to."""
    try:
        customer, token = social.social_login(
            store=store, profile=verify(), signed_in=request.user.customer
        )
    except social.SocialSignInRejected as exc:
        logger.warning("Sign in with %s refused for store %s: %s", provider, store.pk, exc)
        raise exceptions.AuthenticationFailed(SIGN_IN_FAILED) from exc
    except social.SocialAccountClosed as exc:
        logger.info("Sign in with %s refused for store %s: account closed", provider, store.pk)
        raise exceptions.AuthenticationFailed(ACCOUNT_CLOSED) from exc
    return customer_answer(request, customer, token=token)


class LoginWithAppleView(StorefrontView):
    throttle_classes = [ApiKeyThrottle, LoginThrottle]

    @extend_schema(
        request=AppleLoginSerializer,
        responses={200: api.CustomerWithTokenSerializer},
        tags=["Auth"],
    )
    def post(self, request):
        """Sign in with Apple: the identity token's signature (Apple's keys), issuer, audience
        (the store's Apple client ids) and expiry are checked; its subject and verified email
        decide who signs in. A new account is created when none matches."""
        data = valid(AppleLoginSerializer, request.data)
        first_name, last_name = name_hint(data.get("name"))
        return social_login_answer(
            request,
            self.store,
            "Apple",
            lambda: social.apple_profile(
                store=self.store,
                identity_token=data["identityToken"],
                first_name=first_name,
                last_name=last_name,
            ),
        )


class LoginWithGoogleView(StorefrontView):
    throttle_classes = [ApiKeyThrottle, LoginThrottle]

    @extend_schema(
        request=GoogleLoginSerializer,
        responses={200: api.CustomerWithTokenSerializer},
        tags=["Auth"],
    )
    def post(self, request):
        """Sign in with Google: the ID token is checked against Google's keys and issuers and
        the store's Google client ids; the email is used only when Google verified it."""
        data = valid(GoogleLoginSerializer, request.data)
        return social_login_answer(
            request,
            self.store,
            "Google",
            lambda: social.google_profile(store=self.store, id_token=data["idToken"]),
        )


class LoginWithFacebookView(StorefrontView):
    throttle_classes = [ApiKeyThrottle, LoginThrottle]

    @extend_schema(
        request=FacebookLoginSerializer,
        responses={200: api.CustomerWithTokenSerializer},
        tags=["Auth"],
    )
    def post(self, request):
        """Sign in with Facebook: the access token must be valid and issued to the store's app
        (Graph API debug_token); the user id, name and email are Facebook's."""
        data = valid(FacebookLoginSerializer, request.data)
        return social_login_answer(
            request,
            self.store,
            "Facebook",
            lambda: social.facebook_profile(
                store=self.store,
                access_token=data["accessToken"],
                claimed_user_id=(data.get("facebookUserId") or "").strip(),
                name=data.get("name") or "",
            ),
        )
