from customers.api.urls import route
from loyalty.api import views

urlpatterns = [
    route("customers/cards", views.CustomerCardListView),
]
