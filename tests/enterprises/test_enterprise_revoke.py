"""An enterprise owner's reach over classic tokens and SSH keys in the admin (issue 16 §6).

Their revoke blocks the credential for their enterprise only (as GitHub's revoke
of a credential's SSO authorization); they see a classic token's scopes and
dates, never its note.
"""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.urls import reverse

from organizations.services import membership_add
from tests.factories import classic_token, fingerprint_for
from tests.tokens.engine.helpers import check_ssh_key, check_token
from tokens import services
from tokens.engine.decision import Reason
from tokens.models import EnterpriseCredentialRevocation

pytestmark = pytest.mark.django_db

CLASSIC_LIST = reverse("admin:tokens_classictoken_changelist")
KEY_LIST = reverse("admin:tokens_sshkey_changelist")
NOTE = "deploy box under the desk"


@pytest.fixture
def issued(cast):
    return classic_token(cast.alice, note=NOTE, scopes=["repo", "read:org"])


@pytest.fixture
def key(cast):
    return services.ssh_key_create(user=cast.alice, title="laptop", fingerprint=fingerprint_for("alice"))


def revoke(client, url, pk):
    return client.post(url, {"action": "revoke_selected", ACTION_CHECKBOX_NAME: [pk]}, follow=True)


def test_an_enterprise_owners_revoke_blocks_a_classic_token_in_the_enterprise(issued, erin):
    response = revoke(erin, CLASSIC_LIST, issued.token.pk)

    assert "Revoked 1 token&#x27;s access to your enterprise." in response.content.decode()
    assert check_token(issued.plaintext, "acme/web", "contents:read").reason == Reason.ACCESS_REVOKED


def test_an_enterprise_owners_revoke_leaves_a_classic_token_working_outside_the_enterprise(issued, erin):
    revoke(erin, CLASSIC_LIST, issued.token.pk)

    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None
    assert check_token(issued.plaintext, "alice/dotfiles", "contents:write").allowed


def test_an_enterprise_owners_revoke_is_recorded_for_their_enterprise(issued, erin, cast):
    revoke(erin, CLASSIC_LIST, issued.token.pk)

    revocation = EnterpriseCredentialRevocation.objects.get()
    assert (revocation.enterprise, revocation.classic_token, revocation.revoked_by) == (
        cast.bigcorp,
        issued.token,
        cast.erin,
    )


def test_an_enterprise_owners_revoke_of_an_ssh_key_blocks_it_in_the_enterprise_only(key, erin):
    response = revoke(erin, KEY_LIST, key.pk)

    assert "Revoked 1 SSH key&#x27;s access to your enterprise." in response.content.decode()
    assert check_ssh_key(key.fingerprint, "acme/web", "contents:read").reason == Reason.ACCESS_REVOKED
    assert check_ssh_key(key.fingerprint, "alice/dotfiles", "contents:read").allowed


def test_another_tenants_ssh_key_is_neither_listed_nor_revoked(cast, oscar, key):
    assert key not in oscar.get(KEY_LIST).context["cl"].result_list
    assert oscar.get(reverse("admin:tokens_sshkey_change", args=[key.pk])).status_code == 404

    revoke(oscar, KEY_LIST, key.pk)

    assert not EnterpriseCredentialRevocation.objects.exists()


def test_enterprise_owners_see_a_classic_tokens_scopes_and_dates_not_its_note(issued, erin):
    for url in (CLASSIC_LIST, reverse("admin:tokens_classictoken_change", args=[issued.token.pk])):
        content = erin.get(url).content.decode()
        assert NOTE not in content
        assert "read:org" in content
        assert issued.token.masked in content


def test_enterprise_owners_cannot_search_by_a_classic_tokens_note(issued, erin):
    found = erin.get(CLASSIC_LIST, {"q": "under the desk"}).context["cl"].result_list

    assert issued.token not in found


def test_superusers_read_the_note(issued, root):
    assert NOTE in root.get(reverse("admin:tokens_classictoken_change", args=[issued.token.pk])).content.decode()
    assert issued.token in root.get(CLASSIC_LIST, {"q": "under the desk"}).context["cl"].result_list


def test_the_list_shows_which_tokens_the_owners_enterprise_revoked(issued, erin, cast):
    kept = classic_token(cast.alice, note="kept").token
    revoke(erin, CLASSIC_LIST, issued.token.pk)

    rows = {token.pk: token.enterprise_revoked for token in erin.get(CLASSIC_LIST).context["cl"].result_list}

    assert rows == {issued.token.pk: True, kept.pk: False}


def test_another_enterprises_revoke_is_not_shown_as_the_owners(cast, oscar):
    # mallory is in globex (Other Corp) and, here, acme (Big Corp): Big Corp's revoke is not Other Corp's.
    membership_add(organization=cast.acme, user=cast.mallory)
    token = classic_token(cast.mallory).token
    services.credential_enterprise_revoke(credential=token, enterprise=cast.bigcorp, actor=cast.erin)

    [row] = oscar.get(CLASSIC_LIST).context["cl"].result_list
    assert row.enterprise_revoked is False


def test_the_holder_is_emailed_that_the_enterprise_revoked_their_key(
    key, erin, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        revoke(erin, KEY_LIST, key.pk)

    (message,) = mail.outbox
    assert message.to == [cast.alice.email]
    assert message.subject == "[Patrol] Big Corp revoked the access of your SSH key “laptop”"
    assert "It keeps working outside Big Corp." in message.body
