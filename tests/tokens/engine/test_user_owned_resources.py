"""User-owned resources are outside every enterprise and organization policy (behaviour §3):
any user, EMU included, may use a token whose resource owner is themself on
their own repositories, whatever the enterprise's opt-in or policies.
"""

import pytest

from tests.factories import RepositoryFactory, classic_token, fine_grained_token

from .helpers import check_token, opt_out, set_enterprise_policy, set_organization_policy


def nothing(cast):
    pass


def lock_everything_down(cast):
    """Nobody opted in; the enterprise restricts both token types and requires approval."""
    opt_out(cast.bigcorp, cast.acme)
    set_enterprise_policy(
        cast.bigcorp, fine_grained_access="restrict", fine_grained_approval="require", classic_access="restrict"
    )
    set_organization_policy(cast.acme, fine_grained_access="restrict", classic_access="restrict")


@pytest.fixture
def own_repositories(cast):
    RepositoryFactory(owner_user=cast.emu_bob, name="notes", visibility="private")
    RepositoryFactory(owner_user=cast.emu_bob, name="site", visibility="public")
    return cast


@pytest.mark.parametrize("policies", [nothing, lock_everything_down], ids=["defaults", "everything locked down"])
@pytest.mark.parametrize(("username", "repository"), [("alice", "dotfiles"), ("emu_bob", "notes")])
@pytest.mark.parametrize("repository_access", ["all", "selected"])
def test_own_fine_grained_token_on_own_repository(own_repositories, policies, username, repository, repository_access):
    cast = own_repositories
    user = getattr(cast, username)
    policies(cast)
    selected = list(user.repositories.filter(name=repository)) if repository_access == "selected" else []
    token = fine_grained_token(
        user,
        repository_access=repository_access,
        repositories=selected,
        permissions={"contents": "write", "administration": "write"},
    )

    for permission in ("contents:read", "contents:write", "administration:write"):
        assert check_token(token.plaintext, f"{username}/{repository}", permission).reason == "allowed"


@pytest.mark.parametrize("policies", [nothing, lock_everything_down], ids=["defaults", "everything locked down"])
@pytest.mark.parametrize("username", ["alice", "emu_bob"])
def test_own_fine_grained_token_on_own_account(own_repositories, policies, username):
    cast = own_repositories
    user = getattr(cast, username)
    policies(cast)
    token = fine_grained_token(user, permissions={"keys": "write", "emails": "read"})

    assert check_token(token.plaintext, username, "keys:write").reason == "allowed"
    assert check_token(token.plaintext, username, "emails:read").reason == "allowed"


@pytest.mark.parametrize("username", ["alice", "emu_bob"])
def test_own_classic_token_on_own_repository_despite_classic_restriction(own_repositories, username):
    cast = own_repositories
    lock_everything_down(cast)
    token = classic_token(getattr(cast, username), scopes=["repo"])
    repository = {"alice": "dotfiles", "emu_bob": "notes"}[username]

    assert check_token(token.plaintext, f"{username}/{repository}", "contents:write").reason == "allowed"


def test_own_token_creates_no_request_or_grant(own_repositories):
    token = fine_grained_token(own_repositories.emu_bob, repository_access="all", permissions={"contents": "read"})

    assert not token.token.requests.exists()
    assert not token.token.grants.exists()


def test_own_token_cannot_reach_another_users_private_repository(own_repositories):
    token = fine_grained_token(own_repositories.alice, repository_access="all", permissions={"contents": "read"})

    assert check_token(token.plaintext, "emu_bob/notes", "contents:read").reason == "user_lacks_access"


def test_own_token_reads_another_users_public_repository(own_repositories):
    token = fine_grained_token(own_repositories.alice, repository_access="all", permissions={"contents": "read"})

    assert check_token(token.plaintext, "emu_bob/site", "contents:read").reason == "public_read"


def test_own_token_cannot_write_another_users_public_repository(own_repositories):
    token = fine_grained_token(own_repositories.alice, repository_access="all", permissions={"contents": "write"})

    assert check_token(token.plaintext, "emu_bob/site", "contents:write").reason == "user_lacks_access"


def test_own_token_cannot_reach_organization_repositories(own_repositories):
    token = fine_grained_token(own_repositories.alice, repository_access="all", permissions={"contents": "read"})

    assert check_token(token.plaintext, "acme/web", "contents:read").reason == "resource_owner_mismatch"


def test_own_token_still_limited_to_its_selection(own_repositories):
    cast = own_repositories
    RepositoryFactory(owner_user=cast.alice, name="blog", visibility="private")
    token = fine_grained_token(
        cast.alice,
        repository_access="selected",
        repositories=[cast.dotfiles],
        permissions={"contents": "read"},
    )

    assert check_token(token.plaintext, "alice/blog", "contents:read").reason == "repository_not_selected"


def test_own_token_still_limited_to_its_permissions(own_repositories):
    token = fine_grained_token(own_repositories.alice, repository_access="all", permissions={"contents": "read"})

    assert check_token(token.plaintext, "alice/dotfiles", "contents:write").reason == "permission_not_granted"
