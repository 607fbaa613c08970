"""Webhooks in the Django admin, for superusers looking across stores: read only (owners manage
their endpoints in the console, back offices through the management API), and never the secret."""

from django.contrib import admin

from stores.admin import ReadOnlyAdminMixin
from webhooks.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["url", "store", "active", "failing_since", "disabled_at", "created_at"]
    list_filter = ["active", "store"]
    list_select_related = ["store"]
    search_fields = ["url"]
    show_full_result_count = False
    fields = [
        "store",
        "url",
        "description",
        "events",
        "active",
        "failing_since",
        "disabled_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "uuid",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "response_status",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status"]
    list_select_related = ["event", "endpoint"]
    search_fields = ["=uuid", "=event__public_id"]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
    fields = [
        "uuid",
        "endpoint",
        "event",
        "event_type",
        "payload",
        "status",
        "attempts",
        "response_status",
        "duration_ms",
        "last_error",
        "next_attempt_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    @admin.display(description="Event")
    def event_type(self, delivery):
        return delivery.event.type

    @admin.display(description="Payload")
    def payload(self, delivery):
        return delivery.event.payload
