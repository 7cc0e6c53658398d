from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("orgs/<str:login>/settings/webhooks/", views.webhook_list, name="org-list"),
    path("orgs/<str:login>/settings/webhooks/new/", views.webhook_new, name="org-new"),
    path("orgs/<str:login>/settings/webhooks/<int:pk>/", views.webhook_edit, name="org-edit"),
    path("orgs/<str:login>/settings/webhooks/<int:pk>/delete/", views.webhook_delete, name="org-delete"),
    path(
        "orgs/<str:login>/settings/webhooks/<int:pk>/deliveries/<int:delivery_pk>/",
        views.webhook_delivery,
        name="org-delivery",
    ),
]
