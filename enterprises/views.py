"""The enterprise settings pages in the admin: the seed's steps (SPEC §5.1).

Enterprise settings (user menu) → the enterprise (a chooser if the user owns
several) → Policies → Personal access tokens → opt in if needed → the three
policies → Save. The views are registered by `EnterpriseAdmin.get_urls` behind
`admin_site.admin_view`; another enterprise's slug answers 404.
"""

from functools import partial

from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from organizations.views import policy_save_flow

from .forms import EnterprisePolicyForm
from .models import Enterprise
from .selectors import enterprises_owned_by
from .services import enterprise_opt_in, enterprise_policy_update


def _enterprises(request):
    user = request.user
    return Enterprise.objects.all() if user.is_active and user.is_superuser else enterprises_owned_by(user)


def _enterprise(request, slug) -> Enterprise:
    return get_object_or_404(_enterprises(request), slug=slug)


def _render(request, template, *, title, enterprise=None, sidebar_active="", status=200, **context):
    return render(
        request,
        template,
        {
            **admin.site.each_context(request),
            "title": title,
            "enterprise": enterprise,
            "sidebar_active": sidebar_active,
            **context,
        },
        status=status,
    )


def enterprise_settings(request):
    """Step 1: straight to the enterprise, or a chooser when the user has several."""
    enterprises = list(_enterprises(request).order_by("name", "slug"))
    if len(enterprises) == 1:
        return redirect("admin:enterprises_enterprise_account", enterprises[0].slug)
    return _render(request, "enterprises/settings_chooser.html", title="Enterprise settings", enterprises=enterprises)


def enterprise_account(request, slug):
    enterprise = _enterprise(request, slug)
    return _render(
        request,
        "enterprises/account.html",
        title=enterprise.name,
        enterprise=enterprise,
        sidebar_active="overview",
        organization_count=enterprise.organizations.count(),
    )


def enterprise_policies(request, slug):
    """Step 2: the Policies section of the enterprise account sidebar."""
    enterprise = _enterprise(request, slug)
    return _render(
        request, "enterprises/policies.html", title="Policies", enterprise=enterprise, sidebar_active="policies"
    )


def enterprise_pat_policies(request, slug):
    """Steps 3–5: opt in if needed, then the three policies and Save."""
    enterprise = _enterprise(request, slug)
    here = reverse("admin:enterprises_enterprise_pat_policies", args=[enterprise.slug])

    if not enterprise.fine_grained_opted_in:
        if request.method == "POST":
            enterprise_opt_in(enterprise=enterprise, actor=request.user)
            messages.success(
                request, f"{enterprise} opted in to fine-grained personal access tokens. Now set its policies."
            )
            return redirect(here)
        return _render(
            request,
            "enterprises/pat_opt_in.html",
            title="Personal access tokens",
            enterprise=enterprise,
            sidebar_active="pat",
        )

    status = 200
    if request.method == "POST" and "opt_in" in request.POST:
        return redirect(here)  # already opted in, e.g. by another owner
    if request.method == "POST":
        form, status, enterprise = policy_save_flow(
            request,
            form_for=EnterprisePolicyForm.for_enterprise,
            instance=enterprise,
            save=partial(enterprise_policy_update, enterprise=enterprise),
            current=lambda: _enterprise(request, slug),
        )
        if status == 200:
            return redirect(here)
    else:
        form = EnterprisePolicyForm.for_enterprise(enterprise)
    return _render(
        request,
        "enterprises/pat_policies.html",
        title="Personal access tokens",
        enterprise=enterprise,
        sidebar_active="pat",
        form=form,
        status=status,
    )
