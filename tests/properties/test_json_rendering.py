"""The API clients' answers are written by orjson, byte for byte as DRF's JSON renderer writes them
(tokens/api/views.py `CompactJson`).

Answers carry no floating-point numbers (their schemas have none), and floats
are left out here: orjson writes some of them otherwise (1e16, not 1e+16).
"""

from datetime import UTC, datetime, timedelta, timezone
from unittest.mock import patch

from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer

from tokens.api.views import CompactJson
from tokens.engine.decision import Reason

PROPERTIES = settings(max_examples=500, deadline=None)

texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["line\u2028break", "para\u2029graph", "é中😀", "\x00\x1f\x7f", '"\\/']),
)
times = st.datetimes(timezones=st.one_of(st.none(), st.just(UTC), st.just(timezone(timedelta(hours=-5)))))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),  # beyond 64 bits too: orjson refuses those documents and DRF writes them
    texts,
    times,
    st.sampled_from(Reason),
    texts.map(ErrorDetail),
    st.just(gettext_lazy("This field is required.")),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=6), st.integers(0, 99)), inner, max_size=4),
    ),
    max_leaves=20,
)


@PROPERTIES
@given(documents)
def test_answers_are_the_bytes_drf_writes(document):
    assert CompactJson().render(document) == JSONRenderer().render(document)


def test_nothing_to_render_is_an_empty_body():
    assert CompactJson().render(None) == b""


def test_a_time_is_written_as_drf_writes_it():
    moment = datetime(2026, 12, 5, 14, 0, 0, 123456, tzinfo=UTC)
    assert CompactJson().render({"at": moment}) == b'{"at":"2026-12-05T14:00:00.123456Z"}'


def test_an_answer_is_written_by_orjson_not_by_drfs_encoder():
    answer = {"allowed": True, "reason": Reason.ALLOWED, "message": "Allowed.", "token": {"id": 1, "user": "alice"}}
    with patch.object(CompactJson.encoder, "encode", side_effect=AssertionError("DRF's encoder was used")):
        assert CompactJson().render(answer) == JSONRenderer().render(answer)
