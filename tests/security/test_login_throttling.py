"""Sign-in throttling on /login/ and /admin/login/ (issues 5, 16): per username and address together, and per address.

A lock stops the address the failures came from, so nobody can lock another person out by failing their password.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.utils import timezone

from config.client_ip import client_ip
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIMIT = settings.AXES_FAILURE_LIMIT
HOME, ATTACKER = "10.0.0.1", "10.0.0.66"


@pytest.fixture(autouse=True)
def people(db):
    UserFactory(username="alice")
    UserFactory(username="bob")
    UserFactory(username="root", is_staff=True, is_superuser=True)


def sign_in(username, password="password", *, address=HOME, path="/login/"):
    return Client(REMOTE_ADDR=address).post(path, {"username": username, "password": password})


def fail(times, username="alice", *, address=ATTACKER, path="/login/"):
    return [sign_in(username, "wrong", address=address, path=path).status_code for _ in range(times)]


def test_a_failed_sign_in_shows_the_form_again():
    assert fail(1) == [200]


def test_failures_below_the_limit_do_not_stop_the_right_password():
    fail(LIMIT - 1)
    assert sign_in("alice", address=ATTACKER).status_code == 302


def test_the_limit_locks_the_address_with_a_429_that_says_why():
    assert fail(LIMIT) == [200] * (LIMIT - 1) + [429]
    response = sign_in("alice", address=ATTACKER)  # even the right password
    assert response.status_code == 429
    assert b"Too many sign-in attempts" in response.content


def test_the_lock_message_says_how_long_it_lasts():
    fail(LIMIT)
    minutes = f"{settings.AXES_COOLOFF_TIME * 60:.0f}"
    assert f"Try again in {minutes} minutes".encode() in sign_in("alice", address=ATTACKER).content


def test_a_one_minute_lock_says_one_minute(settings):
    settings.AXES_COOLOFF_TIME = 1 / 60
    fail(LIMIT)
    assert b"Try again in 1 minute," in sign_in("alice", address=ATTACKER).content


def test_failing_someone_elses_password_does_not_lock_them_out_elsewhere():
    assert fail(LIMIT, "root", path="/admin/login/")[-1] == 429
    assert sign_in("root", address=HOME, path="/admin/login/").status_code == 302
    assert sign_in("root", address=HOME).status_code == 302


def test_the_limit_locks_an_address_whatever_the_usernames():
    for number in range(LIMIT):
        sign_in(f"guess{number}", "wrong", address=ATTACKER)
    assert sign_in("bob", address=ATTACKER).status_code == 429
    assert sign_in("bob", address=HOME).status_code == 302


def test_the_admin_sign_in_is_throttled_too():
    assert fail(LIMIT, "root", path="/admin/login/")[-1] == 429
    assert sign_in("root", address=ATTACKER, path="/admin/login/").status_code == 429
    assert sign_in("root", address=ATTACKER).status_code == 429  # one count for both forms


def test_the_lock_expires_after_the_cool_off():
    fail(LIMIT)
    cool_off = timedelta(hours=settings.AXES_COOLOFF_TIME)
    AccessAttempt.objects.update(attempt_time=timezone.now() - cool_off - timedelta(seconds=1))
    assert sign_in("alice", address=ATTACKER).status_code == 302


def test_the_lock_holds_until_the_cool_off():
    fail(LIMIT)
    cool_off = timedelta(hours=settings.AXES_COOLOFF_TIME)
    AccessAttempt.objects.update(attempt_time=timezone.now() - cool_off + timedelta(minutes=1))
    assert sign_in("alice", address=ATTACKER).status_code == 429


def test_an_administrator_can_lift_an_address_lock():
    for number in range(LIMIT):
        sign_in(f"guess{number}", "wrong", address=ATTACKER)
    call_command("axes_reset_ip", ATTACKER, verbosity=0)
    assert sign_in("alice", address=ATTACKER).status_code == 302


def test_the_login_page_still_shows_while_locked():
    fail(LIMIT)
    assert Client(REMOTE_ADDR=ATTACKER).get("/login/").status_code == 200


def test_the_password_is_not_stored_with_the_attempt():
    fail(1)
    assert "wrong" not in AccessAttempt.objects.get().post_data


# --- The client address -----------------------------------------------------------------


def request_from(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/login/", **extra)


def test_without_proxies_the_address_is_the_connections(settings):
    settings.PATROL_PROXY_COUNT = 0
    assert client_ip(request_from("10.0.0.1", forwarded="203.0.113.9")) == "10.0.0.1"


def test_behind_one_proxy_the_address_is_the_one_it_saw(settings):
    settings.PATROL_PROXY_COUNT = 1
    # The client wrote "1.2.3.4" itself; the load balancer appended what it saw.
    assert client_ip(request_from("10.0.0.1", forwarded="1.2.3.4, 203.0.113.9")) == "203.0.113.9"


def test_behind_proxies_a_missing_header_falls_back_to_the_connection(settings):
    settings.PATROL_PROXY_COUNT = 2
    assert client_ip(request_from("10.0.0.1", forwarded="203.0.113.9")) == "10.0.0.1"
    assert client_ip(request_from("10.0.0.1")) == "10.0.0.1"


def test_behind_a_proxy_two_clients_are_counted_apart(settings):
    settings.PATROL_PROXY_COUNT = 1
    balancer = "10.9.9.9"
    for number in range(LIMIT):
        Client(REMOTE_ADDR=balancer, HTTP_X_FORWARDED_FOR=ATTACKER).post(
            "/login/", {"username": f"guess{number}", "password": "wrong"}
        )
    assert (
        Client(REMOTE_ADDR=balancer, HTTP_X_FORWARDED_FOR=ATTACKER)
        .post("/login/", {"username": "bob", "password": "password"})
        .status_code
        == 429
    )
    assert (
        Client(REMOTE_ADDR=balancer, HTTP_X_FORWARDED_FOR=HOME)
        .post("/login/", {"username": "bob", "password": "password"})
        .status_code
        == 302
    )
