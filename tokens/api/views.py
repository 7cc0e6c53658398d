"""The check API (behaviour §5.4): one APIView per operation, thin.

Parse input, call `tokens.engine.access`, render. Errors go through
tokens.api.errors.exception_handler.
"""

import orjson
from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.compat import LONG_SEPARATORS, SHORT_SEPARATORS
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from config.collector import collector_paused
from tokens import services
from tokens.engine.access import check, check_many, introspect
from tokens.engine.decision import Reason
from tokens.engine.facts import CheckInput

from . import forward_auth
from .authentication import (
    INVALID_TOKEN,
    ApiClientAuthentication,
    GatewayClientAuthentication,
    IsApiClient,
    PersonalTokenAuthentication,
    bearer_token,
)
from .parsers import StrictJsonParser
from .serializers import (
    CheckBatchInputSerializer,
    CheckBatchOutputSerializer,
    CheckInputSerializer,
    DecisionSerializer,
    IntrospectInputSerializer,
    IntrospectOutputSerializer,
    RotatedTokenSerializer,
    parse_batch,
    parse_check,
)
from .throttling import ApiClientRateThrottle

ERRORS = {
    400: OpenApiResponse(
        description="Malformed request; the body names each bad field, or why the JSON was refused: nested"
        " deeper than 32 levels, a key given twice, a number out of range, NUL or a lone surrogate in a string."
    ),
    401: OpenApiResponse(description="Missing or invalid API client credentials."),
    429: OpenApiResponse(description="Rate limited; see Retry-After."),
    503: OpenApiResponse(description="Database unreachable; nothing is allowed."),
}


class JsonAnswers(DefaultContentNegotiation):
    """The check API answers JSON whatever the Accept header says.

    Parsing Accept on every request costs a measurable share of a check, and
    gateways rarely send one; a client asking for something else gets JSON
    rather than 406.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        """A Content-Type naming a parser's media type exactly picks it without
        parsing the header; anything else (parameters, wildcards) goes DRF's way."""
        content_type = request.content_type
        for parser in parsers:
            if parser.media_type == content_type:
                return parser
        return super().select_parser(request, parsers)


LINE_SEPARATOR, PARAGRAPH_SEPARATOR = "\u2028".encode(), "\u2029".encode()


class CompactJson(JSONRenderer):
    """DRF's JSON, byte for byte, for answers that are never indented (`JsonAnswers` reads no Accept
    parameters), written by orjson, which writes a batch's hundred results several times faster.
    What orjson would write otherwise goes through DRF's own encoder: times, and anything else
    orjson does not take natively, through DRF's `default`; a document orjson refuses (an integer
    beyond 64 bits) whole. tests/properties/test_json_rendering.py proves the bytes equal."""

    encoder = JSONRenderer.encoder_class(
        ensure_ascii=JSONRenderer.ensure_ascii,
        allow_nan=not JSONRenderer.strict,
        separators=SHORT_SEPARATORS if JSONRenderer.compact else LONG_SEPARATORS,
    )
    # Keys that are not strings (a batch's errors are keyed by index) become strings, as in json.
    options = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if renderer_context:
            # DRF's Response puts itself in the context it renders with, a
            # cycle: the response and all its data (a batch's 100 results)
            # would wait for the cycle collector. Without it they are freed
            # once the response has been sent, and the collector runs less.
            renderer_context.pop("response", None)
        if data is None:
            return b""
        try:
            written = orjson.dumps(data, default=self.encoder.default, option=self.options)
        except TypeError:
            written = self.encoder.encode(data).encode()
        # As DRF does: \u2028 and \u2029 escaped keep the JSON a strict JavaScript subset.
        return written.replace(LINE_SEPARATOR, b"\\u2028").replace(PARAGRAPH_SEPARATOR, b"\\u2029")


class ApiClientView(APIView):
    authentication_classes = [ApiClientAuthentication]
    permission_classes = [IsApiClient]
    throttle_classes = [ApiClientRateThrottle]
    content_negotiation_class = JsonAnswers
    parser_classes = [StrictJsonParser]
    renderer_classes = [CompactJson]

    def dispatch(self, request, *args, **kwargs):
        # DRF keeps the response on the view, and the view is in a cycle with
        # its request (the request's parser context holds the view), so the
        # response and its data would live until the cycle collector ran. The
        # view has no use for it once dispatched. (CompactJson breaks the
        # response's other cycle.)
        with collector_paused():
            response = super().dispatch(request, *args, **kwargs)
        del self.response
        return response


