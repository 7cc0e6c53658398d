from django.urls import path

from . import views

app_name = "tokens"

ORG_PATS = "orgs/<str:login>/settings/personal-access-tokens"

urlpatterns = [
    # Token holders (behaviour §5.2 "Tokens").
    path("settings/tokens/", views.token_list, name="list"),
    path("settings/tokens/new/", views.fine_grained_token_new, name="fine-grained-new"),
    path("settings/tokens/new-classic/", views.classic_token_new, name="classic-new"),
    path("settings/tokens/fine-grained/<int:pk>/", views.fine_grained_token_detail, name="fine-grained-detail"),
    path("settings/tokens/fine-grained/<int:pk>/edit/", views.fine_grained_token_edit, name="fine-grained-edit"),
    path(
        "settings/tokens/fine-grained/<int:pk>/requests/<int:request_id>/cancel/",
        views.access_request_cancel,
        name="request-cancel",
    ),
    path("settings/tokens/classic/<int:pk>/", views.classic_token_detail, name="classic-detail"),
    path(
        "settings/tokens/<str:kind>/<int:pk>/regenerate/",
        views.token_regenerate,
        name="regenerate",
    ),
    path("settings/tokens/<str:kind>/<int:pk>/delete/", views.token_delete, name="delete"),
    # Organization owners (behaviour §5.2 "Pending requests", "Active tokens").
    path(f"{ORG_PATS}/requests/", views.request_list, name="org-requests"),
    path(f"{ORG_PATS}/requests/<int:pk>/", views.request_detail, name="org-request"),
    path(f"{ORG_PATS}/active/", views.active_list, name="org-active"),
    path(f"{ORG_PATS}/active/<int:pk>/", views.active_detail, name="org-grant"),
]
