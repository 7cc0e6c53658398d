"""What a decision says besides its reason (behaviour §4): the gate trail (`explain`),
policy_source, accepted_permissions, request_id and actionable messages. Pure.
"""

from dataclasses import replace
from datetime import timedelta

import pytest

from tokens.engine.decision import decide

from .facts_builders import (
    DOCS,
    ENTERPRISE_OWNER,
    MEMBER,
    NOW,
    OUTSIDER,
    OWNER,
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
    repository,
    request,
    ssh_key,
    unknown,
    user_repository,
)


def trail(the_facts) -> dict[int, str]:
    return {gate.number: gate.result for gate in decide(the_facts).gates}


# --- The gate trail ----------------------------------------------------------------


def test_trail_lists_all_sixteen_gates_in_order():
    gates = decide(facts(fine_grained())).gates

    assert [gate.number for gate in gates] == list(range(1, 17))
    assert gates[0].name == "credential_well_formed"
    assert gates[4].name == "public_read"
    assert gates[14].name == "approval"


def test_malformed_credential_fails_gate_one_and_reaches_nothing_else():
    assert trail(malformed()) == {1: "fail", **{n: "not_reached" for n in range(2, 17)}}


def test_public_read_is_an_allow_at_gate_five():
    assert trail(facts(fine_grained(), DOCS, relation=OUTSIDER)) == {
        **{n: "pass" for n in range(1, 5)},
        5: "allow",
        **{n: "not_reached" for n in range(6, 17)},
    }


def test_ssh_key_is_an_allow_at_gate_seven():
    gates = trail(facts(ssh_key(), WEB, relation=MEMBER))

    assert gates[6] == "pass"
    assert gates[7] == "allow"
    assert {gates[n] for n in range(8, 17)} == {"not_reached"}


def test_classic_token_skips_the_fine_grained_gates():
    gates = trail(facts(classic()))

    assert [n for n, result in gates.items() if result == "skip"] == [8, 9, 11, 12, 13, 15]
    assert gates[7] == gates[10] == gates[14] == gates[16] == "pass"  # gate 7: no enterprise revoked it


def test_fine_grained_token_skips_the_classic_gates():
    gates = trail(facts(fine_grained()))

    assert [n for n, result in gates.items() if result == "skip"] == [7, 10, 14]


def test_user_owned_resource_skips_every_policy_gate():
    gates = trail(facts(own_fine_grained(), user_repository(), "contents:write", OUTSIDER))

    assert [n for n, result in gates.items() if result == "skip"] == [7, 8, 9, 10, 14, 15, 16]


def test_allowed_decision_has_no_failure_in_its_trail():
    assert set(trail(facts(fine_grained())).values()) == {"pass", "skip"}


# --- policy_source -------------------------------------------------------------------

ORG_RESTRICTS_FINE_GRAINED = repository(organization=acme(fine_grained_access="restrict"))
ENTERPRISE_RESTRICTS_FINE_GRAINED = repository(organization=acme(enterprise=enterprise(fine_grained_access="restrict")))
ORG_RESTRICTS_CLASSIC = repository(organization=acme(classic_access="restrict"))
ENTERPRISE_RESTRICTS_CLASSIC = repository(organization=acme(enterprise=enterprise(classic_access="restrict")))
ENTERPRISE_REQUIRES_APPROVAL = repository(
    organization=acme(enterprise=enterprise(fine_grained_approval="require"), fine_grained_approval="not_required")
)


