"""Site pages for token holders (/settings/tokens/) and organization owners'
approval queue (/orgs/<login>/settings/personal-access-tokens/requests|active/).

Thin: a selector resolves what the user may see (another user's token, or an
organization one does not own, is a 404), a form parses input, a service
writes. A token's plaintext is shown once: the POST that made it keeps it,
sealed with a one-time pad whose key only the browser holds, for the token's
secret page, which opens and drops it as it renders (POST-redirect-GET);
reloading that page says the secret was shown once.
"""

import base64
import secrets
from functools import partial
from typing import NamedTuple

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from organizations.selectors import is_organization_owner, organization_for_owner, organizations_of

from . import selectors, services
from .choices import RequestStatus
from .engine.catalogue import PERMISSION_DESCRIPTIONS, PERMISSIONS
from .filtersets import (
    AccessRequestFilterSet,
    GrantFilterSet,
    HolderClassicTokenFilterSet,
    HolderFineGrainedTokenFilterSet,
    HolderSSHKeyFilterSet,
)
from .forms import (
    BulkReviewForm,
    BulkRevokeForm,
    ClassicTokenEditForm,
    ClassicTokenForm,
    FineGrainedTokenEditForm,
    FineGrainedTokenForm,
    RegenerateForm,
    ReviewForm,
    apply_service_errors,
)
from .models import AccessRequest, Grant

QUEUE_PAGE_SIZE = 50
HOLDER_PAGE_SIZE = 25
EXPIRY_ERRORS = {"expires_in_days": "custom_days"}


ISSUED_SESSION_KEY = "tokens.issued"
ISSUED_PAD_COOKIE = "patrol_secret_pad"
ISSUED_PAD_SECONDS = 600


def _kind_of(token) -> str:
    return "fine-grained" if token.TOKEN_TYPE == "fine_grained" else "classic"


def _xor(data: bytes, pad: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, pad, strict=True))


