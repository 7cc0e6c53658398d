"""GitHub's REST API (behaviour §5.5), one APIView per operation: the eight owner
operations, and the credentials revoke a secret scanner calls without an account.

Callers send ``Authorization: Bearer <token>`` (or ``token <token>``) with one
of Patrol's own personal access tokens. The product guards itself with its own
engine: every request is a `tokens.engine.access.check` of the organization for
``organization_personal_access_token_requests`` or
``organization_personal_access_tokens`` (classic tokens: ``admin:org`` through
the catalogue), read for GET and write for POST. Reviews and revocations then
go through the same services as the site pages, with the token's user as actor.

A refused caller who is not a member of the organization, or whose
fine-grained token was made for another owner, gets the 404 of an
organization that does not exist: nothing tells one from the other.
On the wire, the API is GitHub's (`negotiation`, `errors`, the serializers).
"""

from datetime import UTC
from math import ceil

from django import forms
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters.utils import translate_validation
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import APIView

from organizations.models import Organization
from organizations.selectors import is_member, is_organization_owner
from tokens import selectors, services
from tokens.choices import CredentialType
from tokens.engine.access import CheckResult, check
from tokens.engine.decision import Reason
from tokens.engine.facts import CheckInput, parse_resource
from tokens.filtersets import AccessRequestFilterSet, GitHubArrayField, GrantFilterSet
from tokens.models import AccessRequest, Grant

from ..throttling import CredentialsRevokeRateThrottle
from .errors import DOCS, ValidationFailed, github_exception_handler
from .negotiation import (
    API_VERSION_PATTERN,
    API_VERSIONS,
    DEFAULT_API_VERSION,
    GitHubContentNegotiation,
    GitHubErrorBody,
    GitHubJSONRenderer,
    requested_api_version,
)
from .serializers import (
    AccessRequestSerializer,
    BasicErrorSerializer,
    BulkReviewInputSerializer,
    BulkRevokeInputSerializer,
    CredentialsRevokeInputSerializer,
    GrantSerializer,
    MinimalRepositorySerializer,
    PageQuerySerializer,
    ReviewInputSerializer,
    RevokeInputSerializer,
    ValidationErrorSerializer,
    ValidationErrorSimpleSerializer,
    credentials_problems,
)

UNAUTHENTICATED = {Reason.CREDENTIAL_INVALID, Reason.TOKEN_REVOKED, Reason.TOKEN_EXPIRED, Reason.USER_INACTIVE}
ERRORS = {
    400: OpenApiResponse(BasicErrorSerializer, description="The body is not JSON, or X-GitHub-Api-Version is unknown."),
    401: OpenApiResponse(BasicErrorSerializer, description="Requires authentication, or the token is not usable."),
    403: OpenApiResponse(BasicErrorSerializer, description="The engine denied the token; the message says why."),
    404: OpenApiResponse(
        BasicErrorSerializer,
        description="No such organization, request or token — or one the caller may not see: the same answer.",
    ),
    415: OpenApiResponse(BasicErrorSerializer, description="The Accept header names no JSON media type."),
    422: OpenApiResponse(ValidationErrorSerializer, description="Validation failed; `errors` names each field."),
}
API_VERSION_HEADER = OpenApiParameter(
    "X-GitHub-Api-Version",
    str,
    OpenApiParameter.HEADER,
    pattern=API_VERSION_PATTERN,
    description=f"GitHub's dated REST API version: {' or '.join(API_VERSIONS)}; without it, {DEFAULT_API_VERSION}.",
)


def _parameter_schema(field: forms.Field) -> dict:
    if isinstance(field, GitHubArrayField):
        return {"type": "array", "items": _parameter_schema(field.child), "maxItems": field.max_items}
    if isinstance(field, forms.IntegerField):
        return {"type": "integer", "format": "int64", "minimum": field.min_value, "maximum": field.max_value}
    if isinstance(field, forms.DateTimeField):
        return {"type": "string", "format": "date-time"}
    if isinstance(field, forms.ChoiceField):
        return {"type": "string", "enum": [value for value, _ in field.choices if value], "default": field.initial}
    return {"type": "string", "minLength": 1, "maxLength": field.max_length}


