"""Management API paths for orders, under /api/v1/accounts/<account_id>/."""

from orders.api import management as views
from stores.api.management import route

urlpatterns = [
    route(r"customers/(?P<customer_id>\d+)/orders", views.CustomerOrderListView),
]
