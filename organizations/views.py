from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse

from tokens.policy import fine_grained_enabled

from .forms import OrganizationPolicyForm
from .selectors import organization_for_owner, organizations_of, organizations_owned_by
from .services import StalePolicyError, organization_opt_in, organization_policy_update

STALE_MESSAGE = (
    "The policy changed since you loaded it, so nothing was saved. The current values are shown below; "
    "choose again and click Save."
)


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
        form = OrganizationPolicyForm.for_organization(organization, data=request.POST)
        if form.is_valid():
            try:
                organization_policy_update(
                    organization=organization,
                    actor=request.user,
                    expected_revision=form.cleaned_data["policy_revision"],
                    **form.policy_values(),
                )
            except StalePolicyError:
                messages.error(request, STALE_MESSAGE)
                organization = organization_for_owner(request.user, login)
                form = OrganizationPolicyForm.for_organization(organization)
                status = 409
            else:
                messages.success(request, "Personal access token policies saved.")
                return redirect(here)
        else:
            messages.error(request, "Nothing was saved. Fix the errors below and click Save.")
            status = 400
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
