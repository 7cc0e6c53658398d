"""What a policy change would do, before Save (behaviour §5.1, §5.2 "Review changes").

For each credential and each organization under review it makes one check —
a *probe* — and lets the engine decide it twice: with the policies in force
and with the proposed ones substituted into the organization's and the
enterprise's facts. The gates are decision.decide's own; nothing here judges.

A probe is what the credential would most plausibly ask there:

- a fine-grained token of the organization: its first permission its grant does
  not cover (else its first), at its lowest level, on the organization itself for an
  organization permission, else on its first selected repository there (or,
  for access to all repositories, the organization's first non-public one);
- a classic token of a member or owner: metadata:read on the organization's
  first non-public repository when its scopes reach private repositories,
  else members:read on the organization.

SSH keys are left out: no token policy applies to them (behaviour §4 gate 7).

To answer for a million tokens, probes are grouped by everything decide()
reads of them, with what it reads only for messages left out (ids, names,
moments), and each group is decided once: `probe_facts` builds a probe's own
facts, `group_facts` the group's, and tests prove both decide alike.
"""

import functools
import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.db.models import F, Min, OuterRef, Subquery, TextField
from django.db.models.functions import Cast

from organizations.models import Membership, Organization, OrganizationPermission, Repository
from tokens.choices import CredentialType
from tokens.engine.catalogue import PERMISSIONS, ResourceKind, accepted_scopes, level_covers, scopes_cover
from tokens.engine.decision import (
    CredentialFacts,
    Decision,
    Facts,
    GrantFacts,
    OrganizationFacts,
    Reason,
    RelationFacts,
    RequestFacts,
    ResourceFacts,
    decide,
)
from tokens.engine.facts import grant_and_request_annotations, organization_facts
from tokens.models import AccessRequest, ClassicToken, EnterpriseCredentialRevocation, FineGrainedToken

from .models import ENTERPRISE_POLICY_FIELDS, POLICY_FIELDS

DAY = timedelta(days=1)
CUT_OFF, GAINS, REFUSED = "cut_off", "gains_access", "request_refused"
EFFECT_WORDS = {CUT_OFF: "Cut off", GAINS: "Gains access", REFUSED: "Pending request refused"}
REASON_WORDS = {
    Reason.ALLOWED: "Allowed",
    Reason.PUBLIC_READ: "Allowed: public",
    Reason.TOKEN_REVOKED: "Token revoked",
    Reason.TOKEN_EXPIRED: "Token expired",
    Reason.USER_INACTIVE: "Account suspended",
    Reason.RESOURCE_NOT_FOUND: "Not found",
    Reason.PERMISSION_UNKNOWN: "Not a permission there",
    Reason.USER_LACKS_ACCESS: "Holder lacks access",
    Reason.FINE_GRAINED_NOT_ENABLED: "Fine-grained tokens not enabled",
    Reason.FINE_GRAINED_RESTRICTED: "Fine-grained tokens restricted",
    Reason.CLASSIC_RESTRICTED: "Classic tokens restricted",
    Reason.RESOURCE_OWNER_MISMATCH: "Another resource owner",
    Reason.REPOSITORY_NOT_SELECTED: "Repository not selected",
    Reason.PERMISSION_NOT_GRANTED: "Permission not in the token",
    Reason.SCOPE_MISSING: "Scope missing",
    Reason.ACCESS_REVOKED: "Access revoked",
    Reason.APPROVAL_REQUIRED: "Needs approval",
    Reason.APPROVAL_PENDING: "Request pending",
    Reason.APPROVAL_DENIED: "Request denied",
    Reason.TOKEN_LIFETIME_EXCEEDS_POLICY: "Lives longer than the maximum",
}


class FrozenMap(dict):
    """A permissions mapping that can be part of a group's key; never changed once made, so its hash is kept."""

    __slots__ = ("_hash",)

    def __hash__(self):
        try:
            return self._hash
        except AttributeError:
            self._hash = hash(frozenset(self.items()))
            return self._hash


