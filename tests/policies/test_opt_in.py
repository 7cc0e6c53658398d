"""Opt-in (beta, behaviour §3): fine-grained tokens reach an organization's non-public
resources only when the organization or its enterprise opted in.
"""

import pytest

from audit.models import AuditEvent
from policies.services import enterprise_opt_in, organization_opt_in
from tests.factories import classic_token, fine_grained_token
from tests.tokens.engine.helpers import check_token, opt_out, set_organization_policy

ALL_CONTENTS = {"repository_access": "all", "permissions": {"contents": "read", "members": "read"}}


@pytest.fixture
def nobody_opted_in(cast):
    opt_out(cast.bigcorp, cast.acme, cast.umbrella)
    # Approval is not what these tests are about.
    set_organization_policy(cast.acme, fine_grained_approval="not_required")
    set_organization_policy(cast.umbrella, fine_grained_approval="not_required")
    return cast


@pytest.mark.parametrize(
    ("enterprise_opted_in", "organization_opted_in", "reason"),
    [
        (False, False, "fine_grained_not_enabled"),
        (True, False, "allowed"),
        (False, True, "allowed"),  # an organization may opt in though its enterprise did not (behaviour §3)
        (True, True, "allowed"),
    ],
)
def test_enterprise_organization(nobody_opted_in, enterprise_opted_in, organization_opted_in, reason):
    cast = nobody_opted_in
    if enterprise_opted_in:
        enterprise_opt_in(enterprise=cast.bigcorp, actor=cast.erin)
    if organization_opted_in:
        organization_opt_in(organization=cast.acme, actor=cast.olga)
    token = fine_grained_token(cast.alice, resource_owner=cast.acme, **ALL_CONTENTS)

    assert check_token(token.plaintext, "acme/web", "contents:read").reason == reason
    assert check_token(token.plaintext, "acme/handbook", "contents:read").reason == reason
    assert check_token(token.plaintext, "acme", "members:read").reason == reason


@pytest.mark.parametrize(("organization_opted_in", "reason"), [(False, "fine_grained_not_enabled"), (True, "allowed")])
def test_standalone_organization(nobody_opted_in, organization_opted_in, reason):
    cast = nobody_opted_in
    if organization_opted_in:
        organization_opt_in(organization=cast.umbrella, actor=cast.uma)
    token = fine_grained_token(cast.uma, resource_owner=cast.umbrella, **ALL_CONTENTS)

    assert check_token(token.plaintext, "umbrella", "members:read").reason == reason


def test_enterprise_opt_in_reaches_every_organization_of_the_enterprise(nobody_opted_in):
    cast = nobody_opted_in
    enterprise_opt_in(enterprise=cast.bigcorp, actor=cast.erin)
    token = fine_grained_token(cast.olga, resource_owner=cast.acme, **ALL_CONTENTS)

    assert check_token(token.plaintext, "acme/web", "contents:read").reason == "allowed"


def test_another_enterprise_opting_in_does_not_enable_this_one(nobody_opted_in):
    cast = nobody_opted_in
    enterprise_opt_in(enterprise=cast.othercorp, actor=cast.oscar)
    token = fine_grained_token(cast.olga, resource_owner=cast.acme, **ALL_CONTENTS)

    assert check_token(token.plaintext, "acme/web", "contents:read").reason == "fine_grained_not_enabled"


def test_not_enabled_message_names_the_organization_and_enterprise(nobody_opted_in):
    cast = nobody_opted_in
    token = fine_grained_token(cast.alice, resource_owner=cast.acme, **ALL_CONTENTS)

    message = check_token(token.plaintext, "acme/web", "contents:read").message

    assert "acme or the Big Corp enterprise must opt in" in message


def test_classic_tokens_do_not_need_opt_in(nobody_opted_in):
    token = classic_token(nobody_opted_in.alice, scopes=["repo"])

    assert check_token(token.plaintext, "acme/web", "contents:read").reason == "allowed"


def test_public_read_does_not_need_opt_in(nobody_opted_in):
    cast = nobody_opted_in
    token = fine_grained_token(cast.alice, resource_owner=cast.acme, **ALL_CONTENTS)

    assert check_token(token.plaintext, "acme/docs", "contents:read").reason == "public_read"


def test_opt_in_is_audited_once(nobody_opted_in):
    cast = nobody_opted_in
    enterprise_opt_in(enterprise=cast.bigcorp, actor=cast.erin)
    enterprise_opt_in(enterprise=cast.bigcorp, actor=cast.erin)
    organization_opt_in(organization=cast.acme, actor=cast.olga)

    assert AuditEvent.objects.filter(action="enterprise.fine_grained_opted_in", enterprise=cast.bigcorp).count() == 1
    assert AuditEvent.objects.filter(action="organization.fine_grained_opted_in", organization=cast.acme).count() == 1
