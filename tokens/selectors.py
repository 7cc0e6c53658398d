"""Reads of tokens, requests and grants for the site pages and the v3 API.

Every function takes the acting user or an organization the caller already
resolved through `organization_for_owner`, so tenancy has one path. List
selectors cost a fixed number of queries whatever the data size (the tests
assert it).
"""

import math
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.shortcuts import get_object_or_404
from django.utils import timezone

from audit.models import AuditEvent
from organizations.models import Organization, Repository
from organizations.selectors import organizations_of, organizations_owned_by

from .choices import CredentialType, RepositoryAccess, RequestStatus
from .engine.catalogue import LEVEL_WORDS, PERMISSIONS, ResourceKind, level_covers
from .engine.decision import (
    SKIP,
    Facts,
    GrantFacts,
    Reason,
    RelationFacts,
    RequestFacts,
    ResourceFacts,
    gate_approval,
    gate_classic_access,
    gate_credential_authorization,
    gate_fine_grained_access,
    gate_fine_grained_enabled,
)
from .engine.facts import credential_facts, organization_facts
from .engine.policy import (
    effective_classic_access,
    effective_fine_grained_access,
    effective_fine_grained_approval,
    fine_grained_enabled,
)
from .models import AccessRequest, ClassicToken, EnterpriseCredentialRevocation, FineGrainedToken, Grant, SSHKey

# --- A token holder's own tokens --------------------------------------------


def fine_grained_tokens_of(user) -> QuerySet[FineGrainedToken]:
    return (
        FineGrainedToken.objects.filter(user=user)
        .select_related("user", "resource_owner_organization__enterprise")
        .prefetch_related(
            Prefetch("grants", to_attr="grant_list"),
            Prefetch("requests", queryset=AccessRequest.objects.order_by("-created_at", "-id"), to_attr="request_list"),
        )
        .order_by("-created_at", "-id")
    )


def classic_tokens_of(user) -> QuerySet[ClassicToken]:
    revocations = EnterpriseCredentialRevocation.objects.select_related("enterprise").order_by("enterprise__name")
    return (
        ClassicToken.objects.filter(user=user)
        .select_related("user")
        .prefetch_related(Prefetch("enterprise_revocations", queryset=revocations))
        .order_by("-created_at", "-id")
    )


def fine_grained_token_for_holder(user, pk: int) -> FineGrainedToken:
    """The holder's token; anyone else's (or none) is a 404."""
    return get_object_or_404(fine_grained_tokens_of(user), pk=pk)


def classic_token_for_holder(user, pk: int) -> ClassicToken:
    return get_object_or_404(classic_tokens_of(user), pk=pk)


def token_history(token) -> QuerySet[AuditEvent]:
    """The audit events of one token, newest first (behaviour §8)."""
    return AuditEvent.objects.filter(token_type=token.TOKEN_TYPE, token_id=token.pk).order_by("-created_at", "-id")


# --- A token's state per organization, in words ------------------------------

APPROVED = "approved"


@dataclass(frozen=True)
class OrganizationState:
    """Where a token stands with one organization (behaviour §5.2 "Tokens")."""

    organization: Organization
    reason: str  # APPROVED or a decision reason code (tokens.engine.decision.Reason)
    message: str
    request_id: int | None = None
    works: tuple[str, ...] = ()  # permissions (in words) that work now while others wait
    waits: tuple[str, ...] = ()  # permissions (in words) that wait for approval or were denied

    @property
    def ok(self) -> bool:
        return self.reason == APPROVED

    @property
    def partial(self) -> bool:
        """Part of what the token asks for works now; the rest waits or was denied."""
        return not self.ok and bool(self.works)

    @property
    def tone(self) -> str:
        """The badge's colour: ok (green), waiting (amber) or stopped (red)."""
        if self.ok:
            return "ok"
        return "pending" if self.reason in WAITING_REASONS else "bad"

    @property
    def label(self) -> str:
        if self.partial:
            return PARTIAL_LABELS.get(self.reason, "Approved in part")
        return STATE_LABELS.get(self.reason, self.reason.replace("_", " "))


