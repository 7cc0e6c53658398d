"""Email to requesters and owners (SPEC §5.2), with Django's email framework.

The services schedule these with `transaction.on_commit`, so a review that
rolls back sends nothing, and the one that commits sends exactly one email.
Each function reloads what it needs by id: it runs after the transaction.
"""

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string

from organizations.models import Repository
from organizations.selectors import owners_of

from .choices import RequestStatus
from .models import AccessRequest, Grant


def _send(*, to: str, template: str, context: dict, connection=None) -> None:
    subject = render_to_string(f"tokens/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"tokens/email/{template}.txt", context)
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to], connection=connection).send()


def _repositories(snapshot) -> list[str]:
    ids = snapshot.repository_ids or ()
    return list(Repository.objects.filter(pk__in=ids).order_by("name").values_list("name", flat=True))


def request_reviewed(*, request_id: int) -> None:
    """The requester learns the outcome: what was granted, or the owner's reason."""
    access_request = AccessRequest.objects.select_related("token__user", "organization", "reviewed_by").get(
        pk=request_id
    )
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


def access_revoked(*, grant_id: int) -> None:
    grant = Grant.objects.select_related("token__user", "organization", "revoked_by").get(pk=grant_id)
    holder = grant.token.user
    if not holder.email:
        return
    _send(
        to=holder.email,
        template="access_revoked",
        context={"grant": grant, "token": grant.token, "organization": grant.organization},
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
