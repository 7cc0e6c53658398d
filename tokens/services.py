"""Writes for tokens, SSH keys, access requests, grants and API clients.

Every function runs in one transaction with its audit events, so what the UI,
the v3 API and `load_scenario` do is recorded the same way (behaviour §6, §8).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import audit_record
from enterprises.models import Enterprise
from enterprises.selectors import enterprises_owned_by
from organizations.models import Organization, Repository
from organizations.selectors import is_member, is_organization_owner
from organizations.validators import multi_line_text, single_line_text
from outbox.services import outbound_email_enqueue
from webhooks.services import access_request_event, grant_revoked_event

from . import notifications, selectors
from .choices import CredentialType, RepositoryAccess, RequestStatus
from .engine import credentials
from .engine.catalogue import PERMISSIONS, SCOPE_SATISFIED_BY, SCOPES, ResourceKind, permissions_exceed
from .engine.policy import effective_fine_grained_approval
from .models import (
    MAX_FINE_GRAINED_TOKENS_PER_USER,
    TEXT_LIMIT,
    AccessRequest,
    ApiClient,
    ClassicToken,
    EnterpriseCredentialRevocation,
    FineGrainedToken,
    Grant,
    RetiredSecret,
    SSHKey,
)

MAX_EXPIRY_DAYS = 366
REPOSITORY_ACCESS_BREADTH = {RepositoryAccess.PUBLIC: 0, RepositoryAccess.SELECTED: 1, RepositoryAccess.ALL: 2}


@dataclass(frozen=True)
class Issued:
    """A token and its plaintext, which exists only here and is shown once."""

    token: object
    plaintext: str


class ReviewError(ValidationError):
    """The request or grant cannot take this transition (already reviewed, revoked…)."""


def _set_secret(instance, kind: CredentialType) -> str:
    plaintext = credentials.generate(kind)
    digest = credentials.digest(plaintext)
    instance.digest, instance.pepper_id = digest.value, digest.pepper_id
    instance.last_four = credentials.last_four(plaintext)
    return plaintext


def _expires_at(expires_in_days: int | None, *, limit: selectors.LifetimeLimit | None, now=None):
    """When a token chosen to live `expires_in_days` expires; refused beyond the governing maximum (behaviour §3)."""
    if expires_in_days is not None:
        if isinstance(expires_in_days, bool) or not isinstance(expires_in_days, int):
            raise ValidationError({"expires_in_days": "Give a whole number of days, or none."})
        if not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
            raise ValidationError({"expires_in_days": f"Choose between 1 and {MAX_EXPIRY_DAYS} days, or none."})
    if limit is not None and (expires_in_days is None or expires_in_days > limit.days):
        chosen = "no expiration" if expires_in_days is None else f"{expires_in_days} days"
        raise ValidationError(
            {"expires_in_days": f"{limit.sentence}; choose {limit.days} days or fewer instead of {chosen}."}
        )
    if expires_in_days is None:
        return None
    return (now or timezone.now()) + timedelta(days=expires_in_days)


def _validate_text(value: str, field: str, *, required=False, limit=TEXT_LIMIT, single_line=False) -> str:
    """Stripped `value`, or a ValidationError naming `field` (plain text only: organizations.validators)."""
    if not isinstance(value, str):
        raise ValidationError({field: "Must be text."})
    value = value.strip()
    if required and not value:
        raise ValidationError({field: "This field is required."})
    if len(value) > limit:
        raise ValidationError({field: f"Use at most {limit} characters."})
    try:
        (single_line_text if single_line else multi_line_text)(value)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from error
    return value


# --- Fine-grained tokens ----------------------------------------------------


def validate_permissions(permissions, *, resource_owner: Organization | None) -> dict[str, str]:
    """Check a permission map against the catalogue (behaviour §5.3)."""
    if not isinstance(permissions, dict):
        raise ValidationError({"permissions": "Give a map of permission name to level."})
    allowed_kinds = {ResourceKind.REPOSITORY}
    allowed_kinds.add(ResourceKind.ORGANIZATION if resource_owner is not None else ResourceKind.ACCOUNT)
    errors = []
    for name, level in permissions.items():
        permission = PERMISSIONS.get(name)
        if permission is None:
            errors.append(f"Unknown permission {name!r}.")
        elif permission.kind not in allowed_kinds:
            errors.append(f"{name} is a {permission.kind} permission; this resource owner cannot grant it.")
        elif level not in permission.levels:
            errors.append(f"{name} takes {', '.join(permission.levels)}, not {level!r}.")
    if errors:
        raise ValidationError({"permissions": errors})
    return dict(permissions)


def _validate_repositories(repository_access, repositories, *, user, resource_owner) -> list[Repository]:
    if repository_access not in RepositoryAccess.values:
        raise ValidationError({"repository_access": f"Choose one of {', '.join(RepositoryAccess.values)}."})
    repositories = list(repositories or ())
    if repository_access != RepositoryAccess.SELECTED:
        if repositories:
            raise ValidationError({"repositories": "Select repositories only with selected repository access."})
        return []
    if not repositories:
        raise ValidationError({"repositories": "Select at least one repository."})
    for repository in repositories:
        owned = (
            repository.owner_organization_id == resource_owner.pk
            if resource_owner is not None
            else repository.owner_user_id == user.pk
        )
        if not owned:
            raise ValidationError({"repositories": f"{repository.full_name} does not belong to the resource owner."})
    return repositories


def _validate_resource_owner(user, resource_owner: Organization | None) -> None:
    if resource_owner is not None and not is_member(user, resource_owner):
        raise ValidationError({"resource_owner": f"You are not a member of {resource_owner.login}."})


@transaction.atomic
def fine_grained_token_create(
    *,
    user,
    name: str,
    resource_owner: Organization | None = None,
    repository_access: str = RepositoryAccess.PUBLIC,
    repositories=(),
    permissions: dict | None = None,
    expires_in_days: int | None = 30,
    description: str = "",
    justification: str = "",
) -> Issued:
    """Issue a fine-grained token; for an organization, open a request or grant (behaviour §3)."""
    name = _validate_text(name, "name", required=True, limit=40, single_line=True)
    description = _validate_text(description, "description")
    justification = _validate_text(justification, "justification")
    _validate_resource_owner(user, resource_owner)
    expires_at = _expires_at(expires_in_days, limit=selectors.fine_grained_lifetime_limit(user, resource_owner))
    selected = _validate_repositories(repository_access, repositories, user=user, resource_owner=resource_owner)
    permissions = validate_permissions(permissions or {}, resource_owner=resource_owner)
    if FineGrainedToken.objects.filter(user=user).count() >= MAX_FINE_GRAINED_TOKENS_PER_USER:
        raise ValidationError({"name": f"You already have {MAX_FINE_GRAINED_TOKENS_PER_USER} fine-grained tokens."})
    if FineGrainedToken.objects.filter(user=user, name=name).exists():
        raise ValidationError({"name": "You already have a token with this name."})
    token = FineGrainedToken(
        user=user,
        name=name,
        description=description,
        resource_owner_organization=resource_owner,
        repository_access=repository_access,
        permissions=permissions,
        expires_at=expires_at,
    )
    plaintext = _set_secret(token, CredentialType.FINE_GRAINED)
    token.save()
    token.repositories.set(selected)
    audit_record(
        action="personal_access_token.created",
        actor=user,
        organization=resource_owner,
        token=token,
        data={"name": name, "token_type": CredentialType.FINE_GRAINED, **_snapshot(token, selected)},
    )
    _request_or_grant(token, actor=user, justification=justification)
    return Issued(token, plaintext)


@transaction.atomic
def fine_grained_token_update(
    *,
    token: FineGrainedToken,
    actor,
    name: str | None = None,
    description: str | None = None,
    repository_access: str | None = None,
    repositories=None,
    permissions: dict | None = None,
    justification: str = "",
) -> FineGrainedToken:
    """Edit a token. Asking for more opens a new request; the old grant keeps working."""
    token = FineGrainedToken.objects.select_for_update().get(pk=token.pk)
    owner = token.resource_owner_organization
    before = _editable(token)
    changes = {}
    if name is not None:
        name = _validate_text(name, "name", required=True, limit=40, single_line=True)
        if FineGrainedToken.objects.filter(user=token.user, name=name).exclude(pk=token.pk).exists():
            raise ValidationError({"name": "You already have a token with this name."})
        changes["name"] = name
    if description is not None:
        changes["description"] = _validate_text(description, "description")
    justification = _validate_text(justification, "justification")
    if repository_access is not None or repositories is not None:
        access = repository_access or token.repository_access
        if repositories is not None:
            chosen = repositories
        elif access == RepositoryAccess.SELECTED:
            chosen = token.repositories.all()
        else:
            chosen = ()  # leaving "selected" drops the old selection
        selected = _validate_repositories(access, chosen, user=token.user, resource_owner=owner)
        changes["repository_access"] = access
        token.repositories.set(selected)
    if permissions is not None:
        changes["permissions"] = validate_permissions(permissions, resource_owner=owner)
    for field, value in changes.items():
        setattr(token, field, value)
    token.save()
    changed = _changes(before, _editable(token))
    if changed:
        audit_record(
            action="personal_access_token.updated",
            actor=actor,
            organization=owner,
            token=token,
            data={"changes": changed},
        )
    _request_or_grant(token, actor=actor, justification=justification)
    return token


def _editable(token: FineGrainedToken) -> dict:
    return {
        "name": token.name,
        "description": token.description,
        "repository_access": token.repository_access,
        "repository_ids": sorted(token.repositories.values_list("pk", flat=True)),
        "permissions": dict(token.permissions),
    }


def _changes(before: dict, after: dict) -> dict:
    """{field: {"from": old, "to": new}} for exactly the fields that differ; a permission each on its own."""
    changes = {}
    for field in before:
        if field == "permissions":
            for name in sorted(before[field].keys() | after[field].keys()):
                old, new = before[field].get(name), after[field].get(name)
                if old != new:
                    changes[f"permissions.{name}"] = {"from": old, "to": new}
        elif before[field] != after[field]:
            changes[field] = {"from": before[field], "to": after[field]}
    return changes


def _snapshot(token: FineGrainedToken, repositories=None) -> dict:
    if repositories is None:
        repositories = token.repositories.all()
    return {
        "repository_access": token.repository_access,
        "repository_ids": sorted(repository.pk for repository in repositories),
        "permissions": dict(token.permissions),
    }


def snapshot_exceeds(wanted: dict, held) -> bool:
    """True if `wanted` asks for more than `held` (a grant) covers."""
    if permissions_exceed(wanted["permissions"], held.permissions):
        return True
    breadth_wanted = REPOSITORY_ACCESS_BREADTH[wanted["repository_access"]]
    breadth_held = REPOSITORY_ACCESS_BREADTH[held.repository_access]
    if breadth_wanted != breadth_held:
        return breadth_wanted > breadth_held
    if wanted["repository_access"] == RepositoryAccess.SELECTED:
        return not set(wanted["repository_ids"]) <= set(held.repository_ids)
    return False


def _request_or_grant(token: FineGrainedToken, *, actor, justification: str) -> None:
    """After a token is made or edited: grant at once, or open a request (behaviour §3).

    Nothing happens if an owner revoked the token's access (that is final for
    the organization). When the token asks for nothing beyond its grant, any
    request still pending for an older revision is withdrawn: approving it
    later would overwrite the grant with that older revision.
    """
    organization = token.resource_owner_organization
    if organization is None:
        return
    organization = Organization.objects.select_related("enterprise").get(pk=organization.pk)
    snapshot = _snapshot(token)
    grant = Grant.objects.select_for_update().filter(token=token, organization=organization).first()
    if grant is not None and grant.revoked_at is not None:
        return
    if grant is None or snapshot_exceeds(snapshot, grant):
        required = effective_fine_grained_approval(organization).value == "require"
        if required and not is_organization_owner(token.user, organization):
            _open_request(token, organization, snapshot, actor=actor, justification=justification)
            return
        _grant(token, organization, snapshot, actor=actor, request=None)
    _cancel_pending(token, organization, actor=actor)


def _cancel_pending(token, organization, *, actor) -> None:
    for stale in AccessRequest.objects.select_for_update().filter(
        token=token, organization=organization, status=RequestStatus.PENDING
    ):
        _cancel(stale, actor=actor, why="superseded")


def _open_request(token, organization, snapshot, *, actor, justification) -> AccessRequest:
    _cancel_pending(token, organization, actor=actor)
    request = AccessRequest.objects.create(
        token=token, organization=organization, justification=justification, **snapshot
    )
    audit_record(
        action="personal_access_token.request_created",
        actor=actor,
        organization=organization,
        token=token,
        data={"request_id": request.pk, **snapshot},
    )
    access_request_event(request=request, action="created", actor=actor)
    return request


def _grant(token, organization, snapshot, *, actor, request: AccessRequest | None) -> Grant:
    grant, _ = Grant.objects.update_or_create(
        token=token,
        organization=organization,
        defaults={"request": request, "auto_approved": request is None, "granted_at": timezone.now(), **snapshot},
    )
    audit_record(
        action="personal_access_token.access_granted",
        actor=actor,
        organization=organization,
        token=token,
        data={
            "grant_id": grant.pk,
            "auto_approved": request is None,
            "request_id": getattr(request, "pk", None),
            **snapshot,
        },
    )
    return grant


def _cancel(request: AccessRequest, *, actor, why: str) -> None:
    request.status = RequestStatus.CANCELLED
    request.save(update_fields=["status"])
    audit_record(
        action="personal_access_token.request_cancelled",
        actor=actor,
        organization=request.organization,
        token=request.token,
        data={"request_id": request.pk, "why": why},
    )
    access_request_event(request=request, action="cancelled", actor=actor)


# --- Reviews and revocation -------------------------------------------------


def _require_owner(user, organization) -> None:
    if not is_organization_owner(user, organization):
        raise PermissionDenied(f"Only owners of {organization.login} can do this.")


@transaction.atomic
def access_request_review(*, request: AccessRequest, reviewer, approve: bool, reason: str = "") -> AccessRequest:
    """Approve or deny one pending request.

    The row is locked first, so two owners reviewing at once produce exactly
    one review: the second finds it no longer pending.
    """
    reason = _validate_text(reason or "", "reason")
    request = (
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("organization__enterprise", "token")
        .get(pk=request.pk)
    )
    _require_owner(reviewer, request.organization)
    if request.status != RequestStatus.PENDING:
        raise ReviewError(f"Request #{request.pk} is already {request.status}.")
    request.status = RequestStatus.APPROVED if approve else RequestStatus.DENIED
    request.reviewed_by, request.reviewed_at, request.reason = reviewer, timezone.now(), reason
    request.save(update_fields=["status", "reviewed_by", "reviewed_at", "reason"])
    access_request_event(request=request, action="approved" if approve else "denied", actor=reviewer)
    if approve:
        grant = Grant.objects.select_for_update().filter(token=request.token, organization=request.organization).first()
        if grant is not None and grant.revoked_at is not None:
            raise ReviewError(f"An owner revoked this token's access to {request.organization.login}.")
        snapshot = {
            "repository_access": request.repository_access,
            "repository_ids": request.repository_ids,
            "permissions": request.permissions,
        }
        _grant(request.token, request.organization, snapshot, actor=reviewer, request=request)
    else:
        audit_record(
            action="personal_access_token.request_denied",
            actor=reviewer,
            organization=request.organization,
            token=request.token,
            data={"request_id": request.pk, "reason": reason},
        )
    outbound_email_enqueue(notifications.request_reviewed, request_id=request.pk)
    return request


class UnknownIdsError(ValidationError):
    """Some ids of a bulk action name nothing in the organization; nothing was done."""

    def __init__(self, ids):
        super().__init__(f"No such ids in this organization: {', '.join(map(str, ids))}.")
        self.ids = ids


def _bulk(model, *, organization, ids, act) -> list[int]:
    """Apply `act` to each row of `organization` named by `ids`, each in its own transaction.

    Unknown ids (including another organization's) refuse the whole action
    before anything is done. Rows another owner handled a moment earlier are
    skipped, so the result lists the ids this call acted on.
    """
    found = model.objects.filter(organization=organization, pk__in=ids).in_bulk()
    unknown = sorted(set(ids) - set(found))
    if unknown:
        raise UnknownIdsError(unknown)
    done = []
    for pk in sorted(found):
        try:
            act(found[pk])
        except ReviewError:
            continue
        done.append(pk)
    return done


def access_requests_review_many(*, organization, ids, reviewer, approve: bool, reason: str = "") -> list[int]:
    """Review up to 100 pending requests at once (behaviour §5.2); returns the ids reviewed."""
    _validate_text(reason or "", "reason")  # refused before any row is touched
    return _bulk(
        AccessRequest,
        organization=organization,
        ids=ids,
        act=lambda request: access_request_review(request=request, reviewer=reviewer, approve=approve, reason=reason),
    )


def grants_revoke_many(*, organization, ids, actor) -> list[int]:
    """Revoke up to 100 grants at once (behaviour §5.2); returns the ids revoked."""
    return _bulk(Grant, organization=organization, ids=ids, act=lambda grant: grant_revoke(grant=grant, actor=actor))


@transaction.atomic
def access_request_cancel(*, request: AccessRequest, actor) -> AccessRequest:
    """The token's holder withdraws a pending request."""
    request = AccessRequest.objects.select_for_update(of=("self",)).select_related("token").get(pk=request.pk)
    if request.token.user_id != actor.pk:
        raise PermissionDenied("Only the token's holder can cancel its request.")
    if request.status != RequestStatus.PENDING:
        raise ReviewError(f"Request #{request.pk} is already {request.status}.")
    _cancel(request, actor=actor, why="cancelled by requester")
    return request


@transaction.atomic
def grant_revoke(*, grant: Grant, actor) -> Grant:
    """An owner revokes a token's access to the organization; final for that pair."""
    grant = Grant.objects.select_for_update(of=("self",)).select_related("organization", "token").get(pk=grant.pk)
    _require_owner(actor, grant.organization)
    if grant.revoked_at is not None:
        raise ReviewError(f"Access of grant #{grant.pk} is already revoked.")
    grant.revoked_at, grant.revoked_by = timezone.now(), actor
    grant.save(update_fields=["revoked_at", "revoked_by"])
    for pending in AccessRequest.objects.select_for_update().filter(
        token=grant.token, organization=grant.organization, status=RequestStatus.PENDING
    ):
        _cancel(pending, actor=actor, why="access revoked")
    audit_record(
        action="personal_access_token.access_revoked",
        actor=actor,
        organization=grant.organization,
        token=grant.token,
        data={"grant_id": grant.pk},
    )
    grant_revoked_event(grant=grant, actor=actor)
    outbound_email_enqueue(notifications.access_revoked, grant_id=grant.pk)
    return grant


@transaction.atomic
def grants_revoke_for_removed_member(*, organization, user, actor=None) -> list[Grant]:
    """A member left `organization`: their tokens' grants to it are revoked and their requests cancelled.

    Final, as an owner's revoke (gate 15): if they are added back, a new token
    asks again, so nothing they held before is restored without a review.
    """
    reason = f"{user.username} was removed from {organization.login}."
    for pending in AccessRequest.objects.select_for_update().filter(
        token__user=user, organization=organization, status=RequestStatus.PENDING
    ):
        _cancel(pending, actor=actor, why="membership removed")
    grants = list(
        Grant.objects.select_for_update(of=("self",))
        .select_related("token")
        .filter(token__user=user, organization=organization, revoked_at__isnull=True)
        .order_by("pk")
    )
    now = timezone.now()
    for grant in grants:
        grant.revoked_at, grant.revoked_by = now, actor
        grant.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            action="personal_access_token.access_revoked",
            actor=actor,
            organization=organization,
            token=grant.token,
            data={"grant_id": grant.pk, "reason": reason},
        )
        grant_revoked_event(grant=grant, actor=actor)
        outbound_email_enqueue(notifications.access_revoked_on_removal, grant_id=grant.pk)
    return grants


