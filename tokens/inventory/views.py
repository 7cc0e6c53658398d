"""The enterprise credentials inventory in the admin (behaviour §5.1): the list, its CSV and the bulk revoke.

A page of the enterprise settings: `enterprise_for_owner` answers another
enterprise's slug with the same 404 as a missing one, and the enterprise's
members are `enterprises.selectors.enterprise_users`, as in every owner-scoped admin
list. The filters answer only the parameters `InventoryFilterForm` declares.
"""

import csv
import io
from itertools import chain
from math import ceil

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from enterprises.audit_log.selectors import csv_cell
from enterprises.selectors import enterprise_for_owner, enterprise_users
from tenancy.admin import render_admin_page, sees_everything
from tokens.services import credentials_revoke_in_enterprise
from tokens.templatetags.patrol import permission_list

from . import charts, selectors
from .forms import InventoryFilterForm

PER_PAGE = 50
MAX_SELECTED = 100
TEMPLATE = "admin/tokens/inventory/inventory.html"


def _scope(request, slug):
    enterprise = enterprise_for_owner(request.user, slug)
    return enterprise, selectors.held_by(enterprise_users([enterprise.pk]))


def _form(request, enterprise):
    organizations = dict(enterprise.organizations.order_by("login").values_list("login", "pk"))
    return InventoryFilterForm(request.GET, organizations=organizations)


class Refused(Exception):
    """A request the inventory cannot act on: answered 400, with the reason, in the admin's frame."""


def _refused(request, enterprise, reason: str):
    back = reverse("enterprise_credentials", args=[enterprise.slug])
    return render_admin_page(
        request,
        "admin/tokens/inventory/refused.html",
        title="Credentials",
        status=400,
        enterprise=enterprise,
        sidebar_active="credentials",
        reason=reason,
        back=back,
    )


def _page_links(request, page: int, pages: int) -> dict:
    def link(number):
        query = request.GET.copy()
        query["p"] = number
        return f"?{query.urlencode()}"

    return {
        "previous": link(page - 1) if page > 1 else "",
        "next": link(page + 1) if page < pages else "",
    }


@require_GET
def credentials_inventory(request, slug):
    enterprise, holders = _scope(request, slug)
    now = timezone.now()
    form = _form(request, enterprise)
    summary = selectors.summary(enterprise, holders=holders, now=now)
    page_context = {
        "enterprise": enterprise,
        "sidebar_active": "credentials",
        "form": form,
        "summary": summary,
        "charts": charts.inventory_charts(summary, now=now),
    }
    if not form.is_valid():
        return render_admin_page(request, TEMPLATE, title="Credentials", status=400, rows=[], **page_context)
    listed = selectors.credentials(
        enterprise, holders=holders, filters=form.filters(), now=now, may_read_notes=sees_everything(request)
    )
    count = listed.count()
    pages = max(1, ceil(count / PER_PAGE))
    page = min(form.cleaned_data["p"] or 1, pages)
    rows = selectors.rows(listed[(page - 1) * PER_PAGE : page * PER_PAGE], enterprise=enterprise)
    return render_admin_page(
        request,
        TEMPLATE,
        title="Credentials",
        rows=rows,
        count=count,
        page=page,
        pages=pages,
        links=_page_links(request, page, pages),
        export_query=request.GET.urlencode(),
        **page_context,
    )


# --- CSV ------------------------------------------------------------------------------------

CSV_HEADER = [
    "type",
    "id",
    "holder",
    "name",
    "permissions or scopes",
    "organizations",
    "created",
    "expires",
    "last used",
]


def _iso(moment) -> str:
    return moment.isoformat() if moment is not None else ""


