"""Reads of enterprises. Ownership is read through guardian only (behaviour §7)."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from guardian.shortcuts import get_objects_for_user, get_users_with_perms

from organizations.models import User

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


def owners_of_enterprise(enterprise: Enterprise):
    return get_users_with_perms(enterprise, only_with_perms_in=["own_enterprise"], with_group_users=False).filter(
        is_active=True
    )


def is_enterprise_owner(user, enterprise: Enterprise) -> bool:
    return enterprises_owned_by(user).filter(pk=enterprise.pk).exists()


def enterprises_managed_by(user) -> QuerySet[Enterprise]:
    """The enterprises whose settings `user` manages in the admin: every one for a superuser."""
    return Enterprise.objects.all() if user.is_active and user.is_superuser else enterprises_owned_by(user)


def enterprise_for_owner(user, slug: str) -> Enterprise:
    """An enterprise `user` manages; another enterprise's slug answers the same 404 as a missing one."""
    return get_object_or_404(enterprises_managed_by(user), slug=slug)


def enterprise_users(enterprise_ids) -> Q:
    """Users an enterprise owner may see: members of its organizations and its managed users."""
    members = User.objects.filter(memberships__organization__enterprise__in=enterprise_ids).values("pk")
    return Q(pk__in=members) | Q(managed_by__in=enterprise_ids)