def member_removed_receiver(sender, *, organization, user, actor=None, **kwargs) -> None:
    """organizations.signals.member_removed, connected in tokens.apps."""
    grants_revoke_for_removed_member(organization=organization, user=user, actor=actor)


# --- Both token types -------------------------------------------------------


@transaction.atomic
def classic_token_create(*, user, note: str, scopes=(), expires_in_days: int | None = 30) -> Issued:
    note = _validate_text(note, "note", required=True, limit=100, single_line=True)
    scopes = list(scopes or ())
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown:
        raise ValidationError({"scopes": f"Unknown scopes: {', '.join(map(str, unknown))}."})
    expires_at = _expires_at(expires_in_days, limit=selectors.classic_lifetime_limit(user))
    token = ClassicToken(user=user, note=note, scopes=sorted(set(scopes)), expires_at=expires_at)
    plaintext = _set_secret(token, CredentialType.CLASSIC)
    token.save()
    audit_record(
        action="personal_access_token.created",
        actor=user,
        token=token,
        data={"note": note, "token_type": CredentialType.CLASSIC, "scopes": token.scopes},
    )
    return Issued(token, plaintext)


def scopes_without_implied(scopes) -> list[str]:
    """The scopes as GitHub keeps them: a scope its parent already includes is dropped (`repo` covers `public_repo`)."""
    chosen = set(scopes)
    return sorted(scope for scope in chosen if not (SCOPE_SATISFIED_BY[scope] - {scope}) & chosen)