def filter_parameters(filterset_class) -> list[OpenApiParameter]:
    """A list's filters as query parameters, documented from the FilterSet that enforces them."""
    return [
        OpenApiParameter(name, _parameter_schema(filter_.field), OpenApiParameter.QUERY)
        for name, filter_ in filterset_class.base_filters.items()
    ]


# The request's or grant's id: the URL takes any segment there, so that one
# that is not an id still answers GitHub's JSON 404 (urls.GitHubIdConverter).
ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH)


def personal_token(request) -> str | None:
    """``Authorization: Bearer <token>`` or GitHub's older ``token <token>``."""
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() not in ("bearer", "token") or not value.strip():
        return None
    return value.strip()


class OrganizationOwnerApi(APIView):
    """Authorizes every request through the decision engine (behaviour §4, §5.5)."""

    authentication_classes = []
    permission_classes = []
    permission_name = ""
    documentation_url = DOCS

    renderer_classes = [GitHubJSONRenderer]
    content_negotiation_class = GitHubContentNegotiation

    def get_exception_handler(self):
        return github_exception_handler

    def get_authenticate_header(self, request):
        return 'Bearer realm="patrol"'

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # content negotiation: 415 before anything else
        self.api_version = requested_api_version(request)
        self.organization, self.actor = self.authorize(request, kwargs["org"])

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "api_version", None):
            response["X-GitHub-Api-Version-Selected"] = self.api_version
        expires_at = getattr(self, "token_expires_at", None)
        if expires_at is not None:
            # GitHub's own header and format, so clients that warn of expiring tokens warn here too.
            response["GitHub-Authentication-Token-Expiration"] = expires_at.astimezone(UTC).strftime(
                "%Y-%m-%d %H:%M:%S UTC"
            )
        return response

    def authorize(self, request, login: str):
        plaintext = personal_token(request)
        if plaintext is None:
            raise exceptions.NotAuthenticated("Requires authentication")
        try:
            resource = parse_resource(login)
        except ValueError:
            resource = None
        if resource is None or resource.owner is None or resource.repository is not None:
            raise exceptions.NotFound()
        level = "read" if request.method in SAFE_METHODS else "write"
        result = check(CheckInput(resource=resource, permission=self.permission_name, level=level, token=plaintext))
        decision = result.decision
        if not decision.allowed and decision.reason == Reason.CREDENTIAL_INVALID:
            services.retired_secret_used(presented=plaintext)  # reuse after a rotation revokes the token
        if not decision.allowed and decision.reason in UNAUTHENTICATED:
            raise exceptions.AuthenticationFailed(decision.message)
        self.token_expires_at = result.loaded.facts.expires_at if result.loaded else None
        if not decision.allowed:
            if not may_see(result, resource.owner):
                raise exceptions.NotFound()
            raise exceptions.PermissionDenied(decision.message)
        user = result.credential.user
        organization = get_object_or_404(Organization.objects.select_related("enterprise"), login=resource.owner)
        # The engine lets members read organization-level permissions (behaviour §4
        # gate 6); the queue is the owners' alone, as on the site pages.
        if not is_organization_owner(user, organization):
            raise exceptions.PermissionDenied(f"You must be an owner of {organization.login} to do this.")
        return organization, user

    def filterset(self, filterset_class, queryset):
        # strict: a parameter given blank is GitHub's 422, where a page's form means "any".
        return filterset_class(self.request.query_params, queryset, organization=self.organization, strict=True)

    def context(self, request) -> dict:
        return {"request": request, "now": timezone.now()}

    def paginated(self, request, queryset, serializer_class, query: PageQuerySerializer):
        per_page, page = query.validated_data["per_page"], query.validated_data["page"]
        total = queryset.count()
        rows = list(queryset[(page - 1) * per_page : page * per_page])
        body = serializer_class(rows, many=True, context=self.context(request)).data
        headers = {}
        link = link_header(request, page=page, last=max(1, ceil(total / per_page)))
        if link:
            headers["Link"] = link
        return Response(body, headers=headers)