STATE_LABELS = {
    APPROVED: "Approved",
    Reason.APPROVAL_PENDING: "Pending",
    Reason.APPROVAL_DENIED: "Denied",
    Reason.APPROVAL_REQUIRED: "Approval required",
    Reason.ACCESS_REVOKED: "Access revoked",
    Reason.FINE_GRAINED_RESTRICTED: "Restricted by policy",
    Reason.CLASSIC_RESTRICTED: "Restricted by policy",
    Reason.FINE_GRAINED_NOT_ENABLED: "Fine-grained tokens not enabled",
}
PARTIAL_LABELS = {
    Reason.APPROVAL_PENDING: "Approved; more pending",
    Reason.APPROVAL_DENIED: "Approved; more denied",
    Reason.APPROVAL_REQUIRED: "Approved; more needs a request",
}
WAITING_REASONS = frozenset({Reason.APPROVAL_PENDING, Reason.APPROVAL_REQUIRED})


def permission_words(name: str, level: str) -> str:
    """A permission as people read it, as every page and email says it ("Contents (read-only)")."""
    permission = PERMISSIONS.get(name)
    return f"{permission.title if permission else name} ({LEVEL_WORDS.get(level, level)})"


def permissions_in_words(permissions: dict) -> list[str]:
    return [permission_words(name, level) for name, level in sorted((permissions or {}).items())]


def _grant_facts(grant: Grant | None) -> GrantFacts | None:
    if grant is None:
        return None
    return GrantFacts(
        id=grant.pk,
        repository_access=grant.repository_access,
        repository_ids=frozenset(grant.repository_ids or ()),
        permissions=dict(grant.permissions or {}),
        revoked_at=grant.revoked_at,
    )


def _widest_ungranted(token: FineGrainedToken, grant: Grant | None) -> tuple[str, str]:
    """The first permission the token holds that its grant does not cover.

    Judging that one permission with the engine's approval gate tells whether
    the token is blocked; with nothing uncovered any permission would pass.
    """
    held = grant.permissions if grant is not None and grant.revoked_at is None else {}
    for name, level in sorted(token.permissions.items()):
        if not level_covers(held.get(name), level):
            return name, level
    if token.permissions:
        return next(iter(sorted(token.permissions.items())))
    return "metadata", "read"


def fine_grained_state(token: FineGrainedToken, *, is_owner: bool, now: datetime) -> OrganizationState | None:
    """The token's state with its resource-owner organization, from the engine's own gates.

    Uses the policy gates (8, 9) and the approval gate (15) of tokens.engine.decision
    on the token's grant and latest request, so these words and the check API
    never disagree. Needs `fine_grained_tokens_of`'s prefetches.
    """
    organization = token.resource_owner_organization
    if organization is None:
        return None
    grant = next((g for g in token.grant_list if g.organization_id == organization.pk), None)
    latest = next((r for r in token.request_list if r.organization_id == organization.pk), None)
    name, level = _widest_ungranted(token, grant)
    org_facts = organization_facts(organization)
    facts = Facts(
        credential=credential_facts(token),
        resource=ResourceFacts(
            kind=ResourceKind.ORGANIZATION,
            name=organization.login,
            organization=org_facts,
            enterprise=org_facts.enterprise,
        ),
        permission=name,
        level=level,
        now=now,
        relation=RelationFacts(
            is_organization_owner=is_owner,
            is_organization_member=True,
            grant=_grant_facts(grant),
            latest_request=RequestFacts(latest.pk, latest.status, latest.reason) if latest else None,
        ),
    )
    for gate in (gate_fine_grained_enabled, gate_fine_grained_access, gate_approval):
        verdict = gate(facts)
        if verdict is not None and verdict is not SKIP:
            if gate is gate_approval and verdict.reason != Reason.ACCESS_REVOKED:
                return _approval_state(organization, facts, verdict, latest)
            return OrganizationState(organization, verdict.reason, verdict.message, verdict.request_id)
    if latest is not None and latest.status == RequestStatus.PENDING:
        message = (
            f"Approved by {organization.login} for what it covered; your request #{latest.pk} for more"
            " access is pending review."
        )
        return OrganizationState(organization, APPROVED, message, latest.pk)
    if grant is not None and grant.auto_approved:
        return OrganizationState(organization, APPROVED, f"Approved automatically by {organization.login}.")
    return OrganizationState(organization, APPROVED, f"Approved by an owner of {organization.login}.")


