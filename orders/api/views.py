"""Shopper API: a customer's orders and checkout. Views parse and answer; orders.services
decides (prices, totals, guest records)."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from customers.api.base import PageSerializer, StorefrontView, page_of
from customers.api.permissions import HasCustomer
from customers.api.throttles import ApiKeyThrottle
from customers.api.views import valid
from orders import services
from orders.api.serializers import CheckoutSerializer, OrderSerializer
from orders.models import Order, OrderLine


def order_queryset():
    """Orders with their customer and lines (and the lines' products): 2 queries for a page."""
    return Order.objects.select_related("customer", "store").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("product").order_by("id"))
    )


class CustomerOrderListView(StorefrontView):
    permission_classes = [HasCustomer]

    @extend_schema(
        parameters=[PageSerializer], responses={200: OrderSerializer(many=True)}, tags=["Orders"]
    )
    def get(self, request):
        """The logged-in customer's orders, newest first (a network customer's: at every member
        store, each with its store)."""
        orders = order_queryset().filter(customer=self.customer)
        if not self.store.is_network:
            orders = orders.filter(store=self.store)
        orders = page_of(request, orders.order_by("-created_at", "-id"))
        return Response(OrderSerializer(orders, many=True).data)


class CheckoutThrottle(SimpleRateThrottle):
    """Each guest checkout may create a customer record: limited per client address too."""

    scope = "checkout"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class OrderCreateView(StorefrontView):
    throttle_classes = [ApiKeyThrottle, CheckoutThrottle]

    @extend_schema(request=CheckoutSerializer, responses={201: OrderSerializer}, tags=["Orders"])
    def post(self, request):
        """Place an order as the logged-in customer (Customer-Token) or as a guest (`customer`).

        Prices and totals come from the catalogue; whatever else an item carries is ignored.
        A guest checkout answers `customer: null` whatever record the order went to, so the
        answer never tells whether an email or phone is known to the store.
        """
        body = request.data
        if self.customer is not None and hasattr(body, "get") and "customer" in body:
            # With a token, the order is the token's customer's; the SDK may still send a
            # customer (even its id), which must not fail the checkout.
            body = {key: value for key, value in body.items() if key != "customer"}
        data = valid(CheckoutSerializer, body)
        order = services.order_checkout(
            store=self.store,
            at_store=data.get("store"),
            customer=self.customer,
            guest=data.get("customer"),
            items=data["items"],
            shipping_address=data.get("shipping_address"),
        )
        order = order_queryset().get(pk=order.pk)
        context = {"hide_customer": self.customer is None}
        return Response(
            OrderSerializer(order, context=context).data, status=status.HTTP_201_CREATED
        )
