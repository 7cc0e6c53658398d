"""The queue's filter form is tokens.filtersets, the same FilterSet as the v3 lists (behaviour §5.2, §5.5)."""

from tests.conftest import request_for

QUEUE = "/orgs/acme/settings/personal-access-tokens/requests/"


def names(response) -> list[str]:
    return [row.token.name for row in response.context["rows"]]


def test_the_form_shows_owner_repository_and_permission(as_user, cast):
    response = as_user(cast.olga).get(QUEUE)
    assert [field.name for field in response.context["filter_fields"]] == ["owner", "repository", "permission"]
    page = response.content.decode()
    assert '<input type="text" name="owner" maxlength="39" id="id_owner">' in page
    assert '<optgroup label="Repository permissions">' in page
    assert '<option value="issues_read">Issues: read — ' in page


def test_fields_left_blank_mean_any(as_user, cast):
    request_for(cast.alice, cast, name="alices")
    request_for(cast.emu_bob, cast, name="bobs")
    response = as_user(cast.olga).get(QUEUE, {"owner": "", "repository": "", "permission": ""})
    assert sorted(names(response)) == ["alices", "bobs"]


def test_a_bad_filter_lists_everything_and_keeps_its_error_on_the_form(as_user, cast):
    request_for(cast.alice, cast, name="alices")
    response = as_user(cast.olga).get(QUEUE, {"owner": "x" * 40})
    assert names(response) == ["alices"]
    assert "owner" in response.context["filter_form"].errors


def test_the_page_reads_the_v3_parameters_too(as_user, cast):
    first = request_for(cast.alice, cast, name="first")
    request_for(cast.alice, cast, name="second")
    request_for(cast.emu_bob, cast, name="bobs")
    assert names(as_user(cast.olga).get(QUEUE, {"owner[]": "alice", "direction": "asc"})) == ["first", "second"]
    assert names(as_user(cast.olga).get(QUEUE, {"token_id[]": first.token_id})) == ["first"]
