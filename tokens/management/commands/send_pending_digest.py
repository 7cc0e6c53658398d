"""Email each organization's owners the requests waiting for them (behaviour §5.2).

Run it daily (cron or a scheduler); an organization with nothing pending gets no email.
"""

from django.core.management.base import BaseCommand

from tokens import notifications
from tokens.selectors import organizations_with_pending_requests, pending_requests


class Command(BaseCommand):
    help = "Email each organization's owners a digest of pending fine-grained token requests."

    def handle(self, *args, **options):
        sent = 0
        for organization in organizations_with_pending_requests():
            requests = list(pending_requests(organization=organization).order_by("created_at", "id"))
            sent += notifications.pending_digest(organization, requests)
        self.stdout.write(f"Sent {sent} digest email{'s' if sent != 1 else ''}.")
