"""Email each organization's owners the requests waiting for them and the tokens about to expire there
(behaviour §5.2).

Run it daily (cron or a scheduler); an organization with nothing to say gets no email.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from tokens import notifications
from tokens.selectors import expiring_classic_tokens, expiring_grants, organizations_for_digest, pending_requests


class Command(BaseCommand):
    help = (
        "Email each organization's owners its pending fine-grained token requests "
        "and the tokens reaching it that expire within 7 days."
    )

    def handle(self, *args, **options):
        sent, now = 0, timezone.now()
        for organization in organizations_for_digest(now=now):
            requests = list(pending_requests(organization=organization).order_by("created_at", "id"))
            grants = list(expiring_grants(organization=organization, now=now))
            classic = list(expiring_classic_tokens(organization=organization, now=now))
            if requests or grants or classic:
                sent += notifications.pending_digest(
                    organization, requests, expiring_grants=grants, expiring_classic_tokens=classic
                )
        self.stdout.write(f"Sent {sent} digest email{'s' if sent != 1 else ''}.")
