"""`manage.py seed_demo` (behaviour §6): a ready demo world, loaded by `load_scenario`.

The world is `tokens/fixtures/demo.json` — a scenario file (behaviour §9), not a
`loaddata` fixture — plus one API client, ``demo-gateway``. Every demo user's
password is ``patrol-demo``. Run it again and it only prints the logins.

A token in the "expired" state cannot be made (the services only issue
tokens that expire in the future); let a token's expiry pass to see
``token_expired``.
"""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from tokens.scenario import ScenarioError, load_scenario
from tokens.services import api_client_create

DEMO_FILE = Path(__file__).resolve().parents[2] / "fixtures" / "demo.json"
DEMO_PASSWORD = "patrol-demo"
DEMO_API_CLIENT = "demo-gateway"
MARKER_USER = "admin"  # present once the demo is loaded

ROLES = {
    "admin": "site administrator (superuser): everything, /admin/",
    "erin": "enterprise owner of Big Corp (bigcorp, opted in, approval required)",
    "olga": "organization owner of acme and acme-labs (in bigcorp)",
    "alice": "member of acme, acme-labs and umbrella; holds most demo tokens",
    "bob": "member of acme",
    "emu_bob": "Enterprise Managed User of bigcorp, member of acme",
    "uma": "organization owner of umbrella (standalone, no approval needed)",
    "ian": "enterprise owner of Initech (not opted in, classic tokens restricted) and owner of initrode",
    "dave": "member of initrode",
}

TOKEN_STATES = {
    "alice-web": "approved for acme/web (contents, issues: write)",
    "alice-api": "pending review in acme",
    "bob-everything": "denied in acme, with a reason",
    "emu-bob-ci": "approved, then access revoked by olga",
    "olga-admin": "auto-approved: olga owns acme",
    "alice-umbrella": "auto-approved: umbrella does not require approval",
    "alice-labs": "blocked: acme-labs restricts fine-grained tokens",
    "alice-dotfiles": "user-owned, on alice/dotfiles; never expires",
    "dave-tps": "blocked: fine-grained tokens not enabled for initrode",
    "alice-classic": "classic (repo, read:org); registered SSH key 'laptop'",
    "dave-classic": "classic, blocked by Initech's policy; its SSH key 'build box' still works",
    "erin-audit": "classic read:audit_log, for enterprise:bigcorp",
    "alice-old": "classic, revoked",
}


def demo_scenario() -> dict:
    scenario = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    for user in scenario["users"]:
        user.setdefault("password", DEMO_PASSWORD)
    return scenario


class Command(BaseCommand):
    help = "Load a demo world (enterprises, organizations, users, tokens in every state) and print its logins."

    def handle(self, *args, **options):
        if get_user_model().objects.filter(username=MARKER_USER).exists():
            self.stdout.write(f"The demo is already loaded (user {MARKER_USER!r} exists); nothing changed.")
            self.stdout.write("Token and API client secrets were printed when it was loaded; they are not stored.")
            self.write_logins()
            return
        try:
            # The demo's own reviews would email its made-up users; keep the
            # terminal for the logins and secrets.
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), transaction.atomic():
                tokens = load_scenario(demo_scenario())["tokens"]
                client = api_client_create(name=DEMO_API_CLIENT)
        except (ScenarioError, ValidationError) as error:
            problem = str(error) if isinstance(error, ScenarioError) else " ".join(error.messages)
            raise CommandError(f"The demo cannot be loaded; nothing was written.\n{problem}") from error
        self.stdout.write(self.style.SUCCESS("Demo loaded."))
        self.write_logins()
        self.write_tokens(tokens)
        self.stdout.write(f"\nAPI client {DEMO_API_CLIENT!r} (send as 'Authorization: Bearer …'):")
        self.stdout.write(f"  {client.plaintext}")
        example = tokens["alice-web"]
        self.stdout.write("\nTry:")
        self.stdout.write(
            f"  manage.py check_access --token {example} --resource acme/web --permission contents:write --explain"
        )
        self.stdout.write("\nSecrets are shown only now; store what you need.")

    def write_logins(self):
        self.stdout.write(f"\nLogins (password for all: {DEMO_PASSWORD}):")
        width = max(map(len, ROLES))
        for username, role in ROLES.items():
            self.stdout.write(f"  {username:<{width}}  {DEMO_PASSWORD}  {role}")

    def write_tokens(self, tokens: dict):
        self.stdout.write("\nTokens:")
        width = max(map(len, tokens))
        for name, plaintext in tokens.items():
            self.stdout.write(f"  {name:<{width}}  {plaintext}  {TOKEN_STATES.get(name, '')}".rstrip())
