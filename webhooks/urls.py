"""The organization's webhook pages on the site, and the enterprise's in the admin's frame.

`enterprise_urlpatterns` sit behind `admin_site.admin_view` (staff only, never
cached) and are mounted in config.urls before the admin's own URLs, whose
catch-all would take them.
"""

from django.contrib import admin
from django.urls import path

from . import views

app_name = "webhooks"

ORGANIZATION = "orgs/<str:login>/settings/webhooks/"
ENTERPRISE = "admin/enterprises/enterprise/<slug:slug>/settings/webhooks/"

urlpatterns = [
    path(ORGANIZATION, views.webhook_list, name="org-list"),
    path(f"{ORGANIZATION}new/", views.webhook_new, name="org-new"),
    path(f"{ORGANIZATION}<int:pk>/", views.webhook_edit, name="org-edit"),
    path(f"{ORGANIZATION}<int:pk>/delete/", views.webhook_delete, name="org-delete"),
    path(f"{ORGANIZATION}<int:pk>/deliveries/<int:delivery_pk>/", views.webhook_delivery, name="org-delivery"),
]

wrap = admin.site.admin_view
enterprise_urlpatterns = [
    path(ENTERPRISE, wrap(views.enterprise_webhook_list), name="enterprise_webhook_list"),
    path(f"{ENTERPRISE}new/", wrap(views.enterprise_webhook_new), name="enterprise_webhook_new"),
    path(f"{ENTERPRISE}<int:pk>/", wrap(views.enterprise_webhook_edit), name="enterprise_webhook_edit"),
    path(f"{ENTERPRISE}<int:pk>/delete/", wrap(views.enterprise_webhook_delete), name="enterprise_webhook_delete"),
    path(
        f"{ENTERPRISE}<int:pk>/deliveries/<int:delivery_pk>/",
        wrap(views.enterprise_webhook_delivery),
        name="enterprise_webhook_delivery",
    ),
]
