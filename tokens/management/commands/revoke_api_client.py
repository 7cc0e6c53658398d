"""`manage.py revoke_api_client NAME [--enterprise SLUG]` (issue 16, point 5).

The client is refused from the next request, on every process; it is kept
for the record (`api_client_revoke`, audited).
"""

from django.core.management.base import BaseCommand, CommandError

from tokens.engine.moments import moment_words
from tokens.models import ApiClient
from tokens.services import api_client_revoke

from .create_api_client import enterprise_named


class Command(BaseCommand):
    help = "Revoke a client of the check API."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The client's name.")
        parser.add_argument(
            "--enterprise",
            metavar="SLUG",
            default=None,
            help="The enterprise the client belongs to. Default: the site-wide client of that name.",
        )

    def handle(self, *args, **options):
        enterprise = enterprise_named(options["enterprise"])
        client = ApiClient.objects.filter(name=options["name"], enterprise=enterprise).first()
        where = f"in enterprise {enterprise.slug}" if enterprise else "site-wide"
        if client is None:
            raise CommandError(f"No API client is named {options['name']!r} {where}.")
        if client.revoked_at is not None:
            revoked_on = moment_words(client.revoked_at)
            self.stdout.write(f"API client {client.name!r} ({where}) was already revoked on {revoked_on}.")
            return
        api_client_revoke(client=client)
        self.stdout.write(f"Revoked API client {client.name!r} ({where}); the next request with its secret is refused.")
