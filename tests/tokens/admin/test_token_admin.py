"""Token metadata in the admin: no secrets or digests, no add button, revoke instead of delete (behaviour §5.1)."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from audit.models import AuditEvent
from tests.factories import classic_token, fine_grained_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(cast):
    return {
        "fine_grained": fine_grained_token(cast.alice, name="alice-acme", resource_owner=cast.acme),
        "classic": classic_token(cast.alice, note="alice-classic"),
        "globex": fine_grained_token(cast.mallory, name="mallory-globex", resource_owner=cast.globex),
    }


def urls(token):
    info = f"admin:tokens_{token._meta.model_name}"
    return reverse(f"{info}_changelist"), reverse(f"{info}_change", args=[token.pk])


@pytest.mark.parametrize("kind", ["fine_grained", "classic"])
def test_no_page_shows_a_secret_digest_or_pepper(issued, erin, root, kind):
    token = issued[kind].token
    for client in (erin, root):
        for url in urls(token):
            content = client.get(url).content.decode()
            assert issued[kind].plaintext not in content
            assert token.digest not in content
            assert "pepper" not in content.lower()
            assert "digest" not in content.lower()
            assert token.masked in content


@pytest.mark.parametrize("kind", ["fine_grained", "classic"])
def test_tokens_cannot_be_added_edited_or_deleted(issued, erin, root, kind):
    token = issued[kind].token
    info = f"admin:tokens_{token._meta.model_name}"
    for client in (erin, root):
        changelist = client.get(reverse(f"{info}_changelist"))
        assert reverse(f"{info}_add") not in changelist.content.decode()
        assert "delete_selected" not in changelist.content.decode()
        assert client.get(reverse(f"{info}_add")).status_code == 403
        assert client.get(reverse(f"{info}_delete", args=[token.pk])).status_code == 403
        assert client.post(reverse(f"{info}_change", args=[token.pk]), {"name": "renamed"}).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("kind", ["fine_grained", "classic"])
def test_a_superusers_revoke_action_revokes_through_the_service(issued, root, kind):
    token = issued[kind].token
    changelist, _ = urls(token)
    response = root.post(changelist, {"action": "revoke_selected", ACTION_CHECKBOX_NAME: [token.pk]}, follow=True)
    assert "Revoked 1 token." in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(
        action="personal_access_token.revoked", token_id=token.pk, token_type=token.TOKEN_TYPE, actor__username="root"
    ).exists()


def test_an_enterprise_owners_revoke_action_revokes_a_fine_grained_token_through_the_service(issued, erin, cast):
    # Its resource owner is one of the enterprise's organizations: that is all it reaches besides public reads.
    token = issued["fine_grained"].token
    changelist, _ = urls(token)
    response = erin.post(changelist, {"action": "revoke_selected", ACTION_CHECKBOX_NAME: [token.pk]}, follow=True)
    assert "Revoked 1 token." in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(
        action="personal_access_token.revoked", token_id=token.pk, token_type=token.TOKEN_TYPE, actor=cast.erin
    ).exists()


def test_revoking_another_tenants_token_by_id_does_nothing(issued, erin):
    theirs = issued["globex"].token
    changelist, _ = urls(theirs)
    erin.post(changelist, {"action": "revoke_selected", ACTION_CHECKBOX_NAME: [theirs.pk]})
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_a_token_whose_resource_owner_is_its_user_is_not_the_enterprises(cast, erin):
    personal = fine_grained_token(cast.alice, name="alice-own").token
    changelist, change = urls(personal)
    assert personal not in erin.get(changelist).context["cl"].result_list
    assert erin.get(change).status_code == 404


def test_classic_tokens_of_managed_users_are_the_enterprises(cast, erin, oscar):
    token = classic_token(cast.emu_bob, note="bob-classic").token
    _, change = urls(token)
    assert erin.get(change).status_code == 200
    assert oscar.get(change).status_code == 404
