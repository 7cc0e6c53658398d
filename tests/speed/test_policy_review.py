"""Review changes costs the same queries for a few tokens or many (issue 20): its rows are read in bulk."""

from urllib.parse import urlencode

from django.db import connection
from django.test.utils import CaptureQueriesContext

from policies.review_page import sign
from tests.factories import ClassicTokenFactory
from tests.speed.conftest import FEW, MANY, Rows

URL = "/orgs/acme/settings/personal-access-tokens/"


def _review_queries(client, cast) -> dict[str, int]:
    cast.acme.refresh_from_db()
    values = {
        "fine_grained_access": "restrict",
        "fine_grained_approval": "require",
        "classic_access": "restrict",
        "fine_grained_max_lifetime_days": None,
    }
    query = urlencode({"review": sign(f"organization:{cast.acme.pk}", cast.acme.policy_revision, values)})
    counted = {}
    for suffix in ("", "&page=2", "&format=csv"):
        url = f"{URL}?{query}{suffix}"
        assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
            if suffix == "&format=csv":
                b"".join(response.streaming_content)
        assert response.status_code == 200
        counted[suffix] = len(captured)
    return counted


def test_the_review_costs_the_same_queries_for_few_tokens_or_many(cast, owner_site):
    rows = Rows(cast, approve=True)
    rows.add(FEW)
    ClassicTokenFactory(user=cast.alice, scopes=["repo"])
    few = _review_queries(owner_site, cast)
    rows.add(MANY - FEW)
    ClassicTokenFactory(user=cast.emu_bob, scopes=["read:org"])
    assert _review_queries(owner_site, cast) == few
