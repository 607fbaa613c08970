from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path("", views.review_list, name="list"),
    path("bulk/", views.review_bulk, name="bulk"),
    path("<int:pk>/", views.review_detail, name="detail"),
    path("<int:pk>/status/", views.review_status, name="status"),
    path("<int:pk>/delete/", views.review_delete_view, name="delete"),
]
