from django.urls import path

from . import views

urlpatterns = [
    path(
        "orgs/<str:login>/settings/personal-access-tokens/",
        views.organization_pat_settings,
        name="organization_pat_settings",
    ),
]
