"""Real `git clone` and `git push` through nginx `auth_request` asking a real Patrol (docs/gateway.md).

A gunicorn Patrol on the test database; fcgiwrap and nginx, with the server
block docs/gateway.md shows, in front of `git http-backend` and bare
repositories in a temporary folder; git with the token in the URL. Needs
Debian's nginx, fcgiwrap and git: skipped with the reason without them,
failed when PATROL_REQUIRE_GIT_GATEWAY is set (as .ci/run does). PostgreSQL
only: the server process shares the test database.
"""

import os

import pytest
from django.db import connection
from django.urls import reverse

from tests.conftest import client_for
from tests.deploy.git_gateway import bare_repository, git, git_gateway, missing_tools
from tests.deploy.servers import database_url, gunicorn_servers
from tests.factories import api_client, classic_token, fine_grained_token

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the Patrol server needs a shared PostgreSQL database"
    ),
]


@pytest.fixture(scope="module")
def patrol(django_db_setup, django_db_blocker):
    """One gunicorn Patrol for the module, without a facts cache: every check reads the database."""
    missing = missing_tools()
    if missing:
        reason = f"the git gateway test needs {', '.join(missing)} (apt-get install nginx fcgiwrap git)"
        if os.environ.get("PATROL_REQUIRE_GIT_GATEWAY"):
            pytest.fail(reason)
        pytest.skip(reason)
    with django_db_blocker.unblock():
        url = database_url()
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": url, "DEBUG": "0"}
    for name in ("CACHE_URL", "REDIS_URL", "PATROL_FACTS_CACHE"):
        environment.pop(name, None)
    with gunicorn_servers(environment, count=1) as (address,):
        yield address


@pytest.fixture
def server(patrol, cast, tmp_path):
    """nginx and fcgiwrap in front of acme/web (private) and acme/docs (public), asking `patrol`."""
    type(cast.acme).objects.filter(pk=cast.acme.pk).update(base_permission="write")  # members may push
    repositories, home = tmp_path / "repositories", tmp_path / "home"
    home.mkdir()
    for name in ("acme/web", "acme/docs"):
        bare_repository(repositories, name, home=home)
    secret = api_client("git-gateway").plaintext
    with git_gateway(tmp_path / "nginx", patrol=patrol, secret=secret, repositories=repositories) as address:
        yield Server(address, home)


class Server:
    def __init__(self, address, home):
        self.address, self.home = address, home

    def url(self, repository: str, token: str) -> str:
        return self.address.replace("http://", f"http://git:{token}@") + f"/{repository}.git"

    def clone(self, repository: str, token: str, into: str):
        return git("clone", "-q", self.url(repository, token), str(self.home / into), home=self.home)

    def commit_and_push(self, into: str, message: str):
        checkout = self.home / into
        (checkout / f"{message}.txt").write_text(message)
        for command in (("add", "."), ("commit", "-q", "-m", message)):
            assert git(*command, cwd=checkout, home=self.home).returncode == 0
        return git("push", "-q", "origin", "main", cwd=checkout, home=self.home)

    def log(self, repository: str, token: str, into: str) -> str:
        done = self.clone(repository, token, into)
        assert done.returncode == 0, done.stderr
        return git("log", "--format=%s", cwd=self.home / into, home=self.home).stdout


def writer_token(cast, **kwargs):
    return fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "write"}, **kwargs
    )


def test_an_approved_token_clones_and_pushes(server, cast):
    token = writer_token(cast, approved=True).plaintext
    cloned = server.clone("acme/web", token, "web")
    assert cloned.returncode == 0, cloned.stderr
    pushed = server.commit_and_push("web", "Second")
    assert pushed.returncode == 0, pushed.stderr
    assert server.log("acme/web", token, "web-again").split() == ["Second", "First"]


def test_a_classic_token_under_the_enterprises_restriction_is_refused(server, cast):
    token = classic_token(cast.alice, scopes=["repo"]).plaintext
    assert server.clone("acme/web", token, "allowed-before").returncode == 0
    cast.bigcorp.classic_access = "restrict"
    cast.bigcorp.save()
    refused = server.clone("acme/web", token, "web")
    assert refused.returncode != 0
    assert "403" in refused.stderr


def test_a_token_awaiting_approval_clones_a_public_repository_but_cannot_push(server, cast):
    token = writer_token(cast, pending=True).plaintext
    cloned = server.clone("acme/docs", token, "docs")
    assert cloned.returncode == 0, cloned.stderr
    pushed = server.commit_and_push("docs", "Pending")
    assert pushed.returncode != 0
    assert "403" in pushed.stderr
    assert server.clone("acme/web", token, "web").returncode != 0  # private: nothing before approval


def test_a_token_revoked_in_the_pages_fails_on_the_very_next_push(server, cast):
    issued = writer_token(cast, approved=True)
    assert server.clone("acme/web", issued.plaintext, "web").returncode == 0
    assert server.commit_and_push("web", "Before").returncode == 0
    page = reverse("tokens:delete", kwargs={"kind": "fine-grained", "pk": issued.token.pk})
    assert client_for(cast.alice).post(page).status_code == 302
    pushed = server.commit_and_push("web", "After")
    assert pushed.returncode != 0
    assert "Authentication failed" in pushed.stderr or "401" in pushed.stderr


def test_without_a_token_git_is_asked_for_credentials(server, cast):
    anonymous = git("clone", "-q", f"{server.address}/acme/docs.git", str(server.home / "anonymous"), home=server.home)
    assert anonymous.returncode != 0
    assert "could not read Username" in anonymous.stderr  # git asked (prompting is off here)