def may_see(result: CheckResult, login: str) -> bool:
    """Whether a refused caller may learn that the organization exists (else: 404, as for none).

    Its members may, unless their fine-grained token was made for another
    resource owner: such a token cannot see the organization on GitHub either.
    """
    organization = Organization.objects.filter(login=login).first()
    if organization is None:
        return False
    credential = result.loaded.facts
    if credential.type == CredentialType.FINE_GRAINED and credential.resource_owner_organization_id != organization.pk:
        return False
    return is_member(result.credential.user, organization)


def link_header(request, *, page: int, last: int) -> str:
    """GitHub's ``Link`` header: next, last, first and prev, where they exist."""

    def url(number: int) -> str:
        query = request.query_params.copy()
        query["page"] = str(number)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    links = []
    if page < last:
        links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
    if page > 1:
        links += [f'<{url(1)}>; rel="first"', f'<{url(min(page - 1, last))}>; rel="prev"']
    return ", ".join(links)


def _parse_query(request, filterset=None) -> PageQuerySerializer:
    """The page parameters, validated with the list's filters so that one 422 names every bad parameter."""
    # A plain dict: from a QueryDict, DRF would read a blank page as absent.
    query = PageQuerySerializer(
        data={name: request.query_params[name] for name in ("per_page", "page") if name in request.query_params}
    )
    errors = {} if query.is_valid() else dict(query.errors)
    if filterset is not None and filterset.errors:
        errors.update(translate_validation(filterset.errors).detail)
    if errors:
        raise ValidationFailed(errors)
    return query


def _unknown_ids_error(name: str, error) -> ValidationFailed:
    return ValidationFailed({name: [f"Not found in this organization: {', '.join(map(str, error.ids))}."]})


# --- Requests ---------------------------------------------------------------------


class AccessRequestListApi(OrganizationOwnerApi):
    permission_name = "organization_personal_access_token_requests"
    documentation_url = (
        f"{DOCS}#list-requests-to-access-organization-resources-with-fine-grained-personal-access-tokens"
    )

    @extend_schema(
        operation_id="orgs/list-pat-grant-requests",
        parameters=[PageQuerySerializer, *filter_parameters(AccessRequestFilterSet), API_VERSION_HEADER],
        responses={200: AccessRequestSerializer(many=True), **ERRORS},
        summary="List requests to access organization resources with fine-grained personal access tokens",
    )
    def get(self, request, org):
        filterset = self.filterset(AccessRequestFilterSet, selectors.pending_requests(organization=self.organization))
        query = _parse_query(request, filterset)
        return self.paginated(request, filterset.qs, AccessRequestSerializer, query)

    @extend_schema(
        operation_id="orgs/review-pat-grant-requests-in-bulk",
        request=BulkReviewInputSerializer,
        parameters=[API_VERSION_HEADER],
        responses={202: OpenApiResponse(description="Accepted."), **ERRORS},
        summary="Review requests to access organization resources with fine-grained personal access tokens",
    )
    def post(self, request, org):
        serializer = BulkReviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            services.access_requests_review_many(
                organization=self.organization,
                ids=data["pat_request_ids"],
                reviewer=self.actor,
                approve=data["action"] == "approve",
                reason=data.get("reason") or "",
            )
        except services.UnknownIdsError as error:
            raise _unknown_ids_error("pat_request_ids", error) from error
        return Response({}, status=status.HTTP_202_ACCEPTED)