@transaction.atomic
def classic_token_update(*, token: ClassicToken, actor, note: str | None = None, scopes=None) -> ClassicToken:
    """Edit a classic token's note or scopes; the secret and expiry stay. Audits exactly what changed."""
    token = ClassicToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise ValidationError("This token is revoked; it can no longer be edited.")
    changes = {}
    if note is not None:
        note = _validate_text(note, "note", required=True, limit=100, single_line=True)
        if note != token.note:
            changes["note"] = (token.note, note)
    if scopes is not None:
        scopes = list(scopes)
        unknown = [scope for scope in scopes if scope not in SCOPES]
        if unknown:
            raise ValidationError({"scopes": f"Unknown scopes: {', '.join(map(str, unknown))}."})
        scopes = scopes_without_implied(scopes)
        if scopes != sorted(token.scopes):
            changes["scopes"] = (sorted(token.scopes), scopes)
    if not changes:
        return token
    for field, (_, new) in changes.items():
        setattr(token, field, new)
    token.save(update_fields=list(changes))
    audit_record(
        action="personal_access_token.updated",
        actor=actor,
        token=token,
        data={
            "token_type": CredentialType.CLASSIC,
            "fields": sorted(changes),
            "changes": {field: {"from": old, "to": new} for field, (old, new) in changes.items()},
        },
    )
    return token


