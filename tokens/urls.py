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
    path("settings/tokens/classic/<int:pk>/edit/", views.classic_token_edit, name="classic-edit"),
    # SSH keys, before the <kind> routes below would take their URLs.
    path("settings/tokens/ssh-keys/", views.ssh_key_list, name="ssh-keys"),
    path("settings/tokens/ssh-keys/<int:pk>/delete/", views.ssh_key_delete, name="ssh-key-delete"),
    path(
        "settings/tokens/<str:kind>/<int:pk>/regenerate/",
        views.token_regenerate,
        name="regenerate",
    ),
    path("settings/tokens/<str:kind>/<int:pk>/delete/", views.token_delete, name="delete"),
    path("settings/tokens/<str:kind>/<int:pk>/secret/", views.token_secret, name="secret"),
    # Organization owners (behaviour §5.2 "Pending requests", "Active tokens").
    path(f"{ORG_PATS}/requests/", views.request_list, name="org-requests"),
    path(f"{ORG_PATS}/requests/<int:pk>/", views.request_detail, name="org-request"),
    path(f"{ORG_PATS}/active/", views.active_list, name="org-active"),
    path(f"{ORG_PATS}/active/<int:pk>/", views.active_detail, name="org-grant"),
    # Their confirmations (GET pages holding the POST form of the actions above).
    path(f"{ORG_PATS}/requests/deny/", views.requests_deny_confirm, name="org-requests-deny"),
    path(f"{ORG_PATS}/requests/<int:pk>/deny/", views.request_deny_confirm, name="org-request-deny"),
    path(f"{ORG_PATS}/active/revoke/", views.grants_revoke_confirm, name="org-active-revoke"),
    path(f"{ORG_PATS}/active/<int:pk>/revoke/", views.grant_revoke_confirm, name="org-grant-revoke"),
]
