from django.urls import path

from . import views

urlpatterns = [
    path(
        "orgs/<str:login>/settings/personal-access-tokens/",
        views.organization_pat_settings,
        name="organization_pat_settings",
    ),
    path(
        "orgs/<str:login>/settings/personal-access-tokens/report-only/",
        views.organization_report_only,
        name="organization_report_only",
    ),
    path(
        "orgs/<str:login>/settings/personal-access-tokens/report-only/enforce/",
        views.organization_report_only_enforce,
        name="organization_report_only_enforce",
    ),
    path(
        "orgs/<str:login>/settings/personal-access-tokens/report-only/discard/",
        views.organization_report_only_discard,
        name="organization_report_only_discard",
    ),
]