def _approval_state(organization, facts: Facts, verdict, latest) -> OrganizationState:
    """The approval gate stops something: say what works now (the gate passes it) and what waits.

    Each of the token's permissions goes through the same gate, so the words and
    the check API agree permission by permission.
    """
    token_permissions = sorted(facts.credential.permissions.items()) if facts.credential.permissions else ()
    works, waits = [], []
    for name, level in token_permissions:
        outcome = gate_approval(replace(facts, permission=name, level=level))
        (waits if outcome is not None else works).append(permission_words(name, level))
    if not works:
        return OrganizationState(organization, verdict.reason, verdict.message, verdict.request_id)
    waiting = ", ".join(waits)
    if verdict.reason == Reason.APPROVAL_PENDING:
        tail = f"{waiting} awaiting review (request #{verdict.request_id})."
    elif verdict.reason == Reason.APPROVAL_DENIED:
        because = f": {latest.reason.rstrip('.')}" if latest is not None and latest.reason else " without a reason"
        tail = f"{waiting} denied{because}. Edit the token to ask again."
    else:
        tail = f"{waiting} needs approval; edit the token to request it."
    message = f"Approved by {organization.login} for {', '.join(works)}; {tail}"
    return OrganizationState(
        organization, verdict.reason, message, verdict.request_id, works=tuple(works), waits=tuple(waits)
    )


def classic_restrictions(token: ClassicToken, organizations, *, now: datetime) -> list[OrganizationState]:
    """The organizations (of the token's user) whose enterprise revoked this classic token or whose policy blocks it.

    Judged by the engine's own gates 7 and 10. Needs `classic_tokens_of`'s prefetch.
    """
    credential = credential_facts(token)
    states = []
    for organization in organizations:
        org_facts = organization_facts(organization)
        facts = Facts(
            credential=credential,
            resource=ResourceFacts(
                ResourceKind.ORGANIZATION, organization.login, organization=org_facts, enterprise=org_facts.enterprise
            ),
            permission="members",
            level="read",
            now=now,
        )
        for gate in (gate_credential_authorization, gate_classic_access):
            verdict = gate(facts)
            if verdict is not None and verdict is not SKIP:
                states.append(OrganizationState(organization, verdict.reason, verdict.message))
                break
    return states


EXPIRES_SOON = timedelta(days=7)


@dataclass(frozen=True)
class TokenRow:
    token: object
    type: CredentialType
    states: list[OrganizationState]
    expires_in_days: int | None = None  # set within EXPIRES_SOON of the expiry, for the amber warning

    @property
    def kind(self) -> str:
        """The token type as the pages' URLs spell it."""
        return "classic" if self.type == CredentialType.CLASSIC else "fine-grained"


def _expires_in_days(token, now: datetime) -> int | None:
    if token.expires_at is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    left = token.expires_at - now
    if left > EXPIRES_SOON:
        return None
    return max(1, math.ceil(left / timedelta(days=1)))


def fine_grained_rows(user, tokens, *, now: datetime) -> list[TokenRow]:
    """Rows for some of the holder's fine-grained tokens (from `fine_grained_tokens_of`), in their order.

    A revoked token works nowhere: it lists no organization's state.
    """
    owned = set(organizations_owned_by(user).values_list("pk", flat=True))
    rows = []
    for token in tokens:
        state = None
        if token.revoked_at is None:
            state = fine_grained_state(token, is_owner=token.resource_owner_organization_id in owned, now=now)
        rows.append(
            TokenRow(token, CredentialType.FINE_GRAINED, [state] if state else [], _expires_in_days(token, now))
        )
    return rows


def classic_rows(user, tokens, *, now: datetime) -> list[TokenRow]:
    """Rows for some of the holder's classic tokens (from `classic_tokens_of`), in their order."""
    organizations = list(organizations_of(user).select_related("enterprise").order_by("login"))
    rows = []
    for token in tokens:
        states = [] if token.revoked_at else classic_restrictions(token, organizations, now=now)
        rows.append(TokenRow(token, CredentialType.CLASSIC, states, _expires_in_days(token, now)))
    return rows


