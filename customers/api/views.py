"""Shopper API: customer accounts. Views parse and answer; customers.services decides."""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from customers import services
from customers.api import serializers as api
from customers.api.base import StorefrontView
from customers.api.permissions import HasCustomer, IsRegisteredCustomer
from customers.api.throttles import (
    ApiKeyThrottle,
    IdentityThrottle,
    LoginThrottle,
    SendCodeIdentityThrottle,
    SendCodeThrottle,
)
from customers.models import Address, Customer
from customers.tokens import customer_token_revoke

OK = {"status": "OK"}
LOGIN_FAILED = "The email, phone or password is not right."
# The shopper API calls the customer's metadata `meta` (as Fleetbase does).
FIELD_NAMES = {"metadata": "meta"}


def places_prefetch() -> Prefetch:
    return Prefetch(
        "addresses", queryset=Address.objects.order_by("-is_default", "created_at", "id")
    )


def customer_queryset():
    return Customer.objects.select_related("store", "customer_group").prefetch_related(
        places_prefetch()
    )


def customer_answer(request, customer, *, token: str | None = None, status_code=200):
    """The customer as the API shows it, fetched again (a service may have changed the row)
    with its addresses in one more query."""
    customer = customer_queryset().get(pk=customer.pk)
    context = {"request": request}
    if token is not None:
        data = api.CustomerWithTokenSerializer(customer, context={**context, "token": token}).data
    else:
        data = api.CustomerSerializer(customer, context=context).data
    return Response(data, status=status_code)


