"""Shapes of the check API (SPEC §5.4): input validation and documented output."""

from rest_framework import serializers

from tokens.catalogue import parse_permission
from tokens.decision import ALL_REASONS
from tokens.facts import CheckInput, parse_resource

MAX_BATCH = 100


class StrictSerializer(serializers.Serializer):
    """Unknown fields are an error naming them, not silently ignored."""

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields) if isinstance(self.initial_data, dict) else set()
        if unknown:
            raise serializers.ValidationError({name: "Unknown field." for name in sorted(unknown)})
        return attrs


class TextField(serializers.CharField):
    """A JSON string and nothing else: numbers and lists are refused, not coerced."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CheckInputSerializer(StrictSerializer):
    token = TextField(required=False, max_length=255, trim_whitespace=False)
    ssh_key_fingerprint = TextField(required=False, max_length=255, trim_whitespace=False)
    resource = TextField(max_length=200, help_text='"owner/repo", "owner" or "enterprise:<slug>".')
    permission = TextField(max_length=100, help_text='"name:level", e.g. "contents:write".')
    explain = serializers.BooleanField(default=False)

    def validate_resource(self, value):
        try:
            return parse_resource(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from error

    def validate_permission(self, value):
        try:
            return parse_permission(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from error

    def validate(self, attrs):
        attrs = super().validate(attrs)
        given = [name for name in ("token", "ssh_key_fingerprint") if name in attrs]
        if len(given) != 1:
            raise serializers.ValidationError({"token": "Give exactly one of token or ssh_key_fingerprint."})
        return attrs

    def to_check(self) -> CheckInput:
        data = self.validated_data
        name, level = data["permission"]
        return CheckInput(
            resource=data["resource"],
            permission=name,
            level=level,
            token=data.get("token"),
            ssh_key_fingerprint=data.get("ssh_key_fingerprint"),
        )


class CheckBatchInputSerializer(StrictSerializer):
    checks = serializers.ListField(
        child=serializers.DictField(), min_length=1, max_length=MAX_BATCH, help_text="1 to 100 check bodies."
    )

    def validate_checks(self, checks):
        parsed, errors = [], {}
        for index, body in enumerate(checks):
            serializer = CheckInputSerializer(data=body)
            if serializer.is_valid():
                parsed.append(serializer)
            else:
                errors[index] = serializer.errors
        if errors:
            raise serializers.ValidationError(errors)
        return parsed


class GateSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    name = serializers.CharField()
    result = serializers.ChoiceField(choices=["pass", "fail", "allow", "skip", "not_reached"])


class TokenSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.ChoiceField(choices=["fine_grained", "classic", "ssh_key"])
    user = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)


class DecisionSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    reason = serializers.ChoiceField(choices=ALL_REASONS)
    message = serializers.CharField()
    policy_source = serializers.ChoiceField(choices=["enterprise", "organization"], allow_null=True)
    accepted_permissions = serializers.ListField(child=serializers.CharField())
    request_id = serializers.IntegerField(allow_null=True)
    token = TokenSummarySerializer(allow_null=True)
    gates = GateSerializer(many=True, required=False, help_text="Only with explain.")


class CheckBatchOutputSerializer(serializers.Serializer):
    results = DecisionSerializer(many=True)


class IntrospectInputSerializer(serializers.Serializer):
    token = TextField(max_length=255, trim_whitespace=False)
    token_type_hint = TextField(required=False, max_length=50)


class IntrospectOutputSerializer(serializers.Serializer):
    active = serializers.BooleanField()
    token_type = serializers.ChoiceField(choices=["fine_grained", "classic"], required=False)
    username = serializers.CharField(required=False)
    exp = serializers.IntegerField(required=False, help_text="Absent for tokens that never expire.")
    iat = serializers.IntegerField(required=False)
    scope = serializers.CharField(required=False)
    resource_owner = serializers.CharField(required=False)