@transaction.atomic
def token_regenerate(*, token, actor, expires_in_days: int | None = 30) -> Issued:
    """A new secret for the same token (its grants stay); the old secret stops working."""
    token = type(token).objects.select_for_update().get(pk=token.pk)
    kind = token.TOKEN_TYPE
    plaintext = _set_secret(token, kind)
    token.issued_at = timezone.now()
    token.expires_at = _expires_at(expires_in_days, limit=selectors.token_lifetime_limit(token), now=token.issued_at)
    token.save(update_fields=["digest", "pepper_id", "last_four", "issued_at", "expires_at"])
    audit_record(action="personal_access_token.regenerated", actor=actor, organization=_org_of(token), token=token)
    return Issued(token, plaintext)


@transaction.atomic
def token_revoke(*, token, actor=None):
    """Revoke the token everywhere; it is kept for the record."""
    token = type(token).objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(action="personal_access_token.revoked", actor=actor, organization=_org_of(token), token=token)
    return token


def enterprises_of_holder(user):
    """The enterprises a user belongs to: through an organization's membership, or as a managed user."""
    return Enterprise.objects.filter(Q(organizations__memberships__user=user) | Q(managed_users=user)).distinct()


@transaction.atomic
def credential_enterprise_revoke(
    *, credential, enterprise: Enterprise, actor, unused_days: int = 0
) -> EnterpriseCredentialRevocation:
    """An enterprise's owner revokes a classic token's or SSH key's access to the enterprise (behaviour §4 gate 7).

    Only there: the credential keeps its user's own repositories and other
    tenants, like GitHub's revoke of a credential's SSO authorization. Final
    for that credential and enterprise. The audit event goes to the
    enterprise's log and names no note or title, only what owners may see.
    No `actor` is the enterprise's own setting at work: `unused_days` says why.
    """
    if not isinstance(credential, (ClassicToken, SSHKey)):
        raise ValidationError({"credential": "Only classic tokens and SSH keys are revoked per enterprise."})
    _require_enterprise_owner(actor, enterprise)
    credential = type(credential).objects.select_for_update().get(pk=credential.pk)
    if not enterprises_of_holder(credential.user).filter(pk=enterprise.pk).exists():
        raise ValidationError({"credential": f"Its holder does not belong to {enterprise.name}."})
    field = "classic_token" if isinstance(credential, ClassicToken) else "ssh_key"
    if EnterpriseCredentialRevocation.objects.filter(enterprise=enterprise, **{field: credential}).exists():
        raise ReviewError(f"{enterprise.name} has already revoked this credential.")
    revocation = EnterpriseCredentialRevocation.objects.create(
        enterprise=enterprise, revoked_by=actor, **{field: credential}
    )
    details = {"scopes": credential.scopes} if field == "classic_token" else {"fingerprint": credential.fingerprint}
    audit_record(
        action="personal_access_token.access_revoked" if field == "classic_token" else "ssh_key.access_revoked",
        actor=actor,
        enterprise=enterprise,
        token=credential,
        data={
            "revocation_id": revocation.pk,
            "user": credential.user.username,
            "by": "enterprise",
            **details,
            **_unused_why(unused_days),
        },
    )
    outbound_email_enqueue(
        notifications.revoked_by_enterprise,
        enterprise_id=enterprise.pk,
        unused_days=unused_days,
        **{f"{field}_id": credential.pk},
    )
    return revocation


