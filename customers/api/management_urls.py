"""Management API paths for customers, under /api/v1/accounts/<account_id>/."""

from customers.api import management as views
from stores.api.management import route

CUSTOMER = r"customers/(?P<customer_id>\d+)"

urlpatterns = [
    route(r"customers", views.CustomerListView),
    route(CUSTOMER, views.CustomerDetailView),
    route(rf"{CUSTOMER}/addresses", views.AddressListView),
    route(rf"{CUSTOMER}/addresses/(?P<address_id>\d+)", views.AddressDetailView),
]
