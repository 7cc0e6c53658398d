"""Writes for accounts and organizations. Each runs in one transaction with its audit event.

Organization ownership is granted and removed only here (SPEC §7): the
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
POLICY_FIELDS = (
    "fine_grained_access",
    "fine_grained_approval",
    "classic_access",
    "fine_grained_max_lifetime_days",
    "classic_max_lifetime_days",
)


class StalePolicyError(Exception):
    """The policies changed after the form was loaded; nothing was saved."""

    def __init__(self, current):
        super().__init__("The policy changed since you loaded it.")
        self.current = current


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
    """Leaving an organization takes its ownership with it (SPEC §2), and its tokens' access (`member_removed`)."""
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
def organization_opt_in(*, organization: Organization, actor=None) -> Organization:
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if not organization.fine_grained_opted_in:
        organization.fine_grained_opted_in = True
        organization.save(update_fields=["fine_grained_opted_in"])
        audit_record(action="organization.fine_grained_opted_in", actor=actor, organization=organization)
    return organization


def organization_policy_update(
    *, organization: Organization, actor=None, expected_revision: int | None = None, **values
) -> Organization:
    """Save the organization's own PAT policies (SPEC §5.2); see `policy_update`."""
    return policy_update(
        instance=organization,
        action="organization.pat_policy_changed",
        actor=actor,
        expected_revision=expected_revision,
        values=values,
    )


@transaction.atomic
def policy_update(*, instance, action: str, actor, expected_revision: int | None, values: dict):
    """Save PAT policies of an enterprise or organization; one audit event per change.

    The row is locked first. `expected_revision` is the revision the form was
    loaded at: if someone saved since, StalePolicyError carries the current
    row and nothing is written — no save silently overwrites another.
    """
    unknown = set(values) - set(POLICY_FIELDS)
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
    scope = {"organization": current} if isinstance(current, Organization) else {"enterprise": current}
    for name, (old, new) in changed.items():
        audit_record(action=action, actor=actor, data={"policy": name, "old": old, "new": new}, **scope)
    return current


@transaction.atomic
def user_set_managed_by(*, user: User, enterprise, actor=None) -> User:
    """Make `user` an Enterprise Managed User (EMU) of `enterprise` (SPEC §2)."""
    user.managed_by = enterprise
    user.full_clean()
    user.save(update_fields=["managed_by"])
    audit_record(
        action="enterprise.managed_user_added", actor=actor, enterprise=enterprise, data={"user": user.username}
    )
    return user


@transaction.atomic
def user_make_site_administrator(*, user: User, actor=None) -> User:
    """Superusers are site administrators and see everything (SPEC §2); the admin needs staff."""
    user.is_superuser = True
    user.is_staff = True
    user.save(update_fields=["is_superuser", "is_staff"])
    audit_record(action="user.site_administrator_added", actor=actor, data={"user": user.username})
    return user
