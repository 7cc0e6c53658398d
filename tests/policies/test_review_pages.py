"""The two-step Save on both policy pages: "Review changes" shows what the change would do, then "Save"
saves exactly what was reviewed, at the revision reviewed (behaviour §5.1, §5.2).
Each test runs on both pages (tests/policies/conftest.py)."""

import csv
import io
from urllib.parse import parse_qs, urlsplit

import pytest

from audit.models import AuditEvent
from organizations.services import membership_add
from policies.review_page import BAD_LINK, NOT_REVIEWED, NOTHING_TO_REVIEW, PAGE_SIZE, STALE_REVIEW
from tests.factories import FineGrainedTokenFactory, GrantFactory, UserFactory
from tests.policies.conftest import messages_of

pytestmark = pytest.mark.django_db

RESTRICT = {"fine_grained_access": "restrict"}


@pytest.fixture
def granted(cast):
    """alice's fine-grained token for acme, approved: restricting fine-grained tokens cuts it off."""
    token = FineGrainedTokenFactory(
        user=cast.alice, resource_owner=cast.acme, permissions={"contents": "read"}, repository_access="all"
    )
    GrantFactory(token=token)
    return token


def _review(page, **values):
    """POST "Review changes" as the page sends it; the response is the redirect to the review."""
    page.owner.refresh_from_db()
    data = {**page.defaults, "policy_revision": page.owner.policy_revision, "action": "review", **values}
    return page.client.post(page.url, {name: value for name, value in data.items() if value is not None})


def _reviewed(page, **values):
    response = _review(page, **values)
    assert response.status_code == 302, messages_of(page.client.get(page.url))
    return page.client.get(response["Location"])


def _save_reviewed(page, review_response, **changes):
    """POST "Save" with the form as the review page shows it (its values, its signature), changed by `changes`."""
    form = review_response.context["form"]
    values = {name: form[name].value() for name in form.fields}
    data = {name: value for name, value in values.items() if value is not None and value is not False}
    data.update(action="save", reviewed=review_response.context["review"]["token"], **changes)
    return page.client.post(page.url, data)


def test_review_changes_shows_the_sentence_and_the_tokens_cut_off(policy_page, granted):
    response = _reviewed(policy_page, **RESTRICT)
    content = response.content.decode()
    assert response.status_code == 200
    assert "This change would cut off 1 token of 1 person in 1 organization." in content
    assert "<td>alice</td><td>acme</td><td>Cut off</td><td>Allowed</td><td>Fine-grained tokens restricted</td>" in (
        content
    )
    assert 'name="action" value="save"' in content


def test_review_changes_saves_nothing(policy_page, granted):
    revision = policy_page.stored()
    _reviewed(policy_page, **RESTRICT)
    assert policy_page.stored() == revision
    assert not AuditEvent.objects.filter(action=f"{policy_page.kind}.pat_policy_changed").exists()


def test_save_after_the_review_saves_the_reviewed_values(policy_page, granted):
    response = _save_reviewed(policy_page, _reviewed(policy_page, **RESTRICT))
    assert response.status_code == 302
    assert policy_page.stored()["fine_grained_access"] == "restrict"


def test_save_with_values_other_than_reviewed_saves_nothing_and_asks_for_a_new_review(policy_page, granted):
    review = _reviewed(policy_page, **RESTRICT)
    response = _save_reviewed(policy_page, review, classic_access="restrict")
    assert response.status_code == 409
    assert NOT_REVIEWED in messages_of(response)
    assert policy_page.stored()["fine_grained_access"] != "restrict"


def test_save_after_another_owner_saved_saves_nothing_and_asks_for_a_new_review(policy_page, granted):
    review = _reviewed(policy_page, **RESTRICT)
    policy_page.update(classic_access="restrict")
    response = _save_reviewed(policy_page, review)
    assert response.status_code == 409
    assert policy_page.stored()["fine_grained_access"] != "restrict"


def test_a_review_link_made_before_another_owner_saved_asks_for_a_new_review(policy_page, granted):
    location = _review(policy_page, **RESTRICT)["Location"]
    policy_page.update(classic_access="restrict")
    response = policy_page.client.get(location)
    assert response.status_code == 409
    assert STALE_REVIEW in messages_of(response)
    assert response.context["review"] is None


def test_a_review_link_of_another_page_or_tampered_is_refused(policy_page, cast, granted):
    location = _review(policy_page, **RESTRICT)["Location"]
    response = policy_page.client.get(location[:-3] + "abc")
    assert response.status_code == 400
    assert BAD_LINK in messages_of(response)


def test_reviewing_the_values_in_force_says_there_is_nothing_to_review(policy_page):
    response = _review(policy_page)
    assert response.status_code == 200
    assert NOTHING_TO_REVIEW in messages_of(response)


def test_reviewing_invalid_input_names_the_field_and_reviews_nothing(policy_page):
    response = _review(policy_page, fine_grained_access="sometimes")
    assert response.status_code == 400
    assert "“sometimes” is not an option" in response.content.decode()
    assert response.context["review"] is None


def test_a_change_that_flips_nothing_says_so(policy_page):
    content = _reviewed(policy_page, **RESTRICT).content.decode()
    assert "This change would not change any token&#x27;s access." in content


def test_the_list_is_paginated(policy_page, cast):
    for number in range(PAGE_SIZE + 1):
        user = UserFactory(username=f"member{number}")
        membership_add(organization=cast.acme, user=user)
        token = FineGrainedTokenFactory(user=user, resource_owner=cast.acme, permissions={"members": "read"})
        GrantFactory(token=token)
    first = _reviewed(policy_page, **RESTRICT)
    assert len(first.context["review"]["page"]) == PAGE_SIZE
    query = parse_qs(urlsplit(first.request["PATH_INFO"] + "?" + first.request["QUERY_STRING"]).query)
    second = policy_page.client.get(policy_page.url, {"review": query["review"][0], "page": 2})
    assert len(second.context["review"]["page"]) == 1


def test_the_csv_lists_each_token_with_its_holder_organization_and_reason_code(policy_page, granted):
    review = _reviewed(policy_page, **RESTRICT)
    response = policy_page.client.get(policy_page.url + review.context["review"]["csv_url"])
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:5] == ["token", "token_type", "holder", "organization", "effect"]
    assert rows[1:] == [
        [
            granted.name,
            "fine_grained",
            "alice",
            "acme",
            "cut_off",
            "allowed",
            "fine_grained_restricted",
            "Fine-grained tokens restricted",
        ]
    ]


def test_a_save_without_the_review_signature_saves_nothing(policy_page, granted):
    policy_page.owner.refresh_from_db()
    data = {**policy_page.defaults, **RESTRICT, "policy_revision": policy_page.owner.policy_revision}
    response = policy_page.client.post(policy_page.url, {**data, "action": "save", "reviewed": "forged"})
    assert response.status_code == 409
    assert policy_page.stored()["fine_grained_access"] != "restrict"