def _require_enterprise_owner(actor, enterprise: Enterprise) -> None:
    """Only the enterprise's owners revoke in it, or Patrol itself (no actor) applying the enterprise's setting."""
    if actor is None or actor.is_superuser or enterprises_owned_by(actor).filter(pk=enterprise.pk).exists():
        return
    raise PermissionDenied(f"Only owners of {enterprise.name} can do this.")


def _unused_why(unused_days: int) -> dict:
    return {"why": f"unused for {unused_days} days"} if unused_days else {}


def credential_revoke_in_owned_enterprises(*, credential, actor) -> list[EnterpriseCredentialRevocation]:
    """Revoke the credential in each enterprise `actor` owns that its holder belongs to (the admin's revoke)."""
    enterprises = enterprises_of_holder(credential.user).filter(pk__in=enterprises_owned_by(actor).values("pk"))
    revoked = []
    for enterprise in enterprises.order_by("slug"):
        try:
            revoked.append(credential_enterprise_revoke(credential=credential, enterprise=enterprise, actor=actor))
        except ReviewError:
            continue
    return revoked


@transaction.atomic
def fine_grained_enterprise_revoke(
    *, token: FineGrainedToken, enterprise: Enterprise, actor, unused_days: int = 0
) -> list[Grant]:
    """An enterprise's owner ends a fine-grained token's access to the enterprise's organizations (behaviour §5.1).

    Its grants there are revoked (final, gate 15) and its pending requests
    there cancelled, each audited; the holder gets one email. The token keeps
    what it reaches outside the enterprise. No `actor` is the enterprise's own
    setting at work: `unused_days` says why.
    """
    _require_enterprise_owner(actor, enterprise)
    token = FineGrainedToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    in_enterprise = {"token": token, "organization__enterprise": enterprise}
    why = _unused_why(unused_days).get("why", f"access revoked by {enterprise.name}")
    pending = AccessRequest.objects.select_for_update(of=("self",)).select_related("organization")
    for request in pending.filter(status=RequestStatus.PENDING, **in_enterprise).order_by("pk"):
        _cancel(request, actor=actor, why=why)
    grants = list(
        Grant.objects.select_for_update(of=("self",))
        .select_related("organization")
        .filter(revoked_at__isnull=True, **in_enterprise)
        .order_by("pk")
    )
    now = timezone.now()
    for grant in grants:
        grant.revoked_at, grant.revoked_by = now, actor
        grant.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            action="personal_access_token.access_revoked",
            actor=actor,
            organization=grant.organization,
            token=token,
            data={"grant_id": grant.pk, "by": "enterprise", **_unused_why(unused_days)},
        )
    outbound_email_enqueue(
        notifications.revoked_by_enterprise,
        enterprise_id=enterprise.pk,
        fine_grained_token_id=token.pk,
        unused_days=unused_days,
    )
    return grants


