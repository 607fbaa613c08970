"""Management API paths for customers, under /api/v1/accounts/<account_id>/."""

from backoffice import customers as views
from stores.api.management import route

urlpatterns = [
    route(r"customers", views.CustomerListView),
    route(r"customers/(?P<customer_id>\d+)", views.CustomerDetailView),
]
