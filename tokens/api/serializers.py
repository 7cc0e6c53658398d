"""Shapes of the check API (behaviour §5.4): input validation and documented output."""

import re

from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

from tokens.choices import CredentialType
from tokens.engine.catalogue import LEVELS, PERMISSIONS, parse_permission
from tokens.engine.decision import Reason
from tokens.engine.facts import RESOURCE_RE, CheckInput, parse_resource

MAX_BATCH = 100

# The schema states exactly what `parse_check` accepts, so a client (or a
# fuzzer) that follows the schema is never refused: every "name:level", and
# `parse_resource`'s expression without its group names.
PERMISSION_CHOICES = [f"{name}:{level}" for name in PERMISSIONS for level in LEVELS]
RESOURCE_PATTERN = re.sub(r"\(\?P<\w+>", "(", RESOURCE_RE.pattern).replace(r"\Z", "$")


TEXT_LIMITS = {"token": 255, "ssh_key_fingerprint": 255, "resource": 200, "permission": 100}
CHECK_FIELDS = (*TEXT_LIMITS, "explain")
_CHECK_FIELD_SET = frozenset(CHECK_FIELDS)


def parse_check(body) -> tuple[CheckInput, bool]:
    """One check body → (CheckInput, explain), or ValidationError naming each bad field.

    Written out by hand rather than with DRF fields: a batch parses up to 100
    bodies per request, and DRF's per-field machinery would cost more than
    deciding them. `CheckInputSerializer` documents the same shape.
    """
    return _well_formed(body) or _parse_check_naming_errors(body)


def _well_formed(body) -> tuple[CheckInput, bool] | None:
    """The common body parsed at once, or None for anything `_parse_check_naming_errors` must look at:
    only known fields, exactly one credential, strings within their limits, a name and permission that parse."""
    if type(body) is not dict or not body.keys() <= _CHECK_FIELD_SET:
        return None
    token, fingerprint = body.get("token"), body.get("ssh_key_fingerprint")
    credential = token if fingerprint is None else fingerprint
    if ("token" in body) == ("ssh_key_fingerprint" in body) or type(credential) is not str:
        return None
    resource, permission, explain = body.get("resource"), body.get("permission"), body.get("explain", False)
    if (
        len(credential) > TEXT_LIMITS["token" if fingerprint is None else "ssh_key_fingerprint"]
        or type(resource) is not str
        or len(resource) > TEXT_LIMITS["resource"]
        or type(permission) is not str
        or len(permission) > TEXT_LIMITS["permission"]
        or type(explain) is not bool
    ):
        return None
    try:
        name, (permission_name, level) = parse_resource(resource), parse_permission(permission)
    except ValueError:
        return None
    return CheckInput(name, permission_name, level, token=token, ssh_key_fingerprint=fingerprint), explain


def _parse_check_naming_errors(body) -> tuple[CheckInput, bool]:
    if not isinstance(body, dict):
        raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
    errors = {name: ["Unknown field."] for name in sorted(set(body) - set(CHECK_FIELDS))}
    text = {}
    for name, limit in TEXT_LIMITS.items():
        if name not in body:
            continue
        value = body[name]
        if not isinstance(value, str):  # null too: a field that is sent is a string
            errors[name] = ["Must be a string."]
        elif len(value) > limit:
            errors[name] = [f"Ensure this field has no more than {limit} characters."]
        else:
            text[name] = value
    if ("token" in body) == ("ssh_key_fingerprint" in body):
        errors.setdefault("token", []).append("Give exactly one of token or ssh_key_fingerprint.")
    parsed = {}
    for name, parse in (("resource", parse_resource), ("permission", parse_permission)):
        if name not in body:
            errors[name] = ["This field is required."]
        elif name in text:
            try:
                parsed[name] = parse(text[name])
            except ValueError as error:
                errors[name] = [str(error)]
    explain = body.get("explain", False)
    if not isinstance(explain, bool):
        errors["explain"] = ["Must be true or false."]
    if errors:
        raise serializers.ValidationError(errors)
    name, level = parsed["permission"]
    check = CheckInput(
        resource=parsed["resource"],
        permission=name,
        level=level,
        token=text.get("token"),
        ssh_key_fingerprint=text.get("ssh_key_fingerprint"),
    )
    return check, explain


class CheckInputSerializer(serializers.Serializer):
    """Documents one check body; validation is `parse_check`."""

    token = serializers.CharField(required=False, max_length=255, help_text="A token's plaintext.")
    ssh_key_fingerprint = serializers.CharField(required=False, max_length=255, help_text="SHA256:…")
    resource = serializers.RegexField(
        RESOURCE_PATTERN, max_length=200, help_text='"owner/repo", "owner" or "enterprise:<slug>".'
    )
    permission = serializers.ChoiceField(choices=PERMISSION_CHOICES, help_text='"name:level", e.g. "contents:write".')
    explain = serializers.BooleanField(default=False, help_text="Add every gate and its result.")

    def to_internal_value(self, data):
        check, explain = parse_check(data)
        return {"check": check, "explain": explain}


