"""Properties of the pure decision (behaviour §3, §4) over generated facts.

The strategies build worlds the loaders could produce: an organization (alone
or in an enterprise) with any policies and opt-ins, a repository, organization,
account or enterprise resource, any credential type and state, the user's
memberships, the token's grant and latest request, and a permission from the
catalogue. The properties then compare decisions before and after a change.
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tokens.choices import CredentialType
from tokens.engine.catalogue import LEVELS, PERMISSIONS, SCOPES, ResourceKind
from tokens.engine.decision import (
    GATES,
    CredentialFacts,
    EnterpriseFacts,
    Facts,
    GrantFacts,
    OrganizationFacts,
    Reason,
    RelationFacts,
    RequestFacts,
    ResourceFacts,
    decide,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ALICE_ID, BOB_ID = 10, 11
ORG_ID, OTHER_ORG_ID = 1, 2
REPOSITORY_ID, OTHER_REPOSITORY_ID = 100, 101

PROPERTIES = settings(max_examples=200, deadline=None)

# Which gate may give which reason (behaviour §4's table).
GATE_REASONS = {
    1: {Reason.CREDENTIAL_INVALID},
    2: {Reason.CREDENTIAL_INVALID},
    3: {Reason.TOKEN_REVOKED, Reason.TOKEN_EXPIRED, Reason.USER_INACTIVE},
    4: {Reason.RESOURCE_NOT_FOUND, Reason.PERMISSION_UNKNOWN},
    5: {Reason.PUBLIC_READ},
    6: {Reason.USER_LACKS_ACCESS},
    7: {Reason.ALLOWED},
    8: {Reason.FINE_GRAINED_NOT_ENABLED},
    9: {Reason.FINE_GRAINED_RESTRICTED},
    10: {Reason.CLASSIC_RESTRICTED},
    11: {Reason.RESOURCE_OWNER_MISMATCH},
    12: {Reason.REPOSITORY_NOT_SELECTED},
    13: {Reason.PERMISSION_NOT_GRANTED},
    14: {Reason.SCOPE_MISSING},
    15: {Reason.ACCESS_REVOKED, Reason.APPROVAL_REQUIRED, Reason.APPROVAL_PENDING, Reason.APPROVAL_DENIED},
    16: {Reason.TOKEN_LIFETIME_EXCEEDS_POLICY},
}

TOKEN_PERMISSIONS = [p for p in PERMISSIONS.values() if p.kind != ResourceKind.ENTERPRISE]
PUBLIC_READ_PERMISSIONS = sorted(p.name for p in PERMISSIONS.values() if p.public_read and "read" in p.levels)

lifetimes = st.one_of(st.none(), st.integers(min_value=1, max_value=366))
# True about one time in six: for states that end the walk early (revoked,
# suspended, unknown), so most examples reach the later gates.
rarely = st.sampled_from([False, False, False, False, False, True])


# --- Strategies -------------------------------------------------------------------


@st.composite
def enterprises(draw):
    return EnterpriseFacts(
        slug="bigcorp",
        name="Big Corp",
        fine_grained_opted_in=draw(st.booleans()),
        fine_grained_access=draw(st.sampled_from(["org_configurable", "restrict", "allow"])),
        fine_grained_approval=draw(st.sampled_from(["org_configurable", "require", "disabled"])),
        classic_access=draw(st.sampled_from(["org_configurable", "restrict", "allow"])),
        fine_grained_max_lifetime_days=draw(lifetimes),
        classic_max_lifetime_days=draw(lifetimes),
        max_lifetime_exempts_owners=draw(st.booleans()),
    )


@st.composite
def organizations(draw, enterprise):
    return OrganizationFacts(
        id=ORG_ID,
        login="acme",
        base_permission=draw(st.sampled_from(["none", "read", "write", "admin"])),
        fine_grained_opted_in=draw(st.booleans()),
        fine_grained_access=draw(st.sampled_from(["allow", "restrict"])),
        fine_grained_approval=draw(st.sampled_from(["require", "not_required"])),
        classic_access=draw(st.sampled_from(["allow", "restrict"])),
        enterprise=enterprise,
        fine_grained_max_lifetime_days=draw(lifetimes),
        classic_max_lifetime_days=draw(lifetimes),
    )


@st.composite
def permission_maps(draw, wanted=None):
    """Any map from the catalogue; usually one that holds the wanted permission at its highest level."""
    chosen = draw(st.lists(st.sampled_from(TOKEN_PERMISSIONS), unique_by=lambda p: p.name, max_size=4))
    levels = {permission.name: draw(st.sampled_from(permission.levels)) for permission in chosen}
    if wanted is not None and PERMISSIONS[wanted].kind != ResourceKind.ENTERPRISE and not draw(rarely):
        levels[wanted] = PERMISSIONS[wanted].levels[-1]
    return levels


@st.composite
def resources(draw, organization, enterprise):
    """A resource of any kind; (resource, is_organization_owned)."""
    kind = draw(st.sampled_from([*ResourceKind, ResourceKind.REPOSITORY, ResourceKind.REPOSITORY]))
    if kind == ResourceKind.REPOSITORY:
        owner = draw(st.sampled_from(["organization", "organization", "alice", "bob"]))
        if owner == "organization":
            visibilities = ["public", "private", "internal"] if enterprise is not None else ["public", "private"]
            return ResourceFacts(
                kind=kind,
                name="acme/web",
                organization=organization,
                repository_id=REPOSITORY_ID,
                visibility=draw(st.sampled_from(visibilities)),
                enterprise=enterprise,
            )
        user_id = ALICE_ID if owner == "alice" else BOB_ID
        return ResourceFacts(
            kind=kind,
            name=f"{owner}/dotfiles",
            owner_user_id=user_id,
            repository_id=REPOSITORY_ID,
            visibility=draw(st.sampled_from(["public", "private"])),
        )
    if kind == ResourceKind.ORGANIZATION:
        return ResourceFacts(kind=kind, name="acme", organization=organization, enterprise=enterprise)
    if kind == ResourceKind.ACCOUNT:
        user_id = draw(st.sampled_from([ALICE_ID, BOB_ID]))
        return ResourceFacts(kind=kind, name="alice" if user_id == ALICE_ID else "bob", owner_user_id=user_id)
    return ResourceFacts(kind=kind, name="enterprise:bigcorp", enterprise=enterprise or draw(enterprises()))


@st.composite
def credentials(draw, *, usable=False, wanted=None, resource_owner=ORG_ID):
    kind = draw(st.sampled_from([CredentialType.FINE_GRAINED, CredentialType.CLASSIC, CredentialType.SSH_KEY]))
    issued_at = NOW - timedelta(days=draw(st.integers(min_value=0, max_value=400)))
    if usable:
        expires_at = draw(st.one_of(st.none(), st.integers(1, 400).map(lambda d: NOW + timedelta(days=d))))
        revoked_at, user_active = None, True
    else:
        expires_at = draw(st.one_of(st.none(), st.integers(-10, 400).map(lambda d: NOW + timedelta(days=d))))
        revoked_at = NOW - timedelta(hours=1) if draw(rarely) else None
        user_active = not draw(rarely)
    common = {"id": 1, "user_id": ALICE_ID, "username": "alice", "user_active": user_active}
    if kind == CredentialType.SSH_KEY:
        return CredentialFacts(type=CredentialType.SSH_KEY, issued_at=issued_at, **common)
    common.update(issued_at=issued_at, expires_at=expires_at, revoked_at=revoked_at)
    if kind == CredentialType.CLASSIC:
        return CredentialFacts(
            type=CredentialType.CLASSIC, scopes=frozenset(draw(st.sets(st.sampled_from(SCOPES), max_size=5))), **common
        )
    # Mostly the resource's own owner, so that examples reach the later gates.
    owner = draw(st.sampled_from([ORG_ID, OTHER_ORG_ID, None])) if draw(rarely) else resource_owner
    return CredentialFacts(
        type=CredentialType.FINE_GRAINED,
        resource_owner_organization_id=owner,
        resource_owner_login={ORG_ID: "acme", OTHER_ORG_ID: "umbrella", None: "alice"}[owner],
        repository_access=draw(st.sampled_from(["public", "all", "all", "selected", "selected"])),
        permissions=draw(permission_maps(wanted)),
        **common,
    )


@st.composite
def grants(draw, wanted=None):
    return GrantFacts(
        id=7,
        repository_access=draw(st.sampled_from(["public", "all", "all", "selected"])),
        repository_ids=frozenset(draw(st.sets(st.sampled_from([REPOSITORY_ID, OTHER_REPOSITORY_ID])))),
        permissions=draw(permission_maps(wanted)),
        revoked_at=NOW - timedelta(days=1) if draw(rarely) else None,
    )


@st.composite
def relations(draw, organization, wanted=None):
    owner = draw(rarely)
    member = owner or not draw(rarely)
    in_enterprise = organization.enterprise is not None
    return RelationFacts(
        is_organization_owner=owner,
        is_organization_member=member,
        # Membership of acme makes alice a member of its enterprise; she may
        # also be a member of another of its organizations.
        is_enterprise_member=in_enterprise and (member or draw(st.booleans())),
        is_enterprise_owner=draw(st.booleans()),
        repository_selected=not draw(rarely),
        grant=draw(st.one_of(st.none(), grants(wanted))),
        latest_request=draw(
            st.one_of(
                st.none(),
                st.builds(
                    RequestFacts,
                    id=st.just(12),
                    status=st.sampled_from(["pending", "approved", "denied", "cancelled"]),
                    reason=st.sampled_from(["", "not now"]),
                ),
            )
        ),
    )


@st.composite
def permission_for(draw, kind):
    """Mostly a permission of the resource's kind; sometimes any (gate 4)."""
    matching = [p for p in PERMISSIONS.values() if p.kind == kind]
    if draw(rarely):
        return draw(st.sampled_from(sorted(PERMISSIONS))), draw(st.sampled_from(LEVELS))
    permission = draw(st.sampled_from(matching))
    return permission.name, draw(st.sampled_from(permission.levels))


