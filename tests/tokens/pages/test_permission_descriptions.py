"""Owners read what each permission lets a token do, in the lists, the detail pages and the filter."""

import re

from tests.conftest import request_for
from tests.factories import GrantFactory
from tokens.engine.catalogue import PERMISSION_DESCRIPTIONS

PATS = "/orgs/acme/settings/personal-access-tokens"
CONTENTS, ISSUES = PERMISSION_DESCRIPTIONS["contents"], PERMISSION_DESCRIPTIONS["issues"]


def disclosures(page: str) -> list[str]:
    return re.findall(r'<details class="permission-help">(.*?)</details>', page, flags=re.DOTALL)


def described_beside_it(page: str, description: str) -> bool:
    return f'<span class="permission-description">{description}</span>' in page


def a_grant(cast, permissions):
    return GrantFactory(
        user=cast.alice, organization=cast.acme, name="ci", permissions=permissions, repository_access="all"
    )


def test_each_pending_request_says_what_its_permissions_allow_behind_a_disclosure(as_user, cast):
    request_for(cast.alice, cast, permissions={"contents": "read", "issues": "write"})
    [disclosure] = disclosures(as_user(cast.olga).get(f"{PATS}/requests/").content.decode())
    assert "<summary>What these permissions allow" in disclosure
    assert described_beside_it(disclosure, CONTENTS) and described_beside_it(disclosure, ISSUES)


def test_each_active_token_says_what_its_permission_allows_behind_a_disclosure(as_user, cast):
    a_grant(cast, {"issues": "read"})
    [disclosure] = disclosures(as_user(cast.olga).get(f"{PATS}/active/").content.decode())
    assert "<summary>What this permission allows" in disclosure
    assert described_beside_it(disclosure, ISSUES)


def test_the_request_page_shows_what_each_permission_allows_beside_it(as_user, cast):
    access_request = request_for(cast.alice, cast, permissions={"contents": "read", "issues": "write"})
    page = as_user(cast.olga).get(f"{PATS}/requests/{access_request.pk}/").content.decode()
    assert described_beside_it(page, CONTENTS) and described_beside_it(page, ISSUES)
    assert disclosures(page) == []


def test_the_active_token_page_shows_what_each_permission_allows_beside_it(as_user, cast):
    grant = a_grant(cast, {"contents": "write"})
    page = as_user(cast.olga).get(f"{PATS}/active/{grant.pk}/").content.decode()
    assert described_beside_it(page, CONTENTS)
    assert disclosures(page) == []


def test_each_option_of_the_permission_filter_says_what_the_permission_allows(as_user, cast):
    page = as_user(cast.olga).get(f"{PATS}/active/").content.decode()
    assert f'<option value="issues_read">Issues: read — {ISSUES}</option>' in page
    assert f'<option value="contents_write">Contents: write — {CONTENTS}</option>' in page
