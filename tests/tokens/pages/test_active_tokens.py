"""Organization owners' active tokens (behaviour §5.2)."""

from django.core import mail

from audit.models import AuditEvent
from tests.factories import fine_grained_token, grant_of
from tests.tokens.pages.conftest import queries_for
from tokens import services

ACTIVE = "/orgs/acme/settings/personal-access-tokens/active/"


def approved_token(cast, user=None, **kwargs):
    kwargs.setdefault("permissions", {"contents": "read"})
    kwargs.setdefault("repository_access", "all")
    return fine_grained_token(user or cast.alice, resource_owner=cast.acme, approved=True, **kwargs).token


def test_the_list_shows_tokens_with_an_unrevoked_grant(as_user, cast):
    kept = approved_token(cast, name="kept")
    gone = approved_token(cast, name="gone")
    services.grant_revoke(grant=grant_of(gone), actor=cast.olga)
    fine_grained_token(cast.alice, resource_owner=cast.acme, name="waiting", permissions={"contents": "read"})
    rows = as_user(cast.olga).get(ACTIVE).context["rows"]
    assert [row.token for row in rows] == [kept]


def test_filter_by_owner(as_user, cast):
    approved_token(cast, name="alices")
    approved_token(cast, user=cast.emu_bob, name="bobs")
    rows = as_user(cast.olga).get(ACTIVE, {"owner": "alice"}).context["rows"]
    assert [row.token.name for row in rows] == ["alices"]


def test_filter_by_expiring_within_7_days(as_user, cast):
    approved_token(cast, name="soon", expires_in_days=5)
    approved_token(cast, name="later", expires_in_days=30)
    approved_token(cast, name="never", expires_in_days=None)
    response = as_user(cast.olga).get(ACTIVE, {"expiring": "7"})
    assert [row.token.name for row in response.context["rows"]] == ["soon"]
    assert '<option value="7" selected>Within 7 days</option>' in response.content.decode()


def test_an_unknown_expiring_choice_is_named_and_lists_everything(as_user, cast):
    approved_token(cast, name="later", expires_in_days=30)
    response = as_user(cast.olga).get(ACTIVE, {"expiring": "99; DROP"})
    assert response.context["filter_form"].errors["expiring"]
    assert [row.token.name for row in response.context["rows"]] == ["later"]


def test_revoking_one_audits_and_emails_the_holder(as_user, cast, django_capture_on_commit_callbacks):
    token = approved_token(cast)
    grant = grant_of(token)
    with django_capture_on_commit_callbacks(execute=True):
        as_user(cast.olga).post(f"{ACTIVE}{grant.pk}/")
    grant.refresh_from_db()
    assert grant.revoked_by == cast.olga
    assert AuditEvent.objects.filter(action="personal_access_token.access_revoked", token_id=token.pk).count() == 1
    assert "revoked" in mail.outbox[-1].subject


def test_revoking_many_at_once(as_user, cast):
    grants = [grant_of(approved_token(cast)) for _ in range(3)]
    as_user(cast.olga).post(ACTIVE, {"grant_ids": [grant.pk for grant in grants]})
    for grant in grants:
        grant.refresh_from_db()
        assert grant.revoked_at is not None


def test_a_member_cannot_revoke(as_user, cast):
    grant = grant_of(approved_token(cast))
    assert as_user(cast.alice).post(f"{ACTIVE}{grant.pk}/").status_code == 404
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_another_organizations_grant_is_a_404(as_user, cast):
    token = fine_grained_token(cast.gina, resource_owner=cast.globex, permissions={"contents": "read"}).token
    assert as_user(cast.olga).post(f"{ACTIVE}{grant_of(token).pk}/").status_code == 404


def test_the_list_costs_the_same_queries_for_one_token_or_many(as_user, cast):
    client = as_user(cast.olga)
    approved_token(cast, repository_access="selected", repositories=[cast.web])
    few = queries_for(client, ACTIVE)
    for _ in range(5):
        approved_token(cast, repository_access="selected", repositories=[cast.web, cast.docs])
    assert queries_for(client, ACTIVE) == few
