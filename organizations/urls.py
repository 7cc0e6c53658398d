from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("orgs/<str:login>/", views.organization_overview, name="organization_overview"),
    path("orgs/<str:login>/settings/audit-log/", views.organization_audit_log, name="organization_audit_log"),
]