@st.composite
def all_facts(draw, *, usable=False):
    enterprise = draw(st.one_of(st.none(), enterprises()))
    organization = draw(organizations(enterprise))
    resource = draw(resources(organization, enterprise))
    if not usable and draw(rarely) and draw(st.booleans()):
        resource = replace(resource, exists=False)
    name, level = draw(permission_for(resource.kind))
    if not usable and draw(rarely) and draw(st.booleans()):
        unresolved = ResourceFacts(kind=resource.kind, name=resource.name, exists=False)
        return Facts(None, unresolved, name, level, NOW, credential_malformed=draw(st.booleans()))
    resource_owner = None if resource.organization is None and resource.owner_user_id == ALICE_ID else ORG_ID
    credential = draw(credentials(usable=usable, wanted=name, resource_owner=resource_owner))
    return Facts(credential, resource, name, level, NOW, draw(relations(organization, name)))


@st.composite
def near_allowed_facts(draw):
    """A usable token of acme's member on acme's repository that every gate but the
    policies may let through: matching resource owner, repositories, permissions
    and a covering grant. Here allows are common, so a restriction that wrongly
    lets a token in — or a gate that reads a policy backwards — shows up."""
    enterprise = draw(st.one_of(st.none(), enterprises()))
    organization = replace(draw(organizations(enterprise)), base_permission="admin")
    resource = ResourceFacts(
        kind=ResourceKind.REPOSITORY,
        name="acme/web",
        organization=organization,
        repository_id=REPOSITORY_ID,
        visibility=draw(st.sampled_from(["private", "internal"] if enterprise else ["private"])),
        enterprise=enterprise,
    )
    permission = draw(st.sampled_from([p for p in TOKEN_PERMISSIONS if p.kind == ResourceKind.REPOSITORY]))
    level = draw(st.sampled_from(permission.levels))
    top = {permission.name: permission.levels[-1]}
    classic = draw(rarely)
    common = {"id": 1, "user_id": ALICE_ID, "username": "alice", "user_active": True, "issued_at": NOW}
    if classic:
        credential = CredentialFacts(type=CredentialType.CLASSIC, scopes=frozenset({"repo", "workflow"}), **common)
    else:
        credential = CredentialFacts(
            type=CredentialType.FINE_GRAINED,
            resource_owner_organization_id=ORG_ID,
            resource_owner_login="acme",
            repository_access="all",
            permissions=top,
            **common,
        )
    grant = GrantFacts(id=7, repository_access="all", repository_ids=frozenset(), permissions=top)
    relation = RelationFacts(
        is_organization_owner=draw(st.booleans()),
        is_organization_member=True,
        is_enterprise_member=enterprise is not None,
        grant=grant if not draw(rarely) else None,
    )
    return Facts(credential, resource, permission.name, level, NOW, relation)


