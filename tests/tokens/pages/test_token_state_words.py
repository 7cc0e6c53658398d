"""A token's page says what works now and what waits (behaviour §5.2 "Tokens")."""

from tests.factories import fine_grained_token, pending_request
from tokens import services
from tokens.engine.access import check
from tokens.engine.facts import CheckInput, parse_resource


def _approved_then_asks_for_more(cast):
    issued = fine_grained_token(
        cast.alice, name="deploy", resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}
    )
    services.access_request_review(request=pending_request(issued.token), reviewer=cast.olga, approve=True)
    services.fine_grained_token_update(
        token=issued.token, actor=cast.alice, permissions={"contents": "read", "issues": "write"}
    )
    return issued


def test_an_approved_token_asking_for_more_says_what_works_and_what_awaits_review(as_user, cast):
    issued = _approved_then_asks_for_more(cast)
    page = as_user(cast.alice).get(f"/settings/tokens/fine-grained/{issued.token.pk}/").content.decode()
    assert "Approved by acme for Contents (read-only); Issues (read and write) awaiting review" in page
    resource = parse_resource("acme/web")
    assert check(CheckInput(resource, "contents", "read", token=issued.plaintext)).decision.allowed
    assert check(CheckInput(resource, "issues", "read", token=issued.plaintext)).decision.reason == "approval_pending"


def test_a_denied_request_for_more_names_the_reason_and_what_still_works(as_user, cast):
    issued = _approved_then_asks_for_more(cast)
    services.access_request_review(
        request=pending_request(issued.token), reviewer=cast.olga, approve=False, reason="Issues are read-only here."
    )
    page = as_user(cast.alice).get("/settings/tokens/").content.decode()
    assert (
        "Approved by acme for Contents (read-only); Issues (read and write) denied: Issues are read-only here." in page
    )
    assert "Approved; more denied" in page


def test_the_edit_page_warns_that_asking_for_more_needs_approval_again(as_user, cast):
    issued = fine_grained_token(cast.alice, name="deploy", resource_owner=cast.acme, permissions={"contents": "read"})
    page = as_user(cast.alice).get(f"/settings/tokens/fine-grained/{issued.token.pk}/edit/").content.decode()
    assert "Asking for more access needs acme's approval again; until then the token keeps what was approved." in page


def test_a_pending_badge_is_amber_and_a_denied_one_red(as_user, cast):
    pending = fine_grained_token(cast.alice, name="waits", resource_owner=cast.acme, permissions={"contents": "read"})
    denied = fine_grained_token(cast.alice, name="stops", resource_owner=cast.acme, permissions={"contents": "read"})
    services.access_request_review(request=pending_request(denied.token), reviewer=cast.olga, approve=False)
    client = as_user(cast.alice)
    assert "badge-pending" in client.get(f"/settings/tokens/fine-grained/{pending.token.pk}/").content.decode()
    assert "badge-bad" in client.get(f"/settings/tokens/fine-grained/{denied.token.pk}/").content.decode()