def _csv_cells(row: selectors.Row) -> list:
    access = permission_list(row.grants) if row.kind == "fine_grained" else row.grants or []
    # Only the text a holder or owner typed can start like a formula; the rest is ours (a type, ids, ISO dates).
    typed = [row.holder, row.label, "; ".join(access), "; ".join(row.organizations)]
    return [
        row.type_name,
        row.pk,
        *map(csv_cell, typed),
        _iso(row.created_at),
        _iso(row.expires_at),
        _iso(row.last_used_at),
    ]


def _csv_text(rows) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def _csv_lines(chunks):
    """The CSV a chunk at a time: one piece of text per chunk, not per row, for the response to encode."""
    yield _csv_text([CSV_HEADER])
    for chunk in chunks:
        yield _csv_text(_csv_cells(row) for row in chunk)


@require_GET
def credentials_export(request, slug):
    """The list as its filters select it, as CSV, streamed a chunk at a time (its sort is the page's only).

    On PostgreSQL the database writes the records (`selectors.csv_records`); elsewhere Python does."""
    enterprise, holders = _scope(request, slug)
    form = _form(request, enterprise)
    if not form.is_valid():
        return _refused(request, enterprise, " ".join(form.errors_in_words()))
    listed = {
        "holders": holders,
        "filters": form.filters(),
        "now": timezone.now(),
        "may_read_notes": sees_everything(request),
    }
    if connection.vendor == "postgresql":
        # PostgreSQL writes the same records, words and all, several times as fast.
        body = chain([_csv_text([CSV_HEADER]).encode()], selectors.csv_records(enterprise, **listed))
    else:
        body = _csv_lines(selectors.chunks(enterprise, **listed))
    response = StreamingHttpResponse(body, content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{enterprise.slug}-credentials.csv"'
    return response


# --- Bulk revoke ----------------------------------------------------------------------------


def _selected_keys(request) -> dict[str, set[int]]:
    """The checked "type:id" keys; anything else is a 400 naming the field."""
    keys = request.POST.getlist("selected")
    if not keys:
        raise Refused("selected: choose at least one credential to revoke.")
    if len(keys) > MAX_SELECTED:
        raise Refused(f"selected: at most {MAX_SELECTED} credentials are revoked at once.")
    wanted = {kind.value: set() for kind in selectors.KINDS}
    for key in keys:
        kind, _, pk = key.partition(":")
        if kind not in wanted or not pk.isdecimal() or not pk.isascii() or int(pk) >= 2**63:
            raise Refused("selected: a selected credential is not one of this list.")
        wanted[kind].add(int(pk))
    return wanted


@require_POST
def credentials_revoke(request, slug):
    """Confirm, then revoke the selected credentials' access to the enterprise (never the credentials elsewhere)."""
    enterprise, holders = _scope(request, slug)
    try:
        wanted = _selected_keys(request)
    except Refused as refusal:
        return _refused(request, enterprise, str(refusal))
    found = selectors.in_inventory(
        enterprise, holders=holders, wanted=wanted, now=timezone.now(), may_read_notes=sees_everything(request)
    )
    if sum(map(len, wanted.values())) != len(found):
        # Missing and another enterprise's look the same, and nothing is revoked.
        return _refused(
            request, enterprise, f"selected: a selected credential is not in the inventory of {enterprise.name}."
        )
    back = reverse("enterprise_credentials", args=[enterprise.slug])
    if request.POST.get("confirm") != "yes":
        return render_admin_page(
            request,
            "admin/tokens/inventory/confirm_revoke.html",
            title=f"Revoke access to {enterprise.name}?",
            enterprise=enterprise,
            sidebar_active="credentials",
            rows=selectors.rows(found, enterprise=enterprise),
            cancel_url=back,
        )
    try:
        revoked = credentials_revoke_in_enterprise(
            enterprise=enterprise, actor=request.user, credentials=selectors.credential_objects(found)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    messages.success(
        request,
        f"Revoked the access of {revoked} credential{'s' if revoked != 1 else ''} to {enterprise.name}. "
        "Each holder was emailed.",
    )
    return redirect(back)
