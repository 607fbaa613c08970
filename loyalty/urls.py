from django.urls import path

from loyalty import views

app_name = "loyalty"

urlpatterns = [
    path("", views.card_list, name="card_list"),
    path("cards/new/", views.card_create, name="card_create"),
    path("cards/<int:pk>/edit/", views.card_edit, name="card_edit"),
    path("cards/reward-row/", views.reward_row, name="reward_row"),
    path("enrol/<int:customer_pk>/", views.enrol, name="enrol"),
    path("enrolments/<int:pk>/stamp/", views.stamp, name="stamp"),
    path("enrolments/<int:pk>/redeem/", views.redeem, name="redeem"),
    path("enrolments/<int:pk>/history/", views.history, name="history"),
]
