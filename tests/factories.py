"""factory-boy factories for every model. Roles, tokens, requests and grants go through the services.

So a test's rows arise as they would from the UI: `FineGrainedTokenFactory(user=alice,
resource_owner=acme)` issues the token with `services.fine_grained_token_create`, which
opens a request or grants at once as acme's policy says, and records the audit events.

Credentials (fine-grained and classic tokens, API clients) carry their secret as
`.plaintext` on the returned instance: the service shows it once, the row keeps only
its digest. Traits move a row on through the services too (`approved=True` is an owner
approving the pending request). The factories only create; `.build()` has no service to call.
"""

import base64
import hashlib
from datetime import timedelta

import factory
from django.utils import timezone

from enterprises.models import Enterprise
from enterprises.services import enterprise_owner_grant
from organizations.models import Organization, Repository, User
from organizations.selectors import owners_of
from organizations.services import membership_add, organization_owner_grant
from tokens import services
from tokens.choices import RequestStatus
from tokens.models import AccessRequest, ApiClient, ClassicToken, FineGrainedToken, Grant, SSHKey
from webhooks.choices import WebhookEvent
from webhooks.models import WebhookEndpoint
from webhooks.services import webhook_endpoint_create


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


def _step(action):
    """A post-generation step that a trait switches on: `action(instance)` after the create."""
    return factory.PostGeneration(lambda instance, create, extracted, **kwargs: action(instance))


def _nothing():
    return factory.PostGeneration(lambda instance, create, extracted, **kwargs: None)


def _owner(organization):
    """The reviewer a trait acts as: the organization's first owner."""
    owner = owners_of(organization).order_by("pk").first()
    assert owner is not None, f"{organization.login} has no owner to review or revoke; pass one to the factory."
    return owner


def _pending_request(token) -> AccessRequest:
    return AccessRequest.objects.get(token=token, status=RequestStatus.PENDING)


def _review(token, *, approve: bool) -> None:
    request = _pending_request(token)
    services.access_request_review(request=request, reviewer=_owner(request.organization), approve=approve)


def _expire(token) -> None:
    """Past its expiry: no service back-dates a token, so the column is set as time would."""
    token.expires_at = timezone.now() - timedelta(days=1)
    type(token).objects.filter(pk=token.pk).update(expires_at=token.expires_at)


def _revoke(token) -> None:
    token.revoked_at = services.token_revoke(token=token, actor=token.user).revoked_at


class _IssuedFactory(factory.django.DjangoModelFactory):
    """Creates through a service that returns `services.Issued`; the instance gets `.plaintext`."""

    class Meta:
        abstract = True
        skip_postgeneration_save = True

    @classmethod
    def _issue(cls, **kwargs) -> services.Issued:
        raise NotImplementedError

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        issued = cls._issue(**kwargs)
        issued.token.plaintext = issued.plaintext
        return issued.token

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError(f"{cls.__name__} issues through the services; use create.")


class FineGrainedTokenFactory(_IssuedFactory):
    """A fine-grained token from `services.fine_grained_token_create`, with `.plaintext`.

    With `resource_owner`, the service grants at once or opens a pending request, as the
    organization's policy says. Traits: `pending` (asserts a request is open), `approved`
    and `denied` (the organization's first owner reviews it), `expired`, `revoked`.
    """

    class Meta:
        model = FineGrainedToken

    class Params:
        pending = factory.Trait(review=_step(_pending_request))
        approved = factory.Trait(review=_step(lambda token: _review(token, approve=True)))
        denied = factory.Trait(review=_step(lambda token: _review(token, approve=False)))
        expired = factory.Trait(expire=_step(_expire))
        revoked = factory.Trait(revoke=_step(_revoke))

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"token-{n}")
    review = _nothing()
    expire = _nothing()
    revoke = _nothing()

    @classmethod
    def _issue(cls, **kwargs):
        return services.fine_grained_token_create(**kwargs)


class ClassicTokenFactory(_IssuedFactory):
    """A classic token from `services.classic_token_create`, with `.plaintext`. Traits: `expired`, `revoked`."""

    class Meta:
        model = ClassicToken

    class Params:
        expired = factory.Trait(expire=_step(_expire))
        revoked = factory.Trait(revoke=_step(_revoke))

    user = factory.SubFactory(UserFactory)
    note = "a classic token"
    expire = _nothing()
    revoke = _nothing()

    @classmethod
    def _issue(cls, **kwargs):
        return services.classic_token_create(**kwargs)


def _revoke_client(client) -> None:
    client.revoked_at = services.api_client_revoke(client=client).revoked_at


