"""Writes for enterprises: creation and ownership (behaviour §5.1, §7); the PAT policies are policies.services.

Each runs in one transaction with its audit events.
"""

from django.db import transaction
from guardian.shortcuts import assign_perm, remove_perm

from audit.services import audit_record

from .models import Enterprise
from .selectors import enterprises_owned_by, is_enterprise_owner

OWN_ENTERPRISE = "enterprises.own_enterprise"


@transaction.atomic
def enterprise_create(*, slug: str, name: str, actor=None, **settings) -> Enterprise:
    enterprise = Enterprise(slug=slug, name=name, **settings)
    enterprise.full_clean()
    enterprise.save()
    audit_record(action="enterprise.created", actor=actor, enterprise=enterprise)
    return enterprise


@transaction.atomic
def enterprise_owner_grant(*, enterprise: Enterprise, user, actor=None) -> None:
    """Owners manage the enterprise in the Django admin, so they become staff."""
    if is_enterprise_owner(user, enterprise):
        return
    assign_perm(OWN_ENTERPRISE, user, enterprise)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    audit_record(action="enterprise.owner_added", actor=actor, enterprise=enterprise, data={"user": user.username})


@transaction.atomic
def enterprise_owner_remove(*, enterprise: Enterprise, user, actor=None) -> None:
    if not is_enterprise_owner(user, enterprise):
        return
    remove_perm(OWN_ENTERPRISE, user, enterprise)
    if user.is_staff and not user.is_superuser and not enterprises_owned_by(user).exists():
        user.is_staff = False
        user.save(update_fields=["is_staff"])
    audit_record(action="enterprise.owner_removed", actor=actor, enterprise=enterprise, data={"user": user.username})