class AccessRequestReviewApi(OrganizationOwnerApi):
    permission_name = "organization_personal_access_token_requests"
    documentation_url = (
        f"{DOCS}#review-a-request-to-access-organization-resources-with-a-fine-grained-personal-access-token"
    )

    @extend_schema(
        operation_id="orgs/review-pat-grant-request",
        request=ReviewInputSerializer,
        parameters=[ID_PARAMETER, API_VERSION_HEADER],
        responses={204: OpenApiResponse(description="Reviewed."), **ERRORS},
        summary="Review a request to access organization resources with a fine-grained personal access token",
    )
    def post(self, request, org, pk):
        serializer = ReviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        access_request = get_object_or_404(AccessRequest, organization=self.organization, pk=pk)
        data = serializer.validated_data
        try:
            services.access_request_review(
                request=access_request,
                reviewer=self.actor,
                approve=data["action"] == "approve",
                reason=data.get("reason") or "",
            )
        except services.ReviewError as error:
            raise ValidationFailed({"pat_request_id": error.messages}) from error
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccessRequestRepositoriesApi(OrganizationOwnerApi):
    permission_name = "organization_personal_access_token_requests"
    documentation_url = f"{DOCS}#list-repositories-requested-to-be-accessed-by-a-fine-grained-personal-access-token"

    @extend_schema(
        operation_id="orgs/list-pat-grant-request-repositories",
        parameters=[ID_PARAMETER, PageQuerySerializer, API_VERSION_HEADER],
        responses={200: MinimalRepositorySerializer(many=True), **ERRORS},
        summary="List repositories requested to be accessed by a fine-grained personal access token",
    )
    def get(self, request, org, pk):
        query = _parse_query(request)
        access_request = get_object_or_404(AccessRequest, organization=self.organization, pk=pk)
        queryset = selectors.repositories_of_snapshot(access_request, organization=self.organization)
        return self.paginated(request, queryset, MinimalRepositorySerializer, query)


# --- Grants (GitHub's pat_id) ---------------------------------------------------------


class GrantListApi(OrganizationOwnerApi):
    permission_name = "organization_personal_access_tokens"
    documentation_url = f"{DOCS}#list-fine-grained-personal-access-tokens-with-access-to-organization-resources"

    @extend_schema(
        operation_id="orgs/list-pat-grants",
        parameters=[PageQuerySerializer, *filter_parameters(GrantFilterSet), API_VERSION_HEADER],
        responses={200: GrantSerializer(many=True), **ERRORS},
        summary="List fine-grained personal access tokens with access to organization resources",
    )
    def get(self, request, org):
        filterset = self.filterset(GrantFilterSet, selectors.active_grants(organization=self.organization))
        query = _parse_query(request, filterset)
        return self.paginated(request, filterset.qs, GrantSerializer, query)

    @extend_schema(
        operation_id="orgs/update-pat-accesses",
        request=BulkRevokeInputSerializer,
        parameters=[API_VERSION_HEADER],
        responses={202: OpenApiResponse(description="Accepted."), **ERRORS},
        summary="Update the access to organization resources via fine-grained personal access tokens",
    )
    def post(self, request, org):
        serializer = BulkRevokeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.grants_revoke_many(
                organization=self.organization, ids=serializer.validated_data["pat_ids"], actor=self.actor
            )
        except services.UnknownIdsError as error:
            raise _unknown_ids_error("pat_ids", error) from error
        return Response({}, status=status.HTTP_202_ACCEPTED)


class GrantRevokeApi(OrganizationOwnerApi):
    permission_name = "organization_personal_access_tokens"
    documentation_url = f"{DOCS}#update-the-access-a-fine-grained-personal-access-token-has-to-organization-resources"

    @extend_schema(
        operation_id="orgs/update-pat-access",
        request=RevokeInputSerializer,
        parameters=[ID_PARAMETER, API_VERSION_HEADER],
        responses={204: OpenApiResponse(description="Revoked."), **ERRORS},
        summary="Update the access a fine-grained personal access token has to organization resources",
    )
    def post(self, request, org, pk):
        serializer = RevokeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        grant = get_object_or_404(Grant, organization=self.organization, pk=pk)
        try:
            services.grant_revoke(grant=grant, actor=self.actor)
        except services.ReviewError as error:
            raise ValidationFailed({"pat_id": error.messages}) from error
        return Response(status=status.HTTP_204_NO_CONTENT)