any_facts = st.one_of(all_facts(), near_allowed_facts())


# --- Changes ------------------------------------------------------------------------


def _with_organization(facts: Facts, **changes) -> Facts:
    organization = facts.resource.organization
    if organization is None:
        return facts
    return replace(facts, resource=replace(facts.resource, organization=replace(organization, **changes)))


def _with_enterprise(facts: Facts, **changes) -> Facts:
    """Change the enterprise wherever the facts carry it (resource and its organization)."""
    resource = facts.resource
    if resource.enterprise is None:
        return facts
    enterprise = replace(resource.enterprise, **changes)
    organization = resource.organization
    if organization is not None and organization.enterprise is not None:
        organization = replace(organization, enterprise=enterprise)
    return replace(facts, resource=replace(resource, enterprise=enterprise, organization=organization))


RESTRICTIONS = {
    "org fine-grained access restrict": lambda f: _with_organization(f, fine_grained_access="restrict"),
    "org classic access restrict": lambda f: _with_organization(f, classic_access="restrict"),
    "org approval require": lambda f: _with_organization(f, fine_grained_approval="require"),
    "org opt-in off": lambda f: _with_organization(f, fine_grained_opted_in=False),
    "org lifetime 1 day": lambda f: _with_organization(
        f, fine_grained_max_lifetime_days=1, classic_max_lifetime_days=1
    ),
    "enterprise fine-grained access restrict": lambda f: _with_enterprise(f, fine_grained_access="restrict"),
    "enterprise classic access restrict": lambda f: _with_enterprise(f, classic_access="restrict"),
    "enterprise approval require": lambda f: _with_enterprise(f, fine_grained_approval="require"),
    "enterprise opt-in off": lambda f: _with_enterprise(f, fine_grained_opted_in=False),
    "enterprise lifetime 1 day": lambda f: _with_enterprise(
        f, fine_grained_max_lifetime_days=1, classic_max_lifetime_days=1
    ),
}


