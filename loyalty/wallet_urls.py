"""/wallet/…: the links of EnrolmentSerializer's apple_wallet_url and google_wallet_url."""

from django.urls import path

from loyalty import wallet_views

app_name = "wallet"

urlpatterns = [
    path("apple/<str:token>.pkpass", wallet_views.apple_pass, name="apple"),
    path("google/<str:token>", wallet_views.google_save, name="google"),
]
