from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from audit.models import AuditEvent
from audit.selectors import organization_audit_actions, organization_audit_events

from .forms import AuditLogFilterForm
from .selectors import organization_for_owner, organizations_of, organizations_owned_by

AUDIT_LOG_PAGE_SIZE = 50


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
def organization_audit_log(request, login):
    """Settings → Audit log (behaviour §5.2, §8): owners only, newest first, 50 a page."""
    organization = organization_for_owner(request.user, login)
    form = AuditLogFilterForm(request.GET, actions=organization_audit_actions(organization=organization))
    filters = form.filters()
    if filters is None:
        events = AuditEvent.objects.none()
    else:
        events = organization_audit_events(organization=organization, **filters)
    page = Paginator(events, AUDIT_LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "organizations/audit_log.html",
        {
            "organization": organization,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "sidebar_active": "audit",
        },
        status=400 if filters is None else 200,
    )