class AccessCheckApi(ApiClientView):
    @extend_schema(
        operation_id="access_check",
        request=CheckInputSerializer,
        responses={200: DecisionSerializer, **ERRORS},
        summary="May this credential do this on that resource?",
    )
    def post(self, request):
        check_input, explain = parse_check(request.data)
        result = check(check_input, enterprise=request.auth.enterprise)
        return Response(result.as_dict(explain=explain))


class AccessCheckBatchApi(ApiClientView):
    @extend_schema(
        operation_id="access_check_batch",
        request=CheckBatchInputSerializer,
        responses={200: CheckBatchOutputSerializer, **ERRORS},
        summary="Up to 100 checks in one request; results in order.",
    )
    def post(self, request):
        checks = parse_batch(request.data)
        results = check_many([check_input for check_input, _ in checks], enterprise=request.auth.enterprise)
        bodies = [result.as_dict(explain=explain) for (_, explain), result in zip(checks, results, strict=True)]
        return Response({"results": bodies})


class IntrospectApi(ApiClientView):
    parser_classes = [StrictJsonParser, FormParser]

    @extend_schema(
        operation_id="introspect",
        request=IntrospectInputSerializer,
        responses={200: IntrospectOutputSerializer, **ERRORS},
        summary="RFC 7662 token introspection.",
    )
    def post(self, request):
        serializer = IntrospectInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = serializer.validated_data["token"]
        return Response(introspect(token, now=timezone.now(), enterprise=request.auth.enterprise))


class TokenRotateApi(APIView):
    """A holder rotates a token with the token itself, no browser (behaviour §5.4)."""

    authentication_classes = [PersonalTokenAuthentication]
    permission_classes = [IsAuthenticated]
    content_negotiation_class = JsonAnswers
    parser_classes = [StrictJsonParser]
    renderer_classes = [CompactJson]

    @extend_schema(
        operation_id="token_rotate",
        request=None,
        responses={
            200: RotatedTokenSerializer,
            400: ERRORS[400],
            401: OpenApiResponse(
                description="No token, or one that is unknown, revoked or expired, or whose holder is suspended."
                " A secret the token was rotated away from revokes the token and is refused as unknown."
            ),
        },
        summary="A new secret for the token sent; the old one is refused from now on.",
    )
    def post(self, request):
        _refuse_a_body(request.data)
        presented = bearer_token(request)
        try:
            issued = services.token_rotate(token=request.auth, presented=presented)
        except services.SecretRetired:  # another rotation retired it a moment ago: reuse
            services.retired_secret_used(presented=presented)
            raise exceptions.AuthenticationFailed(INVALID_TOKEN, code="invalid_token") from None
        token = issued.token
        return Response(
            {
                "token": issued.plaintext,
                "id": token.pk,
                "type": token.TOKEN_TYPE,
                "expires_at": token.expires_at.isoformat() if token.expires_at else None,
            }
        )


def _refuse_a_body(data) -> None:
    """The rotation takes no body: the token says everything. A field sent is named."""
    if isinstance(data, dict) and not data:  # none, or {}
        return
    if isinstance(data, dict):
        raise exceptions.ValidationError({name: ["Unknown field; send no body."] for name in data})
    raise exceptions.ValidationError({"non_field_errors": ["Send no body."]})


# Refusals that a new credential could turn around: git asks for one (401) rather than giving up (403).
UNAUTHENTICATED = frozenset(
    {Reason.CREDENTIAL_INVALID, Reason.TOKEN_REVOKED, Reason.TOKEN_EXPIRED, Reason.USER_INACTIVE}
)


def _refusal(refused: forward_auth.Refused) -> Response:
    body = {"allowed": False, "reason": refused.reason, "message": refused.message, "token": None}
    headers = {"X-Patrol-Reason": refused.reason, "X-Patrol-Message": forward_auth.header_text(refused.message)}
    if refused.status == 401:
        headers["WWW-Authenticate"] = _basic_challenge()
    return _answer(body, refused.status, headers)


