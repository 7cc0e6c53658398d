"""The access decision as a table (behaviour §4): every gate, every reason code.

Pure: `Facts` are built by hand, no database. Each row names the behaviour, the
reason the decision must give and the gate that must give it ("first failure
is the reason").
"""

from datetime import timedelta

import pytest

from tokens.engine.decision import GATES, Reason, decide

from .facts_builders import (
    BOB_ID,
    DOCS,
    ENTERPRISE_MEMBER,
    ENTERPRISE_OWNER,
    HANDBOOK,
    MEMBER,
    MEMBER_WITH_GRANT,
    MISSING,
    NOW,
    OUTSIDER,
    OWNER,
    UMBRELLA,
    WEB,
    account,
    acme,
    classic,
    enterprise,
    enterprise_resource,
    facts,
    fine_grained,
    grant,
    malformed,
    member,
    organization_resource,
    own_fine_grained,
    owner,
    repository,
    request,
    ssh_key,
    umbrella,
    unknown,
    user_repository,
)

ENDED = None  # every gate passed or did not apply

NOTHING_ENABLED = acme(
    enterprise=enterprise(fine_grained_opted_in=False, fine_grained_access="restrict", classic_access="restrict"),
    fine_grained_opted_in=False,
    fine_grained_access="restrict",
    classic_access="restrict",
)
UMBRELLA_TOKEN = {"resource_owner_organization_id": UMBRELLA.id, "resource_owner_login": "umbrella"}


def row(behaviour, the_facts, reason, gate):
    return pytest.param(the_facts, reason, gate, id=behaviour)


