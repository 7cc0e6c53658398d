"""`manage.py check_access` (behaviour §4, §6): the access decision in the terminal.

    manage.py check_access --token patrol_fg_… --resource acme/web --permission contents:write --explain

Runs the same `tokens.engine.access.check` as the API. ``--json`` prints the check
API's response body instead of text. The exit status is 0 whatever the
decision; a malformed option is a CommandError naming it.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from tokens.engine.access import check
from tokens.engine.catalogue import parse_permission
from tokens.engine.facts import CheckInput, parse_resource


class Command(BaseCommand):
    help = "Decide whether a token or SSH key may use a permission on a resource, and say why."

    def add_arguments(self, parser):
        credential = parser.add_mutually_exclusive_group(required=True)
        credential.add_argument("--token", help="A token's plaintext (fine-grained or classic).")
        credential.add_argument("--ssh-key-fingerprint", help="An SSH key's fingerprint, SHA256:…")
        parser.add_argument("--resource", required=True, help="owner/repository, an owner login, or enterprise:<slug>.")
        parser.add_argument("--permission", required=True, help="name:level, e.g. contents:write.")
        parser.add_argument("--explain", action="store_true", help="Show every gate and its result.")
        parser.add_argument("--json", action="store_true", help="Print the check API's JSON body.")

    def handle(self, *args, **options):
        try:
            resource = parse_resource(options["resource"])
        except ValueError as error:
            raise CommandError(f"--resource {options['resource']!r}: {error}") from error
        try:
            name, level = parse_permission(options["permission"])
        except ValueError as error:
            raise CommandError(f"--permission {options['permission']!r}: {error}") from error
        result = check(
            CheckInput(
                resource=resource,
                permission=name,
                level=level,
                token=options["token"],
                ssh_key_fingerprint=options["ssh_key_fingerprint"],
            )
        )
        body = result.as_dict(explain=options["explain"])
        if options["json"]:
            self.stdout.write(json.dumps(body, indent=2))
        else:
            self.stdout.write(self.render(body, resource=resource.text, permission=f"{name}:{level}"))

    def render(self, body: dict, *, resource: str, permission: str) -> str:
        style = self.style.SUCCESS if body["allowed"] else self.style.ERROR
        verdict = "ALLOWED" if body["allowed"] else "DENIED"
        token = body["token"]
        rows = [
            ("reason", body["reason"]),
            ("message", body["message"]),
            ("policy source", body["policy_source"] or "—"),
            ("accepted permissions", ", ".join(body["accepted_permissions"]) or "—"),
            ("request id", body["request_id"] if body["request_id"] is not None else "—"),
            ("credential", f"{token['type']} #{token['id']} of {token['user']}" if token else "—"),
        ]
        lines = [style(f"{verdict}: {permission} on {resource}")]
        lines += [f"  {label + ':':<22}{value}" for label, value in rows]
        if "gates" in body:
            lines.append("Gates:")
            lines += [f"  {gate['number']:>2}. {gate['name']:<28}{gate['result']}" for gate in body["gates"]]
        return "\n".join(lines)