class ApiClientFactory(_IssuedFactory):
    """A client of the check API from `services.api_client_create`, with `.plaintext`.

    Traits: `enterprise_scoped` (a client of a new enterprise; or pass `enterprise=`), `revoked`.
    """

    class Meta:
        model = ApiClient

    class Params:
        enterprise_scoped = factory.Trait(enterprise=factory.SubFactory(EnterpriseFactory))
        revoked = factory.Trait(revoke=_step(_revoke_client))

    name = factory.Sequence(lambda n: f"gateway{n}")
    enterprise = None
    revoke = _nothing()

    @classmethod
    def _issue(cls, **kwargs):
        return services.api_client_create(**kwargs)


def fingerprint_for(text: str) -> str:
    """A well-formed OpenSSH SHA256 fingerprint, distinct per `text`."""
    digest = hashlib.sha256(text.encode()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


class SSHKeyFactory(factory.django.DjangoModelFactory):
    """An SSH key from `services.ssh_key_create`; `created_by_token=` records the token that added it."""

    class Meta:
        model = SSHKey

    user = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"key{n}")
    fingerprint = factory.LazyAttribute(lambda key: fingerprint_for(f"{key.user.username}/{key.title}"))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.ssh_key_create(**kwargs)


class AccessRequestFactory(factory.django.DjangoModelFactory):
    """The request a member's new token opens in an organization that requires approval.

    Token arguments go to `FineGrainedTokenFactory` (`user`, `permissions`, …); `token=` reads
    the request an already-issued token opened. Traits: `pending` (the default), `approved`,
    `denied` (the organization's first owner reviews it).
    """

    class Meta:
        model = AccessRequest

    class Params:
        pending = factory.Trait(outcome=None)
        approved = factory.Trait(outcome=RequestStatus.APPROVED)
        denied = factory.Trait(outcome=RequestStatus.DENIED)

    outcome = None

    @classmethod
    def _create(cls, model_class, *args, token=None, outcome=None, organization=None, **kwargs):
        if token is None:
            token = FineGrainedTokenFactory(resource_owner=organization, **kwargs)
        request = _pending_request(token)
        if outcome is not None:
            reviewer = _owner(request.organization)
            approve = outcome == RequestStatus.APPROVED
            request = services.access_request_review(request=request, reviewer=reviewer, approve=approve)
        return request

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError("AccessRequestFactory opens requests through the services; use create.")


class GrantFactory(factory.django.DjangoModelFactory):
    """A token's active grant in `organization`: granted at once, or its request approved by an owner.

    Token arguments go to `FineGrainedTokenFactory`; `token=` reads the grant of an issued token.
    Trait: `revoked` (the organization's first owner revokes it).
    """

    class Meta:
        model = Grant

    class Params:
        revoked = factory.Trait(revoke=True)

    revoke = False

    @classmethod
    def _create(cls, model_class, *args, token=None, revoke=False, organization=None, **kwargs):
        if token is None:
            token = FineGrainedTokenFactory(resource_owner=organization, **kwargs)
        pending = AccessRequest.objects.filter(token=token, status=RequestStatus.PENDING).first()
        if pending is not None:
            services.access_request_review(request=pending, reviewer=_owner(pending.organization), approve=True)
        grant = Grant.objects.get(token=token)
        if revoke:
            grant = services.grant_revoke(grant=grant, actor=_owner(grant.organization))
        return grant

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError("GrantFactory grants through the services; use create.")


def fine_grained_token(user, **kwargs) -> services.Issued:
    """Issue a fine-grained token through its factory; returns `services.Issued` (token, plaintext)."""
    token = FineGrainedTokenFactory(user=user, **kwargs)
    return services.Issued(token, token.plaintext)


def classic_token(user, **kwargs) -> services.Issued:
    token = ClassicTokenFactory(user=user, **kwargs)
    return services.Issued(token, token.plaintext)


def pending_request(token) -> AccessRequest:
    return _pending_request(token)


def grant_of(token) -> Grant:
    return Grant.objects.get(token=token)


def api_client(name: str = "gateway", **kwargs) -> services.Issued:
    """An API client and its secret (`Issued`); `enterprise=` scopes it to one enterprise."""
    client = ApiClientFactory(name=name, **kwargs)
    return services.Issued(client, client.plaintext)


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    """An organization's (or, with `enterprise=`, an enterprise's) webhook endpoint, added through the service."""

    class Meta:
        model = WebhookEndpoint

    url = "https://hooks.example.com/patrol"
    secret = "It's a Secret to Everybody"
    events = factory.LazyFunction(lambda: list(WebhookEvent.values))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return webhook_endpoint_create(actor=None, **kwargs)