def token_rows(user, *, now=None) -> list[TokenRow]:
    """All the holder's tokens, newest first, each with its state per organization."""
    now = now or timezone.now()
    rows = fine_grained_rows(user, fine_grained_tokens_of(user), now=now)
    rows += classic_rows(user, classic_tokens_of(user), now=now)
    rows.sort(key=lambda row: (row.token.created_at, row.token.pk), reverse=True)
    return rows


def ssh_keys_of(user) -> QuerySet[SSHKey]:
    """The holder's SSH keys (deleted ones stay for the record and are left out), newest first."""
    return (
        SSHKey.objects.filter(user=user, deleted_at=None)
        .select_related("created_by_fine_grained_token", "created_by_classic_token")
        .order_by("-created_at", "-id")
    )


def ssh_key_for_holder(user, pk: int) -> SSHKey:
    return get_object_or_404(ssh_keys_of(user), pk=pk)


# --- What an organization's policy means for a new token ---------------------


@dataclass(frozen=True)
class ResourceOwnerChoice:
    organization: Organization | None  # None: the user themself
    outcome: str  # "approval_required", "auto_approved", "restricted", "not_enabled", "own"
    note: str


def resource_owner_choices(user) -> list[ResourceOwnerChoice]:
    """The user and each of their organizations, with what its policy means (behaviour §2)."""
    owned = set(organizations_owned_by(user).values_list("pk", flat=True))
    choices = [ResourceOwnerChoice(None, "own", "Your own repositories and account; no approval needed.")]
    for organization in organizations_of(user).select_related("enterprise").order_by("login"):
        if not fine_grained_enabled(organization):
            outcome, note = "not_enabled", f"{organization.login} has not enabled fine-grained tokens yet."
        elif (access := effective_fine_grained_access(organization)).value == "restrict":
            by = f"the {access.enterprise.name} enterprise" if access.enforced_by_enterprise else organization.login
            outcome, note = "restricted", f"Restricted by {by}'s policy: the token will only read public resources."
        elif organization.pk in owned:
            outcome, note = "auto_approved", "Auto-approved: you own this organization."
        elif effective_fine_grained_approval(organization).value == "require":
            outcome, note = "approval_required", "Approval required: an owner must approve the request."
        else:
            outcome, note = "auto_approved", "Auto-approved: this organization does not require approval."
        choices.append(ResourceOwnerChoice(organization, outcome, note))
    return choices


def repositories_for_picker(user) -> QuerySet[Repository]:
    """Repositories of the user and of their organizations, for the token form's picker."""
    return (
        Repository.objects.filter(Q(owner_user=user) | Q(owner_organization__memberships__user=user))
        .select_related("owner_user", "owner_organization")
        .order_by("owner_organization__login", "name")
        .distinct()
    )


# --- An organization's approval queue and active tokens ----------------------


def pending_requests(*, organization: Organization) -> QuerySet[AccessRequest]:
    """Newest first; tokens.filtersets.AccessRequestFilterSet narrows and reorders it."""
    return (
        AccessRequest.objects.filter(organization=organization, status=RequestStatus.PENDING)
        .select_related("token__user", "organization")
        .order_by("-created_at", "-id")
    )


def active_grants(*, organization: Organization) -> QuerySet[Grant]:
    """Grants not revoked, of tokens that still work (not revoked; expired ones show as expired), newest first.

    tokens.filtersets.GrantFilterSet narrows and reorders it.
    """
    return (
        Grant.objects.filter(organization=organization, revoked_at=None, token__revoked_at=None)
        .select_related("token__user", "organization")
        .order_by("-granted_at", "-id")
    )


def access_request_for_owner(*, organization: Organization, pk: int) -> AccessRequest:
    return get_object_or_404(
        AccessRequest.objects.select_related("token__user", "organization"), organization=organization, pk=pk
    )


def grant_for_owner(*, organization: Organization, pk: int) -> Grant:
    return get_object_or_404(
        Grant.objects.select_related("token__user", "organization"), organization=organization, pk=pk
    )


