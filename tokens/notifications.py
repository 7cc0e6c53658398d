"""Email to requesters and owners (behaviour §5.2), with Django's email framework.

The services enqueue `request_reviewed` and `access_revoked` in the outbox
(outbox.services) inside their transaction, so a review that rolls back sends
nothing, and one that commits sends its email even if the process dies right
after the commit. Each sender takes ids and reloads what it needs: it runs after
the transaction, perhaps much later, when the row may be gone (nothing to say then).
"""

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string

from enterprises.models import Enterprise
from organizations.models import Repository
from organizations.selectors import owners_of
from organizations.validators import as_single_line
from outbox.services import email_sender

from .choices import RequestStatus
from .models import AccessRequest, ClassicToken, FineGrainedToken, Grant, SSHKey


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
    *, enterprise_id: int, fine_grained_token_id: int = 0, classic_token_id: int = 0, ssh_key_id: int = 0
) -> None:
    """The holder learns that an enterprise's owners ended one credential's access to the enterprise."""
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
        context={"credential": credential, "noun": CREDENTIAL_NOUNS[model], "enterprise": enterprise},
    )


def pending_digest(organization, requests) -> int:
    """One email per owner of `organization` listing its pending requests; returns emails sent."""
    sent = 0
    connection = get_connection()
    for owner in owners_of(organization).exclude(email=""):
        _send(
            to=owner.email,
            template="pending_digest",
            context={"organization": organization, "requests": requests, "owner": owner},
            connection=connection,
        )
        sent += 1
    return sent
