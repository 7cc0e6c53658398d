"""Email to requesters and owners (behaviour §5.2), with Django's email framework.

The services enqueue `request_reviewed` and `access_revoked` in the outbox
(outbox.services) inside their transaction, so a review that rolls back sends
nothing, and one that commits sends its email even if the process dies right
after the commit. Each sender takes ids and reloads what it needs: it runs after
the transaction, perhaps much later, when the row may be gone (nothing to say then).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string

from enterprises.models import Enterprise
from enterprises.selectors import owners_of_enterprise
from organizations.models import Repository
from organizations.selectors import owners_of
from organizations.validators import as_single_line
from outbox.services import email_sender

from .choices import UNUSED_WARNING_LEAD, ExpiryReminderStage, RequestStatus
from .models import (
    AccessRequest,
    ApiClient,
    ClassicToken,
    ExpiryReminder,
    FineGrainedToken,
    Grant,
    SSHKey,
    UnusedTokenWarning,
)


def _send(*, to: str, template: str, context: dict, connection=None) -> None:
    # Names stored before they had to be plain text may hold a line break: one
    # line always, so a subject can never carry a header of its own (BadHeaderError).
    subject = as_single_line(render_to_string(f"tokens/email/{template}_subject.txt", context))
    body = render_to_string(f"tokens/email/{template}.txt", context)
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to], connection=connection).send()


def _repositories(snapshot) -> list[str]:
    ids = snapshot.repository_ids or ()
    return list(Repository.objects.filter(pk__in=ids).order_by("name").values_list("name", flat=True))


@email_sender("tokens.request_reviewed")
def request_reviewed(*, request_id: int) -> None:
    """The requester learns the outcome: what was granted, or the owner's reason."""
    access_request = (
        AccessRequest.objects.select_related("token__user", "organization", "reviewed_by").filter(pk=request_id).first()
    )
    if access_request is None:
        return
    requester = access_request.token.user
    if not requester.email or access_request.status not in (RequestStatus.APPROVED, RequestStatus.DENIED):
        return
    approved = access_request.status == RequestStatus.APPROVED
    _send(
        to=requester.email,
        template="request_approved" if approved else "request_denied",
        context={
            "request": access_request,
            "token": access_request.token,
            "organization": access_request.organization,
            "repositories": _repositories(access_request),
        },
    )


@email_sender("tokens.access_revoked")
def access_revoked(*, grant_id: int) -> None:
    grant = Grant.objects.select_related("token__user", "organization", "revoked_by").filter(pk=grant_id).first()
    if grant is None:
        return
    holder = grant.token.user
    if not holder.email:
        return
    _send(
        to=holder.email,
        template="access_revoked",
        context={"grant": grant, "token": grant.token, "organization": grant.organization},
    )


@email_sender("tokens.access_revoked_on_removal")
def access_revoked_on_removal(*, grant_id: int) -> None:
    """The holder left the organization, so their token's access to it ended."""
    grant = Grant.objects.select_related("token__user", "organization").filter(pk=grant_id).first()
    if grant is None or not grant.token.user.email:
        return
    _send(
        to=grant.token.user.email,
        template="access_revoked_on_removal",
        context={"grant": grant, "token": grant.token, "organization": grant.organization},
    )


CREDENTIAL_NOUNS = {
    FineGrainedToken: "fine-grained personal access token",
    ClassicToken: "personal access token (classic)",
    SSHKey: "SSH key",
}


@email_sender("tokens.revoked_by_enterprise")
def revoked_by_enterprise(
    *,
    enterprise_id: int,
    fine_grained_token_id: int = 0,
    classic_token_id: int = 0,
    ssh_key_id: int = 0,
    unused_days: int = 0,
) -> None:
    """The holder learns that an enterprise ended one credential's access to it: its owners, or its setting
    for tokens unused for `unused_days`."""
    model, pk = next(
        (model, pk)
        for model, pk in (
            (FineGrainedToken, fine_grained_token_id),
            (ClassicToken, classic_token_id),
            (SSHKey, ssh_key_id),
        )
        if pk
    )
    credential = model.objects.select_related("user").filter(pk=pk).first()
    enterprise = Enterprise.objects.filter(pk=enterprise_id).first()
    if credential is None or enterprise is None or not credential.user.email:
        return
    _send(
        to=credential.user.email,
        template="revoked_by_enterprise",
        context={
            "credential": credential,
            "noun": CREDENTIAL_NOUNS[model],
            "enterprise": enterprise,
            "unused_days": unused_days,
        },
    )