def _answer(body: dict, status: int, headers: dict) -> Response:
    response = Response(body, status=status, headers=headers)
    # A refusal is forward-auth's answer, not an error: Django would log a warning for each.
    response._has_been_logged = True
    return response


def _basic_challenge() -> str:
    realm = forward_auth.header_text(settings.PATROL_FORWARD_AUTH_REALM, 100).replace('"', "'").replace("\\", "/")
    return f'Basic realm="{realm}"'


class ForwardAuthApi(ApiClientView):
    """nginx `auth_request` and Traefik ForwardAuth: the original request in headers (docs/gateway.md)."""

    authentication_classes = [GatewayClientAuthentication]
    parser_classes = []  # the original request's body is never sent, nor read

    @extend_schema(
        operation_id="forward_auth",
        parameters=[
            OpenApiParameter("X-Original-URI", str, OpenApiParameter.HEADER, description="nginx: the original URI."),
            OpenApiParameter("X-Original-Method", str, OpenApiParameter.HEADER, description="nginx: its method."),
            OpenApiParameter("X-Forwarded-Uri", str, OpenApiParameter.HEADER, description="Traefik: the original URI."),
            OpenApiParameter("X-Forwarded-Method", str, OpenApiParameter.HEADER, description="Traefik: its method."),
            OpenApiParameter(
                "Authorization",
                str,
                OpenApiParameter.HEADER,
                description="The caller's token as git sends it: Basic (the token as password), Bearer, or token.",
            ),
        ],
        responses={
            200: OpenApiResponse(
                DecisionSerializer, description="Allowed; X-Patrol-Reason and X-Patrol-User say why and who."
            ),
            401: OpenApiResponse(
                description="No usable token (WWW-Authenticate: Basic, so git asks for one), or no valid"
                " X-Patrol-Client secret (no decision made)."
            ),
            403: OpenApiResponse(
                DecisionSerializer,
                description="Refused by policy, or a request no route maps (X-Patrol-Reason: route_unknown).",
            ),
            429: ERRORS[429],
            503: ERRORS[503],
        },
        summary="May the request a gateway holds pass? 200, 401 or 403 with the reason in headers.",
    )
    def get(self, request):
        return self.decide(request, "")

    def decide(self, request, suffix: str) -> Response:
        token = forward_auth.presented_token(request.META)
        if type(token) is forward_auth.Refused:
            return _refusal(token)
        original = forward_auth.original_request(request.META, request.method, suffix)
        if type(original) is forward_auth.Refused:
            return _refusal(original)
        mapped = forward_auth.map_request(*original)
        if type(mapped) is forward_auth.Refused:
            return _refusal(mapped)
        check_input = CheckInput(mapped.resource, mapped.permission, mapped.level, token=token)
        result = check(check_input, enterprise=request.auth.enterprise)
        decision = result.decision
        headers = {
            "X-Patrol-Reason": str(decision.reason),
            "X-Patrol-Message": forward_auth.header_text(decision.message),
            "X-Patrol-Resource": mapped.resource.text,
            "X-Patrol-Permission": f"{mapped.permission}:{mapped.level}",
        }
        if decision.request_id is not None:  # the access request awaiting review, or reviewed
            headers["X-Patrol-Request-Id"] = str(decision.request_id)
        if decision.allowed:
            status = 200
            if result.loaded is not None and result.shows_token:
                headers["X-Patrol-User"] = result.loaded.facts.username
        elif decision.reason in UNAUTHENTICATED:
            status = 401
            headers["WWW-Authenticate"] = _basic_challenge()
        else:
            status = 403
        return _answer(result.as_dict(), status, headers)

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            response["X-Patrol-Reason"] = "client_unauthenticated"
        return response


class EnvoyForwardAuthApi(ForwardAuthApi):
    """Envoy's `ext_authz` HTTP service: the original method, and the original path after this one."""

    schema = None  # documented with ForwardAuthApi and in docs/gateway.md
    http_method_names = ["get", "head", "post", "put", "patch", "delete", "options"]

    def get(self, request, suffix):
        return self.decide(request, suffix)

    head = post = put = patch = delete = options = get