TABLE = [
    # Gates 1–3: the credential itself.
    row("malformed credential", malformed(), Reason.CREDENTIAL_INVALID, 1),
    row("unknown credential", unknown(), Reason.CREDENTIAL_INVALID, 2),
    row("revoked token", facts(fine_grained(revoked_at=NOW - timedelta(hours=1))), Reason.TOKEN_REVOKED, 3),
    row("revoked classic token", facts(classic(revoked_at=NOW - timedelta(hours=1))), Reason.TOKEN_REVOKED, 3),
    row("expired token", facts(fine_grained(expires_at=NOW - timedelta(days=1))), Reason.TOKEN_EXPIRED, 3),
    row("token expiring this instant", facts(fine_grained(expires_at=NOW)), Reason.TOKEN_EXPIRED, 3),
    row("suspended user's token", facts(fine_grained(user_active=False)), Reason.USER_INACTIVE, 3),
    row("suspended user's ssh key", facts(ssh_key(user_active=False), relation=MEMBER), Reason.USER_INACTIVE, 3),
    # Gate 4: the resource and the permission.
    row("missing repository", facts(fine_grained(), MISSING), Reason.RESOURCE_NOT_FOUND, 4),
    row("organization permission on a repository", facts(classic(), WEB, "members:read"), Reason.PERMISSION_UNKNOWN, 4),
    row("level the permission does not have", facts(classic(), WEB, "metadata:write"), Reason.PERMISSION_UNKNOWN, 4),
    row(
        "repository permission on an organization",
        facts(classic(), organization_resource(), "contents:read"),
        Reason.PERMISSION_UNKNOWN,
        4,
    ),
    row(
        "account permission on an enterprise",
        facts(classic(), enterprise_resource(), "keys:read", ENTERPRISE_OWNER),
        Reason.PERMISSION_UNKNOWN,
        4,
    ),
    # Gate 5: public read, whatever the policies, approval state or resource owner.
    row(
        "outsider's token reads a public repository",
        facts(fine_grained(), DOCS, relation=OUTSIDER),
        Reason.PUBLIC_READ,
        5,
    ),
    row("classic token without scopes reads public", facts(classic(scopes=()), DOCS), Reason.PUBLIC_READ, 5),
    row("ssh key reads public", facts(ssh_key(), DOCS, relation=OUTSIDER), Reason.PUBLIC_READ, 5),
    row(
        "public read under every restriction",
        facts(fine_grained(), repository("acme/docs", visibility="public", organization=NOTHING_ENABLED)),
        Reason.PUBLIC_READ,
        5,
    ),
    row(
        "public read with approval pending",
        facts(fine_grained(), DOCS, relation=member(latest_request=request())),
        Reason.PUBLIC_READ,
        5,
    ),
    row(
        "public read with approval denied",
        facts(fine_grained(), DOCS, relation=member(latest_request=request("denied"))),
        Reason.PUBLIC_READ,
        5,
    ),
    row(
        "public read after the grant was revoked",
        facts(fine_grained(), DOCS, relation=member(grant=grant(revoked_at=NOW))),
        Reason.PUBLIC_READ,
        5,
    ),
    row("public read with another resource owner", facts(fine_grained(**UMBRELLA_TOKEN), DOCS), Reason.PUBLIC_READ, 5),
    row(
        "public read of another user's repository",
        facts(own_fine_grained(), user_repository("bob/site", owner_user_id=BOB_ID, visibility="public")),
        Reason.PUBLIC_READ,
        5,
    ),
    # Gate 6: the user's own ceiling.
    row("outsider on a private repository", facts(classic(), WEB, relation=OUTSIDER), Reason.USER_LACKS_ACCESS, 6),
    row(
        "member writes beyond base permission",
        facts(classic(), WEB, "contents:write", MEMBER),
        Reason.USER_LACKS_ACCESS,
        6,
    ),
    row(
        "member of an organization with base permission none",
        facts(classic(), repository(organization=acme(base_permission="none")), relation=MEMBER),
        Reason.USER_LACKS_ACCESS,
        6,
    ),
    row(
        "outsider writes a public repository",
        facts(classic(), DOCS, "contents:write", OUTSIDER),
        Reason.USER_LACKS_ACCESS,
        6,
    ),
    row(
        "non-public permission of a public repository",
        facts(classic(), DOCS, "administration:read", OUTSIDER),
        Reason.USER_LACKS_ACCESS,
        6,
    ),
    row(
        "enterprise outsider on an internal repository",
        facts(classic(), HANDBOOK, relation=OUTSIDER),
        Reason.USER_LACKS_ACCESS,
        6,
    ),
    row(
        "member writes organization settings",
        facts(classic(scopes=("admin:org",)), organization_resource(), "members:write", MEMBER),
        Reason.USER_LACKS_ACCESS,
        6,
    ),
    row(
        "secrets of another user's public repository",
        facts(
            classic(),
            user_repository("bob/site", owner_user_id=BOB_ID, visibility="public"),
            "secrets:read",
            OUTSIDER,
        ),
        Reason.USER_LACKS_ACCESS,
        6,
    ),
    row(
        "another user's private repository",
        facts(own_fine_grained(), user_repository("bob/notes", owner_user_id=BOB_ID), relation=OUTSIDER),
        Reason.USER_LACKS_ACCESS,
        6,
    ),
    row(
        "another user's account",
        facts(classic(scopes=("user",)), account("bob", BOB_ID), "emails:read", OUTSIDER),
        Reason.USER_LACKS_ACCESS,
        6,
    ),
    row(
        "enterprise administration by a non-owner",
        facts(classic(scopes=("admin:enterprise",)), enterprise_resource(), "enterprise_administration:read", OUTSIDER),
        Reason.USER_LACKS_ACCESS,
        6,
    ),
    row("outsider's ssh key", facts(ssh_key(), WEB, relation=OUTSIDER), Reason.USER_LACKS_ACCESS, 6),
    # Gate 7: SSH keys act with their user's access, under every token policy.
    row("member's ssh key", facts(ssh_key(), WEB, relation=MEMBER), Reason.ALLOWED, 7),
    row(
        "ssh key under every restriction",
        facts(ssh_key(), repository(organization=NOTHING_ENABLED), relation=MEMBER),
        Reason.ALLOWED,
        7,
    ),
    # Gate 8: opt-in.
    row(
        "neither organization nor enterprise opted in",
        facts(
            fine_grained(),
            repository(
                organization=acme(enterprise=enterprise(fine_grained_opted_in=False), fine_grained_opted_in=False)
            ),
        ),
        Reason.FINE_GRAINED_NOT_ENABLED,
        8,
    ),
    row(
        "standalone organization not opted in",
        facts(
            fine_grained(**UMBRELLA_TOKEN),
            repository("umbrella/app", organization=umbrella(fine_grained_opted_in=False)),
        ),
        Reason.FINE_GRAINED_NOT_ENABLED,
        8,
    ),
    row(
        "organization permission, not opted in",
        facts(
            fine_grained(),
            organization_resource(
                acme(enterprise=enterprise(fine_grained_opted_in=False), fine_grained_opted_in=False)
            ),
            "members:read",
        ),
        Reason.FINE_GRAINED_NOT_ENABLED,
        8,
    ),
    # Gate 9: fine-grained access policy.
    row(
        "organization restricts fine-grained tokens",
        facts(fine_grained(), repository(organization=acme(fine_grained_access="restrict"))),
        Reason.FINE_GRAINED_RESTRICTED,
        9,
    ),
    row(
        "enterprise restricts fine-grained tokens over the organization's allow",
        facts(fine_grained(), repository(organization=acme(enterprise=enterprise(fine_grained_access="restrict")))),
        Reason.FINE_GRAINED_RESTRICTED,
        9,
    ),
    row(
        "restriction holds for owners too",
        facts(fine_grained(), repository(organization=acme(fine_grained_access="restrict")), relation=OWNER),
        Reason.FINE_GRAINED_RESTRICTED,
        9,
    ),
    # Gate 10: classic access policy.
    row(
        "organization restricts classic tokens",
        facts(classic(), repository(organization=acme(classic_access="restrict"))),
        Reason.CLASSIC_RESTRICTED,
        10,
    ),
    row(
        "enterprise restricts classic tokens over the organization's allow",
        facts(classic(), repository(organization=acme(enterprise=enterprise(classic_access="restrict")))),
        Reason.CLASSIC_RESTRICTED,
        10,
    ),
    row(
        "enterprise restricts classic tokens on the enterprise itself",
        facts(
            classic(scopes=("admin:enterprise",)),
            enterprise_resource(enterprise(classic_access="restrict")),
            "enterprise_administration:read",
            ENTERPRISE_OWNER,
        ),
        Reason.CLASSIC_RESTRICTED,
        10,
    ),
    row(
        "standalone organization restricts classic tokens",
        facts(
            classic(),
            repository("umbrella/app", organization=umbrella(classic_access="restrict")),
        ),
        Reason.CLASSIC_RESTRICTED,
        10,
    ),
    row(
        "classic restriction on organization permissions",
        facts(classic(), organization_resource(acme(classic_access="restrict")), "members:read"),
        Reason.CLASSIC_RESTRICTED,
        10,
    ),
    # Gate 11: the resource owner.
    row("token for another organization", facts(fine_grained(**UMBRELLA_TOKEN)), Reason.RESOURCE_OWNER_MISMATCH, 11),
    row(
        "user-owned token on an organization repository", facts(own_fine_grained()), Reason.RESOURCE_OWNER_MISMATCH, 11
    ),
    row(
        "organization token on the user's own repository",
        facts(fine_grained(), user_repository(), relation=OUTSIDER),
        Reason.RESOURCE_OWNER_MISMATCH,
        11,
    ),
    row(
        "organization token on the user's own account",
        facts(fine_grained(), account(), "keys:read", OUTSIDER),
        Reason.RESOURCE_OWNER_MISMATCH,
        11,
    ),
    row(
        "fine-grained token on an enterprise",
        facts(fine_grained(), enterprise_resource(), "enterprise_administration:read", ENTERPRISE_OWNER),
        Reason.RESOURCE_OWNER_MISMATCH,
        11,
    ),
    # Gate 12: repository access.
    row(
        "repository not selected",
        facts(fine_grained(repository_access="selected"), relation=member(grant=grant(), repository_selected=False)),
        Reason.REPOSITORY_NOT_SELECTED,
        12,
    ),
    row(
        "public-only token on a private repository",
        facts(fine_grained(repository_access="public")),
        Reason.REPOSITORY_NOT_SELECTED,
        12,
    ),
    row(
        "public-only token writes a public repository",
        facts(fine_grained(repository_access="public"), DOCS, "contents:write", OWNER),
        Reason.REPOSITORY_NOT_SELECTED,
        12,
    ),
    # Gate 13: the token's permission map.
    row(
        "level above the token's",
        facts(fine_grained(permissions={"contents": "read"}), WEB, "contents:write", OWNER),
        Reason.PERMISSION_NOT_GRANTED,
        13,
    ),
    row(
        "permission not in the token",
        facts(fine_grained(), WEB, "pull_requests:read"),
        Reason.PERMISSION_NOT_GRANTED,
        13,
    ),
    row(
        "organization permission not in the token",
        facts(fine_grained(), organization_resource(), "organization_administration:read"),
        Reason.PERMISSION_NOT_GRANTED,
        13,
    ),
    # Gate 14: classic scopes.
    row("classic token without repo", facts(classic(scopes=("read:org",))), Reason.SCOPE_MISSING, 14),
    row("public_repo on a private repository", facts(classic(scopes=("public_repo",))), Reason.SCOPE_MISSING, 14),
    row(
        "read:org does not cover members:write",
        facts(classic(scopes=("read:org",)), organization_resource(), "members:write", OWNER),
        Reason.SCOPE_MISSING,
        14,
    ),
    row(
        "read:public_key does not cover keys:write",
        facts(classic(scopes=("read:public_key",)), account(), "keys:write", OUTSIDER),
        Reason.SCOPE_MISSING,
        14,
    ),
    # Gate 15: approval.
    row(
        "owner revoked the grant",
        facts(fine_grained(), relation=member(grant=grant(revoked_at=NOW))),
        Reason.ACCESS_REVOKED,
        15,
    ),
    row(
        "revoked grant where approval is not required",
        facts(
            fine_grained(),
            repository(organization=acme(fine_grained_approval="not_required")),
            relation=member(grant=grant(revoked_at=NOW)),
        ),
        Reason.ACCESS_REVOKED,
        15,
    ),
    row(
        "revoked grant where the enterprise disables approval",
        facts(
            fine_grained(),
            repository(organization=acme(enterprise=enterprise(fine_grained_approval="disabled"))),
            relation=member(grant=grant(revoked_at=NOW)),
        ),
        Reason.ACCESS_REVOKED,
        15,
    ),
    row(
        "revoked grant of an owner's token",
        facts(fine_grained(), relation=owner(grant=grant(revoked_at=NOW))),
        Reason.ACCESS_REVOKED,
        15,
    ),
    row("no grant and no request", facts(fine_grained(), relation=MEMBER), Reason.APPROVAL_REQUIRED, 15),
    row(
        "request cancelled",
        facts(fine_grained(), relation=member(latest_request=request("cancelled"))),
        Reason.APPROVAL_REQUIRED,
        15,
    ),
    row(
        "request pending", facts(fine_grained(), relation=member(latest_request=request())), Reason.APPROVAL_PENDING, 15
    ),
    row(
        "request denied",
        facts(fine_grained(), relation=member(latest_request=request("denied", "no"))),
        Reason.APPROVAL_DENIED,
        15,
    ),
    row(
        "grant does not cover the new permission asked for",
        facts(
            fine_grained(permissions={"contents": "read", "pull_requests": "read"}),
            WEB,
            "pull_requests:read",
            member(grant=grant(), latest_request=request()),
        ),
        Reason.APPROVAL_PENDING,
        15,
    ),
    row(
        "grant covers other repositories",
        facts(
            fine_grained(repository_access="selected"),
            relation=member(
                repository_selected=True, grant=grant(repository_access="selected", repository_ids=frozenset({999}))
            ),
        ),
        Reason.APPROVAL_REQUIRED,
        15,
    ),
    row(
        "grant covers a lower level",
        facts(
            fine_grained(),
            repository(organization=acme(base_permission="write")),
            "contents:write",
            member(grant=grant(permissions={"contents": "read"})),
        ),
        Reason.APPROVAL_REQUIRED,
        15,
    ),
    row(
        "enterprise requires approval over the organization's not required",
        facts(
            fine_grained(),
            repository(
                organization=acme(
                    enterprise=enterprise(fine_grained_approval="require"), fine_grained_approval="not_required"
                )
            ),
            relation=MEMBER,
        ),
        Reason.APPROVAL_REQUIRED,
        15,
    ),
    # Gate 16: maximum lifetime.
    row(
        "lifetime above the organization's maximum",
        facts(fine_grained(), repository(organization=acme(fine_grained_max_lifetime_days=7))),
        Reason.TOKEN_LIFETIME_EXCEEDS_POLICY,
        16,
    ),
    row(
        "never-expiring classic token under an enterprise maximum",
        facts(
            classic(expires_at=None), repository(organization=acme(enterprise=enterprise(classic_max_lifetime_days=90)))
        ),
        Reason.TOKEN_LIFETIME_EXCEEDS_POLICY,
        16,
    ),
    row(
        "the organization's maximum is stricter than its enterprise's",
        facts(
            fine_grained(),
            repository(
                organization=acme(
                    enterprise=enterprise(fine_grained_max_lifetime_days=60), fine_grained_max_lifetime_days=7
                )
            ),
        ),
        Reason.TOKEN_LIFETIME_EXCEEDS_POLICY,
        16,
    ),
    row(
        "classic token on the enterprise itself above its maximum",
        facts(
            classic(scopes=("admin:enterprise",)),
            enterprise_resource(enterprise(classic_max_lifetime_days=7)),
            "enterprise_administration:read",
            ENTERPRISE_OWNER,
        ),
        Reason.TOKEN_LIFETIME_EXCEEDS_POLICY,
        16,
    ),
    row(
        "never-expiring classic token on the enterprise itself",
        facts(
            classic(scopes=("admin:enterprise",), expires_at=None),
            enterprise_resource(enterprise(classic_max_lifetime_days=366)),
            "enterprise_administration:read",
            ENTERPRISE_OWNER,
        ),
        Reason.TOKEN_LIFETIME_EXCEEDS_POLICY,
        16,
    ),
    row(
        "exempt administrators spares no member",
        facts(
            classic(),
            repository(
                organization=acme(enterprise=enterprise(classic_max_lifetime_days=7, max_lifetime_exempts_owners=True))
            ),
            relation=MEMBER,
        ),
        Reason.TOKEN_LIFETIME_EXCEEDS_POLICY,
        16,
    ),
    row(
        "exempt administrators keeps the organization's own maximum for its owners",
        facts(
            fine_grained(),
            repository(
                organization=acme(
                    enterprise=enterprise(fine_grained_max_lifetime_days=30, max_lifetime_exempts_owners=True),
                    fine_grained_max_lifetime_days=7,
                )
            ),
            relation=OWNER,
        ),
        Reason.TOKEN_LIFETIME_EXCEEDS_POLICY,
        16,
    ),
    row(
        "without the exemption an owner's token is held to the enterprise's maximum",
        facts(
            fine_grained(),
            repository(organization=acme(enterprise=enterprise(fine_grained_max_lifetime_days=7))),
            relation=OWNER,
        ),
        Reason.TOKEN_LIFETIME_EXCEEDS_POLICY,
        16,
    ),
    # Every gate passed.
    row("member's token with a covering grant", facts(fine_grained()), Reason.ALLOWED, ENDED),
    row("owner's token needs no grant", facts(fine_grained(), WEB, "contents:write", OWNER), Reason.ALLOWED, ENDED),
    row(
        "approval not required",
        facts(fine_grained(), repository(organization=acme(fine_grained_approval="not_required")), relation=MEMBER),
        Reason.ALLOWED,
        ENDED,
    ),
    row(
        "enterprise disables approval over the organization's require",
        facts(
            fine_grained(),
            repository(organization=acme(enterprise=enterprise(fine_grained_approval="disabled"))),
            relation=MEMBER,
        ),
        Reason.ALLOWED,
        ENDED,
    ),
    row(
        "enterprise allows fine-grained tokens over the organization's restrict",
        facts(
            fine_grained(),
            repository(
                organization=acme(enterprise=enterprise(fine_grained_access="allow"), fine_grained_access="restrict")
            ),
        ),
        Reason.ALLOWED,
        ENDED,
    ),
    row(
        "enterprise allows classic tokens over the organization's restrict",
        facts(
            classic(),
            repository(organization=acme(enterprise=enterprise(classic_access="allow"), classic_access="restrict")),
        ),
        Reason.ALLOWED,
        ENDED,
    ),
    row(
        "organization opted in though its enterprise did not",
        facts(fine_grained(), repository(organization=acme(enterprise=enterprise(fine_grained_opted_in=False)))),
        Reason.ALLOWED,
        ENDED,
    ),
    row(
        "enterprise opted in though the organization did not",
        facts(fine_grained(), repository(organization=acme(fine_grained_opted_in=False))),
        Reason.ALLOWED,
        ENDED,
    ),
    row(
        "selected repository inside the grant",
        facts(
            fine_grained(repository_access="selected"),
            relation=member(
                repository_selected=True, grant=grant(repository_access="selected", repository_ids=frozenset({100}))
            ),
        ),
        Reason.ALLOWED,
        ENDED,
    ),
    row("classic token of a member", facts(classic()), Reason.ALLOWED, ENDED),
    row(
        "admin:org covers members:read",
        facts(classic(scopes=("admin:org",)), organization_resource(), "members:read", MEMBER),
        Reason.ALLOWED,
        ENDED,
    ),
    row(
        "enterprise owner administers the enterprise",
        facts(
            classic(scopes=("admin:enterprise",)),
            enterprise_resource(),
            "enterprise_administration:admin",
            ENTERPRISE_OWNER,
        ),
        Reason.ALLOWED,
        ENDED,
    ),
    row(
        "enterprise member reads an internal repository",
        facts(classic(), HANDBOOK, relation=ENTERPRISE_MEMBER),
        Reason.ALLOWED,
        ENDED,
    ),
    row(
        "own token on own repository",
        facts(own_fine_grained(), user_repository(), "contents:write", OUTSIDER),
        Reason.ALLOWED,
        ENDED,
    ),
    row(
        "own token on own account",
        facts(own_fine_grained(permissions={"keys": "write"}), account(), "keys:write", OUTSIDER),
        Reason.ALLOWED,
        ENDED,
    ),
    row(
        "member's token reads organization members",
        facts(fine_grained(), organization_resource(), "members:read", MEMBER_WITH_GRANT),
        Reason.ALLOWED,
        ENDED,
    ),
    row(
        "lifetime within the organization's maximum",
        facts(fine_grained(), repository(organization=acme(fine_grained_max_lifetime_days=60))),
        Reason.ALLOWED,
        ENDED,
    ),
    row(
        "classic token on the enterprise itself within its maximum",
        facts(
            classic(scopes=("admin:enterprise",)),
            enterprise_resource(enterprise(classic_max_lifetime_days=30)),
            "enterprise_administration:read",
            ENTERPRISE_OWNER,
        ),
        Reason.ALLOWED,
        ENDED,
    ),
    row(
        "exempt administrators spares the organization's owner",
        facts(
            classic(expires_at=None),
            repository(
                organization=acme(enterprise=enterprise(classic_max_lifetime_days=7, max_lifetime_exempts_owners=True))
            ),
            relation=OWNER,
        ),
        Reason.ALLOWED,
        ENDED,
    ),
    row(
        "exempt administrators spares the enterprise's owner on the enterprise",
        facts(
            classic(scopes=("admin:enterprise",), expires_at=None),
            enterprise_resource(enterprise(classic_max_lifetime_days=7, max_lifetime_exempts_owners=True)),
            "enterprise_administration:read",
            ENTERPRISE_OWNER,
        ),
        Reason.ALLOWED,
        ENDED,
    ),
]


