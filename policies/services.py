"""Writes of the PAT policies: opt-in, the Save flow and report-only staging (behaviour §3, §5.1, §5.2, §5.8).

Each runs in one transaction with its audit events: one event per policy changed.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from enterprises.models import Enterprise
from organizations.models import Organization

from .models import ENTERPRISE_POLICY_FIELDS, ENTERPRISE_SETTINGS_FIELDS, POLICY_FIELDS, StagedPolicy
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


def _scope_name(owner) -> str:
    return "organization" if isinstance(owner, Organization) else "enterprise"


def _owner_filter(owner) -> dict:
    return {_scope_name(owner): owner}


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


# --- Report-only policies (behaviour §5.8) ------------------------------------------


class NothingToStageError(ValidationError):
    """The values to stage are the policies in force."""


@transaction.atomic
def policy_stage(*, instance, actor, values: dict, expected_revision: int | None = None) -> StagedPolicy:
    """Stage PAT policies as report only: checks keep deciding under the saved ones.

    `values` are those the Save form would save; the other checked policies keep
    their saved values (settings no check reads are left out). A policy staged
    before is replaced, its report with it. One audit event per staged change.
    StalePolicyError, as for a save, when the policies were saved since `expected_revision`.
    """
    fields = POLICY_FIELDS if isinstance(instance, Organization) else ENTERPRISE_POLICY_FIELDS
    unknown = set(values) - set(ENTERPRISE_SETTINGS_FIELDS if isinstance(instance, Enterprise) else POLICY_FIELDS)
    if unknown:
        raise ValidationError({name: "Not a policy." for name in sorted(unknown)})
    current = type(instance).objects.select_for_update().get(pk=instance.pk)
    if expected_revision is not None and expected_revision != current.policy_revision:
        raise StalePolicyError(current)
    staged_values = {name: values.get(name, getattr(current, name)) for name in fields}
    changed = {
        name: (getattr(current, name), new) for name, new in staged_values.items() if getattr(current, name) != new
    }
    if not changed:
        raise NothingToStageError("These are the policies in force already; change one to stage it as report only.")
    probe = type(instance)(**{name: getattr(current, name) for name in fields} | staged_values)
    probe.clean_fields(exclude=[field.name for field in probe._meta.fields if field.name not in fields])
    _locked_staged(current).delete()
    staged = StagedPolicy.objects.create(
        **_owner_filter(current),
        **staged_values,
        base_revision=current.policy_revision,
        staged_by=actor,
        staged_at=timezone.now(),
    )
    for name, (old, new) in changed.items():
        audit_record(
            action=f"{_scope_name(current)}.pat_policy_staged",
            actor=actor,
            data={"policy": name, "old": old, "new": new},
            **_audit_scope(current),
        )
    return staged


def _locked_staged(owner, staged_id: int | None = None):
    """The owner's staged policy (`staged_id`'s only, if given), its row locked before it is deleted: the report's
    writer (tokens.engine.report_only) locks it too, so neither waits on the other's report rows."""
    staged = StagedPolicy.objects.select_for_update().filter(**_owner_filter(owner))
    if staged_id is not None:
        staged = staged.filter(pk=staged_id)
    list(staged.values_list("pk", flat=True))
    return staged


@transaction.atomic
def policy_discard_staged(*, instance, actor, staged_id: int) -> bool:
    """Stop reporting: delete the staged policy `staged_id` and its report; False if it is no longer staged."""
    deleted, _ = _locked_staged(instance, staged_id).delete()
    if deleted:
        audit_record(
            action=f"{_scope_name(instance)}.pat_policy_staging_discarded", actor=actor, **_audit_scope(instance)
        )
    return bool(deleted)


@transaction.atomic
def policy_enforce_staged(*, instance, actor, staged_id: int):
    """Save the staged policy `staged_id` through `policy_update`, then delete it and its report.

    StalePolicyError when the policies were saved since it was staged (its
    values would silently undo that save) or it is no longer staged.
    """
    current = type(instance).objects.select_for_update().get(pk=instance.pk)
    staged = _locked_staged(current, staged_id).first()
    if staged is None:
        raise StalePolicyError(current)
    saved = policy_update(
        instance=current,
        action=f"{_scope_name(current)}.pat_policy_changed",
        actor=actor,
        expected_revision=staged.base_revision,
        values=staged.values(),
    )
    staged.delete()
    audit_record(action=f"{_scope_name(current)}.pat_policy_staging_enforced", actor=actor, **_audit_scope(current))
    return saved