def credentials_revoke_in_enterprise(*, enterprise: Enterprise, actor, credentials) -> int:
    """The inventory's bulk revoke: each credential loses `enterprise` only, each in its own transaction."""
    revoked = 0
    for credential in credentials:
        if isinstance(credential, FineGrainedToken):
            fine_grained_enterprise_revoke(token=credential, enterprise=enterprise, actor=actor)
        else:
            try:
                credential_enterprise_revoke(credential=credential, enterprise=enterprise, actor=actor)
            except ReviewError:
                continue  # another owner revoked it a moment earlier
        revoked += 1
    return revoked


@transaction.atomic
def token_delete(*, token, actor) -> None:
    audit_record(action="personal_access_token.deleted", actor=actor, organization=_org_of(token), token=token)
    token.delete()


def _org_of(token):
    return getattr(token, "resource_owner_organization", None)


# --- SSH keys ---------------------------------------------------------------


@transaction.atomic
def ssh_key_create(*, user, title: str, fingerprint: str, created_by_token=None) -> SSHKey:
    title = _validate_text(title, "title", required=True, limit=100, single_line=True)
    if not credentials.is_ssh_fingerprint(fingerprint):
        raise ValidationError({"fingerprint": "Use OpenSSH's form: SHA256: and 43 base64 characters."})
    if SSHKey.objects.filter(fingerprint=fingerprint).exists():
        raise ValidationError({"fingerprint": "This key is already registered."})
    if created_by_token is not None and created_by_token.user_id != user.pk:
        raise ValidationError({"created_by_token": "The token must belong to the key's user."})
    key = SSHKey(
        user=user,
        title=title,
        fingerprint=fingerprint,
        created_by_fine_grained_token=created_by_token if isinstance(created_by_token, FineGrainedToken) else None,
        created_by_classic_token=created_by_token if isinstance(created_by_token, ClassicToken) else None,
    )
    key.save()
    audit_record(
        action="ssh_key.created",
        actor=user,
        token=created_by_token,
        data={"title": title, "fingerprint": fingerprint},
    )
    return key


