"""The holder's list says, per organization a token targets, where it stands (behaviour §5.2)."""

from tests.factories import classic_token, fine_grained_token, grant_of, pending_request
from tests.tokens.pages.conftest import queries_for
from tokens import services

LIST = "/settings/tokens/"


def acme_token(cast, **kwargs):
    kwargs.setdefault("permissions", {"contents": "read"})
    return fine_grained_token(cast.alice, resource_owner=cast.acme, repository_access="all", **kwargs).token


def state_of(client, token):
    response = client.get(LIST)
    row = next(row for row in response.context["rows"] if row.token.pk == token.pk)
    return row.states[0]


def test_a_pending_token_shows_its_request_number(as_user, cast):
    token = acme_token(cast)
    state = state_of(as_user(cast.alice), token)
    assert state.label == "Pending"
    assert f"request #{pending_request(token).pk} is pending" in state.message


def test_an_approved_token_shows_approved(as_user, cast):
    token = acme_token(cast)
    services.access_request_review(request=pending_request(token), reviewer=cast.olga, approve=True)
    assert state_of(as_user(cast.alice), token).label == "Approved"


def test_a_denied_token_shows_the_owners_reason(as_user, cast):
    token = acme_token(cast)
    request = pending_request(token)
    services.access_request_review(request=request, reviewer=cast.olga, approve=False, reason="too broad")
    state = state_of(as_user(cast.alice), token)
    assert state.label == "Denied"
    assert "too broad" in state.message


def test_a_revoked_grant_shows_access_revoked(as_user, cast):
    token = acme_token(cast)
    services.access_request_review(request=pending_request(token), reviewer=cast.olga, approve=True)
    services.grant_revoke(grant=grant_of(token), actor=cast.olga)
    assert state_of(as_user(cast.alice), token).label == "Access revoked"


def test_a_policy_restriction_names_the_enterprise(as_user, cast):
    token = acme_token(cast)
    cast.bigcorp.fine_grained_access = "restrict"
    cast.bigcorp.save()
    state = state_of(as_user(cast.alice), token)
    assert state.label == "Restricted by policy"
    assert "Big Corp" in state.message


def test_an_organization_that_has_not_opted_in_says_so(as_user, cast):
    token = acme_token(cast)
    cast.acme.fine_grained_opted_in = False
    cast.acme.save()
    cast.bigcorp.fine_grained_opted_in = False
    cast.bigcorp.save()
    assert state_of(as_user(cast.alice), token).label == "Fine-grained tokens not enabled"


def test_asking_for_more_keeps_approved_and_names_the_new_request(as_user, cast):
    token = acme_token(cast)
    services.access_request_review(request=pending_request(token), reviewer=cast.olga, approve=True)
    services.fine_grained_token_update(token=token, actor=cast.alice, permissions={"contents": "write"})
    state = state_of(as_user(cast.alice), token)
    assert state.label == "Pending"
    assert f"#{pending_request(token).pk}" in state.message


def test_a_classic_token_shows_the_organizations_that_restrict_it(as_user, cast):
    token = classic_token(cast.alice, scopes=["repo"]).token
    cast.acme.classic_access = "restrict"
    cast.acme.save()
    response = as_user(cast.alice).get(LIST + "?type=classic")
    row = next(row for row in response.context["rows"] if row.token.pk == token.pk)
    assert [state.organization.login for state in row.states] == ["acme"]


def test_the_page_lists_expiry_and_last_use(as_user, cast):
    acme_token(cast, name="nightly")
    page = as_user(cast.alice).get(LIST).content.decode()
    assert "nightly" in page
    assert "Never used" in page


def test_the_list_shows_only_the_users_own_tokens(as_user, cast):
    fine_grained_token(cast.mallory, name="mallorys")
    page = as_user(cast.alice).get(LIST).content.decode()
    assert "mallorys" not in page


def test_the_list_costs_the_same_queries_for_one_token_or_many(as_user, cast):
    client = as_user(cast.alice)
    acme_token(cast)
    classic_token(cast.alice)
    few = [queries_for(client, LIST), queries_for(client, LIST + "?type=classic")]
    for _ in range(5):
        acme_token(cast)
        classic_token(cast.alice)
    assert [queries_for(client, LIST), queries_for(client, LIST + "?type=classic")] == few
