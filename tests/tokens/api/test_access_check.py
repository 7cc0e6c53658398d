"""POST /api/v1/access/check — every reason code of behaviour §4, through HTTP."""

from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from policies.services import enterprise_policy_update, organization_policy_update
from tests.factories import RepositoryFactory, classic_token, fine_grained_token, grant_of, pending_request
from tokens import services
from tokens.choices import CredentialType
from tokens.engine import credentials
from tokens.engine.decision import Reason
from tokens.models import FineGrainedToken

CHECK = "/api/v1/access/check"


def ask(api, resource, permission, *, token=None, fingerprint=None, explain=False):
    body = {"resource": resource, "permission": permission, "explain": explain}
    if fingerprint is not None:
        body["ssh_key_fingerprint"] = fingerprint
    else:
        body["token"] = token
    response = api.post(CHECK, body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def approved_token(cast, **kwargs):
    kwargs.setdefault("repository_access", "all")
    kwargs.setdefault("permissions", {"contents": "read", "issues": "read"})
    return fine_grained_token(cast.alice, resource_owner=cast.acme, approved=True, **kwargs)


def test_approved_token_is_allowed(api, cast):
    issued = approved_token(cast)
    decision = ask(api, "acme/web", "contents:read", token=issued.plaintext)
    assert decision["allowed"] is True
    assert decision["reason"] == "allowed"
    assert decision["token"] == {
        "id": issued.token.pk,
        "type": "fine_grained",
        "user": "alice",
        "expires_at": issued.token.expires_at.isoformat(),
    }
    assert decision["accepted_permissions"] == ["contents:read"]


def test_malformed_token_is_credential_invalid(api, cast):
    decision = ask(api, "acme/web", "contents:read", token="ghp_not-a-patrol-token")
    assert decision["reason"] == "credential_invalid"
    assert decision["token"] is None


def test_unknown_well_formed_token_is_credential_invalid_and_says_no_more(api, cast):
    unknown = ask(api, "acme/web", "contents:read", token=credentials.generate(CredentialType.FINE_GRAINED))
    malformed = ask(api, "acme/web", "contents:read", token="patrol_fg_short")
    assert unknown == malformed


def test_token_with_a_broken_checksum_is_credential_invalid(api, cast):
    plaintext = approved_token(cast).plaintext
    broken = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    assert ask(api, "acme/web", "contents:read", token=broken)["reason"] == "credential_invalid"


def test_unknown_ssh_key_is_credential_invalid(api, cast):
    assert ask(api, "acme/web", "contents:read", fingerprint="SHA256:" + "a" * 43)["reason"] == "credential_invalid"


def test_revoked_token_is_token_revoked(api, cast):
    issued = approved_token(cast, revoked=True)
    assert ask(api, "acme/docs", "contents:read", token=issued.plaintext)["reason"] == "token_revoked"


def test_expired_token_is_token_expired(api, cast):
    issued = approved_token(cast, expired=True)
    decision = ask(api, "acme/web", "contents:read", token=issued.plaintext)
    assert decision["reason"] == "token_expired"
    assert "regenerate" in decision["message"]


def test_suspended_user_is_user_inactive(api, cast):
    issued = approved_token(cast)
    cast.alice.is_active = False
    cast.alice.save()
    assert ask(api, "acme/web", "contents:read", token=issued.plaintext)["reason"] == "user_inactive"


def test_missing_repository_is_resource_not_found(api, cast):
    decision = ask(api, "acme/nope", "contents:read", token=approved_token(cast).plaintext)
    assert decision["reason"] == "resource_not_found"
    assert "acme/nope" in decision["message"]


def test_permission_of_another_resource_kind_is_permission_unknown(api, cast):
    decision = ask(api, "acme/web", "members:read", token=approved_token(cast).plaintext)
    assert decision["reason"] == "permission_unknown"


def test_level_a_permission_does_not_have_is_permission_unknown(api, cast):
    assert (
        ask(api, "acme/web", "metadata:write", token=approved_token(cast).plaintext)["reason"] == "permission_unknown"
    )


def test_public_repository_read_is_public_read_even_while_pending(api, cast):
    issued = fine_grained_token(cast.alice, resource_owner=cast.acme, permissions={"contents": "read"})
    decision = ask(api, "acme/docs", "contents:read", token=issued.plaintext)
    assert decision["allowed"] is True
    assert decision["reason"] == "public_read"


def test_user_without_access_is_user_lacks_access(api, cast):
    decision = ask(api, "globex/plans", "contents:read", token=approved_token(cast).plaintext)
    assert decision["reason"] == "user_lacks_access"
    assert "globex" in decision["message"]


def test_organization_not_opted_in_is_fine_grained_not_enabled(api, cast):
    cast.umbrella.fine_grained_opted_in = False
    cast.umbrella.save()
    RepositoryFactory(owner_organization=cast.umbrella, name="vault")
    issued = fine_grained_token(
        cast.uma, resource_owner=cast.umbrella, repository_access="all", permissions={"contents": "read"}
    )
    decision = ask(api, "umbrella/vault", "contents:read", token=issued.plaintext)
    assert decision["reason"] == "fine_grained_not_enabled"
    assert "umbrella" in decision["message"]


def test_organization_restricting_fine_grained_tokens_is_fine_grained_restricted(api, cast):
    issued = approved_token(cast)
    organization_policy_update(organization=cast.acme, fine_grained_access="restrict")
    decision = ask(api, "acme/web", "contents:read", token=issued.plaintext)
    assert decision["reason"] == "fine_grained_restricted"
    assert decision["policy_source"] == "organization"


def test_enterprise_restricting_fine_grained_tokens_names_the_enterprise(api, cast):
    issued = approved_token(cast)
    cast.bigcorp.fine_grained_access = "restrict"
    cast.bigcorp.save()
    decision = ask(api, "acme/web", "contents:read", token=issued.plaintext)
    assert decision["reason"] == "fine_grained_restricted"
    assert decision["policy_source"] == "enterprise"
    assert "Big Corp" in decision["message"]


def test_enterprise_restricting_classic_tokens_is_classic_restricted(api, cast):
    issued = classic_token(cast.alice, scopes=["repo"])
    cast.bigcorp.classic_access = "restrict"
    cast.bigcorp.save()
    decision = ask(api, "acme/web", "contents:read", token=issued.plaintext)
    assert decision["reason"] == "classic_restricted"
    assert decision["policy_source"] == "enterprise"


def test_token_of_another_resource_owner_is_resource_owner_mismatch(api, cast):
    issued = fine_grained_token(cast.alice, repository_access="all", permissions={"contents": "read"})
    assert ask(api, "acme/web", "contents:read", token=issued.plaintext)["reason"] == "resource_owner_mismatch"


def test_repository_outside_the_selection_is_repository_not_selected(api, cast):
    issued = approved_token(cast, repository_access="selected", repositories=[cast.handbook])
    assert ask(api, "acme/web", "contents:read", token=issued.plaintext)["reason"] == "repository_not_selected"


def test_permission_outside_the_map_is_permission_not_granted(api, cast):
    decision = ask(api, "acme/web", "pull_requests:read", token=approved_token(cast).plaintext)
    assert decision["reason"] == "permission_not_granted"
    assert decision["accepted_permissions"] == ["pull_requests:read"]


def test_classic_token_without_the_scope_is_scope_missing(api, cast):
    issued = classic_token(cast.alice, scopes=["read:org"])
    decision = ask(api, "acme/web", "contents:read", token=issued.plaintext)
    assert decision["reason"] == "scope_missing"
    assert decision["accepted_permissions"] == ["repo"]


def test_classic_token_with_the_scope_is_allowed(api, cast):
    issued = classic_token(cast.alice, scopes=["repo"])
    assert ask(api, "acme/web", "contents:read", token=issued.plaintext)["reason"] == "allowed"


def test_revoked_grant_is_access_revoked(api, cast):
    issued = approved_token(cast)
    services.grant_revoke(grant=grant_of(issued.token), actor=cast.olga)
    assert ask(api, "acme/web", "contents:read", token=issued.plaintext)["reason"] == "access_revoked"


def test_revoked_grant_still_reads_public_repositories(api, cast):
    issued = approved_token(cast)
    services.grant_revoke(grant=grant_of(issued.token), actor=cast.olga)
    assert ask(api, "acme/docs", "contents:read", token=issued.plaintext)["reason"] == "public_read"


def test_pending_request_is_approval_pending_with_its_number(api, cast):
    issued = fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}
    )
    request = pending_request(issued.token)
    decision = ask(api, "acme/web", "contents:read", token=issued.plaintext)
    assert decision["reason"] == "approval_pending"
    assert decision["request_id"] == request.pk
    assert f"#{request.pk}" in decision["message"]
    assert decision["policy_source"] == "organization"


