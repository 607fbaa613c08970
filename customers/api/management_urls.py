"""Management API paths for a customer's addresses and notes, under /api/v1/accounts/<account_id>/
(the customers themselves: backoffice/urls.py)."""

from customers.api import management as views
from customers.api import management_groups as groups
from customers.api import management_notes as notes
from stores.api.management import route

CUSTOMER = r"customers/(?P<customer_id>\d+)"

urlpatterns = [
    route(rf"{CUSTOMER}/addresses", views.AddressListView),
    route(rf"{CUSTOMER}/addresses/(?P<address_id>\d+)", views.AddressDetailView),
    route(rf"{CUSTOMER}/notes", notes.NoteListView),
    route(rf"{CUSTOMER}/notes/(?P<note_id>\d+)", notes.NoteDetailView),
    route(r"customer_groups", groups.CustomerGroupListView),
    route(r"customer_groups/(?P<group_id>\d+)", groups.CustomerGroupDetailView),
]