@pytest.mark.parametrize(
    ("the_facts", "source"),
    [
        pytest.param(facts(fine_grained(), ORG_RESTRICTS_FINE_GRAINED), "organization", id="organization restricts"),
        pytest.param(facts(fine_grained(), ENTERPRISE_RESTRICTS_FINE_GRAINED), "enterprise", id="enterprise restricts"),
        pytest.param(facts(classic(), ORG_RESTRICTS_CLASSIC), "organization", id="organization restricts classic"),
        pytest.param(facts(classic(), ENTERPRISE_RESTRICTS_CLASSIC), "enterprise", id="enterprise restricts classic"),
        pytest.param(
            facts(
                classic(scopes=("admin:enterprise",)),
                enterprise_resource(enterprise(classic_access="restrict")),
                "enterprise_administration:read",
                ENTERPRISE_OWNER,
            ),
            "enterprise",
            id="enterprise restricts classic on itself",
        ),
        pytest.param(facts(fine_grained(), relation=MEMBER), "organization", id="organization requires approval"),
        pytest.param(
            facts(fine_grained(), ENTERPRISE_REQUIRES_APPROVAL, relation=MEMBER),
            "enterprise",
            id="enterprise requires approval",
        ),
        pytest.param(
            facts(fine_grained(), relation=member(latest_request=request())), "organization", id="approval pending"
        ),
        pytest.param(
            facts(fine_grained(), relation=member(grant=grant(revoked_at=NOW))), "organization", id="access revoked"
        ),
        pytest.param(facts(fine_grained()), None, id="allowed"),
        pytest.param(facts(fine_grained(), DOCS, relation=OUTSIDER), None, id="public read"),
        pytest.param(facts(classic(), relation=OUTSIDER), None, id="user lacks access"),
        pytest.param(facts(fine_grained(revoked_at=NOW)), None, id="token revoked"),
    ],
)
def test_policy_source_names_who_set_the_policy(the_facts, source):
    assert decide(the_facts).policy_source == source


# --- accepted_permissions --------------------------------------------------------------


@pytest.mark.parametrize(
    ("the_facts", "accepted"),
    [
        pytest.param(facts(fine_grained(), WEB, "contents:write", OWNER), ("contents:write",), id="fine-grained"),
        pytest.param(
            facts(fine_grained(permissions={}), WEB, "contents:read"), ("contents:read",), id="fine-grained lacking it"
        ),
        pytest.param(facts(classic(scopes=()), WEB, "contents:read"), ("repo",), id="classic, private repository"),
        pytest.param(
            facts(classic(scopes=()), DOCS, "issues:write", OWNER),
            ("repo", "public_repo"),
            id="classic, public repository",
        ),
        pytest.param(
            facts(classic(scopes=()), WEB, "statuses:write", OWNER), ("repo", "repo:status"), id="classic statuses"
        ),
        pytest.param(
            facts(classic(scopes=()), organization_resource(), "members:write", OWNER),
            ("write:org",),
            id="classic organization permission",
        ),
        pytest.param(
            facts(classic(scopes=()), account(), "keys:read", OUTSIDER), ("read:public_key",), id="classic keys"
        ),
        pytest.param(facts(ssh_key(), WEB, relation=MEMBER), (), id="ssh key"),
        pytest.param(malformed(), (), id="malformed credential"),
        pytest.param(unknown(), (), id="unknown credential"),
        pytest.param(facts(classic(), WEB, "metadata:write"), (), id="unknown permission"),
    ],
)
def test_accepted_permissions_say_what_would_have_sufficed(the_facts, accepted):
    assert decide(the_facts).accepted_permissions == accepted


# --- request_id ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("the_facts", "request_id"),
    [
        pytest.param(facts(fine_grained(), relation=member(latest_request=request(id=12))), 12, id="pending"),
        pytest.param(facts(fine_grained(), relation=member(latest_request=request("denied", id=13))), 13, id="denied"),
        pytest.param(facts(fine_grained(), relation=member(latest_request=request("cancelled"))), None, id="cancelled"),
        pytest.param(facts(fine_grained(), relation=MEMBER), None, id="no request"),
        pytest.param(
            facts(fine_grained(), DOCS, relation=member(latest_request=request(id=12))),
            None,
            id="public read while pending",
        ),
    ],
)
def test_request_id_points_at_the_request_that_blocks(the_facts, request_id):
    assert decide(the_facts).request_id == request_id


# --- Messages ------------------------------------------------------------------------------