def test_denied_request_is_approval_denied_with_the_reason(api, cast):
    issued = fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}
    )
    services.access_request_review(
        request=pending_request(issued.token), reviewer=cast.olga, approve=False, reason="use the deploy key"
    )
    decision = ask(api, "acme/web", "contents:read", token=issued.plaintext)
    assert decision["reason"] == "approval_denied"
    assert "use the deploy key" in decision["message"]


def test_cancelled_request_leaves_approval_required(api, cast):
    issued = fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}
    )
    services.access_request_cancel(request=pending_request(issued.token), actor=cast.alice)
    decision = ask(api, "acme/web", "contents:read", token=issued.plaintext)
    assert decision["reason"] == "approval_required"
    assert decision["request_id"] is None


def test_token_living_longer_than_the_policy_is_token_lifetime_exceeds_policy(api, cast):
    issued = approved_token(cast, expires_in_days=90)
    organization_policy_update(organization=cast.acme, fine_grained_max_lifetime_days=30)
    assert ask(api, "acme/web", "contents:read", token=issued.plaintext)["reason"] == "token_lifetime_exceeds_policy"


def test_regenerating_a_token_restarts_its_lifetime(api, cast):
    issued = approved_token(cast, expires_in_days=30)
    FineGrainedToken.objects.filter(pk=issued.token.pk).update(
        created_at=timezone.now() - timedelta(days=20), issued_at=timezone.now() - timedelta(days=20)
    )
    organization_policy_update(organization=cast.acme, fine_grained_max_lifetime_days=30)
    regenerated = services.token_regenerate(token=issued.token, actor=cast.alice, expires_in_days=30)
    assert ask(api, "acme/web", "contents:read", token=regenerated.plaintext)["reason"] == "allowed"


