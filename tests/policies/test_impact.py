"""The review before Save (policies.impact) against the engine: grouped counts equal per-token decisions,
and equal what flips when the same checks are made before and after the Save (behaviour §5.1, §5.2)."""

from collections import Counter

import pytest
from django.utils import timezone

from organizations.models import Organization
from policies.impact import (
    CUT_OFF,
    GAINS,
    REFUSED,
    Review,
    _effect,
    group_facts,
    load_rows,
    probe_facts,
    proposed_organization,
    review,
    with_policies,
)
from policies.services import enterprise_policy_update, organization_policy_update
from tests.factories import (
    ClassicTokenFactory,
    EnterpriseFactory,
    FineGrainedTokenFactory,
    GrantFactory,
    OrganizationFactory,
    RepositoryFactory,
    UserFactory,
)
from tokens.engine import access
from tokens.engine.decision import decide
from tokens.engine.facts import (
    CheckInput,
    facts_for,
    load_check,
    organization_facts,
    parse_resource,
    resource_kind,
)
from tokens.models import EnterpriseCredentialRevocation

ORGANIZATION_CHANGES = [
    {"fine_grained_access": "restrict"},
    {"classic_access": "restrict"},
    {"fine_grained_approval": "not_required"},
    {"fine_grained_max_lifetime_days": 10},
    {"classic_max_lifetime_days": 5, "fine_grained_max_lifetime_days": 60},
    {"fine_grained_access": "restrict", "classic_access": "restrict", "fine_grained_approval": "not_required"},
]
ENTERPRISE_CHANGES = [
    {"fine_grained_access": "restrict"},
    {"fine_grained_access": "allow"},
    {"classic_access": "restrict"},
    {"fine_grained_approval": "disabled"},
    {"fine_grained_approval": "require"},
    {"fine_grained_max_lifetime_days": 10, "max_lifetime_exempts_owners": True},
    {"classic_max_lifetime_days": 5},
]


@pytest.fixture
def world(db):
    """Two organizations of one enterprise, each credential shape the gates tell apart; {(type, id): plaintext}."""
    owner, other_owner = UserFactory(), UserFactory()
    members = [UserFactory() for _ in range(6)]
    enterprise = EnterpriseFactory(owners=[owner])
    acme = OrganizationFactory(enterprise=enterprise, owners=[owner], members=members)
    beta = OrganizationFactory(enterprise=enterprise, owners=[other_owner], members=members[:3])
    # acme keeps the defaults (approval required); beta needs none and restricts classic tokens.
    organization_policy_update(organization=beta, fine_grained_approval="not_required", classic_access="restrict")
    for organization, names in ((acme, ("web", "api", "site")), (beta, ("core",))):
        for name in names:
            RepositoryFactory(owner_organization=organization, name=name)
    RepositoryFactory(owner_organization=acme, name="docs", visibility="public")
    RepositoryFactory(owner_organization=beta, name="inside", visibility="internal")
    web, api = acme.repositories.get(name="web"), acme.repositories.get(name="api")
    write = {"contents": "write", "metadata": "read"}
    tokens = []
    add = tokens.append
    alice, bob, carol, dan, erin, fay = members
    for organization, its_owner in ((acme, owner), (beta, other_owner)):
        add(
            FineGrainedTokenFactory(user=alice, resource_owner=organization, permissions=write, repository_access="all")
        )
        add(FineGrainedTokenFactory(user=its_owner, resource_owner=organization, permissions={"members": "read"}))
    for user, permissions, reach, selection, revoked in (
        (bob, write, "all", [], False),
        (bob, {"issues": "read"}, "public", [], True),
        (carol, write, "selected", [api], False),
    ):
        token = FineGrainedTokenFactory(
            user=user, resource_owner=acme, permissions=permissions, repository_access=reach, repositories=selection
        )
        GrantFactory(token=token, revoked=revoked)
        add(token)
    add(FineGrainedTokenFactory(user=carol, resource_owner=acme, repository_access="selected", repositories=[web]))
    add(FineGrainedTokenFactory(user=dan, resource_owner=acme, permissions=write, denied=True))
    add(FineGrainedTokenFactory(user=dan, resource_owner=acme, permissions={"members": "read"}, expires_in_days=90))
    add(FineGrainedTokenFactory(user=erin, resource_owner=acme, permissions=write, expires_in_days=None))
    add(FineGrainedTokenFactory(user=carol, resource_owner=beta, permissions=write, expired=True))
    add(FineGrainedTokenFactory(user=fay, resource_owner=acme, permissions=write, revoked=True))
    add(FineGrainedTokenFactory(user=fay, permissions=write))  # the user's own: never under review
    for user, scopes, days in (
        (alice, ["repo"], 30),
        (bob, ["read:org"], 7),
        (carol, [], None),
        (owner, ["repo", "admin:org"], 90),
        (dan, ["repo"], 3),
        (fay, ["repo"], 30),
    ):
        add(ClassicTokenFactory(user=user, scopes=scopes, expires_in_days=days))
    EnterpriseCredentialRevocation.objects.create(enterprise=enterprise, classic_token=tokens[-3])
    fay.is_active = False
    fay.save(update_fields=["is_active"])
    return {(token.TOKEN_TYPE, token.pk): token.plaintext for token in tokens}


