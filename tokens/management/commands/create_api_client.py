"""`manage.py create_api_client NAME [--enterprise SLUG]` (behaviour §5.4, §6).

The secret is printed once, alone on the last line of stdout, and never
stored: only its keyed digest is. With `--enterprise`, the client learns
nothing outside that enterprise (tokens.engine.access).
"""

from argparse import ArgumentTypeError

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from enterprises.models import Enterprise
from tokens.services import MAX_RATE_PER_MINUTE, api_client_create


def rate(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_RATE_PER_MINUTE:
        raise ArgumentTypeError(f"give a whole number from 1 to {MAX_RATE_PER_MINUTE}, not {value!r}")
    return number


def enterprise_named(slug: str | None) -> Enterprise | None:
    """The enterprise with this slug (None for none given); CommandError if there is none."""
    if slug is None:
        return None
    enterprise = Enterprise.objects.filter(slug=slug).first()
    if enterprise is None:
        raise CommandError(f"--enterprise: no enterprise has the slug {slug!r}.")
    return enterprise


class Command(BaseCommand):
    help = "Create a client of the check API and print its secret once."

    def add_arguments(self, parser):
        parser.add_argument("name", help="A unique name, e.g. the caller's host or service.")
        parser.add_argument(
            "--rate-per-minute",
            type=rate,
            default=None,
            help="Requests per minute before 429; default: settings.PATROL_API_CLIENT_RATE_PER_MINUTE.",
        )
        parser.add_argument(
            "--enterprise",
            metavar="SLUG",
            default=None,
            help="Scope the client to this enterprise: it learns nothing outside it. Default: site-wide.",
        )

    def handle(self, *args, **options):
        enterprise = enterprise_named(options["enterprise"])
        try:
            issued = api_client_create(
                name=options["name"], rate_per_minute=options["rate_per_minute"], enterprise=enterprise
            )
        except ValidationError as error:
            raise CommandError(f"API client {options['name']!r}: {' '.join(error.messages)}") from error
        client = issued.token
        limit = f"{client.rate_per_minute} requests per minute" if client.rate_per_minute else "the default rate"
        scope = f"enterprise {enterprise.slug}" if enterprise else "site-wide"
        self.stdout.write(f"Created API client {client.name!r} (#{client.pk}, {scope}, {limit}).")
        self.stdout.write("Its secret follows; it is shown only now. Send it as 'Authorization: Bearer <secret>'.")
        self.stdout.write(issued.plaintext)