@email_sender("tokens.expiry_reminder")
def expiry_reminder(*, reminder_id: int) -> None:
    """The holder learns a token expires soon, or has. Nothing once it is revoked, deleted or regenerated."""
    reminder = (
        ExpiryReminder.objects.select_related("fine_grained_token__user", "classic_token__user")
        .filter(pk=reminder_id)
        .first()
    )
    if reminder is None:  # the token was deleted
        return
    token = reminder.token
    if token.revoked_at or token.expires_at != reminder.expires_at or not token.user.email:
        return
    _send(
        to=token.user.email,
        template="expiry_reminder",
        context={
            "token": token,
            "kind": token.TOKEN_TYPE.label[0].lower() + token.TOKEN_TYPE.label[1:],
            "stage": reminder.stage,
            "stages": ExpiryReminderStage,
        },
    )


@email_sender("tokens.unused_token_warning")
def unused_token_warning(*, warning_id: int) -> None:
    """The holder learns a token unused too long loses the enterprise in a week. Nothing once it is used again,
    revoked or deleted, or the enterprise stops revoking unused tokens."""
    warning = (
        UnusedTokenWarning.objects.select_related("enterprise", "fine_grained_token__user", "classic_token__user")
        .filter(pk=warning_id)
        .first()
    )
    if warning is None:  # the token was deleted
        return
    token, enterprise = warning.token, warning.enterprise
    days = enterprise.revoke_unused_after_days
    if token.revoked_at or (token.last_used_at or token.issued_at) != warning.unused_since or not days:
        return
    if not token.user.email:
        return
    _send(
        to=token.user.email,
        template="unused_token_warning",
        context={
            "token": token,
            "noun": CREDENTIAL_NOUNS[type(token)],
            "enterprise": enterprise,
            "days": days,
            "unused_since": warning.unused_since,
            "revoke_on": warning.created_at + UNUSED_WARNING_LEAD,
        },
    )


def pending_digest(organization, requests, *, expiring_grants=(), expiring_classic_tokens=()) -> int:
    """One email per owner of `organization` listing its pending requests and the tokens reaching it that
    expire within 7 days; returns emails sent."""
    sent = 0
    connection = get_connection()
    for owner in owners_of(organization).exclude(email=""):
        _send(
            to=owner.email,
            template="pending_digest",
            context={
                "organization": organization,
                "requests": requests,
                "expiring_grants": expiring_grants,
                "expiring_classic_tokens": expiring_classic_tokens,
                "expiring_count": len(expiring_grants) + len(expiring_classic_tokens),
                "owner": owner,
            },
            connection=connection,
        )
        sent += 1
    return sent


def _leaked_token(fine_grained_token_id, classic_token_id):
    if fine_grained_token_id is not None:
        return FineGrainedToken.objects.select_related("user").filter(pk=fine_grained_token_id).first()
    return ClassicToken.objects.select_related("user").filter(pk=classic_token_id).first()


def _send_leaked(token, *, reused: bool) -> None:
    if token is None or not token.user.email:
        return
    _send(to=token.user.email, template="token_revoked_as_leaked", context={"token": token, "reused": reused})


@email_sender("tokens.token_reported_leaked")
def token_reported_leaked(*, fine_grained_token_id: int | None = None, classic_token_id: int | None = None) -> None:
    """Someone reported the token's secret to the credentials revoke API, which revoked it (behaviour §5.5)."""
    _send_leaked(_leaked_token(fine_grained_token_id, classic_token_id), reused=False)


@email_sender("tokens.token_secret_reused")
def token_secret_reused(*, fine_grained_token_id: int | None = None, classic_token_id: int | None = None) -> None:
    """A secret the token was rotated away from was used, so the token was revoked (behaviour §5.4)."""
    _send_leaked(_leaked_token(fine_grained_token_id, classic_token_id), reused=True)


@email_sender("tokens.api_client_leaked")
def api_client_leaked(*, api_client_id: int) -> None:
    """A client's secret was reported as leaked: its enterprise's owners, or the site administrators, learn it."""
    client = ApiClient.objects.select_related("enterprise").filter(pk=api_client_id).first()
    if client is None:
        return
    if client.enterprise is not None:
        people = owners_of_enterprise(client.enterprise)
    else:
        people = get_user_model().objects.filter(is_superuser=True, is_active=True)
    connection = get_connection()
    for person in people.exclude(email="").order_by("pk"):
        _send(
            to=person.email,
            template="api_client_leaked",
            context={"client": client, "person": person},
            connection=connection,
        )
