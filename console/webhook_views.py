"""The console's webhook pages (owners): endpoints, their secret shown once, the delivery log,
a test event and redelivery. Every write goes through webhooks.services."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from console.forms import WebhookEndpointForm
from stores.access import console_view
from stores.counting import count_capped
from stores.forms import add_service_errors
from stores.paging import paginate
from webhooks.delivery import MAX_ATTEMPTS
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import (
    ENDPOINTS_MAX,
    delivery_redeliver,
    endpoint_create,
    endpoint_delete,
    endpoint_set_active,
    endpoint_test_send,
    endpoint_update,
)

DELIVERY_PAGE_SIZES = (25, 50, 100)


def _endpoint(request, pk) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint, pk=pk, store=request.access.store)


def _detail(request, endpoint, form, *, secret: str = "", status: int = 200):
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event")
    status_filter = request.GET.get("status", "")
    if status_filter in WebhookDelivery.Status.values:
        deliveries = deliveries.filter(status=status_filter)
    else:
        status_filter = ""
    deliveries = deliveries.order_by("-created_at", "-id")
    paging = paginate(
        request, deliveries, sizes=DELIVERY_PAGE_SIZES, tally=count_capped(deliveries)
    )
    for delivery in paging["page_obj"]:
        delivery.payload_text = json.dumps(delivery.event.payload, indent=2, ensure_ascii=False)
    context = {
        "endpoint": endpoint,
        "form": form,
        "secret": secret,
        "status_filter": status_filter,
        "statuses": WebhookDelivery.Status.choices,
        "max_attempts": MAX_ATTEMPTS,
        **paging,
    }
    response = render(request, "console/webhook_detail.html", context, status=status)
    if secret:
        response["Cache-Control"] = "no-store"
    return response


@console_view("manage_webhooks")
def webhooks(request):
    store = request.access.store
    endpoints = list(WebhookEndpoint.objects.filter(store=store).order_by("created_at", "id"))
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = endpoint_create(store=store, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, "Webhook created. Copy its signing secret now: it cannot be shown again."
            )
            return _detail(
                request, endpoint, WebhookEndpointForm(initial=_initial(endpoint)), secret=secret
            )
    context = {
        "endpoints": endpoints,
        "form": form,
        "endpoints_max": ENDPOINTS_MAX,
        "can_add": len(endpoints) < ENDPOINTS_MAX,
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "console/webhooks.html", context, status=status)


def _initial(endpoint: WebhookEndpoint) -> dict:
    return {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}


@console_view("manage_webhooks")
def webhook_detail(request, pk):
    endpoint = _endpoint(request, pk)
    if request.method != "POST":
        return _detail(request, endpoint, WebhookEndpointForm(initial=_initial(endpoint)))
    form = WebhookEndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint_update(endpoint=endpoint, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Webhook saved.")
            return redirect("console:webhook_detail", pk=endpoint.pk)
    endpoint.refresh_from_db()
    return _detail(request, endpoint, form, status=422)


@require_POST
@console_view("manage_webhooks")
def webhook_active(request, pk):
    endpoint = _endpoint(request, pk)
    active = request.POST.get("active") == "1"
    endpoint_set_active(endpoint=endpoint, active=active)
    if active:
        messages.success(request, "Webhook resumed: new events are sent to it again.")
    else:
        messages.success(
            request, "Webhook paused: no events are written for it until you resume it."
        )
    return redirect("console:webhook_detail", pk=endpoint.pk)


@require_POST
@console_view("manage_webhooks")
def webhook_delete(request, pk):
    endpoint = _endpoint(request, pk)
    url = endpoint.url
    endpoint_delete(endpoint=endpoint)
    messages.success(request, f"Webhook to {url} deleted with its delivery log.")
    return redirect("console:webhooks")


@require_POST
@console_view("manage_webhooks")
def webhook_test(request, pk):
    endpoint = _endpoint(request, pk)
    try:
        endpoint_test_send(endpoint=endpoint)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Test event (ping) sent: its delivery is at the top of the log.")
    return redirect("console:webhook_detail", pk=endpoint.pk)


@require_POST
@console_view("manage_webhooks")
def webhook_redeliver(request, pk, delivery_pk):
    endpoint = _endpoint(request, pk)
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_pk, endpoint=endpoint)
    delivery_redeliver(delivery=delivery)
    if endpoint.active:
        messages.success(request, "Delivery queued to be sent again now.")
    else:
        messages.info(request, "Delivery queued: it is sent once you resume the webhook.")
    return redirect("console:webhook_detail", pk=endpoint.pk)
