"""The organization's audit log on the site (SPEC §5.2, §8): owners only, newest first, 50 a page."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from organizations.selectors import organization_for_owner

from .forms import AuditLogFilterForm
from .models import AuditEvent
from .selectors import organization_audit_actions, organization_audit_events

PAGE_SIZE = 50


@login_required
def organization_audit_log(request, login):
    organization = organization_for_owner(request.user, login)
    form = AuditLogFilterForm(request.GET, actions=organization_audit_actions(organization=organization))
    filters = form.filters()
    if filters is None:
        events = AuditEvent.objects.none()
    else:
        events = organization_audit_events(organization=organization, **filters)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/organization_log.html",
        {
            "organization": organization,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "sidebar_active": "audit",
        },
        status=400 if filters is None else 200,
    )
