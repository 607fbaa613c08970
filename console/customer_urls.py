from django.urls import path

from console import customer_views as views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("export.csv", views.customer_export, name="export"),
    path("new/", views.customer_create_view, name="create"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/delete/", views.customer_delete_view, name="delete"),
    path("<int:pk>/addresses/new/", views.address_create_view, name="address_create"),
    path("<int:pk>/addresses/<int:address_pk>/edit/", views.address_edit, name="address_edit"),
    path(
        "<int:pk>/addresses/<int:address_pk>/delete/",
        views.address_delete_view,
        name="address_delete",
    ),
    path(
        "<int:pk>/addresses/<int:address_pk>/default/",
        views.address_default,
        name="address_default",
    ),
    path("<int:pk>/notes/", views.note_create_view, name="note_create"),
    path("<int:pk>/notes/<int:note_pk>/edit/", views.note_edit, name="note_edit"),
    path("<int:pk>/notes/<int:note_pk>/pin/", views.note_pin, name="note_pin"),
    path("<int:pk>/notes/<int:note_pk>/delete/", views.note_delete_view, name="note_delete"),
]