@pytest.mark.parametrize(("the_facts", "reason", "gate"), TABLE)
def test_reason(the_facts, reason, gate):
    decision = decide(the_facts)

    assert decision.reason == reason
    assert decision.allowed == (reason in (Reason.ALLOWED, Reason.PUBLIC_READ))


@pytest.mark.parametrize(("the_facts", "reason", "gate"), TABLE)
def test_first_failing_gate_decides(the_facts, reason, gate):
    trail = decide(the_facts).gates

    assert [(result.number, result.name) for result in trail] == [(number, name) for number, name, _ in GATES]
    stopped = [result.number for result in trail if result.result in ("fail", "allow")]
    assert stopped == ([] if gate is ENDED else [gate])


@pytest.mark.parametrize(("the_facts", "reason", "gate"), TABLE)
def test_gates_before_the_decision_pass_or_skip_and_later_ones_are_not_reached(the_facts, reason, gate):
    trail = decide(the_facts).gates
    last = len(GATES) if gate is ENDED else gate

    assert {result.result for result in trail[: last - 1]} <= {"pass", "skip"}
    assert {result.result for result in trail[last:]} <= {"not_reached"}
    if gate is ENDED:
        assert trail[-1].result in ("pass", "skip")


def test_table_covers_every_reason_code():
    covered = {param.values[1] for param in TABLE}

    assert covered == set(Reason)
