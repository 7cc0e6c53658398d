"""Reads of accounts and organizations. Roles are read through guardian only (behaviour §7)."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from guardian.shortcuts import get_objects_for_user, get_users_with_perms

from .models import Membership, Organization, User


def organizations_owned_by(user) -> QuerySet[Organization]:
    """Organizations `user` owns: the guardian `own_organization` permission.

    Superusers see everything elsewhere, but are not owners here: an owner's
    tokens skip approval (behaviour §3), and site administrators are not exempt.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Organization.objects.none()
    return get_objects_for_user(
        user,
        "organizations.own_organization",
        klass=Organization,
        with_superuser=False,
        accept_global_perms=False,
    )


def organizations_of(user) -> QuerySet[Organization]:
    """Organizations `user` is a member of."""
    return Organization.objects.filter(memberships__user=user)


def owners_of(organization: Organization) -> QuerySet[User]:
    return get_users_with_perms(organization, only_with_perms_in=["own_organization"], with_group_users=False).filter(
        is_active=True
    )


def is_member(user, organization: Organization) -> bool:
    return Membership.objects.filter(user=user, organization=organization).exists()


def is_organization_owner(user, organization: Organization) -> bool:
    return organizations_owned_by(user).filter(pk=organization.pk).exists()


def organization_for_owner(user, login: str) -> Organization:
    """The organization an owner (or a superuser) manages on the site pages.

    Members and outsiders get the same 404 as for a login that does not exist,
    so the pages reveal nothing about organizations one cannot manage.
    """
    queryset = Organization.objects.select_related("enterprise")
    if not (user.is_active and user.is_superuser):
        queryset = queryset.filter(pk__in=organizations_owned_by(user).values("pk"))
    return get_object_or_404(queryset, login=login)
