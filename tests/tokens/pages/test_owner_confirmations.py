"""Owners' destructive actions go through a confirmation page that says what will happen (issue 18)."""

from django.core import mail

from tests.factories import fine_grained_token, grant_of, pending_request
from tokens.models import AccessRequest, Grant

PATS = "/orgs/acme/settings/personal-access-tokens"


def approved_token(cast, user=None, name="deploy"):
    return fine_grained_token(
        user or cast.alice,
        resource_owner=cast.acme,
        approved=True,
        name=name,
        permissions={"contents": "write"},
        repository_access="all",
    ).token


def waiting_request(cast, name="deploy"):
    token = fine_grained_token(cast.alice, resource_owner=cast.acme, name=name, permissions={"issues": "read"}).token
    return pending_request(token)


def test_the_revoke_confirmation_says_what_will_happen_and_changes_nothing(as_user, cast):
    grant = grant_of(approved_token(cast))
    response = as_user(cast.olga).get(f"{PATS}/active/{grant.pk}/revoke/")
    assert response.status_code == 200
    assert "alice’s token deploy loses access to acme; this cannot be undone." in response.text
    assert 'class="confirm-form' in response.text
    assert f'action="{PATS}/active/{grant.pk}/"' in response.text
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_the_confirmed_revoke_revokes(as_user, cast):
    grant = grant_of(approved_token(cast))
    response = as_user(cast.olga).post(f"{PATS}/active/{grant.pk}/")
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_by == cast.olga


def test_another_organizations_grant_is_a_404(as_user, cast):
    token = fine_grained_token(cast.mallory, resource_owner=cast.globex, approved=True, repository_access="all").token
    grant = grant_of(token)
    assert as_user(cast.olga).get(f"{PATS}/active/{grant.pk}/revoke/").status_code == 404


def test_a_member_gets_a_404_for_the_confirmation(as_user, cast):
    grant = grant_of(approved_token(cast))
    assert as_user(cast.alice).get(f"{PATS}/active/{grant.pk}/revoke/").status_code == 404


def test_an_already_revoked_grant_offers_no_form(as_user, cast):
    grant = grant_of(approved_token(cast))
    client = as_user(cast.olga)
    client.post(f"{PATS}/active/{grant.pk}/")
    response = client.get(f"{PATS}/active/{grant.pk}/revoke/")
    assert response.status_code == 409
    assert "confirm-form" not in response.text


def test_the_bulk_revoke_confirmation_lists_every_token(as_user, cast):
    grants = [grant_of(approved_token(cast, name=name)) for name in ("deploy", "ci", "backup")]
    response = as_user(cast.olga).get(f"{PATS}/active/revoke/", {"grant_ids": [grant.pk for grant in grants]})
    assert response.status_code == 200
    assert "3 tokens lose access to acme; this cannot be undone:" in response.text
    for name in ("deploy", "ci", "backup"):
        assert f"<strong>{name}</strong>" in response.text
    assert Grant.objects.filter(revoked_at__isnull=False).count() == 0


def test_the_bulk_revoke_confirmation_refuses_a_foreign_id(as_user, cast):
    mine = grant_of(approved_token(cast))
    theirs = grant_of(
        fine_grained_token(cast.mallory, resource_owner=cast.globex, approved=True, repository_access="all").token
    )
    response = as_user(cast.olga).get(f"{PATS}/active/revoke/", {"grant_ids": [mine.pk, theirs.pk]})
    assert response.status_code == 404
    assert f"No such active tokens in acme: #{theirs.pk}" in response.text
    assert "confirm-form" not in response.text


def test_the_bulk_revoke_confirmation_names_a_bad_selection(as_user, cast):
    client = as_user(cast.olga)
    assert "Select at least one token." in client.get(f"{PATS}/active/revoke/").text
    response = client.get(f"{PATS}/active/revoke/", {"grant_ids": "x"})
    assert response.status_code == 400


def test_the_deny_confirmation_has_the_reason_field_and_changes_nothing(as_user, cast):
    access_request = waiting_request(cast)
    response = as_user(cast.olga).get(f"{PATS}/requests/{access_request.pk}/deny/")
    assert response.status_code == 200
    assert "alice’s token deploy does not get the access" in response.text
    assert 'name="reason"' in response.text
    assert 'name="action" value="deny"' in response.text
    access_request.refresh_from_db()
    assert access_request.status == "pending"


def test_the_confirmed_deny_sends_the_reason_to_the_holder(as_user, cast, django_capture_on_commit_callbacks):
    access_request = waiting_request(cast)
    with django_capture_on_commit_callbacks(execute=True):
        as_user(cast.olga).post(
            f"{PATS}/requests/{access_request.pk}/", {"action": "deny", "reason": "Use a narrower repository list."}
        )
    access_request.refresh_from_db()
    assert (access_request.status, access_request.reason) == ("denied", "Use a narrower repository list.")
    assert "Use a narrower repository list." in mail.outbox[-1].body


def test_the_deny_confirmation_of_a_reviewed_request_offers_no_form(as_user, cast):
    access_request = waiting_request(cast)
    client = as_user(cast.olga)
    client.post(f"{PATS}/requests/{access_request.pk}/", {"action": "approve"})
    response = client.get(f"{PATS}/requests/{access_request.pk}/deny/")
    assert response.status_code == 409
    assert "confirm-form" not in response.text


def test_another_organizations_request_is_a_404(as_user, cast):
    token = fine_grained_token(cast.mallory, resource_owner=cast.globex, permissions={"issues": "read"}).token
    access_request = pending_request(token)
    assert as_user(cast.olga).get(f"{PATS}/requests/{access_request.pk}/deny/").status_code == 404


def test_deny_selected_goes_to_the_confirmation_with_the_reason(as_user, cast):
    first, second = waiting_request(cast, "one"), waiting_request(cast, "two")
    client = as_user(cast.olga)
    response = client.post(
        f"{PATS}/requests/deny/", {"request_ids": [first.pk, second.pk], "reason": "Too broad.", "action": "deny"}
    )
    assert response.status_code == 302
    page = client.get(response.url)
    assert "2 requests to acme are denied; this cannot be undone." in page.text
    assert "Too broad." in page.text
    assert AccessRequest.objects.filter(status="pending").count() == 2


def test_the_queue_links_to_the_confirmations(as_user, cast):
    access_request = waiting_request(cast)
    page = as_user(cast.olga).get(f"{PATS}/requests/").text
    assert f'href="{PATS}/requests/{access_request.pk}/deny/" class="button danger" data-confirm' in page
    assert 'value="deny" class="danger"' not in page.split("bulk-review")[0]