def _relation(facts: Facts, **changes) -> Facts:
    return replace(facts, relation=replace(facts.relation, **changes))


def _revoke_grant(facts: Facts) -> Facts:
    grant = facts.relation.grant
    if grant is None or grant.revoked_at is not None:
        return facts
    return _relation(facts, grant=replace(grant, revoked_at=NOW - timedelta(minutes=1)))


def _leave_enterprise(facts: Facts) -> Facts:
    # Leaving every organization of the enterprise leaves acme too.
    return _relation(facts, is_enterprise_member=False, is_organization_member=False, is_organization_owner=False)


LOSSES = {
    "grant revoked": _revoke_grant,
    "grant removed": lambda f: _relation(f, grant=None),
    "organization ownership removed": lambda f: _relation(f, is_organization_owner=False),
    "organization membership removed": lambda f: _relation(
        f, is_organization_member=False, is_organization_owner=False
    ),
    "enterprise membership removed": _leave_enterprise,
    "enterprise ownership removed": lambda f: _relation(f, is_enterprise_owner=False),
    "repository deselected": lambda f: _relation(f, repository_selected=False),
}


def _deny_stays_deny(facts, change, label):
    before, after = decide(facts), decide(change(facts))
    assert before.allowed or not after.allowed, f"{label} turned {before.reason} into {after.reason} for {facts!r}"


# --- Properties ---------------------------------------------------------------------


@PROPERTIES
@given(facts=any_facts, restriction=st.sampled_from(sorted(RESTRICTIONS)))
def test_restricting_a_policy_never_turns_a_deny_into_an_allow(facts, restriction):
    _deny_stays_deny(facts, RESTRICTIONS[restriction], restriction)


@PROPERTIES
@given(facts=any_facts, restrictions=st.lists(st.sampled_from(sorted(RESTRICTIONS)), min_size=2, unique=True))
def test_restricting_several_policies_never_turns_a_deny_into_an_allow(facts, restrictions):
    def restrict_all(f):
        for name in restrictions:
            f = RESTRICTIONS[name](f)
        return f

    _deny_stays_deny(facts, restrict_all, " and ".join(restrictions))


@PROPERTIES
@given(facts=any_facts, loss=st.sampled_from(sorted(LOSSES)))
def test_losing_a_grant_or_membership_never_turns_a_deny_into_an_allow(facts, loss):
    _deny_stays_deny(facts, LOSSES[loss], loss)


@PROPERTIES
@given(facts=all_facts(usable=True), data=st.data())
def test_every_usable_credential_reads_public_repositories(facts, data):
    resource = facts.resource
    if resource.kind != ResourceKind.REPOSITORY:
        resource = ResourceFacts(
            kind=ResourceKind.REPOSITORY, name="acme/web", owner_user_id=BOB_ID, repository_id=REPOSITORY_ID
        )
    public = replace(resource, visibility="public", exists=True)
    permission = data.draw(st.sampled_from(PUBLIC_READ_PERMISSIONS))

    decision = decide(replace(facts, resource=public, permission=permission, level="read"))

    assert decision.allowed, decision
    assert decision.reason == Reason.PUBLIC_READ


@PROPERTIES
@given(facts=all_facts())
def test_the_gate_trail_lists_every_gate_with_at_most_one_deciding(facts):
    decision = decide(facts)

    assert [(g.number, g.name) for g in decision.gates] == [(number, name) for number, name, _ in GATES]
    results = [g.result for g in decision.gates]
    deciding = [i for i, result in enumerate(results) if result in ("fail", "allow")]
    if not deciding:
        assert decision.allowed and decision.reason == Reason.ALLOWED
        assert set(results) <= {"pass", "skip"}
        return
    assert len(deciding) == 1
    (index,) = deciding
    gate = decision.gates[index]
    assert set(results[:index]) <= {"pass", "skip"}
    assert set(results[index + 1 :]) <= {"not_reached"}
    assert (gate.result == "allow") == decision.allowed
    assert decision.reason in GATE_REASONS[gate.number]


@PROPERTIES
@given(facts=all_facts())
def test_reasons_are_stable_codes_and_allow_only_as_allowed_or_public_read(facts):
    decision = decide(facts)

    assert decision.reason in set(Reason)
    assert decision.allowed == (decision.reason in (Reason.ALLOWED, Reason.PUBLIC_READ))
    assert decision.message