def test_pending_message_names_the_organization_and_the_request_number():
    message = decide(facts(fine_grained(), relation=member(latest_request=request(id=12)))).message

    assert "acme requires approval of fine-grained personal access tokens" in message
    assert "request #12 is pending review" in message


def test_pending_message_names_the_enterprise_that_requires_approval():
    the_facts = facts(fine_grained(), ENTERPRISE_REQUIRES_APPROVAL, relation=member(latest_request=request(id=12)))

    message = decide(the_facts).message

    assert message.startswith("The Big Corp enterprise (which acme belongs to) requires approval")
    assert "#12" in message


def test_denied_message_carries_the_owner_reason():
    the_facts = facts(fine_grained(), relation=member(latest_request=request("denied", "Use the deploy bot", id=13)))

    message = decide(the_facts).message

    assert "denied your request #13: Use the deploy bot." in message
    assert "acme" in message


def test_denied_message_without_a_reason_says_so():
    message = decide(facts(fine_grained(), relation=member(latest_request=request("denied", id=13)))).message

    assert "without giving a reason" in message


def test_approval_required_message_says_how_to_ask():
    message = decide(facts(fine_grained(), relation=MEMBER)).message

    assert "acme requires approval" in message
    assert "contents:read" in message
    assert "edit the token to request it" in message


@pytest.mark.parametrize(
    ("the_facts", "named"),
    [
        pytest.param(facts(fine_grained(), ORG_RESTRICTS_FINE_GRAINED), ["acme restricts"], id="organization"),
        pytest.param(
            facts(fine_grained(), ENTERPRISE_RESTRICTS_FINE_GRAINED),
            ["The Big Corp enterprise (which acme belongs to) restricts", "to acme"],
            id="enterprise",
        ),
    ],
)
def test_fine_grained_restricted_message_names_who_restricts(the_facts, named):
    message = decide(the_facts).message

    for words in named:
        assert words in message
    assert "public resources stay readable" in message


def test_classic_restricted_message_names_the_enterprise_and_suggests_fine_grained():
    message = decide(facts(classic(), ENTERPRISE_RESTRICTS_CLASSIC)).message

    assert "Big Corp" in message
    assert "use a fine-grained personal access token instead" in message


def test_not_enabled_message_names_the_organization_and_its_enterprise():
    not_enabled = acme(enterprise=enterprise(fine_grained_opted_in=False), fine_grained_opted_in=False)

    message = decide(facts(fine_grained(), repository(organization=not_enabled))).message

    assert message.startswith("acme has not enabled fine-grained personal access tokens")
    assert "acme or the Big Corp enterprise must opt in" in message


def test_revoked_access_message_names_the_organization_and_the_moment():
    message = decide(facts(fine_grained(), relation=member(grant=grant(revoked_at=NOW)))).message

    assert message.startswith("An owner of acme revoked this token's access on Jun 1, 2025, 12:00 UTC;")


def test_user_lacks_access_message_says_whom_to_ask():
    message = decide(facts(classic(), relation=OUTSIDER)).message

    assert message == "alice does not have read access to acme/web. Ask an owner of acme for access."


def test_expired_message_gives_the_moment_in_utc():
    message = decide(facts(fine_grained(expires_at=NOW - timedelta(days=1)))).message

    assert message.startswith("This token expired on May 31, 2025, 12:00 UTC;")


def test_unknown_and_malformed_credentials_get_the_same_answer():
    # The caller learns nothing more about an unknown token than a malformed one (§5.4).
    answers = [replace(decide(the_facts), gates=()) for the_facts in (unknown(), malformed())]

    assert answers[0] == answers[1]


def test_messages_are_never_a_bare_forbidden():
    for the_facts in [
        facts(fine_grained(), relation=MEMBER),
        facts(classic(scopes=())),
        facts(fine_grained(permissions={})),
        facts(own_fine_grained()),
    ]:
        decision = decide(the_facts)
        assert not decision.allowed
        assert len(decision.message) > 30
        assert decision.message.lower() != "forbidden"
