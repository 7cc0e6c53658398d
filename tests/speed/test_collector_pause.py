"""The cycle collector waits while an API client's request is answered (config/collector.py)."""

import gc
import threading
from unittest.mock import patch

import pytest

from config.collector import collector_paused
from tests.factories import fine_grained_token
from tokens.api import views

BATCH = "/api/v1/access/check-batch"


@pytest.fixture
def approved(cast):
    return fine_grained_token(cast.alice, repository_access="all", permissions={"contents": "read"})


def test_a_batch_is_decided_with_the_collector_paused_and_it_resumes_after(api, approved):
    seen = []
    real_check_many = views.check_many

    def check_many(*args, **kwargs):
        seen.append(gc.isenabled())
        return real_check_many(*args, **kwargs)

    body = {"checks": [{"token": approved.plaintext, "resource": "alice/dotfiles", "permission": "contents:read"}]}
    with patch.object(views, "check_many", check_many):
        assert api.post(BATCH, body, format="json").status_code == 200
    assert seen == [False]
    assert gc.isenabled()


def test_a_refused_request_resumes_the_collector_too(api):
    assert api.post(BATCH, {"checks": "nope"}, format="json").status_code == 400
    assert gc.isenabled()


def test_the_collector_resumes_when_the_last_of_overlapping_pauses_ends():
    first_in, second_done = threading.Event(), threading.Event()
    states = []

    def first():
        with collector_paused():
            first_in.set()
            second_done.wait(5)
            states.append(("first, after the second ended", gc.isenabled()))

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(5)
    with collector_paused():
        states.append(("second", gc.isenabled()))
    second_done.set()
    thread.join(5)

    assert states == [("second", False), ("first, after the second ended", False)]
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
