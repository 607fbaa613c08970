"""Shopper API: customer accounts. Views parse and answer; customers.services decides."""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
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
    SendCodeThrottle,
)
from customers.codes import verification_code_check, verification_code_send
from customers.models import Address, Customer, CustomerEvent, VerificationCode
from customers.tokens import (
    customer_token_issue,
    customer_token_revoke,
)

OK = {"status": "OK"}
LOGIN_FAILED = "The email, phone or password is not right."
Purpose = VerificationCode.Purpose


def customer_queryset():
    return Customer.objects.select_related("store").prefetch_related(
        Prefetch("addresses", queryset=Address.objects.order_by("-is_default", "created_at", "id"))
    )


def customer_answer(request, customer, *, token: str | None = None, status_code=200):
    """The customer as the API shows it, fetched with its addresses in one more query."""
    customer = customer_queryset().get(pk=customer.pk)
    context = {"request": request}
    if token is not None:
        data = api.CustomerWithTokenSerializer(customer, context={**context, "token": token}).data
    else:
        data = api.CustomerSerializer(customer, context=context).data
    return Response(data, status=status_code)


def login_answer(request, customer, *, status_code=200):
    """A new session for `customer`: the customer and its token."""
    services.event_record(
        customer=customer, type=CustomerEvent.Type.LOGGED_IN, actor_customer=customer
    )
    return customer_answer(
        request, customer, token=customer_token_issue(customer=customer), status_code=status_code
    )


def valid(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


status_ok = inline_serializer("Status", {"status": serializers.CharField()})


class RequestCreationCodeView(StorefrontView):
    throttle_classes = [ApiKeyThrottle, SendCodeThrottle, IdentityThrottle]

    @extend_schema(
        request=api.RequestCodeSerializer, responses={200: status_ok}, tags=["Customers"]
    )
    def post(self, request):
        """Send a 6-digit code to an email or phone, to register with it."""
        data = valid(api.RequestCodeSerializer, request.data)
        kind, identity = services.identity_clean(self.store, data["identity"])
        mode = data.get("mode") or ("email" if kind == "email" else "sms")
        if (mode == "email") != (kind == "email"):
            raise ValidationError({"mode": [f"This identity is not an {mode} address."]})
        verification_code_send(store=self.store, identity=identity, purpose=Purpose.CREATE)
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
        kind, identity = services.identity_clean(self.store, data["identity"])
        verification_code_check(
            store=self.store, identity=identity, purpose=Purpose.CREATE, code=data["code"]
        )
        customer = services.customer_register(
            store=self.store,
            identity_kind=kind,
            identity=identity,
            name=data["name"],
            email=data.get("email", "") if kind == "phone" else "",
            phone=data.get("phone", "") if kind == "email" else "",
            password=data.get("password") or None,
            metadata=data.get("meta"),
        )
        return login_answer(request, customer, status_code=status.HTTP_201_CREATED)


class LoginView(StorefrontView):
    throttle_classes = [ApiKeyThrottle, LoginThrottle, IdentityThrottle]

    @extend_schema(
        request=api.LoginSerializer, responses={200: api.CustomerWithTokenSerializer}, tags=["Auth"]
    )
    def post(self, request):
        """Log in with an email or phone and a password."""
        data = valid(api.LoginSerializer, request.data)
        customer = services.customer_authenticate(
            store=self.store, identity=data["identity"], password=data["password"]
        )
        if customer is None:
            raise exceptions.AuthenticationFailed(LOGIN_FAILED)
        return login_answer(request, customer)


class LoginWithSmsView(StorefrontView):
    throttle_classes = [ApiKeyThrottle, SendCodeThrottle, IdentityThrottle]

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
            kind, identity = services.identity_clean(self.store, data["identity"])
        except ValidationError as exc:
            raise exceptions.AuthenticationFailed(LOGIN_FAILED) from exc
        verification_code_check(
            store=self.store, identity=identity, purpose=Purpose.LOGIN, code=data["code"]
        )
        customer = services.customer_find_by_identity(self.store, kind, identity, registered=True)
        if customer is None:
            raise exceptions.AuthenticationFailed(LOGIN_FAILED)
        return login_answer(request, customer)


class CustomerDetailView(StorefrontView):
    permission_classes = [HasCustomer]

    def own(self, public_id) -> Customer:
        # Another customer's id is "not found", never "forbidden": nothing to learn from it.
        if public_id != self.customer.public_id:
            raise exceptions.NotFound()
        return self.customer

    @extend_schema(responses={200: api.CustomerSerializer}, tags=["Customers"])
    def get(self, request, public_id):
        """The logged-in customer's profile (their own id only)."""
        return customer_answer(request, self.own(public_id))

    @extend_schema(
        request=api.CustomerUpdateSerializer,
        responses={200: api.CustomerSerializer},
        tags=["Customers"],
    )
    def put(self, request, public_id):
        """Update the profile; a new password needs current_password when one is set."""
        customer = self.own(public_id)
        data = valid(api.CustomerUpdateSerializer, request.data)
        changes = {}
        if "name" in data:
            changes["first_name"], changes["last_name"] = services.split_name(data["name"])
        for field in ("first_name", "last_name", "email", "phone"):
            if field in data:
                changes[field] = data[field]
        if "meta" in data:
            if not isinstance(data["meta"], dict):
                raise ValidationError({"meta": ["Send meta as an object of keys and values."]})
            changes["metadata"] = data["meta"]
        if "photo" in data:
            changes["photo"] = data["photo"]
        if data.get("password"):
            services.customer_set_password(
                customer=customer,
                password=data["password"],
                current_password=data.get("current_password"),
                keep_token=request.user.token,
            )
        if changes:
            services.customer_update(
                customer=customer, data=changes, actor_customer=customer, merge_metadata=True
            )
        return customer_answer(request, customer)

    patch = put


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
        customer = self.customer
        identity = customer.email or customer.phone
        verification_code_send(
            store=self.store, identity=identity, purpose=Purpose.CLOSURE, customer=customer
        )
        return Response(OK)


class ConfirmAccountClosureView(StorefrontView):
    permission_classes = [IsRegisteredCustomer]
    throttle_classes = [ApiKeyThrottle, LoginThrottle]

    @extend_schema(request=api.CodeSerializer, responses={200: status_ok}, tags=["Customers"])
    def post(self, request):
        """Close the account with the code: sessions end, personal data is erased."""
        data = valid(api.CodeSerializer, request.data)
        customer = self.customer
        verification_code_check(
            store=self.store,
            identity=customer.email or customer.phone,
            purpose=Purpose.CLOSURE,
            code=data["code"],
        )
        services.customer_close(customer=customer)
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
        request=api.PlaceSerializer, responses={200: api.PlaceSerializer}, tags=["Places"]
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
