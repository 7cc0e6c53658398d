"""Revoke, in each enterprise that asks for it, tokens unused for its number of days (behaviour §5.1).

Run daily. Holders are warned a week before; a token is revoked only a week
after its warning. Safe to run twice at once: each token is warned once per
unused spell and revoked once. The emails go to the outbox; `deliver_outbox`
sends them.
"""

from django.core.management.base import BaseCommand

from tokens.choices import CredentialType
from tokens.management.commands.send_expiry_reminders import plural
from tokens.unused import Step, unused_tokens_revoke

KIND_WORDS = {CredentialType.FINE_GRAINED: "fine-grained", CredentialType.CLASSIC: "classic"}


class Command(BaseCommand):
    help = "Warn holders of tokens an enterprise will soon revoke as unused, and revoke those warned a week ago."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List what would be done; write and send nothing.")

    def handle(self, *args, dry_run: bool, **options):
        counts = unused_tokens_revoke(dry_run=dry_run, progress=self.list_step if dry_run else self.count_step)
        warned, revoked = plural(counts.warned, "token"), plural(counts.revoked, "token")
        if dry_run:
            self.stdout.write(f"Would warn the holders of {warned} and revoke {revoked}.")
        else:
            self.stdout.write(f"Warned the holders of {warned} and revoked {revoked}.")

    def count_step(self, step: Step):
        tokens = plural(step.done, f"{KIND_WORDS[step.kind]} token")
        done = f"warned the holders of {tokens}" if step.action == "warn" else f"revoked {tokens}"
        self.stdout.write(f"{step.enterprise.name}: {done}.")

    def list_step(self, step: Step):
        verb = "would warn the holder of" if step.action == "warn" else "would revoke"
        for pk, since, holder in step.tokens:
            token = f"{holder}’s {KIND_WORDS[step.kind]} token #{pk}"
            self.stdout.write(f"{step.enterprise.name}: {verb} {token} (unused since {since:%Y-%m-%d}).")
