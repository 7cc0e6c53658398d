"""Send the emails still waiting in the outbox (see outbox.services).

Run it every minute (cron or a scheduler) in production: it sends what a crash
right after a commit, or a failed SMTP attempt, left behind. Each run tries
every pending email once; it exits non-zero when some failed, so the scheduler
reports it, and those emails are tried again on the next run. Several runs at
once on PostgreSQL share the work and never send one email twice.
"""

from django.core.management.base import BaseCommand, CommandError

from outbox.services import outbound_emails_deliver


class Command(BaseCommand):
    help = "Send every email still pending in the outbox."

    def handle(self, *args, **options):
        sent, failed = outbound_emails_deliver()
        self.stdout.write(f"Sent {sent} email{'s' if sent != 1 else ''}.")
        if failed:
            raise CommandError(
                f"{failed} email{'s' if failed != 1 else ''} failed and wait for the next run (see last_error)."
            )
