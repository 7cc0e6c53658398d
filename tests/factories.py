"""factory-boy factories. Roles and tokens go through the services, as in the product."""

import itertools

import factory

from enterprises.models import Enterprise
from enterprises.services import enterprise_owner_grant
from organizations.models import Organization, Repository, User
from organizations.services import membership_add, organization_owner_grant
from tokens import services
from tokens.models import AccessRequest, Grant


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("password")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"enterprise{n}")
    name = factory.LazyAttribute(lambda enterprise: enterprise.slug.title())
    fine_grained_opted_in = True

    @factory.post_generation
    def owners(self, create, extracted, **kwargs):
        for user in extracted or ():
            enterprise_owner_grant(enterprise=self, user=user)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("login",)
        skip_postgeneration_save = True

    login = factory.Sequence(lambda n: f"org{n}")
    name = factory.LazyAttribute(lambda organization: organization.login.title())
    fine_grained_opted_in = True

    @factory.post_generation
    def owners(self, create, extracted, **kwargs):
        for user in extracted or ():
            organization_owner_grant(organization=self, user=user)

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        for user in extracted or ():
            membership_add(organization=self, user=user)


class RepositoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Repository

    name = factory.Sequence(lambda n: f"repo{n}")
    visibility = "private"
    owner_organization = None
    owner_user = None
    enterprise = factory.LazyAttribute(
        lambda repository: repository.owner_organization.enterprise if repository.owner_organization else None
    )


_token_numbers = itertools.count(1)


def fine_grained_token(user, **kwargs):
    """Issue a fine-grained token through the service; returns services.Issued."""
    kwargs.setdefault("name", f"token-{next(_token_numbers)}")
    return services.fine_grained_token_create(user=user, **kwargs)


def classic_token(user, **kwargs):
    kwargs.setdefault("note", "a classic token")
    return services.classic_token_create(user=user, **kwargs)


def pending_request(token) -> AccessRequest:
    return AccessRequest.objects.get(token=token, status="pending")


def grant_of(token) -> Grant:
    return Grant.objects.get(token=token)


def api_client(name: str = "gateway", **kwargs):
    """An API client and its secret (`Issued`); `enterprise=` scopes it to one enterprise."""
    return services.api_client_create(name=name, **kwargs)