def _issued(request, issued, *, what: str):
    """Keep the plaintext for exactly one display and redirect to it (POST-redirect-GET).

    Neither side holds the plaintext alone: the session (a database row) keeps it
    sealed with a one-time pad, and the pad goes to the browser in a cookie that
    only the secret page's URL receives. The secret page opens it once and drops both.
    """
    kind = _kind_of(issued.token)
    plaintext = issued.plaintext.encode()
    pad = secrets.token_bytes(len(plaintext))
    request.session[ISSUED_SESSION_KEY] = {
        "kind": kind,
        "pk": issued.token.pk,
        "sealed": base64.b64encode(_xor(plaintext, pad)).decode(),
        "what": what,
    }
    response = redirect("tokens:secret", kind=kind, pk=issued.token.pk)
    response.set_cookie(
        ISSUED_PAD_COOKIE,
        base64.b64encode(pad).decode(),
        max_age=ISSUED_PAD_SECONDS,
        path=response["Location"],
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
    return response


def _open_issued(request, kind: str, pk: int) -> tuple[str | None, str | None]:
    """The plaintext and what happened ("created", "regenerated"), once; (None, None) after."""
    issued = request.session.get(ISSUED_SESSION_KEY)
    if not issued or issued.get("kind") != kind or issued.get("pk") != pk:
        return None, None
    del request.session[ISSUED_SESSION_KEY]
    try:
        sealed = base64.b64decode(issued["sealed"], validate=True)
        pad = base64.b64decode(request.COOKIES.get(ISSUED_PAD_COOKIE, ""), validate=True)
        return _xor(sealed, pad).decode("ascii"), issued["what"]
    except (ValueError, KeyError):
        return None, None  # no pad or a wrong one: the secret is gone, as after a reload


def _token_for_holder(user, kind: str, pk: int):
    if kind == "fine-grained":
        return selectors.fine_grained_token_for_holder(user, pk)
    if kind == "classic":
        return selectors.classic_token_for_holder(user, pk)
    raise Http404("No such token type.")


# --- Token holders --------------------------------------------------------------


@login_required
def token_list(request):
    """One tab per token type: search, sort and pages; states are computed for the page shown."""
    classic = request.GET.get("type") == "classic"
    if classic:
        filterset = HolderClassicTokenFilterSet(request.GET, queryset=selectors.classic_tokens_of(request.user))
    else:
        filterset = HolderFineGrainedTokenFilterSet(
            request.GET, queryset=selectors.fine_grained_tokens_of(request.user)
        )
    page = _holder_page(request, filterset)
    rows_of = selectors.classic_rows if classic else selectors.fine_grained_rows
    return render(
        request,
        "tokens/token_list.html",
        {
            "filterset": filterset,
            "page": page,
            "rows": rows_of(request.user, page.object_list, now=timezone.now()),
            "tab": "classic" if classic else "fine-grained",
            "query": _query_without_page(request),
        },
    )


def _holder_page(request, filterset):
    # A bad search or sort lists everything in the default order; its error stays on the form.
    queryset = filterset.queryset if filterset.errors else filterset.qs
    return Paginator(queryset, HOLDER_PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@require_http_methods(["GET", "POST"])
def fine_grained_token_new(request):
    form = FineGrainedTokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.fine_grained_token_create(user=request.user, **form.service_arguments())
        except ValidationError as error:
            apply_service_errors(form, error, rename=EXPIRY_ERRORS)
        else:
            return _issued(request, issued, what="created")
    return render(request, "tokens/fine_grained_form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def classic_token_new(request):
    form = ClassicTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.classic_token_create(user=request.user, **form.service_arguments())
        except ValidationError as error:
            apply_service_errors(form, error, rename=EXPIRY_ERRORS)
        else:
            return _issued(request, issued, what="created")
    return render(request, "tokens/classic_form.html", {"form": form, "creating": True})


@login_required
def fine_grained_token_detail(request, pk):
    token = selectors.fine_grained_token_for_holder(request.user, pk)
    owner = token.resource_owner_organization
    is_owner = owner is not None and is_organization_owner(request.user, owner)
    for access_request in token.request_list:
        access_request.permission_words = selectors.permissions_in_words(access_request.permissions)
    return render(
        request,
        "tokens/fine_grained_detail.html",
        {
            "token": token,
            "state": selectors.fine_grained_state(token, is_owner=is_owner, now=timezone.now()),
            "repositories": token.repositories.order_by("name"),
            "permission_words": selectors.permissions_in_words(token.permissions),
            "history": selectors.token_history(token)[:50],
        },
    )


@login_required
def classic_token_detail(request, pk):
    token = selectors.classic_token_for_holder(request.user, pk)
    organizations = organizations_of(request.user).select_related("enterprise").order_by("login")
    return render(
        request,
        "tokens/classic_detail.html",
        {
            "token": token,
            "restrictions": selectors.classic_restrictions(token, organizations, now=timezone.now()),
            "history": selectors.token_history(token)[:50],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def fine_grained_token_edit(request, pk):
    token = selectors.fine_grained_token_for_holder(request.user, pk)
    form = FineGrainedTokenEditForm(request.POST or None, token=token)
    if request.method == "POST" and form.is_valid():
        try:
            services.fine_grained_token_update(token=token, actor=request.user, **form.service_arguments())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Saved {form.cleaned_data['name']}.")
            return redirect("tokens:fine-grained-detail", pk=token.pk)
    return render(request, "tokens/fine_grained_form.html", {"form": form, "token": token, "creating": False})


@login_required
@require_http_methods(["GET", "POST"])
def token_regenerate(request, kind, pk):
    token = _token_for_holder(request.user, kind, pk)
    form = RegenerateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.token_regenerate(
                token=token, actor=request.user, expires_in_days=form.cleaned_data["expires_in_days"]
            )
        except ValidationError as error:
            apply_service_errors(form, error, rename=EXPIRY_ERRORS)
        else:
            return _issued(request, issued, what="regenerated")
    return render(request, "tokens/token_regenerate.html", {"form": form, "token": token, "kind": kind})


@login_required
@require_http_methods(["GET", "POST"])
def token_delete(request, kind, pk):
    token = _token_for_holder(request.user, kind, pk)
    if request.method == "POST":
        label = token.label
        services.token_delete(token=token, actor=request.user)
        messages.success(request, f"Deleted {label}. It no longer works anywhere.")
        return redirect("tokens:list")
    return render(request, "tokens/token_delete.html", {"token": token, "kind": kind})


@login_required
@require_http_methods(["GET", "POST"])
def access_request_cancel(request, pk, request_id):
    """GET says what cancelling does and holds the form (shown in a dialog by confirm.js); POST cancels."""
    token = selectors.fine_grained_token_for_holder(request.user, pk)
    access_request = get_object_or_404(AccessRequest.objects.select_related("organization"), token=token, pk=request_id)
    if request.method == "POST":
        try:
            services.access_request_cancel(request=access_request, actor=request.user)
        except services.ReviewError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Cancelled request #{access_request.pk}.")
        return redirect("tokens:fine-grained-detail", pk=token.pk)
    pending = access_request.status == RequestStatus.PENDING
    response = render(
        request,
        "tokens/request_cancel.html",
        {
            "token": token,
            "access_request": access_request,
            "pending": pending,
            "consequence": _cancel_consequence(access_request),
        },
        status=200 if pending else 409,
    )
    response["Cache-Control"] = "no-store"
    return response


def _cancel_consequence(access_request) -> str:
    asked = ", ".join(selectors.permissions_in_words(access_request.permissions))
    what = f"Your request for {asked}" if asked else f"Your request #{access_request.pk}"
    return f"{what} in {access_request.organization.login} is withdrawn; the access the token already has stays."


@login_required
@require_http_methods(["GET", "POST"])
def classic_token_edit(request, pk):
    token = selectors.classic_token_for_holder(request.user, pk)
    form = ClassicTokenEditForm(request.POST or None, token=token)
    if request.method == "POST" and form.is_valid():
        try:
            services.classic_token_update(token=token, actor=request.user, **form.service_arguments())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Saved {form.cleaned_data['note']}.")
            return redirect("tokens:classic-detail", pk=token.pk)
    return render(request, "tokens/classic_form.html", {"form": form, "token": token, "creating": False})


@login_required
@require_GET
def token_secret(request, kind, pk):
    """The one page that ever shows a token's plaintext, once; a reload says so."""
    token = _token_for_holder(request.user, kind, pk)
    plaintext, what = _open_issued(request, kind, token.pk)
    response = render(
        request, "tokens/token_issued.html", {"token": token, "kind": kind, "plaintext": plaintext, "what": what}
    )
    response.delete_cookie(ISSUED_PAD_COOKIE, path=request.path, samesite="Strict")
    response["Cache-Control"] = "no-store"
    return response


@login_required
def ssh_key_list(request):
    filterset = HolderSSHKeyFilterSet(request.GET, queryset=selectors.ssh_keys_of(request.user))
    page = _holder_page(request, filterset)
    return render(
        request,
        "tokens/ssh_key_list.html",
        {"filterset": filterset, "page": page, "keys": page.object_list, "query": _query_without_page(request)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def ssh_key_delete(request, pk):
    key = selectors.ssh_key_for_holder(request.user, pk)
    if request.method == "POST":
        services.ssh_key_delete(key=key, actor=request.user)
        messages.success(request, f"Deleted the SSH key {key.title}. It no longer works anywhere.")
        return redirect("tokens:ssh-keys")
    return render(request, "tokens/ssh_key_delete.html", {"key": key})


# --- Organization owners: pending requests ----------------------------------------


def _back(request) -> HttpResponseRedirect:
    """Back to the list the owner was looking at, filters kept."""
    query = request.GET.urlencode()
    return HttpResponseRedirect(request.path + (f"?{query}" if query else ""))


def _queue_context(request, organization, filterset, *, active: str) -> dict:
    # A bad filter value lists everything; its error stays on the filter form.
    queryset = filterset.queryset if filterset.errors else filterset.qs
    page = Paginator(queryset, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    repositories = selectors.snapshot_repositories(rows)
    for row in rows:
        row.snapshot_repositories = [repositories[pk] for pk in row.repository_ids or () if pk in repositories]
        row.permission_labels = permission_labels(row.permissions)
    return {
        "organization": organization,
        "sidebar_active": active,
        "page": page,
        "rows": rows,
        "now": timezone.now(),
        "query": _without_page(request),
        "filter_form": filterset.form,
        "filter_fields": filterset.page_form_fields(),
    }


def _without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _review(request, access_request, *, approve: bool, reason: str) -> bool:
    try:
        services.access_request_review(request=access_request, reviewer=request.user, approve=approve, reason=reason)
    except (services.ReviewError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return False
    return True


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def _report_bulk(request, done, asked, verb: str, noun: str) -> None:
    if done:
        messages.success(request, f"{verb} {_counted(len(done), noun)}.")
    skipped = len(set(asked)) - len(done)
    if skipped:
        messages.warning(request, f"{skipped} {noun}{'s were' if skipped != 1 else ' was'} already handled; skipped.")


@login_required
@require_http_methods(["GET", "POST"])
def request_list(request, login):
    organization = organization_for_owner(request.user, login)
    form = BulkReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["action"] == "approve"
        try:
            done = services.access_requests_review_many(
                organization=organization,
                ids=form.cleaned_data["request_ids"],
                reviewer=request.user,
                approve=approve,
                reason=form.cleaned_data["reason"],
            )
        except services.UnknownIdsError as error:
            form.add_error("request_ids", f"No such requests in {organization.login}: {error.ids}.")
        else:
            _report_bulk(
                request, done, form.cleaned_data["request_ids"], "Approved" if approve else "Denied", "request"
            )
            return _back(request)
    filterset = AccessRequestFilterSet(
        request.GET or None, selectors.pending_requests(organization=organization), organization=organization
    )
    context = _queue_context(request, organization, filterset, active="requests")
    context.update(form=form)
    return render(request, "organizations/requests_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def request_detail(request, login, pk):
    organization = organization_for_owner(request.user, login)
    access_request = selectors.access_request_for_owner(organization=organization, pk=pk)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["action"] == "approve"
        if _review(request, access_request, approve=approve, reason=form.cleaned_data["reason"]):
            verb = "Approved" if approve else "Denied"
            messages.success(request, f"{verb} request #{access_request.pk}.")
        return redirect("tokens:org-requests", login=organization.login)
    repositories = selectors.snapshot_repositories([access_request])
    return render(
        request,
        "organizations/requests_detail.html",
        {
            "organization": organization,
            "sidebar_active": "requests",
            "access_request": access_request,
            "repositories": [repositories[pk] for pk in access_request.repository_ids if pk in repositories],
            "permission_labels": permission_labels(access_request.permissions),
            "form": form,
            "now": timezone.now(),
        },
    )


# --- Organization owners: active tokens -------------------------------------------


def _revoke(request, grant) -> bool:
    try:
        services.grant_revoke(grant=grant, actor=request.user)
    except (services.ReviewError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def active_list(request, login):
    organization = organization_for_owner(request.user, login)
    form = BulkRevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            done = services.grants_revoke_many(
                organization=organization, ids=form.cleaned_data["grant_ids"], actor=request.user
            )
        except services.UnknownIdsError as error:
            form.add_error("grant_ids", f"No such tokens in {organization.login}: {error.ids}.")
        else:
            _report_bulk(request, done, form.cleaned_data["grant_ids"], "Revoked access of", "token")
            return _back(request)
    filterset = GrantFilterSet(
        request.GET or None, selectors.active_grants(organization=organization), organization=organization
    )
    context = _queue_context(request, organization, filterset, active="active")
    context.update(form=form)
    return render(request, "organizations/active_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def active_detail(request, login, pk):
    organization = organization_for_owner(request.user, login)
    grant = selectors.grant_for_owner(organization=organization, pk=pk)
    if request.method == "POST":
        if _revoke(request, grant):
            messages.success(request, f"Revoked {grant.token.name}'s access to {organization.login}.")
        return redirect("tokens:org-active", login=organization.login)
    repositories = selectors.snapshot_repositories([grant])
    return render(
        request,
        "organizations/active_detail.html",
        {
            "organization": organization,
            "sidebar_active": "active",
            "grant": grant,
            "repositories": [repositories[pk] for pk in grant.repository_ids if pk in repositories],
            "permission_labels": permission_labels(grant.permissions),
            "now": timezone.now(),
        },
    )


# --- Organization owners: confirmations of destructive actions ---------------------
# Each GET page says in words what will happen and holds the POST form (class
# "confirm-form") that the action's own URL already accepts; links to it carry
# data-confirm, so static/js/confirm.js can show the same form in a dialog.


def _confirm(request, organization, *, active: str, title: str, status: int = 200, **context):
    response = render(
        request,
        "organizations/confirm.html",
        {"organization": organization, "sidebar_active": active, "title": title, **context},
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


def _ids(ids) -> str:
    return ", ".join(f"#{pk}" for pk in ids)


def _token_phrase(row) -> str:
    return f"{row.token.user.username}’s token {row.token.name}"


def _confirm_selected(
    request, organization, form, *, field, candidates, verb, noun, active, cancel_url, words, hidden=None, **context
):
    """The confirmation of a bulk action on the rows selected in `form`'s `field`, which posts to the list.

    A bad selection answers 400, and an id that is not one of `candidates` 404
    (another organization's, unknown, or already handled): nothing is offered then.
    `words(count)` gives the title, the consequence and the button.
    """
    refuse = partial(_confirm, request, organization, active=active, title=f"Nothing to {verb}", cancel_url=cancel_url)
    if not form.is_valid():
        return refuse(problem=" ".join(error for errors in form.errors.values() for error in errors), status=400)
    ids = form.cleaned_data[field]
    rows = list(candidates.filter(pk__in=ids).order_by("token__user__username", "pk"))
    missing = sorted(set(ids) - {row.pk for row in rows})
    if missing:
        return refuse(
            problem=f"No such {noun} in {organization.login}: {_ids(missing)}. Go back and select again.", status=404
        )
    return _confirm(
        request,
        organization,
        active=active,
        rows=rows,
        action_url=cancel_url,
        hidden={**(hidden or {}), field: [row.pk for row in rows]},
        cancel_url=cancel_url,
        **words(len(rows)),
        **context,
    )


@login_required
@require_http_methods(["GET"])
def grant_revoke_confirm(request, login, pk):
    organization = organization_for_owner(request.user, login)
    grant = selectors.grant_for_owner(organization=organization, pk=pk)
    context = {"rows": [grant], "cancel_url": reverse("tokens:org-grant", args=[organization.login, grant.pk])}
    if grant.revoked_at is not None:
        return _confirm(
            request,
            organization,
            active="active",
            title="Access already revoked",
            problem=f"{_token_phrase(grant)} has no access to {organization.login} any more: it was revoked.",
            status=409,
            **context,
        )
    return _confirm(
        request,
        organization,
        active="active",
        title=f"Revoke {grant.token.name}’s access to {organization.login}?",
        consequence=f"{_token_phrase(grant)} loses access to {organization.login}; this cannot be undone.",
        action_url=reverse("tokens:org-grant", args=[organization.login, grant.pk]),
        button="Revoke access",
        **context,
    )


@login_required
@require_http_methods(["GET"])
def grants_revoke_confirm(request, login):
    organization = organization_for_owner(request.user, login)
    return _confirm_selected(
        request,
        organization,
        BulkRevokeForm(request.GET),
        field="grant_ids",
        candidates=selectors.active_grants(organization=organization),
        verb="revoke",
        noun="active tokens",
        active="active",
        cancel_url=reverse("tokens:org-active", args=[organization.login]),
        words=lambda count: {
            "title": f"Revoke access of {_counted(count, 'token')}?",
            "consequence": (
                f"{_counted(count, 'token')} {'lose' if count != 1 else 'loses'} access to {organization.login}; "
                "this cannot be undone:"
            ),
            "button": f"Revoke access of {_counted(count, 'token')}",
        },
    )


def _deny_consequence(access_request, organization) -> str:
    words = (
        f"{_token_phrase(access_request)} does not get the access request #{access_request.pk} asks for "
        f"in {organization.login}; the denial cannot be undone. "
        f"{access_request.token.user.username} is emailed your reason and can edit the token to ask again."
    )
    if Grant.objects.filter(token=access_request.token, organization=organization, revoked_at=None).exists():
        words += " The access the token already has stays as it is."
    return words


@login_required
@require_http_methods(["GET"])
def request_deny_confirm(request, login, pk):
    organization = organization_for_owner(request.user, login)
    access_request = selectors.access_request_for_owner(organization=organization, pk=pk)
    context = {
        "rows": [access_request],
        "cancel_url": reverse("tokens:org-request", args=[organization.login, access_request.pk]),
    }
    if access_request.status != RequestStatus.PENDING:
        return _confirm(
            request,
            organization,
            active="requests",
            title=f"Request #{access_request.pk} is already {access_request.get_status_display().lower()}",
            problem=f"Request #{access_request.pk} is no longer pending, so there is nothing to deny.",
            status=409,
            **context,
        )
    return _confirm(
        request,
        organization,
        active="requests",
        title=f"Deny {access_request.token.name}’s request #{access_request.pk}?",
        consequence=_deny_consequence(access_request, organization),
        action_url=reverse("tokens:org-request", args=[organization.login, access_request.pk]),
        hidden={"action": ["deny"]},
        reason=ReviewForm(initial={"reason": request.GET.get("reason", "")})["reason"],
        button="Deny request",
        **context,
    )


@login_required
@require_http_methods(["GET", "POST"])
def requests_deny_confirm(request, login):
    """The queue's "Deny selected" lands here (its form posts, as Approve does): back to GET, then confirm."""
    organization = organization_for_owner(request.user, login)
    here = reverse("tokens:org-requests-deny", args=[organization.login])
    if request.method == "POST":
        query = QueryDict(mutable=True)
        query.setlist("request_ids", request.POST.getlist("request_ids"))
        if request.POST.get("reason"):
            query["reason"] = request.POST["reason"]
        return redirect(f"{here}?{query.urlencode()}")
    form = BulkReviewForm({**request.GET.dict(), "action": "deny", "request_ids": request.GET.getlist("request_ids")})
    return _confirm_selected(
        request,
        organization,
        form,
        field="request_ids",
        candidates=selectors.pending_requests(organization=organization),
        verb="deny",
        noun="pending requests",
        active="requests",
        cancel_url=reverse("tokens:org-requests", args=[organization.login]),
        words=lambda count: {
            "title": f"Deny {_counted(count, 'request')}?",
            "consequence": (
                f"{_counted(count, 'request')} to {organization.login} {'are' if count != 1 else 'is'} denied; "
                "this cannot be undone. "
                "Each requester is emailed, with your reason; a token keeps any access it already has:"
            ),
            "button": f"Deny {_counted(count, 'request')}",
        },
        hidden={"action": ["deny"]},
        reason=form["reason"],
    )


class PermissionLabel(NamedTuple):
    title: str
    level: str
    code: str  # name:level, as the API spells it
    description: str  # what the permission lets a token do; empty for a name the catalogue lacks


def permission_labels(permissions: dict | None) -> list[PermissionLabel]:
    """Each permission of a snapshot in words, in the catalogue's order."""
    order = {name: index for index, name in enumerate(PERMISSIONS)}
    return [
        PermissionLabel(
            PERMISSIONS[name].title if name in PERMISSIONS else name,
            level,
            f"{name}:{level}",
            PERMISSION_DESCRIPTIONS.get(name, ""),
        )
        for name, level in sorted((permissions or {}).items(), key=lambda item: order.get(item[0], len(order)))
    ]
