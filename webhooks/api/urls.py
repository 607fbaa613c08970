"""Management API paths for webhooks, under /api/v1/accounts/<account_id>/."""

from stores.api.management import route
from webhooks.api import views

WEBHOOK = r"webhooks/(?P<id>\d+)"

urlpatterns = [
    route(r"webhooks", views.WebhookListView),
    route(WEBHOOK, views.WebhookDetailView),
    route(rf"{WEBHOOK}/deliveries", views.DeliveryListView),
    route(rf"{WEBHOOK}/deliveries/(?P<delivery_id>\d+)/redeliver", views.DeliveryRedeliverView),
]