def test_ssh_key_created_by_a_restricted_token_keeps_working(api, cast):
    issued = classic_token(cast.alice, scopes=["admin:public_key"])
    key = services.ssh_key_create(
        user=cast.alice, title="laptop", fingerprint="SHA256:" + "k" * 43, created_by_token=issued.token
    )
    cast.bigcorp.classic_access = "restrict"
    cast.bigcorp.save()
    decision = ask(api, "acme/web", "contents:read", fingerprint=key.fingerprint)
    assert decision["allowed"] is True
    assert decision["token"]["type"] == "ssh_key"


def test_explain_lists_every_gate_in_order(api, cast):
    decision = ask(api, "acme/web", "contents:read", token=approved_token(cast).plaintext, explain=True)
    assert [gate["number"] for gate in decision["gates"]] == list(range(1, 17))
    assert {gate["result"] for gate in decision["gates"]} <= {"pass", "skip"}


def test_without_explain_there_are_no_gates(api, cast):
    assert "gates" not in ask(api, "acme/web", "contents:read", token=approved_token(cast).plaintext)


def test_enterprise_owner_classic_token_reads_the_audit_log(api, cast):
    issued = classic_token(cast.erin, scopes=["read:audit_log"])
    assert ask(api, "enterprise:bigcorp", "audit_log:read", token=issued.plaintext)["reason"] == "allowed"


def test_allowed_check_records_last_use(api, cast):
    issued = approved_token(cast)
    ask(api, "acme/web", "contents:read", token=issued.plaintext)
    issued.token.refresh_from_db()
    assert issued.token.last_used_at is not None


def test_every_reason_code_of_the_spec_is_asserted_in_this_module():
    source = Path(__file__).read_text().split("def test_every_reason_code_of_the_spec")[0]
    missing = [reason for reason in Reason if f'== "{reason}"' not in source]
    assert not missing


def test_an_enterprises_classic_maximum_holds_on_the_enterprise_itself(api, cast):
    issued = classic_token(cast.erin, scopes=["admin:enterprise"], expires_in_days=90)
    enterprise_policy_update(enterprise=cast.bigcorp, classic_max_lifetime_days=30)

    decision = ask(api, "enterprise:bigcorp", "enterprise_administration:read", token=issued.plaintext)

    assert decision["reason"] == "token_lifetime_exceeds_policy"
    assert decision["policy_source"] == "enterprise"


def test_exempt_administrators_lets_an_owners_own_token_through_at_use(api, cast):
    issued = fine_grained_token(
        cast.olga,
        resource_owner=cast.acme,
        repository_access="all",
        permissions={"contents": "read"},
        expires_in_days=None,
    )
    enterprise_policy_update(
        enterprise=cast.bigcorp, fine_grained_max_lifetime_days=30, max_lifetime_exempts_owners=True
    )

    assert ask(api, "acme/web", "contents:read", token=issued.plaintext)["reason"] == "allowed"
