"""The enterprise credentials inventory: what it lists, its filters, sort, search and paging (behaviour §5.1)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory, classic_token, fine_grained_token
from tokens.choices import CredentialType
from tokens.inventory.selectors import COLUMNS, _columns
from tokens.models import ClassicToken

from .conftest import keys

pytestmark = pytest.mark.django_db


def test_it_lists_every_credential_of_the_enterprises_members_and_nothing_of_another(inventory, erin):
    response = erin.get(inventory.url)
    assert response.status_code == 200
    assert keys(response) == {
        f"fine_grained:{inventory.acme_token.pk}",
        f"classic:{inventory.alice_classic.pk}",
        f"ssh_key:{inventory.bob_key.pk}",
    }
    page = response.content.decode()
    assert "mallory" not in page and "globex" not in page


def test_it_lists_a_managed_user_in_no_organization_and_a_member_once(inventory, erin):
    loner = UserFactory(username="emu_loner", managed_by=inventory.bigcorp)
    loner_token = classic_token(loner, note="loner").token
    response = erin.get(inventory.url)
    assert keys(response) == {
        f"fine_grained:{inventory.acme_token.pk}",
        f"classic:{inventory.alice_classic.pk}",
        f"classic:{loner_token.pk}",
        f"ssh_key:{inventory.bob_key.pk}",  # emu_bob is both managed and a member of acme
    }
    assert response.context["count"] == 4


def test_it_shows_holder_permissions_in_words_scopes_and_organizations(inventory, erin):
    page = erin.get(inventory.url).content.decode()
    assert "Contents (read-only)" in page
    assert "<td>repo</td>" in page
    assert "<td>acme</td>" in page  # the classic token's and the key's holders are acme's members


def test_owners_see_a_classic_tokens_masked_form_not_its_note(inventory, erin, root):
    assert "alice-note" not in erin.get(inventory.url).content.decode()
    assert inventory.alice_classic.masked in erin.get(inventory.url).content.decode()
    assert "alice-note" in root.get(inventory.url).content.decode()


def test_another_enterprise_and_a_missing_one_answer_the_same_404(inventory, erin):
    for slug in ("othercorp", "no-such"):
        for name in ("enterprise_credentials", "enterprise_credentials_export"):
            assert erin.get(reverse(name, args=[slug])).status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"type": "classic"}, {"classic"}),
        ({"type": "ssh_key"}, {"ssh_key"}),
        ({"permission": "contents"}, {"fine_grained"}),
        ({"permission": "scope:repo"}, {"classic"}),
        ({"permission": "scope:gist"}, set()),
        ({"organization": "acme"}, {"fine_grained", "classic", "ssh_key"}),
        ({"expiring": "31"}, {"fine_grained", "classic"}),
        ({"expiring": "1"}, set()),
        ({"q": "bob"}, {"ssh_key"}),
        ({"q": "alice-acme"}, {"fine_grained"}),
    ],
)
def test_each_filter_narrows_the_list(inventory, erin, query, expected):
    response = erin.get(inventory.url, query)
    assert response.status_code == 200
    assert {key.partition(":")[0] for key in keys(response)} == expected


def test_unused_for_counts_from_the_last_use_or_else_when_the_secret_was_issued(inventory, erin):
    old = timezone.now() - timezone.timedelta(days=120)
    ClassicToken.objects.filter(pk=inventory.alice_classic.pk).update(created_at=old, issued_at=old)
    response = erin.get(inventory.url, {"unused": "90"})
    assert keys(response) == {f"classic:{inventory.alice_classic.pk}"}
    ClassicToken.objects.filter(pk=inventory.alice_classic.pk).update(last_used_at=timezone.now())
    assert keys(erin.get(inventory.url, {"unused": "90"})) == set()


def test_a_regenerated_token_counts_as_unused_from_its_new_secret(inventory, erin):
    old = timezone.now() - timezone.timedelta(days=120)
    ClassicToken.objects.filter(pk=inventory.alice_classic.pk).update(created_at=old)  # issued anew since
    assert keys(erin.get(inventory.url, {"unused": "90"})) == set()


def test_sorting_by_holder_puts_alice_before_emu_bob(inventory, erin):
    rows = erin.get(inventory.url, {"o": "holder"}).context["rows"]
    assert [row.holder for row in rows] == ["alice", "alice", "emu_bob"]
    rows = erin.get(inventory.url, {"o": "-holder"}).context["rows"]
    assert rows[0].holder == "emu_bob"


def test_paging_shows_fifty_a_page_and_every_row_once(inventory, erin):
    for number in range(52):
        classic_token(inventory.alice, note=f"n{number}")
    first = erin.get(inventory.url)
    second = erin.get(inventory.url, {"p": "2"})
    assert (first.context["count"], first.context["pages"]) == (55, 2)
    assert len(keys(first)) == 50 and len(keys(second)) == 5
    assert not keys(first) & keys(second)
    assert "Next page" in first.content.decode()


def test_the_summary_counts_types_expiry_weeks_and_unused_tokens(inventory, erin):
    summary = erin.get(inventory.url).context["summary"]
    assert summary.by_type == {"fine_grained": 1, "classic": 1, "ssh_key": 1}
    assert sum(summary.expiring_per_week) == 2  # both tokens expire in 30 days
    assert summary.expiring_per_week[4] == 2
    assert summary.unused == 0


def test_the_charts_are_svg_images_with_a_title_and_their_numbers_as_text(inventory, erin):
    page = erin.get(inventory.url).content.decode()
    assert page.count('<svg role="img"') == 3
    assert '<title id="chart-by-type-title">Credentials by type</title>' in page
    assert "Fine-grained: 1; Classic: 1; SSH keys: 1." in page
    assert "<script" not in page.split("inventory-summary")[1].split("</section>")[0]


# --- Bad filters: a 400 naming the field, never a 500, nothing of another tenant -------------


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"password__startswith": "x"}, "password__startswith"),
        ({"user__password": "x"}, "user__password"),
        ({"digest__gte": "0"}, "digest__gte"),
        ({"organization": "globex"}, "Organization"),
        ({"organization": "9" * 30}, "Organization"),
        ({"type": "api_client"}, "Type"),
        ({"expiring": "0"}, "Expiring within"),
        ({"expiring": "9" * 30}, "Expiring within"),
        ({"unused": "-1"}, "Unused for"),
        ({"permission": "digest"}, "Permission or scope"),
        ({"o": "digest"}, "Sort"),
        ({"p": "abc"}, "P"),
        ({"q": "x" * 101}, "Search"),
    ],
)
def test_a_filter_it_does_not_take_is_a_400_naming_it(inventory, erin, query, named):
    response = erin.get(inventory.url, query)
    assert response.status_code == 400
    assert named in response.content.decode()
    assert response.context["rows"] == []
    assert erin.get(inventory.export_url, query).status_code == 400


def test_another_enterprises_organization_is_refused_not_filtered_on(inventory, erin):
    assert erin.get(inventory.url, {"organization": "globex"}).status_code == 400


def test_a_page_beyond_the_last_shows_the_last(inventory, erin):
    response = erin.get(inventory.url, {"p": "999"})
    assert response.status_code == 200 and response.context["page"] == 1


def test_the_sidebar_links_to_the_inventory(inventory, erin):
    page = erin.get(reverse("admin:enterprises_enterprise_account", args=["bigcorp"])).content.decode()
    assert inventory.url in page


# --- Bounded queries --------------------------------------------------------------------------


def _tokens(cast, count):
    for number in range(count):
        holder = (cast.alice, cast.emu_bob)[number % 2]  # a holder has at most 50 fine-grained tokens
        fine_grained_token(holder, name=f"fg{number}", resource_owner=cast.acme)
        classic_token(holder, note=f"c{number}")


@pytest.mark.parametrize("count", [5, 50])
def test_the_page_answers_in_the_same_number_of_queries_for_5_or_50_tokens(
    inventory, erin, count, django_assert_max_num_queries
):
    _tokens(inventory, count)
    with django_assert_max_num_queries(14):
        assert erin.get(inventory.url, {"organization": "acme"}).status_code == 200


def test_every_part_of_the_union_has_the_same_columns():
    assert (
        tuple(_columns(CredentialType.SSH_KEY, label=0, grants=0, organization_login=0, expires=0, last_used=0))
        == COLUMNS
    )
