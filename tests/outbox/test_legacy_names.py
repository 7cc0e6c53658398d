"""Names stored before they had to be plain text still make a sendable email (issue 16, point 4)."""

from django.core import mail
from django.core.management import call_command

from organizations.models import Organization
from outbox.models import OutboundEmail
from tests.factories import grant_of
from tests.outbox.helpers import request_for
from tokens import services
from tokens.models import FineGrainedToken
from tokens.notifications import pending_digest


def test_a_legacy_token_name_with_a_header_in_it_is_sent_on_one_line_to_the_requester_only(cast):
    request = request_for(cast)
    FineGrainedToken.objects.filter(pk=request.token_id).update(name="deploy\nBcc: x@y")  # as stored before the fix
    services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    call_command("deliver_outbox")
    (message,) = mail.outbox
    assert message.subject == "[Patrol] acme approved your token “deploy Bcc: x@y”"
    assert message.recipients() == ["alice@example.com"]
    assert message.message()["Bcc"] is None
    assert OutboundEmail.objects.get().sent_at is not None


def test_a_legacy_name_with_a_carriage_return_makes_a_sendable_revocation_email(cast):
    request = request_for(cast)
    services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    FineGrainedToken.objects.filter(pk=request.token_id).update(name="ci\r\nX-Priority: 1\u202e")
    services.grant_revoke(grant=grant_of(request.token), actor=cast.olga)
    call_command("deliver_outbox")
    revoked = [message for message in mail.outbox if "revoked" in message.subject]
    assert [message.subject for message in revoked] == ["[Patrol] acme revoked your token “ci X-Priority: 1”"]


def test_the_pending_digest_survives_a_legacy_organization_login(cast):
    request_for(cast)
    Organization.objects.filter(pk=cast.acme.pk).update(login="acme\nBcc: x@y")
    cast.acme.refresh_from_db()
    assert pending_digest(cast.acme, list(cast.acme.access_requests.all())) == 1
    (message,) = mail.outbox
    assert message.subject == "[Patrol] 1 pending token request in acme Bcc: x@y"
