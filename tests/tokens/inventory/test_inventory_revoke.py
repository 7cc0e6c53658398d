"""The inventory's bulk revoke: confirmed, within the enterprise, each holder emailed, each revoke audited."""

import pytest
from django.core import mail

from audit.models import AuditEvent
from tests.conftest import client_for
from tests.factories import fine_grained_token
from tokens.choices import RequestStatus
from tokens.models import AccessRequest, EnterpriseCredentialRevocation, Grant

from .conftest import keys

pytestmark = pytest.mark.django_db


def _selection(world):
    return [f"fine_grained:{world.acme_token.pk}", f"classic:{world.alice_classic.pk}", f"ssh_key:{world.bob_key.pk}"]


def test_selecting_asks_for_confirmation_and_says_what_will_happen(inventory, erin):
    response = erin.post(inventory.revoke_url, {"selected": _selection(inventory)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Revoke access to Big Corp?" in page
    assert "keep working elsewhere" in page and "Each holder is emailed" in page
    assert "alice-acme" in page and "bob-laptop" in page
    assert not EnterpriseCredentialRevocation.objects.exists()
    assert not Grant.objects.filter(revoked_at__isnull=False).exists()


def test_confirming_revokes_each_credentials_access_to_the_enterprise_only(
    inventory, erin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = erin.post(inventory.revoke_url, {"selected": _selection(inventory), "confirm": "yes"})
    assert response.status_code == 302
    assert Grant.objects.get(token=inventory.acme_token).revoked_at is not None
    assert EnterpriseCredentialRevocation.objects.filter(enterprise=inventory.bigcorp).count() == 2
    inventory.alice_classic.refresh_from_db()
    assert inventory.alice_classic.revoked_at is None  # still the holder's, outside Big Corp
    assert keys(erin.get(inventory.url)) == set()


def test_each_holder_gets_an_email_naming_the_enterprise(inventory, erin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        erin.post(inventory.revoke_url, {"selected": _selection(inventory), "confirm": "yes"})
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [inventory.alice.email, inventory.alice.email, inventory.emu_bob.email]
    )
    subjects = {message.subject for message in mail.outbox}
    assert "[Patrol] Big Corp revoked the access of your SSH key “bob-laptop”" in subjects


def test_each_revoke_is_audited_in_the_enterprises_log(inventory, erin):
    erin.post(inventory.revoke_url, {"selected": _selection(inventory), "confirm": "yes"})
    events = AuditEvent.objects.filter(enterprise=inventory.bigcorp, actor=inventory.erin)
    assert sorted(events.values_list("action", flat=True)) == [
        "personal_access_token.access_revoked",
        "personal_access_token.access_revoked",
        "ssh_key.access_revoked",
    ]


@pytest.mark.parametrize(
    "selected",
    [
        lambda w: [f"fine_grained:{w.globex_token.pk}"],
        lambda w: [f"classic:{w.mallory_classic.pk}", f"classic:{w.alice_classic.pk}"],
        lambda w: ["classic:999999"],
    ],
    ids=["another enterprise's token", "mixed with one's own", "missing"],
)
def test_a_credential_outside_the_inventory_is_a_400_and_nothing_is_revoked(inventory, erin, selected):
    response = erin.post(inventory.revoke_url, {"selected": selected(inventory), "confirm": "yes"})
    assert response.status_code == 400
    assert "not in the inventory of Big Corp" in response.content.decode()
    assert not EnterpriseCredentialRevocation.objects.exists()
    assert not AuditEvent.objects.filter(action__endswith="access_revoked").exists()


@pytest.mark.parametrize(
    "selected",
    [[], ["classic"], ["classic:abc"], ["api_client:1"], ["classic:" + "9" * 30], ["classic:١"], ["classic:1"] * 101],
)
def test_a_malformed_selection_is_a_400_naming_the_field(inventory, erin, selected):
    response = erin.post(inventory.revoke_url, {"selected": selected, "confirm": "yes"})
    assert response.status_code == 400
    assert "selected:" in response.content.decode()


def test_another_enterprises_owner_cannot_revoke_here(inventory, cast):
    oscar = client_for(cast.oscar)
    response = oscar.post(inventory.revoke_url, {"selected": _selection(inventory), "confirm": "yes"})
    assert response.status_code == 404
    assert not EnterpriseCredentialRevocation.objects.exists()


def test_revoke_answers_only_post(inventory, erin):
    assert erin.get(inventory.revoke_url).status_code == 405


def test_a_token_still_waiting_for_review_has_its_request_cancelled(inventory, erin):
    waiting = fine_grained_token(inventory.emu_bob, name="bob-waiting", resource_owner=inventory.acme).token
    erin.post(inventory.revoke_url, {"selected": [f"fine_grained:{waiting.pk}"], "confirm": "yes"})
    assert AccessRequest.objects.get(token=waiting).status == RequestStatus.CANCELLED
    assert f"fine_grained:{waiting.pk}" not in keys(erin.get(inventory.url))
