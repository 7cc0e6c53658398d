from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse

from tokens.engine.policy import fine_grained_enabled

from .forms import OrganizationPolicyForm
from .selectors import organization_for_owner, organizations_of, organizations_owned_by
from .services import StalePolicyError, organization_opt_in, organization_policy_update

STALE_MESSAGE = (
    "The policy changed since you loaded it, so nothing was saved. The current values are shown below; "
    "choose again and click Save."
)


def policy_save_flow(request, *, form_for, instance, save, current):
    """The Save step shared by the enterprise's and the organization's policy pages (SPEC §5.1).

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


@login_required
def home(request):
    return render(
        request,
        "home.html",
        {
            "memberships": organizations_of(request.user).order_by("login"),
            "owned_ids": set(organizations_owned_by(request.user).values_list("pk", flat=True)),
        },
    )


@login_required
def pat_settings(request, login):
    """Settings → Personal access tokens: opt-in and the organization's three policies (SPEC §5.2).

    Owners only (members and outsiders get 404). A policy the enterprise
    enforces is locked and keeps the organization's stored value (SPEC §3).
    """
    organization = organization_for_owner(request.user, login)
    here = reverse("organization_pat_settings", args=[organization.login])
    status = 200
    if request.method == "POST" and "opt_in" in request.POST:
        organization_opt_in(organization=organization, actor=request.user)
        messages.success(request, f"{organization.login} opted in to fine-grained personal access tokens.")
        return redirect(here)
    if request.method == "POST":
        form, status, organization = policy_save_flow(
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
    return render(
        request,
        "organizations/pat_settings.html",
        {
            "organization": organization,
            "form": form,
            "fine_grained_enabled": fine_grained_enabled(organization),
            "sidebar_active": "settings",
        },
        status=status,
    )
