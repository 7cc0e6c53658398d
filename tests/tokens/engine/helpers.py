"""Helpers for tests that ask the real check (engine, policies, enterprises): set policies, read the audit."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from enterprises.models import Enterprise
from organizations.models import Organization
from policies.services import enterprise_policy_update, organization_policy_update
from tokens.engine.access import check
from tokens.engine.decision import Decision
from tokens.engine.facts import CheckInput, parse_resource


def check_input(resource: str, permission: str, *, token=None, ssh_key_fingerprint=None) -> CheckInput:
    name, level = permission.split(":")
    return CheckInput(
        resource=parse_resource(resource),
        permission=name,
        level=level,
        token=token,
        ssh_key_fingerprint=ssh_key_fingerprint,
    )


def check_token(plaintext: str, resource: str, permission: str, *, now=None) -> Decision:
    """The decision for a token, through tokens.engine.access.check (facts from the database)."""
    return check(check_input(resource, permission, token=plaintext), now=now).decision


def check_ssh_key(fingerprint: str, resource: str, permission: str) -> Decision:
    return check(check_input(resource, permission, ssh_key_fingerprint=fingerprint)).decision


def set_enterprise_policy(enterprise: Enterprise, **values) -> Enterprise:
    return enterprise_policy_update(enterprise=enterprise, **values)


def set_organization_policy(organization: Organization, **values) -> Organization:
    return organization_policy_update(organization=organization, **values)


def opt_out(*rows) -> None:
    """Undo the factories' opt-in. There is no opt-out service: the beta only opts in."""
    for row in rows:
        type(row).objects.filter(pk=row.pk).update(fine_grained_opted_in=False)
        row.refresh_from_db()


def token_actions(token) -> list[str]:
    """The audit actions recorded about `token`, oldest first."""
    return list(
        AuditEvent.objects.filter(token_id=token.pk, token_type=token.TOKEN_TYPE)
        .order_by("id")
        .values_list("action", flat=True)
    )


def events(action: str, token) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, token_id=token.pk).order_by("id"))


def queries_for(action):
    """What `action()` returned, and how many queries it ran."""
    with CaptureQueriesContext(connection) as queries:
        result = action()
    return result, len(queries)