class GrantRepositoriesApi(OrganizationOwnerApi):
    permission_name = "organization_personal_access_tokens"
    documentation_url = f"{DOCS}#list-repositories-a-fine-grained-personal-access-token-has-access-to"

    @extend_schema(
        operation_id="orgs/list-pat-grant-repositories",
        parameters=[ID_PARAMETER, PageQuerySerializer, API_VERSION_HEADER],
        responses={200: MinimalRepositorySerializer(many=True), **ERRORS},
        summary="List repositories a fine-grained personal access token has access to",
    )
    def get(self, request, org, pk):
        query = _parse_query(request)
        grant = get_object_or_404(Grant, organization=self.organization, pk=pk)
        queryset = selectors.repositories_of_snapshot(grant, organization=self.organization)
        return self.paginated(request, queryset, MinimalRepositorySerializer, query)


# --- Leaked credentials -------------------------------------------------------------

CREDENTIALS_DOCS = "https://docs.github.com/rest/credentials/revoke#revoke-a-list-of-credentials"


class CredentialsNotValid(GitHubErrorBody):
    """GitHub's validation-error-simple: ``errors`` is a list of sentences."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY

    def __init__(self, problems: list[str]):
        super().__init__({"message": "Validation Failed", "errors": problems, "documentation_url": CREDENTIALS_DOCS})


class AuthenticatedRevoke(GitHubErrorBody):
    status_code = status.HTTP_403_FORBIDDEN


class CredentialsRevokeApi(APIView):
    """Revoke leaked credentials: anyone may report, without an account (behaviour §5.5).

    Not an oracle: every well-shaped body answers 202 ``{}`` after the same
    lookups, whichever values were real; only the shape is ever refused. As on
    GitHub, a request that carries credentials of its own is refused (403), and
    each client address may call it PATROL_CREDENTIALS_REVOKE_RATE_PER_HOUR times an hour.
    """

    authentication_classes = []
    permission_classes = []
    throttle_classes = [CredentialsRevokeRateThrottle]
    renderer_classes = [GitHubJSONRenderer]
    content_negotiation_class = GitHubContentNegotiation
    documentation_url = CREDENTIALS_DOCS

    def get_exception_handler(self):
        return github_exception_handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # Accept (415), then the address's rate (429)
        self.api_version = requested_api_version(request)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "api_version", None):
            response["X-GitHub-Api-Version-Selected"] = self.api_version
        return response

    @extend_schema(
        operation_id="credentials/revoke",
        request=CredentialsRevokeInputSerializer,
        parameters=[API_VERSION_HEADER],
        auth=[],
        responses={
            202: OpenApiResponse(description="Accepted, whichever of the credentials were real."),
            400: ERRORS[400],
            403: OpenApiResponse(BasicErrorSerializer, description="The request carried an Authorization header."),
            415: ERRORS[415],
            422: OpenApiResponse(ValidationErrorSimpleSerializer, description="The body is not of the right shape."),
            429: OpenApiResponse(
                BasicErrorSerializer, description="Too many requests from this address; see Retry-After."
            ),
        },
        summary="Revoke a list of credentials",
    )
    def post(self, request):
        if "HTTP_AUTHORIZATION" in request.META:
            raise AuthenticatedRevoke(
                {
                    "message": "Send leaked credentials without an Authorization header: this endpoint takes none.",
                    "documentation_url": CREDENTIALS_DOCS,
                }
            )
        problems = credentials_problems(request.data)
        if problems:
            raise CredentialsNotValid(problems)
        services.credentials_revoke_leaked(candidates=request.data["credentials"])
        return Response({}, status=status.HTTP_202_ACCEPTED)
