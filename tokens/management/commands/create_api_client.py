"""`manage.py create_api_client NAME` (SPEC §5.4, §6).

The secret is printed once, alone on the last line of stdout, and never
stored: only its keyed digest is.
"""

from argparse import ArgumentTypeError

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tokens.services import api_client_create

MAX_RATE_PER_MINUTE = 2_147_483_647  # the column's range


def rate(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_RATE_PER_MINUTE:
        raise ArgumentTypeError(f"give a whole number from 1 to {MAX_RATE_PER_MINUTE}, not {value!r}")
    return number


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

    def handle(self, *args, **options):
        try:
            issued = api_client_create(name=options["name"], rate_per_minute=options["rate_per_minute"])
        except ValidationError as error:
            raise CommandError(f"API client {options['name']!r}: {' '.join(error.messages)}") from error
        client = issued.token
        limit = f"{client.rate_per_minute} requests per minute" if client.rate_per_minute else "the default rate"
        self.stdout.write(f"Created API client {client.name!r} (#{client.pk}, {limit}).")
        self.stdout.write("Its secret follows; it is shown only now. Send it as 'Authorization: Bearer <secret>'.")
        self.stdout.write(issued.plaintext)
