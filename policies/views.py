"""The two PAT policy pages and their shared Save flow (behaviour §5.1, §5.2).

The enterprise's page is in the admin (registered by `EnterpriseAdmin.get_urls`
behind `admin_site.admin_view`), the organization's on the site; both opt in,
then show the three policies and Save with the same stale-save protection.
"""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from enterprises.selectors import enterprise_for_owner
from organizations.models import Organization
from organizations.selectors import organization_for_owner
from tenancy.admin import render_admin_page
from tokens.engine.policy import effective_fine_grained_access, fine_grained_enabled
from tokens.selectors import OUTLIVING_SHOWN, tokens_outliving_enterprise, tokens_outliving_organization

from . import review_page
from .forms import EnterprisePolicyForm, OrganizationPolicyForm, enterprise_in_force, organization_in_force
from .selectors import flips_page, staged_changes, staged_policy_of
from .services import (
    StalePolicyError,
    enterprise_opt_in,
    enterprise_policy_update,
    organization_opt_in,
    organization_policy_update,
    policy_discard_staged,
    policy_enforce_staged,
    policy_stage,
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


def _stage(request, *, form_for, instance, current):
    """ "Stage as report only", beside Save: the same form and checks; the values are staged, not saved."""
    form = form_for(instance, data=request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing was staged. Fix the errors below and try again.")
        return form, 400, instance
    try:
        policy_stage(
            instance=instance,
            actor=request.user,
            values=form.policy_values(),
            expected_revision=form.cleaned_data["policy_revision"],
        )
    except StalePolicyError:
        messages.error(request, STALE_MESSAGE)
        instance = current()
        return form_for(instance), 409, instance
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return form, 400, instance
    messages.success(
        request,
        "Staged as report only: checks keep deciding under the saved policies, and this report counts "
        "each check the staged ones would answer otherwise.",
    )
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
    elif request.method == "POST" and "stage" in request.POST:
        form, status, enterprise = _stage(
            request,
            form_for=EnterprisePolicyForm.for_enterprise,
            instance=enterprise,
            current=lambda: enterprise_for_owner(request.user, slug),
        )
        if status == 200:
            return redirect("admin:enterprises_enterprise_report_only", enterprise.slug)
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
        staged=staged_policy_of(enterprise),
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
    elif request.method == "POST" and "stage" in request.POST:
        form, status, organization = _stage(
            request,
            form_for=OrganizationPolicyForm.for_organization,
            instance=organization,
            current=lambda: organization_for_owner(request.user, login),
        )
        if status == 200:
            return redirect("organization_report_only", organization.login)
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
            "staged": staged_policy_of(organization),
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


# --- Report-only policies (behaviour §5.8) ------------------------------------------


def _report(request, owner) -> dict:
    staged = staged_policy_of(owner)
    if staged is None:
        return {"staged": None}
    page, rows = flips_page(staged, request.GET.get("page"))
    return {"staged": staged, "changes": staged_changes(staged), "page": page, "rows": rows}


def _staged_id(request) -> int | None:
    value = request.POST.get("staged", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


def _act_on_staged(request, owner, *, enforce: bool, refuse, done_url: str):
    """POST of Enforce now or Discard, naming the staged policy shown: a redirect, or `refuse(problem, status)`.

    A missing or malformed id is a 400; one that is not this owner's staged policy (another's, or replaced
    or ended meanwhile) a 404; enforcing after a save since staging a 409. Each changes nothing.
    """
    staged_id = _staged_id(request)
    if staged_id is None:
        return refuse("The form names no report-only policy (“staged”); reload the report and try again.", 400)
    staged = staged_policy_of(owner)
    if staged is None or staged.pk != staged_id:
        return refuse("That report-only policy is no longer staged here; nothing was changed.", 404)
    if not enforce:
        policy_discard_staged(instance=owner, actor=request.user, staged_id=staged_id)
        messages.success(request, "Report-only policy discarded; the saved policies are unchanged.")
        return redirect(done_url)
    try:
        policy_enforce_staged(instance=owner, actor=request.user, staged_id=staged_id)
    except StalePolicyError:
        return refuse(
            "Nothing was enforced: the policies were saved since this was staged, so its values would undo that "
            "save. Discard it and stage again from the policy page.",
            409,
        )
    messages.success(request, "Report-only policy enforced: it is saved and in force now.")
    return redirect(done_url)


CONFIRM = {
    True: {
        "title": "Enforce the report-only policy",
        "button": "Enforce now",
        "consequence": "The staged policies are saved and decide every check from now on, as if saved on the "
        "policy page; the report is cleared. The audit log records the change.",
    },
    False: {
        "title": "Discard the report-only policy",
        "button": "Discard",
        "consequence": "The staged policies and their report are deleted; this cannot be undone. "
        "The saved policies are unchanged.",
    },
}


@login_required
@require_GET
def organization_report_only(request, login):
    """Settings → Personal access tokens → Report only: what the staged policies would answer otherwise."""
    organization = organization_for_owner(request.user, login)
    return render(
        request,
        "policies/organization_report_only.html",
        {"organization": organization, "sidebar_active": "settings", **_report(request, organization)},
    )


def _organization_staged_action(request, login, *, enforce: bool):
    organization = organization_for_owner(request.user, login)
    report_url = reverse("organization_report_only", args=[organization.login])
    context = {"organization": organization, "sidebar_active": "settings", "cancel_url": report_url, **CONFIRM[enforce]}

    def refuse(problem, status):
        return render(request, "organizations/confirm.html", {**context, "problem": problem}, status=status)

    if request.method == "POST":
        done = "organization_pat_settings" if enforce else "organization_report_only"
        return _act_on_staged(
            request, organization, enforce=enforce, refuse=refuse, done_url=reverse(done, args=[organization.login])
        )
    staged = staged_policy_of(organization)
    if staged is None:
        return refuse("No policy is staged as report only.", 404)
    response = render(
        request,
        "organizations/confirm.html",
        {**context, "action_url": request.path, "hidden": {"staged": [staged.pk]}},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def organization_report_only_enforce(request, login):
    return _organization_staged_action(request, login, enforce=True)


@login_required
def organization_report_only_discard(request, login):
    return _organization_staged_action(request, login, enforce=False)


@require_GET
def enterprise_report_only(request, slug):
    """Enterprise settings → Policies → Personal access tokens → Report only."""
    enterprise = enterprise_for_owner(request.user, slug)
    return render_admin_page(
        request,
        "policies/enterprise_report_only.html",
        title="Report-only policy",
        enterprise=enterprise,
        sidebar_active="pat",
        **_report(request, enterprise),
    )


def _enterprise_staged_action(request, slug, *, enforce: bool):
    enterprise = enterprise_for_owner(request.user, slug)
    report_url = reverse("admin:enterprises_enterprise_report_only", args=[enterprise.slug])
    page = partial(
        render_admin_page,
        request,
        "policies/enterprise_report_only_confirm.html",
        enterprise=enterprise,
        sidebar_active="pat",
        cancel_url=report_url,
        **CONFIRM[enforce],
    )

    def refuse(problem, status):
        return page(problem=problem, status=status)

    if request.method == "POST":
        done = "admin:enterprises_enterprise_pat_policies" if enforce else "admin:enterprises_enterprise_report_only"
        return _act_on_staged(
            request, enterprise, enforce=enforce, refuse=refuse, done_url=reverse(done, args=[enterprise.slug])
        )
    staged = staged_policy_of(enterprise)
    if staged is None:
        return refuse("No policy is staged as report only.", 404)
    response = page(action_url=request.path, staged=staged)
    response["Cache-Control"] = "no-store"
    return response


def enterprise_report_only_enforce(request, slug):
    return _enterprise_staged_action(request, slug, enforce=True)


def enterprise_report_only_discard(request, slug):
    return _enterprise_staged_action(request, slug, enforce=False)
