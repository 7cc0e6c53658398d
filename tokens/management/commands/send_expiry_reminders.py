"""Email holders whose tokens expire within 7 days, within 1 day, or have just expired (behaviour §5.2).

Safe to run every few minutes (cron, a scheduler), and twice at once: each
token hears of each stage once. The emails go to the outbox; `deliver_outbox`
sends them.
"""

from django.core.management.base import BaseCommand

from tokens.choices import ExpiryReminderStage
from tokens.reminders import expiry_reminders_send


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class Command(BaseCommand):
    help = "Email holders whose tokens expire within 7 days or 1 day, or have just expired; each reminder once."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count the reminders due; write and send nothing.")

    def handle(self, *args, dry_run: bool, **options):
        verb = "Would send" if dry_run else "Sent"

        def progress(model, stage, count):
            kind = "fine-grained" if model.TOKEN_TYPE == "fine_grained" else "classic"
            self.stdout.write(f"{verb} {plural(count, 'reminder')}: {kind} tokens, {stage.label.lower()}.")

        counts = expiry_reminders_send(dry_run=dry_run, progress=progress)
        stages = ", ".join(f"{stage.label.lower()}: {counts[stage]}" for stage in ExpiryReminderStage)
        self.stdout.write(f"{verb} {plural(sum(counts.values()), 'expiry reminder')} ({stages}).")