def _check(plaintext, probe, *, now=None):
    name = parse_resource(probe.resource)
    return access.check(CheckInput(name, probe.permission, probe.level, token=plaintext), now=now).decision


def _under_review(level):
    organizations = list(Organization.objects.select_related("enterprise").order_by("pk"))
    return organizations[:1] if level == "organization" else organizations


def _effects(rows) -> Counter:
    return Counter((row.probe.credential_type, row.probe.token_id, row.probe.organization, row.effect) for row in rows)


@pytest.mark.parametrize(
    "level,values",
    [("organization", values) for values in ORGANIZATION_CHANGES]
    + [("enterprise", values) for values in ENTERPRISE_CHANGES],
)
def test_grouped_review_decides_every_probe_as_its_own_loaded_facts_would(world, level, values):
    organizations = _under_review(level)
    now = timezone.now()
    result = review(organizations, level=level, values=values, now=now)
    expected = Counter()
    for row in result.probes:
        name = parse_resource(row.resource)
        plaintext = world[(row.credential_type, row.token_id)]
        loaded, resource = load_check(row.credential_type, plaintext, name, resource_kind(name, row.permission))
        facts = facts_for(CheckInput(name, row.permission, row.level, token=plaintext), loaded, resource, now=now)
        after = with_policies(facts, proposed_organization(facts.resource.organization, level=level, values=values))
        effect = _effect(decide(facts), decide(after))
        if effect is not None:
            expected[(row.credential_type, row.token_id, row.organization, effect)] += 1
    assert _effects(result.affected) == expected
    assert len(result.probes) > 15


@pytest.mark.parametrize(
    "level,values",
    [("organization", values) for values in ORGANIZATION_CHANGES]
    + [("enterprise", values) for values in ENTERPRISE_CHANGES],
)
def test_review_counts_equal_the_checks_that_flip_when_the_change_is_saved(world, level, values):
    organizations = _under_review(level)
    result = review(organizations, level=level, values=values, now=timezone.now())
    probes = result.probes
    before = [_check(world[(probe.credential_type, probe.token_id)], probe) for probe in probes]
    if level == "organization":
        organization_policy_update(organization=organizations[0], **values)
    else:
        enterprise_policy_update(enterprise=organizations[0].enterprise, **values)
    after = [_check(world[(probe.credential_type, probe.token_id)], probe) for probe in probes]
    flipped = Counter(
        (probe.credential_type, probe.token_id, probe.organization, effect)
        for probe, old, new in zip(probes, before, after, strict=True)
        if (effect := _effect(old, new)) is not None
    )
    assert _effects(result.affected) == flipped
    cut = {(kind, pk) for kind, pk, _, effect in flipped if effect == CUT_OFF}
    assert result.cut_off == len(cut)
    assert result.gains == len({(kind, pk) for kind, pk, _, effect in flipped if effect == GAINS})
    assert result.refused == sum(count for key, count in flipped.items() if key[3] == REFUSED)


def test_restricting_fine_grained_tokens_cuts_off_the_granted_ones_and_refuses_pending_requests(world):
    acme = _under_review("organization")[0]
    result = review([acme], level="organization", values={"fine_grained_access": "restrict"}, now=timezone.now())
    assert result.cut_off > 0 and result.refused > 0
    assert result.sentence.startswith(f"This change would cut off {result.cut_off:,} token")


def test_a_change_that_flips_nothing_says_so(world):
    acme = _under_review("organization")[0]
    result = review([acme], level="organization", values={"fine_grained_max_lifetime_days": 366}, now=timezone.now())
    assert result.affected == []
    assert result.sentence == "This change would not change any token's access."


def test_lifetime_grouping_keeps_a_token_living_a_moment_past_the_maximum_refused(world):
    acme = _under_review("organization")[0]
    now = timezone.now()
    result = review([acme], level="organization", values={"fine_grained_max_lifetime_days": 30}, now=now)
    assert result.cut_off == 0  # the 30-day tokens live exactly 30 days
    assert review([acme], level="organization", values={"fine_grained_max_lifetime_days": 29}, now=now).cut_off > 0


def test_probes_of_one_grouping_key_have_the_same_group_facts(world):
    now = timezone.now()
    organizations = _under_review("enterprise")
    current = {organization.pk: organization_facts(organization) for organization in organizations}
    facts_of = {}
    for row in load_rows(organizations):
        facts = group_facts(probe_facts(row, current[row.organization_id], now=now))
        assert facts_of.setdefault(row.key(now), facts) == facts


def test_the_sentence_says_each_count_as_the_issue_does():
    review = Review(affected=[], cut_off=1204, people=311, organizations=42, refused=17, gains=36, probes=[])
    assert review.sentence == (
        "This change would cut off 1,204 tokens of 311 people in 42 organizations;"
        " 17 pending requests would be refused; 36 tokens would gain access."
    )


def test_the_sentence_says_when_no_token_is_cut_off():
    review = Review(affected=[], cut_off=0, people=0, organizations=0, refused=1, gains=0, probes=[])
    assert review.sentence == "This change would cut off no tokens; 1 pending request would be refused."