@transaction.atomic
def ssh_key_delete(*, key: SSHKey, actor) -> SSHKey:
    """The holder deletes a key: it stops working at once and stays for the record (deleted_at)."""
    key = SSHKey.objects.select_for_update().get(pk=key.pk)
    if key.deleted_at is None:
        key.deleted_at = timezone.now()
        key.save(update_fields=["deleted_at"])
        audit_record(
            action="ssh_key.deleted",
            actor=actor,
            token=key,
            data={"title": key.title, "fingerprint": key.fingerprint},
        )
    return key


# --- API clients and use ----------------------------------------------------


MAX_RATE_PER_MINUTE = 2_147_483_647  # the column's range


@transaction.atomic
def api_client_create(*, name: str, rate_per_minute: int | None = None, enterprise=None, actor=None) -> Issued:
    """A client of the check API; with `enterprise`, one that learns nothing outside it (tokens.engine.access)."""
    name = _validate_text(name, "name", required=True, limit=100, single_line=True)
    if rate_per_minute is not None and (
        isinstance(rate_per_minute, bool)
        or not isinstance(rate_per_minute, int)
        or not 1 <= rate_per_minute <= MAX_RATE_PER_MINUTE
    ):
        raise ValidationError({"rate_per_minute": f"Give a whole number from 1 to {MAX_RATE_PER_MINUTE}, or none."})
    if ApiClient.objects.filter(name=name, enterprise=enterprise).exists():
        raise ValidationError({"name": "An API client with this name exists."})
    client = ApiClient(name=name, rate_per_minute=rate_per_minute, enterprise=enterprise)
    plaintext = _set_secret(client, CredentialType.API_CLIENT)
    try:
        with transaction.atomic():
            client.save()
    except IntegrityError as error:  # a concurrent create of the same name
        raise ValidationError({"name": "An API client with this name exists."}) from error
    audit_record(action="api_client.created", actor=actor, enterprise=enterprise, data={"name": name})
    return Issued(client, plaintext)


@transaction.atomic
def api_client_revoke(*, client: ApiClient, actor=None, why: str = "") -> ApiClient:
    """Revoke a client; it is kept for the record. Every process refuses it from the
    next request: without the facts cache no process keeps clients, with it the
    save bumps the facts version (tokens.engine.facts_cache). `why`: its secret
    leaked (behaviour §5.5), said in the audit event and emailed to its owners."""
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
        data = {"name": client.name, **({"why": why} if why else {})}
        audit_record(action="api_client.revoked", actor=actor, enterprise=client.enterprise, data=data)
        if why:
            outbound_email_enqueue(notifications.api_client_leaked, api_client_id=client.pk)
    return client


