"""A check body parsed the quick way is parsed as the full validation would (tokens/api/serializers.py).

`parse_check` takes the common body at once and leaves anything else to the
validation that names each bad field; whatever the body, the quick way either
steps aside or gives exactly what the full one gives.
"""

from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers as drf

from tokens.api.serializers import CHECK_FIELDS, _parse_check_naming_errors, _well_formed, parse_check
from tokens.engine.catalogue import LEVELS, PERMISSIONS

PROPERTIES = settings(max_examples=500, deadline=None)

RESOURCES = ["acme/web", "acme", "enterprise:bigcorp", "alice/dotfiles", "bad name", "a/b/c", "enterprise:", ""]
PERMISSION_TEXTS = [f"{name}:{level}" for name in list(PERMISSIONS)[:6] for level in LEVELS]
PERMISSION_TEXTS += ["contents", "contents:", ":read", "unknown:read", "contents:own"]
TOKEN = "patrol_fg_" + "a" * 38

texts = st.one_of(
    st.sampled_from([*RESOURCES, *PERMISSION_TEXTS, TOKEN, "SHA256:" + "A" * 43]),
    st.text(max_size=8),
    st.text(min_size=95, max_size=260),
)
values = st.one_of(texts, st.none(), st.booleans(), st.integers(), st.lists(st.integers(), max_size=2))
bodies = st.one_of(
    st.dictionaries(st.sampled_from([*CHECK_FIELDS, "extra"]), values, max_size=6),
    st.fixed_dictionaries(
        {"resource": st.sampled_from(RESOURCES), "permission": st.sampled_from(PERMISSION_TEXTS)},
        optional={"token": texts, "ssh_key_fingerprint": texts, "explain": values},
    ),
    values,
)


def outcome(parse, body):
    try:
        return "parsed", parse(body)
    except drf.ValidationError as error:
        return "refused", error.detail


@PROPERTIES
@given(bodies)
def test_the_quick_way_steps_aside_or_agrees_with_the_full_validation(body):
    quick = _well_formed(body)
    assert quick is None or ("parsed", quick) == outcome(_parse_check_naming_errors, body)


@PROPERTIES
@given(bodies)
def test_parse_check_answers_as_the_full_validation(body):
    assert outcome(parse_check, body) == outcome(_parse_check_naming_errors, body)


def test_a_plain_body_takes_the_quick_way():
    for body in (
        {"token": TOKEN, "resource": "acme/web", "permission": "contents:read"},
        {
            "ssh_key_fingerprint": "SHA256:" + "A" * 43,
            "resource": "acme",
            "permission": "members:read",
            "explain": True,
        },
    ):
        assert _well_formed(body) == _parse_check_naming_errors(body)
