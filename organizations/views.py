from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from audit.models import AuditEvent
from audit.selectors import organization_audit_actions, organization_audit_events
from enterprises.selectors import enterprises_owned_by
from tokens.selectors import active_grants, expiring_grants, pending_requests, requests_per_week

from .forms import AuditLogFilterForm
from .selectors import organization_for_owner, organizations_of, organizations_owned_by

AUDIT_LOG_PAGE_SIZE = 50


@login_required
def home(request):
    """The start page: the person's tokens, organizations and enterprises, each with a way on."""
    return render(
        request,
        "home.html",
        {
            "memberships": organizations_of(request.user).select_related("enterprise").order_by("login"),
            "owned_ids": set(organizations_owned_by(request.user).values_list("pk", flat=True)),
            "enterprises": enterprises_owned_by(request.user).order_by("name"),
        },
    )


@login_required
def organization_overview(request, login):
    """/orgs/<login>/: the owners' overview; members, outsiders and missing logins get the same 404."""
    organization = organization_for_owner(request.user, login)
    return render(
        request,
        "organizations/overview.html",
        {
            "organization": organization,
            "pending_count": pending_requests(organization=organization).count(),
            "active_count": active_grants(organization=organization).count(),
            "expiring_count": expiring_grants(organization=organization).count(),
            "weeks": requests_per_week(organization=organization),
        },
    )


@login_required
def organization_audit_log(request, login):
    """Settings → Audit log (behaviour §5.2, §8): owners only, newest first, 50 a page, in words; `?export=csv`
    streams every event the filters select."""
    from django.http import StreamingHttpResponse
    from django.urls import reverse

    from audit.choices import action_name
    from enterprises.audit_log.selectors import csv_lines, readable_events

    organization = organization_for_owner(request.user, login)
    form = AuditLogFilterForm(
        request.GET, actions=organization_audit_actions(organization=organization), action_names=action_name
    )
    filters = form.filters()
    if filters is None:
        events = AuditEvent.objects.none()
    else:
        events = organization_audit_events(organization=organization, **filters)
    if request.GET.get("export") == "csv" and filters is not None:
        response = StreamingHttpResponse(csv_lines(events, organization=organization), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{organization.login}-audit-log.csv"'
        return response
    page = Paginator(events, AUDIT_LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    here = reverse("organization_audit_log", args=[organization.login])
    rows = readable_events(page.object_list, organization=organization)
    for row in rows:
        event = row.event
        if event.actor_login:
            row.links["actor"] = f"{here}?actor={event.actor_login}"
        if row.token_grant_id:
            row.links["token"] = reverse("tokens:org-grant", args=[organization.login, row.token_grant_id])
        elif row.token_request_id:
            row.links["token"] = reverse("tokens:org-request", args=[organization.login, row.token_request_id])
        if row.request_id:
            row.links["request"] = reverse("tokens:org-request", args=[organization.login, row.request_id])
        if row.grant_id:
            row.links["grant"] = reverse("tokens:org-grant", args=[organization.login, row.grant_id])
    return render(
        request,
        "organizations/audit_log.html",
        {
            "organization": organization,
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "sidebar_active": "audit",
        },
        status=400 if filters is None else 200,
    )
