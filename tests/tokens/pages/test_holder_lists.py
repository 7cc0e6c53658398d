"""The holder's lists: tabs per credential type, search, sort, pages, expiry warnings; SSH keys."""

from datetime import timedelta

from django.utils import timezone

from audit.models import AuditEvent
from tests.factories import SSHKeyFactory, classic_token, fine_grained_token
from tokens.models import FineGrainedToken, SSHKey

LIST = "/settings/tokens/"
KEYS = "/settings/tokens/ssh-keys/"


def names(response):
    return [row.token.label for row in response.context["rows"]]


def test_the_fine_grained_tab_lists_no_classic_token_and_the_classic_tab_no_fine_grained(as_user, cast):
    fine_grained_token(cast.alice, name="deploy")
    classic_token(cast.alice, note="laptop")
    client = as_user(cast.alice)
    assert names(client.get(LIST)) == ["deploy"]
    assert names(client.get(LIST + "?type=classic")) == ["laptop"]


def test_search_matches_name_or_description(as_user, cast):
    fine_grained_token(cast.alice, name="deploy", description="ships the web app")
    fine_grained_token(cast.alice, name="backup")
    client = as_user(cast.alice)
    assert names(client.get(LIST + "?q=DEPLOY")) == ["deploy"]
    assert names(client.get(LIST + "?q=web")) == ["deploy"]
    assert "No token matches" in client.get(LIST + "?q=nothing").content.decode()


def test_sort_by_name_and_by_expiry_with_never_last(as_user, cast):
    fine_grained_token(cast.alice, name="b", expires_in_days=90)
    fine_grained_token(cast.alice, name="a", expires_in_days=None)
    fine_grained_token(cast.alice, name="c", expires_in_days=7)
    client = as_user(cast.alice)
    assert names(client.get(LIST + "?sort=name")) == ["a", "b", "c"]
    assert names(client.get(LIST + "?sort=-name")) == ["c", "b", "a"]
    assert names(client.get(LIST + "?sort=expires")) == ["c", "b", "a"]
    assert names(client.get(LIST + "?sort=-expires")) == ["b", "c", "a"]


def test_a_bad_sort_is_named_and_the_list_still_shows(as_user, cast):
    fine_grained_token(cast.alice, name="deploy")
    response = as_user(cast.alice).get(LIST + "?sort=secret")
    assert response.status_code == 200
    assert names(response) == ["deploy"]
    assert "Select a valid choice" in response.content.decode()


def test_the_list_has_pages(as_user, cast):
    for n in range(27):
        fine_grained_token(cast.alice, name=f"t{n:02}")
    client = as_user(cast.alice)
    first = client.get(LIST + "?sort=name")
    assert len(names(first)) == 25
    assert "Page 1 of 2" in first.content.decode()
    assert names(client.get(LIST + "?sort=name&page=2")) == ["t25", "t26"]


def test_a_token_expiring_within_seven_days_says_so(as_user, cast):
    fine_grained_token(cast.alice, name="soon", expires_in_days=3)
    fine_grained_token(cast.alice, name="later", expires_in_days=30)
    response = as_user(cast.alice).get(LIST)
    rows = {row.token.name: row for row in response.context["rows"]}
    assert (rows["soon"].expires_in_days, rows["later"].expires_in_days) == (3, None)
    assert 'class="expires-soon">Expires in 3 days' in response.content.decode()


def test_a_revoked_token_lists_nothing_about_organizations(as_user, cast):
    token = fine_grained_token(cast.alice, name="old", resource_owner=cast.acme, permissions={"contents": "read"}).token
    token.revoked_at = timezone.now() - timedelta(hours=1)
    FineGrainedToken.objects.filter(pk=token.pk).update(revoked_at=token.revoked_at)
    response = as_user(cast.alice).get(LIST)
    [row] = response.context["rows"]
    assert row.states == []
    page = response.content.decode()
    assert "Revoked: works nowhere." in page
    assert 'data-org="acme"' not in page


def test_the_ssh_keys_page_lists_the_holders_keys_and_the_token_that_added_one(as_user, cast):
    token = classic_token(cast.alice, note="ci").token
    SSHKeyFactory(user=cast.alice, title="laptop")
    SSHKeyFactory(user=cast.alice, title="from-ci", created_by_token=token)
    SSHKeyFactory(user=cast.olga, title="olgas")
    page = as_user(cast.alice).get(KEYS).content.decode()
    assert "laptop" in page and "from-ci" in page and "olgas" not in page
    assert f'href="/settings/tokens/classic/{token.pk}/">token ci</a>' in page


def test_deleting_an_ssh_key_asks_first_then_stops_it_and_audits(as_user, cast):
    key = SSHKeyFactory(user=cast.alice, title="laptop")
    client = as_user(cast.alice)
    confirm = client.get(f"{KEYS}{key.pk}/delete/").content.decode()
    assert "laptop</strong> stops working everywhere at once; this cannot be undone." in confirm
    assert 'class="card confirm-form"' in confirm
    response = client.post(f"{KEYS}{key.pk}/delete/")
    assert response["Location"] == KEYS
    key.refresh_from_db()
    assert key.deleted_at is not None
    assert AuditEvent.objects.filter(action="ssh_key.deleted", token_id=key.pk).count() == 1
    assert list(client.get(KEYS).context["keys"]) == []


def test_another_users_ssh_key_is_a_404_and_stays(as_user, cast):
    key = SSHKeyFactory(user=cast.olga, title="olgas")
    client = as_user(cast.alice)
    assert client.get(f"{KEYS}{key.pk}/delete/").status_code == 404
    assert client.post(f"{KEYS}{key.pk}/delete/").status_code == 404
    assert SSHKey.objects.get(pk=key.pk).deleted_at is None
