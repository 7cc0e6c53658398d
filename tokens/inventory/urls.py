"""The inventory's pages, in the admin's frame and behind `admin_site.admin_view` (staff only, never cached).

Mounted in config.urls before the admin's own URLs, whose catch-all would take them.
"""

from django.contrib import admin
from django.urls import path

from . import views

PREFIX = "admin/enterprises/enterprise/<slug:slug>/settings/credentials/"

urlpatterns = [
    path(PREFIX, admin.site.admin_view(views.credentials_inventory), name="enterprise_credentials"),
    path(f"{PREFIX}export/", admin.site.admin_view(views.credentials_export), name="enterprise_credentials_export"),
    path(f"{PREFIX}revoke/", admin.site.admin_view(views.credentials_revoke), name="enterprise_credentials_revoke"),
]
