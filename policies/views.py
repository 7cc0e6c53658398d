"""The two PAT policy pages and their shared Save flow (behaviour §5.1, §5.2).

The enterprise's page is in the admin (registered by `EnterpriseAdmin.get_urls`
behind `admin_site.admin_view`), the organization's on the site; both opt in,
then show the three policies and Save with the same stale-save protection.
"""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from enterprises.selectors import enterprise_for_owner
from organizations.models import Organization
from organizations.selectors import organization_for_owner
from tenancy.admin import render_admin_page
from tokens.engine.policy import effective_fine_grained_access, fine_grained_enabled
from tokens.selectors import OUTLIVING_SHOWN, tokens_outliving_enterprise, tokens_outliving_organization

from . import review_page
from .forms import EnterprisePolicyForm, OrganizationPolicyForm, enterprise_in_force, organization_in_force
from .services import (
    StalePolicyError,
    enterprise_opt_in,
    enterprise_policy_update,
    organization_opt_in,
    organization_policy_update,
)

STALE_MESSAGE = (
    "The policy changed since you loaded it, so nothing was saved. The current values are shown below; "
    "choose again and click Save."
)


def _save(request, *, form_for, instance, save, current):
    """The Save step of both pages.

    Returns (form, status, instance): status 200 means saved (the caller
    redirects to the page, which shows the new values); 400 re-renders with
    the errors and saves nothing; 409 means another owner saved first —
    nothing is overwritten, and `current()` reloads the instance as it is now.
    """
    form = form_for(instance, data=request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing was saved. Fix the errors below and click Save.")
        return form, 400, instance
    try:
        save(actor=request.user, expected_revision=form.cleaned_data["policy_revision"], **form.policy_values())
    except StalePolicyError:
        messages.error(request, STALE_MESSAGE)
        instance = current()
        return form_for(instance), 409, instance
    messages.success(request, "Personal access token policies saved.")
    return form, 200, instance


def _outliving(outliving, *, fine_grained_link, classic_link) -> dict:
    """The tokens a page names as outliving its maximums: holder, token and a link the viewer may follow.

    A classic token is named by its masked secret: its note is the holder's own words (behaviour §5.1).
    """
    rows = [
        {"holder": token.user.username, "token": token.name, "kind": "Fine-grained", "url": fine_grained_link(token)}
        for token in outliving.fine_grained
    ] + [
        {"holder": token.user.username, "token": token.masked, "kind": "Classic", "url": classic_link(token)}
        for token in outliving.classic
    ]
    unnamed = outliving.count - len(rows)
    return {"rows": rows, "count": outliving.count, "unnamed": unnamed, "shown_per_type": OUTLIVING_SHOWN}


def enterprise_pat_policies(request, slug):
    """Enterprise settings → Policies → Personal access tokens: opt in if needed, then the three policies."""
    enterprise = enterprise_for_owner(request.user, slug)
    here = reverse("admin:enterprises_enterprise_pat_policies", args=[enterprise.slug])

    if not enterprise.fine_grained_opted_in:
        if request.method == "POST":
            enterprise_opt_in(enterprise=enterprise, actor=request.user)
            messages.success(
                request, f"{enterprise} opted in to fine-grained personal access tokens. Now set its policies."
            )
            return redirect(here)
        return render_admin_page(
            request,
            "policies/enterprise_opt_in.html",
            title="Personal access tokens",
            enterprise=enterprise,
            sidebar_active="pat",
        )

    status = 200
    if request.method == "POST" and "opt_in" in request.POST:
        return redirect(here)  # already opted in, e.g. by another owner
    step = review_page.steps(
        request,
        instance=enterprise,
        form_for=EnterprisePolicyForm.for_enterprise,
        current=lambda: enterprise_for_owner(request.user, slug),
        scope=f"enterprise:{enterprise.pk}",
        here=here,
        organizations=lambda: list(Organization.objects.filter(enterprise=enterprise).select_related("enterprise")),
        level="enterprise",
    )
    if step is not None and step.response is not None:
        return step.response
    if step is not None and not step.save:
        form, status, enterprise = step.form, step.status, step.instance
    elif request.method == "POST":
        form, status, enterprise = _save(
            request,
            form_for=EnterprisePolicyForm.for_enterprise,
            instance=enterprise,
            save=partial(enterprise_policy_update, enterprise=enterprise),
            current=lambda: enterprise_for_owner(request.user, slug),
        )
        if status == 200:
            return redirect(here)
    else:
        form = EnterprisePolicyForm.for_enterprise(enterprise)
    return render_admin_page(
        request,
        "policies/enterprise_pat_policies.html",
        title="Personal access tokens",
        enterprise=enterprise,
        sidebar_active="pat",
        form=form,
        review=step.review if step is not None else None,
        in_force=enterprise_in_force(enterprise),
        outliving=_outliving(
            tokens_outliving_enterprise(enterprise, now=timezone.now()),
            fine_grained_link=lambda token: reverse("admin:tokens_finegrainedtoken_change", args=[token.pk]),
            classic_link=lambda token: reverse("admin:tokens_classictoken_change", args=[token.pk]),
        ),
        status=status,
    )


@login_required
def organization_pat_settings(request, login):
    """Settings → Personal access tokens: opt-in and the organization's three policies (behaviour §5.2).

    Owners only (members and outsiders get 404). A policy the enterprise
    enforces is locked and keeps the organization's stored value (behaviour §3).
    """
    organization = organization_for_owner(request.user, login)
    here = reverse("organization_pat_settings", args=[organization.login])
    status = 200
    if request.method == "POST" and "opt_in" in request.POST:
        organization_opt_in(organization=organization, actor=request.user)
        messages.success(request, f"{organization.login} opted in to fine-grained personal access tokens.")
        return redirect(here)
    step = review_page.steps(
        request,
        instance=organization,
        form_for=OrganizationPolicyForm.for_organization,
        current=lambda: organization_for_owner(request.user, login),
        scope=f"organization:{organization.pk}",
        here=here,
        organizations=lambda: [organization],
        level="organization",
    )
    if step is not None and step.response is not None:
        return step.response
    if step is not None and not step.save:
        form, status, organization = step.form, step.status, step.instance
    elif request.method == "POST":
        form, status, organization = _save(
            request,
            form_for=OrganizationPolicyForm.for_organization,
            instance=organization,
            save=partial(organization_policy_update, organization=organization),
            current=lambda: organization_for_owner(request.user, login),
        )
        if status == 200:
            return redirect(here)
    else:
        form = OrganizationPolicyForm.for_organization(organization)
    enabled = fine_grained_enabled(organization)
    access = effective_fine_grained_access(organization)
    return render(
        request,
        "policies/organization_pat_settings.html",
        {
            "organization": organization,
            "form": form,
            "review": step.review if step is not None else None,
            "fine_grained_enabled": enabled,
            "in_force": organization_in_force(organization, enabled=enabled),
            "enterprise_restricts": access.value == "restrict" and access.enforced_by_enterprise,
            "outliving": _outliving(
                tokens_outliving_organization(organization, now=timezone.now()),
                # An owner sees a token made for the organization through its grant; members' classic tokens not.
                fine_grained_link=lambda token: (
                    token.grant_id and reverse("tokens:org-grant", args=[organization.login, token.grant_id])
                ),
                classic_link=lambda token: None,
            ),
            "sidebar_active": "settings",
        },
        status=status,
    )