def snapshot_repositories(rows) -> dict[int, Repository]:
    """The repositories named by the snapshots of `rows`, in one query."""
    ids = {pk for row in rows for pk in (row.repository_ids or ())}
    if not ids:
        return {}
    return {repository.pk: repository for repository in Repository.objects.filter(pk__in=ids).order_by("name")}


def repositories_of_snapshot(row, *, organization: Organization) -> QuerySet[Repository]:
    """What a request asked for or a grant holds: all, the selected ones, or none (public only)."""
    repositories = Repository.objects.filter(owner_organization=organization).select_related("owner_organization")
    if row.repository_access == RepositoryAccess.ALL:
        return repositories.order_by("name")
    if row.repository_access == RepositoryAccess.SELECTED:
        return repositories.filter(pk__in=row.repository_ids or ()).order_by("name")
    return repositories.none()


def organizations_with_pending_requests() -> QuerySet[Organization]:
    return Organization.objects.filter(access_requests__status=RequestStatus.PENDING).distinct().order_by("login")


EXPIRING_SOON = timedelta(days=7)


def _expiring(now) -> tuple[datetime, datetime]:
    """Not yet expired, and expiring within EXPIRING_SOON of `now`."""
    return now, now + EXPIRING_SOON


def expiring_grants(*, organization: Organization, now=None) -> QuerySet[Grant]:
    """Active grants whose token expires within 7 days, soonest first (behaviour §5.2)."""
    after, up_to = _expiring(now or timezone.now())
    return (
        active_grants(organization=organization)
        .filter(token__expires_at__gt=after, token__expires_at__lte=up_to)
        .order_by("token__expires_at", "id")
    )


def expiring_classic_tokens(*, organization: Organization, now=None) -> QuerySet[ClassicToken]:
    """Members' classic tokens that reach the organization and expire within 7 days, soonest first.

    None where classic tokens are restricted; none its enterprise revoked (behaviour §4 gates 7 and 10).
    """
    if effective_classic_access(organization).value == "restrict":
        return ClassicToken.objects.none()
    after, up_to = _expiring(now or timezone.now())
    tokens = ClassicToken.objects.filter(
        user__memberships__organization=organization,
        user__is_active=True,
        revoked_at=None,
        expires_at__gt=after,
        expires_at__lte=up_to,
    )
    if organization.enterprise_id:
        tokens = tokens.exclude(enterprise_revocations__enterprise_id=organization.enterprise_id)
    return tokens.select_related("user").order_by("expires_at", "id")


def organizations_for_digest(*, now=None) -> QuerySet[Organization]:
    """Organizations with pending requests or with tokens reaching them that expire within 7 days.

    A candidate whose only expiring tokens are classic ones it restricts gets an empty digest, and no email.
    """
    after, up_to = _expiring(now or timezone.now())
    expiring = Q(expires_at__gt=after, expires_at__lte=up_to, revoked_at=None)
    granted = Grant.objects.filter(
        revoked_at=None, token__revoked_at=None, token__expires_at__gt=after, token__expires_at__lte=up_to
    ).values("organization_id")
    members = Organization.objects.filter(
        memberships__user__classic_tokens__in=ClassicToken.objects.filter(expiring)
    ).values("pk")
    return (
        Organization.objects.filter(
            Q(access_requests__status=RequestStatus.PENDING) | Q(pk__in=granted) | Q(pk__in=members)
        )
        .select_related("enterprise")
        .distinct()
        .order_by("login")
    )


def requests_per_week(*, organization: Organization, weeks: int = 12, now=None) -> list[tuple[date, int]]:
    """(Monday, requests made that week) for the last `weeks` weeks, this one last, empty weeks as 0; one query."""
    today = timezone.localdate(now or timezone.now())
    first = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    counted = (
        AccessRequest.objects.filter(organization=organization, created_at__gte=start)
        .annotate(week=TruncWeek("created_at"))
        .values_list("week")
        .annotate(count=Count("id"))
        .order_by()
    )
    counts = {timezone.localdate(week) if isinstance(week, datetime) else week: count for week, count in counted}
    mondays = [first + timedelta(weeks=index) for index in range(weeks)]
    return [(monday, counts.get(monday, 0)) for monday in mondays]
