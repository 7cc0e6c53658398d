"""Reads of enterprises. Ownership is read through guardian only (SPEC §7)."""

from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user

from .models import Enterprise


def enterprises_owned_by(user) -> QuerySet[Enterprise]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Enterprise.objects.none()
    return get_objects_for_user(
        user,
        "enterprises.own_enterprise",
        klass=Enterprise,
        with_superuser=False,
        accept_global_perms=False,
    )


def is_enterprise_owner(user, enterprise: Enterprise) -> bool:
    return enterprises_owned_by(user).filter(pk=enterprise.pk).exists()
