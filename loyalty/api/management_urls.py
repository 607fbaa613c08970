"""Management API paths of the loyalty app, under /api/v1/accounts/<account_id>/."""

from loyalty.api import management as views
from stores.api.management import route

CUSTOMER_CARD = r"customers/(?P<customer_id>[0-9]+)/customer_cards/(?P<id>[0-9]+)"

urlpatterns = [
    route("cards", views.CardListView),
    route(r"cards/(?P<id>[0-9]+)", views.CardDetailView),
    route("rewards", views.RewardListView),
    route(r"rewards/(?P<id>[0-9]+)", views.RewardDetailView),
    route(r"customers/(?P<customer_id>[0-9]+)/customer_cards", views.CustomerCardListView),
    route(CUSTOMER_CARD, views.CustomerCardDetailView),
    route(f"{CUSTOMER_CARD}/stamp", views.StampView),
    route(f"{CUSTOMER_CARD}/redeem", views.RedeemView),
    route(f"{CUSTOMER_CARD}/history", views.HistoryView),
]
