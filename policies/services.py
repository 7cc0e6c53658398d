"""Writes of the PAT policies: opt-in and the Save flow (behaviour §3, §5.1, §5.2).

Each runs in one transaction with its audit events: one event per policy changed.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.services import audit_record
from enterprises.models import Enterprise
from organizations.models import Organization

from .models import ENTERPRISE_SETTINGS_FIELDS, POLICY_FIELDS
from .signals import pat_policy_changed


class StalePolicyError(Exception):
    """The policies changed after the form was loaded; nothing was saved."""

    def __init__(self, current):
        super().__init__("The policy changed since you loaded it.")
        self.current = current


def enterprise_opt_in(*, enterprise: Enterprise, actor=None) -> Enterprise:
    return opt_in(instance=enterprise, action="enterprise.fine_grained_opted_in", actor=actor)


def enterprise_policy_update(
    *, enterprise: Enterprise, actor=None, expected_revision: int | None = None, **values
) -> Enterprise:
    """Save the enterprise's PAT policies (behaviour §5.1); see `policy_update`."""
    return policy_update(
        instance=enterprise,
        action="enterprise.pat_policy_changed",
        actor=actor,
        expected_revision=expected_revision,
        values=values,
    )


def organization_opt_in(*, organization: Organization, actor=None) -> Organization:
    return opt_in(instance=organization, action="organization.fine_grained_opted_in", actor=actor)


def organization_policy_update(
    *, organization: Organization, actor=None, expected_revision: int | None = None, **values
) -> Organization:
    """Save the organization's own PAT policies (behaviour §5.2); see `policy_update`."""
    return policy_update(
        instance=organization,
        action="organization.pat_policy_changed",
        actor=actor,
        expected_revision=expected_revision,
        values=values,
    )


def _audit_scope(owner) -> dict:
    return {"organization": owner} if isinstance(owner, Organization) else {"enterprise": owner}


@transaction.atomic
def opt_in(*, instance, action: str, actor):
    """Opt an enterprise or organization in to fine-grained tokens (behaviour §3); once, audited once."""
    current = type(instance).objects.select_for_update().get(pk=instance.pk)
    if not current.fine_grained_opted_in:
        current.fine_grained_opted_in = True
        current.save(update_fields=["fine_grained_opted_in"])
        audit_record(action=action, actor=actor, **_audit_scope(current))
    return current


@transaction.atomic
def policy_update(*, instance, action: str, actor, expected_revision: int | None, values: dict):
    """Save PAT policies of an enterprise or organization; one audit event per change.

    The row is locked first. `expected_revision` is the revision the form was
    loaded at: if someone saved since, StalePolicyError carries the current
    row and nothing is written — no save silently overwrites another.
    """
    unknown = set(values) - set(ENTERPRISE_SETTINGS_FIELDS if isinstance(instance, Enterprise) else POLICY_FIELDS)
    if unknown:
        raise ValidationError({name: "Not a policy." for name in sorted(unknown)})
    current = type(instance).objects.select_for_update().get(pk=instance.pk)
    if expected_revision is not None and expected_revision != current.policy_revision:
        raise StalePolicyError(current)
    changed = {name: (getattr(current, name), new) for name, new in values.items() if getattr(current, name) != new}
    if not changed:
        return current
    for name, (_, new) in changed.items():
        setattr(current, name, new)
    current.policy_revision += 1
    current.full_clean()
    current.save(update_fields=[*changed, "policy_revision"])
    for name, (old, new) in changed.items():
        audit_record(action=action, actor=actor, data={"policy": name, "old": old, "new": new}, **_audit_scope(current))
    pat_policy_changed.send(sender=type(current), owner=current, changes=changed, actor=actor)
    return current