# --- Rotation and leaks (behaviour §5.4, §5.5) ------------------------------

REPORTED = "Its secret was reported as leaked."
REUSED = "A secret it was rotated away from was used again."
ROTATABLE = frozenset({CredentialType.FINE_GRAINED, CredentialType.CLASSIC})


class SecretRetired(Exception):
    """The secret presented for a rotation was rotated away from a moment earlier."""


@transaction.atomic
def token_rotate(*, token, presented: str) -> Issued:
    """A new secret for `token`, asked for with its current secret `presented` (behaviour §5.4).

    The same row keeps its permissions, grants and lifetime (a token that never
    expires still never does); the old secret is retired, so its next use is a leak.
    """
    token = type(token).objects.select_for_update().get(pk=token.pk)
    if token.digest not in credentials.candidate_digests(presented):
        raise SecretRetired  # a concurrent rotation retired it: the caller treats this as reuse
    if token.revoked_at is not None:  # revoked since the caller authenticated
        raise ValidationError({"token": "This token was revoked; create a new one."})
    lifetime = None if token.expires_at is None else token.expires_at - token.issued_at
    RetiredSecret.objects.create(digest=token.digest, pepper_id=token.pepper_id, **{_token_field(token): token})
    plaintext = _set_secret(token, token.TOKEN_TYPE)
    token.issued_at = timezone.now()
    token.expires_at = None if lifetime is None else token.issued_at + lifetime
    token.save(update_fields=["digest", "pepper_id", "last_four", "issued_at", "expires_at"])
    audit_record(
        action="personal_access_token.rotated",
        actor=token.user,
        organization=_org_of(token),
        token=token,
        data={"token_type": token.TOKEN_TYPE, "expires_at": token.expires_at.isoformat() if token.expires_at else None},
    )
    return Issued(token, plaintext)


def _token_field(token) -> str:
    return "fine_grained_token" if isinstance(token, FineGrainedToken) else "classic_token"


def retired_secret_used(*, presented: str):
    """If `presented` is a secret a token was rotated away from, revoke that token as leaked; the token or None.

    Refused like an unknown secret all the same: the caller answers as for one.
    """
    if credentials.parse_kind(presented) not in ROTATABLE:
        return None
    revoked = retired_secrets_used(digests=credentials.candidate_digests(presented))
    return revoked[0] if revoked else None


def retired_secrets_used(*, digests) -> list:
    """Revoke as leaked the tokens whose rotated-away secrets have these digests; the tokens."""
    retired = RetiredSecret.objects.select_related("fine_grained_token", "classic_token").filter(digest__in=digests)
    tokens = {(type(secret.token), secret.token.pk): secret.token for secret in retired}
    return [token_revoke_as_leaked(token=token, why=REUSED) for token in tokens.values()]


def unknown_secrets_receiver(sender, *, digests, **kwargs) -> None:
    """Checks met secrets no credential has (tokens.engine.usage): a rotated-away one is a leak."""
    retired_secrets_used(digests=digests)


@transaction.atomic
def token_revoke_as_leaked(*, token, why: str):
    """Revoke a leaked token everywhere, email its holder and audit it; nothing more if it is already revoked."""
    token = type(token).objects.select_for_update().select_related("user").get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        action="personal_access_token.revoked_as_leaked",
        organization=_org_of(token),
        token=token,
        data={"token_type": token.TOKEN_TYPE, "user": token.user.username, "why": why},
    )
    sender = notifications.token_secret_reused if why == REUSED else notifications.token_reported_leaked
    outbound_email_enqueue(sender, **{f"{_token_field(token)}_id": token.pk})
    return token


def credentials_revoke_leaked(*, candidates: list[str]) -> int:
    """Revoke every Patrol credential among `candidates`, each in its own transaction; how many were revoked.

    Not an oracle (behaviour §5.5): every candidate is hashed under every
    pepper, whatever it looks like, and the same four lookups run whatever
    was found. A reported secret a token was rotated away from revokes the token.
    """
    digests = sorted({digest for candidate in candidates for digest in credentials.candidate_digests(candidate)})
    tokens = [
        *FineGrainedToken.objects.filter(digest__in=digests, revoked_at=None),
        *ClassicToken.objects.filter(digest__in=digests, revoked_at=None),
    ]
    retired = RetiredSecret.objects.filter(digest__in=digests).select_related("fine_grained_token", "classic_token")
    tokens += [secret.token for secret in retired if secret.token.revoked_at is None]
    clients = list(ApiClient.objects.filter(digest__in=digests, revoked_at=None))
    distinct = {(type(token), token.pk): token for token in tokens}
    for token in distinct.values():
        token_revoke_as_leaked(token=token, why=REPORTED)
    for client in clients:
        api_client_revoke(client=client, why=REPORTED)
    return len(distinct) + len(clients)
