"""Every enterprise policy choice against both values of every organization policy (behaviour §3),
through the real database: the policy services, the token services and tokens.engine.access.check.

The expected outcome is worked out here from §3's rule, independently of tokens.engine.policy:
an enterprise choice other than org_configurable holds; otherwise the organization's own.
"""

import itertools

import pytest

from organizations.models import Organization
from tests.factories import classic_token, fine_grained_token
from tests.tokens.engine.helpers import check_token, set_enterprise_policy, set_organization_policy

ENTERPRISE_CHOICES = list(
    itertools.product(
        ("org_configurable", "restrict", "allow"),
        ("org_configurable", "require", "disabled"),
        ("org_configurable", "restrict", "allow"),
    )
)
ORGANIZATION_CHOICES = list(
    itertools.product(("allow", "restrict"), ("require", "not_required"), ("allow", "restrict"))
)
APPROVAL_IN_ORGANIZATION_TERMS = {"require": "require", "disabled": "not_required"}


def effective(enterprise_choice, organization_value, translate=None):
    """(value, policy_source) by behaviour §3."""
    if enterprise_choice == "org_configurable":
        return organization_value, "organization"
    return (translate or {}).get(enterprise_choice, enterprise_choice), "enterprise"


def ids(choices):
    return ["-".join(choice) for choice in choices]


@pytest.fixture
def member_and_owner_tokens_for(cast):
    """Issue, after the policies are set, what every case checks: alice's (a member)
    fine-grained and classic tokens and olga's (an owner) fine-grained token."""

    def issue():
        fine = {"resource_owner": cast.acme, "repository_access": "all", "permissions": {"contents": "read"}}
        return (
            fine_grained_token(cast.alice, **fine).plaintext,
            classic_token(cast.alice, scopes=["repo"]).plaintext,
            fine_grained_token(cast.olga, **fine).plaintext,
        )

    return issue


@pytest.mark.parametrize("organization_policy", ORGANIZATION_CHOICES, ids=ids(ORGANIZATION_CHOICES))
@pytest.mark.parametrize("enterprise_policy", ENTERPRISE_CHOICES, ids=ids(ENTERPRISE_CHOICES))
def test_effective_policy_decides_access(cast, member_and_owner_tokens_for, enterprise_policy, organization_policy):
    fine_grained_access, fine_grained_approval, classic_access = enterprise_policy
    org_fine_grained_access, org_fine_grained_approval, org_classic_access = organization_policy
    set_organization_policy(
        cast.acme,
        fine_grained_access=org_fine_grained_access,
        fine_grained_approval=org_fine_grained_approval,
        classic_access=org_classic_access,
    )
    set_enterprise_policy(
        cast.bigcorp,
        fine_grained_access=fine_grained_access,
        fine_grained_approval=fine_grained_approval,
        classic_access=classic_access,
    )
    member_fine, member_classic, owner_fine = member_and_owner_tokens_for()

    access, access_source = effective(fine_grained_access, org_fine_grained_access)
    approval, approval_source = effective(
        fine_grained_approval, org_fine_grained_approval, APPROVAL_IN_ORGANIZATION_TERMS
    )
    classic, classic_source = effective(classic_access, org_classic_access)
    if access == "restrict":
        expected_member = expected_owner = ("fine_grained_restricted", access_source)
    else:
        expected_owner = ("allowed", None)  # owners are auto-approved
        expected_member = ("approval_pending", approval_source) if approval == "require" else ("allowed", None)
    expected_classic = ("classic_restricted", classic_source) if classic == "restrict" else ("allowed", None)

    outcomes = {
        who: (decision.reason, decision.policy_source)
        for who, decision in {
            "member's fine-grained": check_token(member_fine, "acme/web", "contents:read"),
            "member's classic": check_token(member_classic, "acme/web", "contents:read"),
            "owner's fine-grained": check_token(owner_fine, "acme/web", "contents:read"),
        }.items()
    }
    assert outcomes == {
        "member's fine-grained": expected_member,
        "member's classic": expected_classic,
        "owner's fine-grained": expected_owner,
    }


@pytest.mark.parametrize(
    ("policy", "organization_value", "enterprise_value", "token_kind", "blocked_reason"),
    [
        ("fine_grained_access", "restrict", "allow", "fine_grained", "fine_grained_restricted"),
        ("fine_grained_access", "allow", "restrict", "fine_grained", "fine_grained_restricted"),
        ("fine_grained_approval", "require", "disabled", "fine_grained", "approval_pending"),
        ("fine_grained_approval", "not_required", "require", "fine_grained", "approval_pending"),
        ("classic_access", "restrict", "allow", "classic", "classic_restricted"),
        ("classic_access", "allow", "restrict", "classic", "classic_restricted"),
    ],
)
def test_enterprise_back_to_org_configurable_restores_the_organization_value(
    cast, policy, organization_value, enterprise_value, token_kind, blocked_reason
):
    # Only the policy under test blocks: approval is otherwise not required.
    set_organization_policy(cast.acme, **{"fine_grained_approval": "not_required", policy: organization_value})
    set_enterprise_policy(cast.bigcorp, **{policy: enterprise_value})

    def outcome():
        # A new token each time: approval is settled when a token is made or edited (§3).
        if token_kind == "classic":
            plaintext = classic_token(cast.alice, scopes=["repo"]).plaintext
        else:
            plaintext = fine_grained_token(
                cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}
            ).plaintext
        return check_token(plaintext, "acme/web", "contents:read").reason

    organization_blocks = organization_value in ("restrict", "require")
    while_enforced = outcome()
    set_enterprise_policy(cast.bigcorp, **{policy: "org_configurable"})
    after = outcome()

    assert while_enforced == ("allowed" if organization_blocks else blocked_reason)
    assert after == (blocked_reason if organization_blocks else "allowed")
    assert getattr(Organization.objects.get(pk=cast.acme.pk), policy) == organization_value


def test_enterprise_enforcement_leaves_the_organization_row_untouched(cast):
    set_organization_policy(cast.acme, fine_grained_access="restrict", fine_grained_approval="not_required")
    revision = Organization.objects.get(pk=cast.acme.pk).policy_revision

    set_enterprise_policy(cast.bigcorp, fine_grained_access="allow", fine_grained_approval="require")

    acme = Organization.objects.get(pk=cast.acme.pk)
    assert (acme.fine_grained_access, acme.fine_grained_approval, acme.policy_revision) == (
        "restrict",
        "not_required",
        revision,
    )


def test_enterprise_policy_does_not_reach_another_enterprise(cast):
    set_enterprise_policy(cast.bigcorp, fine_grained_access="restrict", classic_access="restrict")
    fine = fine_grained_token(
        cast.mallory, resource_owner=cast.globex, repository_access="all", permissions={"contents": "read"}
    )
    classic = classic_token(cast.mallory, scopes=["repo"])

    assert check_token(fine.plaintext, "globex/plans", "contents:read").reason == "approval_pending"
    assert check_token(classic.plaintext, "globex/plans", "contents:read").reason == "allowed"