@dataclass(frozen=True, slots=True)
class Probe:
    """One check the review makes: a credential on one organization's resources, as the check API takes it."""

    credential_type: str
    token_id: int
    token: str  # a fine-grained token's name; a classic token's masked secret (its note is the holder's words)
    holder: str
    organization: str
    resource: str  # "acme" or "acme/web"
    permission: str
    level: str


@dataclass(slots=True)
class _Row:
    """What a probe's facts are made of, read from the database."""

    probe: Probe
    organization_id: int
    user_id: int
    user_active: bool
    issued_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    repository_access: str = "public"
    permissions: FrozenMap = field(default_factory=FrozenMap)
    scopes: frozenset = frozenset()
    revoked_in_enterprise: datetime | None = None
    kind: ResourceKind = ResourceKind.ORGANIZATION
    repository_id: int | None = None
    visibility: str | None = None
    owner: bool = False
    member: bool = False
    enterprise_member: bool = False
    selected: bool = False
    grant: GrantFacts | None = None
    latest_request: RequestFacts | None = None

    def key(self, now: datetime) -> tuple:
        """What `group_facts(probe_facts(self))` is made of, cheap to compare: rows of one key share a group.

        A test holds it to that; grouping by it spares building and hashing Facts for each of a million rows.
        """
        lifetime = None
        if self.expires_at is not None:
            lifetime = (self.expires_at <= now, -((self.issued_at - self.expires_at) // DAY))
        grant = self.grant
        if grant is not None:
            grant = (
                grant.repository_access,
                self.repository_id in grant.repository_ids,
                grant.permissions,
                grant.revoked_at is not None,
            )
        return (
            self.organization_id,
            self.probe.credential_type,
            self.probe.permission,
            self.probe.level,
            self.user_active,
            self.revoked_at is not None,
            lifetime,
            self.repository_access,
            self.permissions,
            self.scopes,
            self.revoked_in_enterprise is not None,
            self.kind,
            self.repository_id is not None,
            self.visibility,
            self.owner,
            self.member,
            self.enterprise_member,
            self.selected,
            grant,
            self.latest_request.status if self.latest_request is not None else None,
        )


@dataclass(frozen=True)
class Affected:
    probe: Probe
    effect: str
    before: str  # reason codes
    after: str

    @property
    def effect_words(self) -> str:
        return EFFECT_WORDS[self.effect]

    @property
    def before_words(self) -> str:
        return REASON_WORDS.get(self.before, self.before)

    @property
    def after_words(self) -> str:
        return REASON_WORDS.get(self.after, self.after)


@dataclass(frozen=True)
class Review:
    affected: list[Affected]
    cut_off: int  # tokens
    people: int  # holders of the tokens cut off
    organizations: int  # where tokens are cut off
    refused: int  # pending requests
    gains: int  # tokens
    probes: list[Probe]  # every check the review made

    @property
    def sentence(self) -> str:
        if not (self.cut_off or self.refused or self.gains):
            return "This change would not change any token's access."
        parts = ["This change would cut off no tokens"]
        if self.cut_off:
            parts[0] = (
                f"This change would cut off {_count(self.cut_off, 'token')} of"
                f" {_count(self.people, 'person', 'people')} in {_count(self.organizations, 'organization')}"
            )
        if self.refused:
            parts.append(f"{_count(self.refused, 'pending request')} would be refused")
        if self.gains:
            parts.append(f"{_count(self.gains, 'token')} would gain access")
        return "; ".join(parts) + "."


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number:,} {one if number == 1 else many or one + 's'}"


# --- Facts ---------------------------------------------------------------------


def probe_facts(row: _Row, organization: OrganizationFacts, *, now: datetime) -> Facts:
    """The probe's facts, as the check API would load them for this credential and resource.

    Save the ids of the token's grant and latest request and the request's reason, which make only messages.
    """
    probe = row.probe
    is_fine_grained = probe.credential_type == CredentialType.FINE_GRAINED
    enterprise = organization.enterprise
    credential = CredentialFacts(
        type=CredentialType(probe.credential_type),
        id=probe.token_id,
        user_id=row.user_id,
        username=probe.holder,
        user_active=row.user_active,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        resource_owner_organization_id=organization.id if is_fine_grained else None,
        resource_owner_login=organization.login if is_fine_grained else "",
        repository_access=row.repository_access,
        permissions=FrozenMap(row.permissions),
        scopes=row.scopes,
        enterprise_revocations=((enterprise.slug, row.revoked_in_enterprise),) if row.revoked_in_enterprise else (),
    )
    resource = ResourceFacts(
        kind=row.kind,
        name=probe.resource,
        organization=organization,
        repository_id=row.repository_id,
        visibility=row.visibility,
        enterprise=enterprise,
    )
    relation = RelationFacts(
        is_organization_owner=row.owner,
        is_organization_member=row.member,
        is_enterprise_member=row.enterprise_member,
        repository_selected=row.selected,
        grant=row.grant,
        latest_request=row.latest_request,
    )
    return Facts(credential, resource, probe.permission, probe.level, now, relation)


def group_facts(facts: Facts) -> Facts:
    """The probe's facts with what decide() reads only for its messages made alike, so probes group.

    Ids and names go; a repository is the only one; moments keep what the
    gates compare: revoked or not, expired or not, and the lifetime rounded up
    to whole days (a maximum is whole days, so it passes exactly when it did).
    """
    credential, relation = facts.credential, facts.relation
    moment = facts.now
    expires_at = issued_at = None
    if credential.expires_at is not None:
        expires_at = moment if credential.expires_at <= facts.now else moment + DAY
        lifetime_days = -((credential.issued_at - credential.expires_at) // DAY)
        issued_at = expires_at - lifetime_days * DAY
    credential = replace(
        credential,
        id=0,
        user_id=0,
        username="",
        resource_owner_login="",
        issued_at=issued_at,
        expires_at=expires_at,
        revoked_at=moment if credential.revoked_at is not None else None,
        enterprise_revocations=tuple((slug, moment) for slug, _ in credential.enterprise_revocations),
    )
    grant = relation.grant
    if grant is not None:
        covered = facts.resource.repository_id in grant.repository_ids
        grant = replace(
            grant,
            id=0,
            repository_ids=frozenset({0}) if covered else frozenset(),
            permissions=FrozenMap(grant.permissions),
            revoked_at=moment if grant.revoked_at is not None else None,
        )
    request = relation.latest_request
    if request is not None:
        request = RequestFacts(id=0, status=request.status)
    repository_id = 0 if facts.resource.repository_id is not None else None
    return replace(
        facts,
        credential=credential,
        resource=replace(facts.resource, name="", repository_id=repository_id),
        relation=replace(relation, grant=grant, latest_request=request),
    )


def with_policies(facts: Facts, organization: OrganizationFacts) -> Facts:
    """The facts with the organization (and its enterprise) as given: a substitution, nothing decided."""
    resource = replace(facts.resource, organization=organization, enterprise=organization.enterprise)
    return replace(facts, resource=resource)


def proposed_organization(organization: OrganizationFacts, *, level: str, values: dict) -> OrganizationFacts:
    """The organization's facts once `values` are saved on the organization or on its enterprise."""
    if level == "organization":
        return replace(organization, **{name: values[name] for name in POLICY_FIELDS if name in values})
    enterprise = replace(
        organization.enterprise, **{name: values[name] for name in ENTERPRISE_POLICY_FIELDS if name in values}
    )
    return replace(organization, enterprise=enterprise)


# --- Probes, read from the database ------------------------------------------------


def _first_repositories(organization_ids) -> dict[int, tuple[int, str, str]]:
    """Each organization's first non-public repository: (id, name, visibility)."""
    first = (
        Repository.objects.filter(owner_organization_id__in=organization_ids)
        .exclude(visibility="public")
        .values("owner_organization_id")
        .annotate(first=Min("id"))
        .values_list("first", flat=True)
    )
    return {
        organization_id: (pk, name, visibility)
        for pk, organization_id, name, visibility in Repository.objects.filter(id__in=first).values_list(
            "id", "owner_organization_id", "name", "visibility"
        )
    }


def _first_selected(organization_ids) -> dict[int, tuple[int, str, str]]:
    """Each fine-grained token's first selected repository in its resource-owner organization."""
    through = FineGrainedToken.repositories.through
    rows = through.objects.filter(
        finegrainedtoken__resource_owner_organization_id__in=organization_ids,
        repository__owner_organization_id=F("finegrainedtoken__resource_owner_organization_id"),
    ).values_list("finegrainedtoken_id", "repository_id", "repository__name", "repository__visibility")
    first = {}
    for token_id, repository_id, name, visibility in rows:
        if token_id not in first or repository_id < first[token_id][0]:
            first[token_id] = (repository_id, name, visibility)
    return first


def _fine_grained_permission(permissions: FrozenMap, held: FrozenMap | None) -> tuple[str, str]:
    """The first permission the active grant (`held`) does not cover (else the first; metadata for none),
    at its lowest level: a holder who may only read is still asked what the token can do for them.
    """
    held = held or {}
    known = sorted((name, level) for name, level in permissions.items() if name in PERMISSIONS)
    uncovered = [name for name, level in known if not level_covers(held.get(name), level)]
    name = uncovered[0] if uncovered else known[0][0] if known else "metadata"
    return name, PERMISSIONS[name].levels[0]


def load_rows(organizations: list[Organization]) -> list[_Row]:
    """The probes of every credential reaching `organizations` (with their enterprise selected)."""
    by_id = {organization.pk: organization for organization in organizations}
    ids = list(by_id)
    repositories = _first_repositories(ids)
    owners = set(
        OrganizationPermission.objects.filter(
            content_object_id__in=ids, permission__codename="own_organization"
        ).values_list("user_id", "content_object_id")
    )
    members = set(Membership.objects.filter(organization_id__in=ids).values_list("user_id", "organization_id"))
    enterprise_ids = {organization.enterprise_id for organization in organizations if organization.enterprise_id}
    enterprise_members = set(
        Membership.objects.filter(organization__enterprise_id__in=enterprise_ids).values_list(
            "user_id", "organization__enterprise_id"
        )
    )

    def standing(user_id: int, organization: Organization) -> tuple[bool, bool, bool]:
        """Owner, member, enterprise member."""
        return (
            (user_id, organization.pk) in owners,
            (user_id, organization.pk) in members,
            (user_id, organization.enterprise_id) in enterprise_members,
        )

    rows = _fine_grained_rows(by_id, repositories, standing)
    rows += _classic_rows(by_id, repositories, standing, owners | members, enterprise_ids)
    return rows


def _latest_status() -> Subquery:
    """The status of the token's latest request to its organization; its id and reason only make messages."""
    latest = AccessRequest.objects.filter(
        token_id=OuterRef("pk"), organization_id=OuterRef("resource_owner_organization_id")
    ).order_by("-created_at", "-id")
    return Subquery(latest.values("status")[:1])


def _fine_grained_rows(by_id, repositories, standing) -> list[_Row]:
    selected = _first_selected(list(by_id))
    # Tokens share a few sets of permissions: each JSON text is read, and its probe chosen, once.
    mapping = functools.cache(lambda text: FrozenMap(json.loads(text) if text else {}))
    probe_permission = functools.cache(_fine_grained_permission)

    @functools.cache
    def grant_of(access, repositories_text, permissions_text, revoked_at) -> GrantFacts:
        # Grants share a few shapes; the id only makes messages.
        repositories = frozenset(json.loads(repositories_text) if repositories_text else ())
        return GrantFacts(0, access, repositories, mapping(permissions_text), revoked_at)

    @functools.cache
    def request_of(status: str | None) -> RequestFacts | None:
        return RequestFacts(0, status) if status is not None else None

    rows = []
    tokens = (
        FineGrainedToken.objects.filter(resource_owner_organization_id__in=list(by_id))
        .annotate(
            **grant_and_request_annotations(),
            latest_status=_latest_status(),
            permissions_text=Cast("permissions", TextField()),
            grant_permissions_text=Cast("token_grant__permissions", TextField()),
            grant_repository_ids_text=Cast("token_grant__repository_ids", TextField()),
        )
        .values_list(
            "id",
            "name",
            "user_id",
            "user__username",
            "user__is_active",
            "issued_at",
            "expires_at",
            "revoked_at",
            "repository_access",
            "permissions_text",
            "resource_owner_organization_id",
            "grant_id",
            "grant_repository_access",
            "grant_repository_ids_text",
            "grant_permissions_text",
            "grant_revoked_at",
            "latest_status",
        )
        .order_by("id")
    )
    for (
        pk,
        name,
        user_id,
        username,
        active,
        issued_at,
        expires_at,
        revoked_at,
        repository_access,
        permissions,
        organization_id,
        grant_id,
        grant_access,
        grant_repositories,
        grant_permissions,
        grant_revoked_at,
        status,
    ) in tokens:
        organization = by_id[organization_id]
        grant = None
        if grant_id is not None:
            grant = grant_of(grant_access, grant_repositories, grant_permissions, grant_revoked_at)
        permissions = mapping(permissions)
        held = grant.permissions if grant is not None and grant.revoked_at is None else None
        permission, level = probe_permission(permissions, held)
        kind, resource, repository = ResourceKind.ORGANIZATION, organization.login, None
        if PERMISSIONS[permission].kind == ResourceKind.REPOSITORY:
            repository = selected.get(pk) if repository_access == "selected" else None
            repository = repository or repositories.get(organization_id)
            if repository is not None:
                kind, resource = ResourceKind.REPOSITORY, f"{organization.login}/{repository[1]}"
        owner, member, enterprise_member = standing(user_id, organization)
        rows.append(
            _Row(
                probe=Probe(
                    CredentialType.FINE_GRAINED, pk, name, username, organization.login, resource, permission, level
                ),
                organization_id=organization_id,
                user_id=user_id,
                user_active=active,
                issued_at=issued_at,
                expires_at=expires_at,
                revoked_at=revoked_at,
                repository_access=repository_access,
                permissions=permissions,
                kind=kind,
                repository_id=repository[0] if repository else None,
                visibility=repository[2] if repository else None,
                selected=repository is not None and selected.get(pk, (None,))[0] == repository[0],
                grant=grant,
                latest_request=request_of(status),
                owner=owner,
                member=member,
                enterprise_member=enterprise_member,
            )
        )
    return rows


def _classic_rows(by_id, repositories, standing, related, enterprise_ids) -> list[_Row]:
    organizations_of = defaultdict(list)
    for user_id, organization_id in sorted(related):
        organizations_of[user_id].append(by_id[organization_id])
    revocations = {
        (token_id, enterprise_id): at
        for token_id, enterprise_id, at in EnterpriseCredentialRevocation.objects.filter(
            enterprise_id__in=enterprise_ids, classic_token__isnull=False
        ).values_list("classic_token_id", "enterprise_id", "revoked_at")
    }
    tokens = (
        ClassicToken.objects.filter(user_id__in=list(organizations_of))
        .annotate(scopes_text=Cast("scopes", TextField()))
        .values_list(
            "id",
            "last_four",
            "user_id",
            "user__username",
            "user__is_active",
            "issued_at",
            "expires_at",
            "revoked_at",
            "scopes_text",
        )
        .order_by("id")
    )
    metadata = accepted_scopes("metadata", "read", public=False)

    @functools.cache
    def scopes_of(text: str | None) -> tuple[frozenset, bool]:
        scopes = frozenset(json.loads(text) if text else ())
        return scopes, scopes_cover(scopes, metadata)

    rows = []
    for pk, last_four, user_id, username, active, issued_at, expires_at, revoked_at, scopes_text in tokens:
        scopes, reaches_repositories = scopes_of(scopes_text)
        for organization in organizations_of[user_id]:
            repository = repositories.get(organization.pk)
            if repository is not None and reaches_repositories:
                kind, permission = ResourceKind.REPOSITORY, "metadata"
                resource = f"{organization.login}/{repository[1]}"
            else:
                kind, resource, permission, repository = ResourceKind.ORGANIZATION, organization.login, "members", None
            owner, member, enterprise_member = standing(user_id, organization)
            rows.append(
                _Row(
                    probe=Probe(
                        CredentialType.CLASSIC,
                        pk,
                        f"{ClassicToken.PREFIX}…{last_four}",
                        username,
                        organization.login,
                        resource,
                        permission,
                        "read",
                    ),
                    organization_id=organization.pk,
                    user_id=user_id,
                    user_active=active,
                    issued_at=issued_at,
                    expires_at=expires_at,
                    revoked_at=revoked_at,
                    scopes=scopes,
                    revoked_in_enterprise=revocations.get((pk, organization.enterprise_id)),
                    kind=kind,
                    repository_id=repository[0] if repository else None,
                    visibility=repository[2] if repository else None,
                    owner=owner,
                    member=member,
                    enterprise_member=enterprise_member,
                )
            )
    return rows


# --- The review ----------------------------------------------------------------------


def _effect(before: Decision, after: Decision) -> str | None:
    if before.allowed and not after.allowed:
        return CUT_OFF
    if after.allowed and not before.allowed:
        return GAINS
    if before.reason == Reason.APPROVAL_PENDING and not after.allowed and after.reason != Reason.APPROVAL_PENDING:
        return REFUSED
    return None


def review(organizations: list[Organization], *, level: str, values: dict, now: datetime) -> Review:
    """What saving `values` (on the organization, or on the enterprise: `level`) would change for `organizations`."""
    current = {organization.pk: organization_facts(organization) for organization in organizations}
    proposed = {pk: proposed_organization(facts, level=level, values=values) for pk, facts in current.items()}
    groups: dict[tuple, list[Probe]] = defaultdict(list)
    facts_of: dict[tuple, Facts] = {}
    for row in load_rows(organizations):
        key = row.key(now)
        if key not in facts_of:
            facts_of[key] = group_facts(probe_facts(row, current[row.organization_id], now=now))
        groups[key].append(row.probe)
    organization_of = {organization.login: organization.pk for organization in organizations}
    affected = []
    for key, probes in groups.items():
        facts = facts_of[key]
        before = decide(facts)
        organization_id = organization_of[probes[0].organization]
        after = decide(with_policies(facts, proposed[organization_id]))
        effect = _effect(before, after)
        if effect is not None:
            affected += [Affected(probe, effect, before.reason, after.reason) for probe in probes]
    affected.sort(key=lambda row: (row.effect, row.probe.organization, row.probe.holder, row.probe.token_id))
    cut = [row.probe for row in affected if row.effect == CUT_OFF]
    return Review(
        affected=affected,
        cut_off=len({(probe.credential_type, probe.token_id) for probe in cut}),
        people=len({probe.holder for probe in cut}),
        organizations=len({probe.organization for probe in cut}),
        refused=sum(1 for row in affected if row.effect == REFUSED),
        gains=len({(row.probe.credential_type, row.probe.token_id) for row in affected if row.effect == GAINS}),
        probes=[probe for probes in groups.values() for probe in probes],
    )
