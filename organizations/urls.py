from django.urls import path

from audit import views as audit_views

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("orgs/<str:login>/settings/personal-access-tokens/", views.pat_settings, name="organization_pat_settings"),
    path("orgs/<str:login>/settings/audit-log/", audit_views.organization_audit_log, name="organization_audit_log"),
]