class CheckInputSchema(OpenApiSerializerExtension):
    """What DRF fields cannot say about a check body: exactly one credential, no other fields."""

    target_class = CheckInputSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["oneOf"] = [{"required": ["token"]}, {"required": ["ssh_key_fingerprint"]}]
        schema["additionalProperties"] = False
        return schema


def parse_batch(body) -> list[tuple[CheckInput, bool]]:
    """A batch body → its checks parsed (`parse_check`), or ValidationError
    naming each bad check by its index.

    A function rather than a serializer instance, as `parse_check` is: a DRF
    serializer and its fields refer to each other, so what it validated would
    live on until the cycle collector found it, 400 objects a batch.
    `CheckBatchInputSerializer` documents the same shape.
    """
    if not isinstance(body, dict) or set(body) != {"checks"}:
        raise serializers.ValidationError({"checks": ["Send an object with one field, checks."]})
    checks = body["checks"]
    if not isinstance(checks, list) or not 1 <= len(checks) <= MAX_BATCH:
        raise serializers.ValidationError({"checks": [f"Send a list of 1 to {MAX_BATCH} checks."]})
    parsed, errors = [], {}
    for index, check_body in enumerate(checks):
        try:
            parsed.append(parse_check(check_body))
        except serializers.ValidationError as error:
            errors[index] = error.detail
    if errors:
        raise serializers.ValidationError({"checks": errors})
    return parsed


class CheckBatchInputSerializer(serializers.Serializer):
    """Documents a batch body; validation is `parse_batch`."""

    checks = CheckInputSerializer(many=True, help_text="1 to 100 check bodies.")

    def to_internal_value(self, data):
        return {"checks": parse_batch(data)}


class CheckBatchInputSchema(OpenApiSerializerExtension):
    """A batch is an object with one field, checks: a list of 1 to MAX_BATCH check bodies."""

    target_class = CheckBatchInputSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["properties"]["checks"].update(minItems=1, maxItems=MAX_BATCH)
        schema["additionalProperties"] = False
        return schema


class TextField(serializers.CharField):
    """A JSON string and nothing else: numbers and lists are refused, not coerced."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class GateSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    name = serializers.CharField()
    result = serializers.ChoiceField(choices=["pass", "fail", "allow", "skip", "not_reached"])


class TokenSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.ChoiceField(
        choices=[kind.value for kind in (CredentialType.FINE_GRAINED, CredentialType.CLASSIC, CredentialType.SSH_KEY)]
    )
    user = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)


class DecisionSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    reason = serializers.ChoiceField(choices=[reason.value for reason in Reason])
    message = serializers.CharField()
    policy_source = serializers.ChoiceField(choices=["enterprise", "organization"], allow_null=True)
    accepted_permissions = serializers.ListField(child=serializers.CharField())
    request_id = serializers.IntegerField(allow_null=True)
    token = TokenSummarySerializer(allow_null=True)
    gates = GateSerializer(many=True, required=False, help_text="Only with explain.")


class CheckBatchOutputSerializer(serializers.Serializer):
    results = DecisionSerializer(many=True)


class IntrospectInputSerializer(serializers.Serializer):
    token = TextField(min_length=1, max_length=255, trim_whitespace=False)
    token_type_hint = TextField(required=False, allow_blank=True, max_length=50)  # a hint the server may ignore


class IntrospectOutputSerializer(serializers.Serializer):
    active = serializers.BooleanField()
    token_type = serializers.ChoiceField(
        choices=[CredentialType.FINE_GRAINED.value, CredentialType.CLASSIC.value], required=False
    )
    username = serializers.CharField(required=False)
    exp = serializers.IntegerField(required=False, help_text="Absent for tokens that never expire.")
    iat = serializers.IntegerField(required=False)
    scope = serializers.CharField(required=False)
    resource_owner = serializers.CharField(required=False)


class RotatedTokenSerializer(serializers.Serializer):
    """The token after a rotation: its new secret, shown this once (behaviour §5.4)."""

    token = serializers.CharField(help_text="The new secret; the one sent is refused from now on.")
    id = serializers.IntegerField()
    type = serializers.ChoiceField(choices=[CredentialType.FINE_GRAINED, CredentialType.CLASSIC])
    expires_at = serializers.DateTimeField(allow_null=True, help_text="Null: never expires.")
