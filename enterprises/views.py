"""The enterprise settings pages in the admin: GitHub's steps (behaviour §5.1).

Enterprise settings (user menu) → the enterprise (a chooser if the user owns
several) → Policies → Personal access tokens (policies.views) → opt in if
needed → the three policies → Save. The views are registered by
`EnterpriseAdmin.get_urls` behind `admin_site.admin_view`; another
enterprise's slug answers 404.
"""

from django.shortcuts import redirect

from tenancy.admin import render_admin_page

from .selectors import enterprise_for_owner, enterprises_managed_by


def enterprise_settings(request):
    """Step 1: straight to the enterprise, or a chooser when the user has several."""
    enterprises = list(enterprises_managed_by(request.user).order_by("name", "slug"))
    if len(enterprises) == 1:
        return redirect("admin:enterprises_enterprise_account", enterprises[0].slug)
    return render_admin_page(
        request,
        "enterprises/settings_chooser.html",
        title="Enterprise settings",
        enterprise=None,
        sidebar_active="",
        enterprises=enterprises,
    )


def enterprise_account(request, slug):
    enterprise = enterprise_for_owner(request.user, slug)
    return render_admin_page(
        request,
        "enterprises/account.html",
        title=enterprise.name,
        enterprise=enterprise,
        sidebar_active="overview",
        organization_count=enterprise.organizations.count(),
    )


def enterprise_policies(request, slug):
    """Step 2: the Policies section of the enterprise account sidebar."""
    enterprise = enterprise_for_owner(request.user, slug)
    return render_admin_page(
        request, "enterprises/policies.html", title="Policies", enterprise=enterprise, sidebar_active="policies"
    )
