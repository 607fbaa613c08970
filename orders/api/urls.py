from customers.api.urls import route
from orders.api import views

urlpatterns = [
    route("customers/orders", views.CustomerOrderListView),
    route("orders", views.OrderCreateView),
]
