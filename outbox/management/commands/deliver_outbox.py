"""Send the emails due in the outbox (see outbox.services).

Run it every minute (cron or a scheduler) in production: it sends what a crash
right after a commit, or a failed SMTP attempt, left behind. Each run tries
every email that is due once and prints a line per email, then a summary. It
exits non-zero while some emails failed and wait for a later run, so the
scheduler reports it. An email whose last allowed attempt failed is parked
(logged as an error, listed in the admin) and no longer fails the run. Several
runs at once on PostgreSQL share the work and never send one email twice.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from outbox.services import Outcome, outbound_emails_deliver


def _emails(count: int) -> str:
    return f"{count} email{'s' if count != 1 else ''}"


class Command(BaseCommand):
    help = "Send every email due in the outbox; park those whose last allowed attempt failed."

    def handle(self, *args, **options):
        def progress(email, outcome):
            if options["verbosity"] < 1:
                return
            line = f"#{email.pk} {email.kind}: {outcome}"
            if outcome == Outcome.FAILED:
                line += (
                    f" (attempt {email.attempts} of {settings.PATROL_OUTBOX_MAX_ATTEMPTS},"
                    f" next after {email.next_attempt_at.isoformat(timespec='seconds')}): {email.last_error}"
                )
            elif outcome == Outcome.PARKED:
                line += f" after {email.attempts} attempts: {email.last_error}"
            self.stdout.write(line)

        delivered = outbound_emails_deliver(progress=progress)
        self.stdout.write(f"Sent {delivered.sent}, failed {delivered.failed}, parked {delivered.parked}.")
        if delivered.failed:
            raise CommandError(f"{_emails(delivered.failed)} failed and wait for a later run (see last_error).")
