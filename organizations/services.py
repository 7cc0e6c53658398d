"""Writes for accounts and organizations. Each runs in one transaction with its audit event.

Organization ownership is granted and removed only here (behaviour §7): the
guardian permission, the membership it implies and the audit event change
together or not at all.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from guardian.shortcuts import assign_perm, remove_perm

from audit.services import audit_record

from .choices import Visibility
from .models import Membership, Organization, Repository, User
from .selectors import is_organization_owner
from .signals import member_removed

OWN_ORGANIZATION = "organizations.own_organization"


def _check_login_free(login: str, *, field: str) -> None:
    # Users and organizations share one namespace, like GitHub's, so a bare
    # login in a check names exactly one owner.
    if User.objects.filter(username=login).exists() or Organization.objects.filter(login=login).exists():
        raise ValidationError({field: f"The login {login!r} is already taken."})


@transaction.atomic
def user_create(
    *, username: str, email: str = "", password: str | None = None, managed_by=None, is_active=True
) -> User:
    _check_login_free(username, field="username")
    user = User(username=username, email=email, managed_by=managed_by, is_active=is_active)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def organization_create(*, login: str, name: str = "", enterprise=None, actor=None, **settings) -> Organization:
    _check_login_free(login, field="login")
    organization = Organization(login=login, name=name or login, enterprise=enterprise, **settings)
    organization.full_clean()
    organization.save()
    audit_record(action="organization.created", actor=actor, organization=organization)
    return organization


@transaction.atomic
def membership_add(*, organization: Organization, user: User, actor=None) -> Membership:
    membership, created = Membership.objects.get_or_create(organization=organization, user=user)
    if created:
        audit_record(
            action="organization.member_added", actor=actor, organization=organization, data={"user": user.username}
        )
    return membership


@transaction.atomic
def membership_remove(*, organization: Organization, user: User, actor=None) -> None:
    """Leaving an organization takes its ownership with it (behaviour §2), and its tokens' access (`member_removed`)."""
    if is_organization_owner(user, organization):
        remove_perm(OWN_ORGANIZATION, user, organization)
        audit_record(
            action="organization.owner_removed", actor=actor, organization=organization, data={"user": user.username}
        )
    deleted, _ = Membership.objects.filter(organization=organization, user=user).delete()
    if deleted:
        audit_record(
            action="organization.member_removed", actor=actor, organization=organization, data={"user": user.username}
        )
        member_removed.send(sender=Membership, organization=organization, user=user, actor=actor)


@transaction.atomic
def organization_owner_grant(*, organization: Organization, user: User, actor=None) -> None:
    """Make `user` an owner; every owner is also a member."""
    membership_add(organization=organization, user=user, actor=actor)
    if not is_organization_owner(user, organization):
        assign_perm(OWN_ORGANIZATION, user, organization)
        audit_record(
            action="organization.owner_added", actor=actor, organization=organization, data={"user": user.username}
        )


@transaction.atomic
def organization_owner_remove(*, organization: Organization, user: User, actor=None) -> None:
    """Take ownership away; the membership stays."""
    if is_organization_owner(user, organization):
        remove_perm(OWN_ORGANIZATION, user, organization)
        audit_record(
            action="organization.owner_removed", actor=actor, organization=organization, data={"user": user.username}
        )


@transaction.atomic
def repository_create(*, owner, name: str, visibility: str = Visibility.PRIVATE, actor=None) -> Repository:
    """Create a repository owned by an Organization or a User."""
    if isinstance(owner, Organization):
        repository = Repository(
            owner_organization=owner, enterprise_id=owner.enterprise_id, name=name, visibility=visibility
        )
    else:
        repository = Repository(owner_user=owner, name=name, visibility=visibility)
    if visibility == Visibility.INTERNAL and repository.enterprise_id is None:
        raise ValidationError({"visibility": "Only repositories of organizations in an enterprise can be internal."})
    repository.full_clean()
    repository.save()
    if isinstance(owner, Organization):
        audit_record(
            action="repository.created",
            actor=actor,
            organization=owner,
            data={"repository": name, "visibility": visibility},
        )
    return repository


@transaction.atomic
def user_set_managed_by(*, user: User, enterprise, actor=None) -> User:
    """Make `user` an Enterprise Managed User (EMU) of `enterprise` (behaviour §2)."""
    user.managed_by = enterprise
    user.full_clean()
    user.save(update_fields=["managed_by"])
    audit_record(
        action="enterprise.managed_user_added", actor=actor, enterprise=enterprise, data={"user": user.username}
    )
    return user


@transaction.atomic
def user_make_site_administrator(*, user: User, actor=None) -> User:
    """Superusers are site administrators and see everything (behaviour §2); the admin needs staff."""
    user.is_superuser = True
    user.is_staff = True
    user.save(update_fields=["is_superuser", "is_staff"])
    audit_record(action="user.site_administrator_added", actor=actor, data={"user": user.username})
    return user
