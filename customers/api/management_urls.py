"""Management API paths for a customer's addresses, under /api/v1/accounts/<account_id>/
(the customers themselves: backoffice/urls.py)."""

from customers.api import management as views
from stores.api.management import route

CUSTOMER = r"customers/(?P<customer_id>\d+)"

urlpatterns = [
    route(rf"{CUSTOMER}/addresses", views.AddressListView),
    route(rf"{CUSTOMER}/addresses/(?P<address_id>\d+)", views.AddressDetailView),
]
