from django.urls import re_path

from customers.api import social_views, views


def route(pattern: str, view):
    """A path of the shopper API, with or without a trailing slash (the SDK sends none)."""
    return re_path(rf"^{pattern}/?$", view.as_view())


urlpatterns = [
    route("customers/request-creation-code", views.RequestCreationCodeView),
    route("customers", views.CustomerCreateView),
    route("customers/login", views.LoginView),
    route("customers/login-with-sms", views.LoginWithSmsView),
    route("customers/verify-code", views.VerifyCodeView),
    route("customers/logout", views.LogoutView),
    route("customers/register-device", views.RegisterDeviceView),
    route("customers/account-closure", views.AccountClosureView),
    route("customers/confirm-account-closure", views.ConfirmAccountClosureView),
    route("customers/places", views.PlaceListView),
    route(r"customers/places/(?P<public_id>place_\w+)", views.PlaceDetailView),
    route("customers/login-with-apple", social_views.LoginWithAppleView),
    route("customers/login-with-google", social_views.LoginWithGoogleView),
    route("customers/login-with-facebook", social_views.LoginWithFacebookView),
    route(r"customers/(?P<public_id>customer_\w+)/verify-contact", views.VerifyContactView),
    route(r"customers/(?P<public_id>customer_\w+)", views.CustomerDetailView),
]
