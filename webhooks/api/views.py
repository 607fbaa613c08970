"""Management API: the store's webhook endpoints and their deliveries, behind the secret key.
Paths are relative to /api/v1/accounts/{account_id}/ (webhooks/api/urls.py); another store's
endpoint or delivery is a 404. Views parse and answer; webhooks.services writes."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from stores.api.management import AccountView, PageParams, paginated, unwrap
from webhooks import services
from webhooks.api import serializers as api
from webhooks.models import WebhookDelivery, WebhookEndpoint

TAGS = ["Management: webhooks"]
WEBHOOK_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Webhook ID"
)
DELIVERY_ID = OpenApiParameter(
    "delivery_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Delivery ID"
)
NOT_FOUND = OpenApiResponse(description="Not found in this store (or another store's key).")
INVALID = OpenApiResponse(description="Validation failed: `errors`, and `fields` per field.")


def _valid(serializer) -> dict:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class WebhookScopedView(AccountView):
    def endpoint(self) -> WebhookEndpoint:
        endpoints = WebhookEndpoint.objects.filter(store=self.store)
        endpoint = endpoints.filter(pk=int(self.kwargs["id"])).first()
        if endpoint is None:
            raise exceptions.NotFound("Webhook not found.")
        return endpoint


class WebhookListView(AccountView):
    @extend_schema(
        operation_id="management_webhooks_list",
        responses={200: api.WebhookSerializer(many=True)},
        tags=TAGS,
    )
    def get(self, request, **kwargs):
        """The store's webhook endpoints, oldest first (a bare array)."""
        endpoints = WebhookEndpoint.objects.filter(store=self.store)
        return Response(api.WebhookSerializer(endpoints, many=True).data)

    @extend_schema(
        operation_id="management_webhooks_create",
        request=api.WebhookBodySerializer,
        responses={201: api.WebhookCreatedSerializer, 422: INVALID},
        tags=TAGS,
    )
    def post(self, request, **kwargs):
        """Add an endpoint: `{"webhook": {url, events, active, description}}`. The answer holds
        the signing secret, shown this once."""
        data = _valid(api.WebhookWriteSerializer(data=unwrap(request.data, "webhook")))
        endpoint, secret = services.endpoint_create(store=self.store, data=data)
        endpoint.secret = secret
        return Response(api.WebhookCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(WebhookScopedView):
    @extend_schema(
        operation_id="management_webhooks_retrieve",
        parameters=[WEBHOOK_ID],
        responses={200: api.WebhookSerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, **kwargs):
        """One endpoint (without its secret)."""
        return Response(api.WebhookSerializer(self.endpoint()).data)

    @extend_schema(
        operation_id="management_webhooks_partial_update",
        parameters=[WEBHOOK_ID],
        request=api.WebhookUpdateBodySerializer,
        responses={200: api.WebhookSerializer, 404: NOT_FOUND, 422: INVALID},
        tags=TAGS,
    )
    def patch(self, request, **kwargs):
        """Change the fields sent; `active: true` turns a disabled endpoint on again."""
        endpoint = self.endpoint()
        serializer = api.WebhookWriteSerializer(data=unwrap(request.data, "webhook"), partial=True)
        endpoint = services.endpoint_update(endpoint=endpoint, data=_valid(serializer))
        return Response(api.WebhookSerializer(endpoint).data)

    @extend_schema(
        operation_id="management_webhooks_destroy",
        parameters=[WEBHOOK_ID],
        responses={204: None, 404: NOT_FOUND},
        tags=TAGS,
    )
    def delete(self, request, **kwargs):
        """Delete the endpoint and its deliveries."""
        services.endpoint_delete(endpoint=self.endpoint())
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveryListView(WebhookScopedView):
    @extend_schema(
        operation_id="management_webhook_deliveries_list",
        parameters=[WEBHOOK_ID, PageParams],
        responses={200: api.DeliveryListSerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, **kwargs):
        """The endpoint's deliveries, newest first, a page at a time (`page`, `items`)."""
        deliveries = self.endpoint().deliveries.select_related("event")
        return Response(
            paginated(
                request, deliveries, key="deliveries", serializer_class=api.DeliverySerializer
            )
        )


class DeliveryRedeliverView(WebhookScopedView):
    @extend_schema(
        operation_id="management_webhook_delivery_redeliver",
        parameters=[WEBHOOK_ID, DELIVERY_ID],
        request=None,
        responses={202: api.DeliverySerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def post(self, request, **kwargs):
        """Send the delivery again now, by a job (202: queued)."""
        delivery = (
            WebhookDelivery.objects.filter(
                endpoint=self.endpoint(), pk=int(self.kwargs["delivery_id"])
            )
            .select_related("event")
            .first()
        )
        if delivery is None:
            raise exceptions.NotFound("Delivery not found.")
        delivery = services.delivery_redeliver(delivery=delivery)
        return Response(api.DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