def valid(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def shopper_errors(exc: ValidationError) -> ValidationError:
    """A service's ValidationError with its fields named as this API names them."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({FIELD_NAMES.get(f, f): e for f, e in exc.error_dict.items()})


status_ok = inline_serializer("Status", {"status": serializers.CharField()})


class RequestCreationCodeView(StorefrontView):
    throttle_classes = [ApiKeyThrottle, SendCodeThrottle, SendCodeIdentityThrottle]

    @extend_schema(
        request=api.RequestCodeSerializer, responses={200: status_ok}, tags=["Customers"]
    )
    def post(self, request):
        """Send a 6-digit code to an email or phone, to register with it."""
        data = valid(api.RequestCodeSerializer, request.data)
        services.registration_code_send(
            store=self.store, identity=data["identity"], mode=data.get("mode")
        )
        return Response(OK)


class CustomerCreateView(StorefrontView):
    throttle_classes = [ApiKeyThrottle, LoginThrottle, IdentityThrottle]

    @extend_schema(
        request=api.RegisterSerializer,
        responses={201: api.CustomerWithTokenSerializer},
        tags=["Customers"],
    )
    def post(self, request):
        """Register with the code from request-creation-code; answers the customer and token."""
        data = valid(api.RegisterSerializer, request.data)
        try:
            customer, token = services.customer_register_with_code(
                store=self.store,
                identity=data["identity"],
                code=data["code"],
                name=data["name"],
                email=data.get("email", ""),
                phone=data.get("phone", ""),
                password=data.get("password") or None,
                metadata=data.get("meta"),
            )
        except ValidationError as exc:
            raise shopper_errors(exc) from None
        return customer_answer(request, customer, token=token, status_code=status.HTTP_201_CREATED)


class LoginView(StorefrontView):
    throttle_classes = [ApiKeyThrottle, LoginThrottle, IdentityThrottle]

    @extend_schema(
        request=api.LoginSerializer, responses={200: api.CustomerWithTokenSerializer}, tags=["Auth"]
    )
    def post(self, request):
        """Log in with an email or phone and a password."""
        data = valid(api.LoginSerializer, request.data)
        try:
            customer, token = services.customer_login_with_password(
                store=self.store, identity=data["identity"], password=data["password"]
            )
        except services.LoginRefused as exc:
            raise exceptions.AuthenticationFailed(LOGIN_FAILED) from exc
        return customer_answer(request, customer, token=token)


class LoginWithSmsView(StorefrontView):
    throttle_classes = [ApiKeyThrottle, SendCodeThrottle, SendCodeIdentityThrottle]

    @extend_schema(
        request=api.SmsLoginSerializer,
        responses={
            200: inline_serializer(
                "SmsSent", {"status": serializers.CharField(), "method": serializers.CharField()}
            )
        },
        tags=["Auth"],
    )
    def post(self, request):
        """Send a login code by SMS. The answer is the same whether the phone is known or not."""
        data = valid(api.SmsLoginSerializer, request.data)
        services.customer_login_code_send(store=self.store, phone=data["phone"])
        return Response({"status": "OK", "method": "sms"})


class VerifyCodeView(StorefrontView):
    throttle_classes = [ApiKeyThrottle, LoginThrottle, IdentityThrottle]

    @extend_schema(
        request=api.VerifyCodeSerializer,
        responses={200: api.CustomerWithTokenSerializer},
        tags=["Auth"],
    )
    def post(self, request):
        """Log in with the code sent by login-with-sms."""
        data = valid(api.VerifyCodeSerializer, request.data)
        try:
            customer, token = services.customer_login_with_code(
                store=self.store, identity=data["identity"], code=data["code"]
            )
        except services.LoginRefused as exc:
            raise exceptions.AuthenticationFailed(LOGIN_FAILED) from exc
        return customer_answer(request, customer, token=token)


class OwnCustomerView(StorefrontView):
    permission_classes = [HasCustomer]

    def own(self, public_id) -> Customer:
        # Another customer's id is "not found", never "forbidden": nothing to learn from it.
        if public_id != self.customer.public_id:
            raise exceptions.NotFound()
        return self.customer


class CustomerDetailView(OwnCustomerView):
    max_body_bytes = staticmethod(api.profile_body_bytes)  # a photo, in multipart or base64

    def get_throttles(self):
        # A change of email or phone sends a code: throttled like every code send. The rest of
        # a profile change is not.
        throttles = super().get_throttles()
        if self.request.method in ("PUT", "PATCH") and services.contact_change_asked(
            customer=self.customer, data=self.request.data
        ):
            throttles += [SendCodeThrottle(), SendCodeIdentityThrottle()]
        return throttles

    @extend_schema(responses={200: api.CustomerSerializer}, tags=["Customers"])
    def get(self, request, public_id):
        """The logged-in customer's profile (their own id only)."""
        # The row came with the token, in this request: only the places are fetched.
        customer = self.own(public_id)
        prefetch_related_objects([customer], places_prefetch())
        return Response(api.CustomerSerializer(customer, context={"request": request}).data)

    @extend_schema(
        request=api.CustomerUpdateSerializer,
        responses={200: api.CustomerWithTokenSerializer},
        tags=["Customers"],
    )
    def put(self, request, public_id):
        """Update the profile: only the fields sent change, all of them or none. A new password
        needs current_password when one is set, and ends the other sessions. A new email or
        phone is not applied: it is answered as pending_email / pending_phone and a code goes
        to it, for verify-contact. The answer carries the caller's own `token` (the Fleetbase
        SDK replaces its customer with the answer, and would lose it otherwise)."""
        customer = self.own(public_id)
        data = dict(valid(api.CustomerUpdateSerializer, request.data))
        current_password = data.pop("current_password", None)
        if "meta" in data:
            data["metadata"] = data.pop("meta")
        try:
            services.customer_profile_update(
                customer=customer,
                data=data,
                current_password=current_password,
                keep_token=request.user.token,
            )
        except ValidationError as exc:
            raise shopper_errors(exc) from None
        return customer_answer(request, customer, token=request.headers["Customer-Token"].strip())

    patch = put


class VerifyContactView(OwnCustomerView):
    throttle_classes = [ApiKeyThrottle, LoginThrottle, IdentityThrottle]

    @extend_schema(
        request=api.VerifyContactSerializer,
        responses={200: api.CustomerSerializer},
        tags=["Customers"],
    )
    def post(self, request, public_id):
        """Confirm the pending email or phone with the code sent to it: it becomes the
        customer's, verified. Another customer of the store holding it by now is a 422."""
        customer = self.own(public_id)
        data = valid(api.VerifyContactSerializer, request.data)
        services.customer_contact_confirm(
            customer=customer, identity=data["identity"], code=data["code"]
        )
        return customer_answer(request, customer)


class LogoutView(StorefrontView):
    permission_classes = [HasCustomer]

    @extend_schema(request=None, responses={200: status_ok}, tags=["Auth"])
    def post(self, request):
        """End this session: the token stops working."""
        customer_token_revoke(token=request.user.token)
        return Response(OK)


class RegisterDeviceView(StorefrontView):
    permission_classes = [HasCustomer]

    @extend_schema(
        request=api.DeviceSerializer,
        responses={
            200: inline_serializer(
                "DeviceRegistered",
                {"status": serializers.CharField(), "device": serializers.CharField()},
            )
        },
        tags=["Customers"],
    )
    def post(self, request):
        """Remember a push-notification token (idempotent)."""
        data = valid(api.DeviceSerializer, request.data)
        device = services.device_register(
            customer=self.customer, token=data["token"], platform=data["platform"]
        )
        return Response({"status": "OK", "device": device.public_id})


class AccountClosureView(StorefrontView):
    permission_classes = [IsRegisteredCustomer]
    throttle_classes = [ApiKeyThrottle, SendCodeThrottle]

    @extend_schema(request=None, responses={200: status_ok}, tags=["Customers"])
    def post(self, request):
        """Start closing the account: a code goes to the customer's email or phone."""
        services.customer_closure_code_send(customer=self.customer)
        return Response(OK)


class ConfirmAccountClosureView(StorefrontView):
    permission_classes = [IsRegisteredCustomer]
    throttle_classes = [ApiKeyThrottle, LoginThrottle]

    @extend_schema(request=api.CodeSerializer, responses={200: status_ok}, tags=["Customers"])
    def post(self, request):
        """Close the account with the code: sessions end, personal data is erased."""
        data = valid(api.CodeSerializer, request.data)
        services.customer_close_with_code(customer=self.customer, code=data["code"])
        return Response(OK)


class PlaceListView(StorefrontView):
    permission_classes = [HasCustomer]

    def get_permissions(self):
        return (
            [IsRegisteredCustomer()] if self.request.method == "POST" else super().get_permissions()
        )

    @extend_schema(responses={200: api.PlaceSerializer(many=True)}, tags=["Places"])
    def get(self, request):
        """The customer's saved places, the default first."""
        return Response(api.PlaceSerializer(self.customer.addresses.all(), many=True).data)

    @extend_schema(
        request=api.PlaceSerializer, responses={201: api.PlaceSerializer}, tags=["Places"]
    )
    def post(self, request):
        """Save a place (registered customers only)."""
        data = valid(api.PlaceSerializer, request.data)
        address = services.address_create(
            customer=self.customer, data=dict(data), actor_customer=self.customer
        )
        return Response(api.PlaceSerializer(address).data, status=status.HTTP_201_CREATED)


class PlaceDetailView(StorefrontView):
    permission_classes = [IsRegisteredCustomer]

    def own(self, public_id) -> Address:
        address = Address.objects.filter(public_id=public_id, customer=self.customer).first()
        if address is None:
            raise exceptions.NotFound()
        return address

    @extend_schema(responses={200: api.PlaceSerializer}, tags=["Places"])
    def get(self, request, public_id):
        return Response(api.PlaceSerializer(self.own(public_id)).data)

    @extend_schema(
        request=api.PlaceSerializer(partial=True),
        responses={200: api.PlaceSerializer},
        tags=["Places"],
    )
    def put(self, request, public_id):
        address = self.own(public_id)
        serializer = api.PlaceSerializer(address, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        address = services.address_update(
            address=address, data=dict(serializer.validated_data), actor_customer=self.customer
        )
        return Response(api.PlaceSerializer(address).data)

    patch = put

    @extend_schema(responses={204: None}, tags=["Places"])
    def delete(self, request, public_id):
        services.address_delete(address=self.own(public_id), actor_customer=self.customer)
        return Response(status=status.HTTP_204_NO_CONTENT)
