from django.contrib.auth import views as auth_views
from django.urls import path

from console import views, webhook_views

app_name = "console"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("switch-store/", views.store_switch, name="switch"),
    path("settings/", views.store_settings, name="settings"),
    path("settings/members/", views.members, name="members"),
    path("settings/members/<int:pk>/", views.member_update, name="member_update"),
    path(
        "settings/members/invitations/<int:pk>/revoke/",
        views.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("settings/keys/", views.api_keys, name="api_keys"),
    path("settings/keys/<int:pk>/revoke/", views.api_key_revoke_view, name="api_key_revoke"),
    path("settings/groups/", views.customer_groups, name="customer_groups"),
    path("settings/groups/<int:pk>/", views.customer_group_change, name="customer_group_change"),
    path("settings/webhooks/", webhook_views.webhooks, name="webhooks"),
    path("settings/webhooks/<int:pk>/", webhook_views.webhook_detail, name="webhook_detail"),
    path("settings/webhooks/<int:pk>/active/", webhook_views.webhook_active, name="webhook_active"),
    path("settings/webhooks/<int:pk>/delete/", webhook_views.webhook_delete, name="webhook_delete"),
    path("settings/webhooks/<int:pk>/test/", webhook_views.webhook_test, name="webhook_test"),
    path(
        "settings/webhooks/<int:pk>/deliveries/<int:delivery_pk>/redeliver/",
        webhook_views.webhook_redeliver,
        name="webhook_redeliver",
    ),
]

# Django's auth views, under /console/, with the names its templates expect.
auth_urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"
    ),
]
