"""The permission catalogue and the classic-scope mapping (behaviour §5.3).

Data only: the single source for the decision engine, the token forms and API
validation. A permission is checked as ``name:level``; levels nest
``admin ⊇ write ⊇ read``.
"""

from dataclasses import dataclass
from enum import StrEnum


class ResourceKind(StrEnum):
    REPOSITORY = "repository"
    ORGANIZATION = "organization"
    ACCOUNT = "account"  # a user's own settings: keys, emails, profile
    ENTERPRISE = "enterprise"


LEVELS = ("read", "write", "admin")
LEVEL_RANK = {"none": 0, "read": 1, "write": 2, "admin": 3}


@dataclass(frozen=True)
class Permission:
    name: str
    kind: ResourceKind
    levels: tuple[str, ...]
    title: str
    # Readable by every valid credential on a public repository (behaviour §4 gate 5).
    public_read: bool = False
    # Scopes (of a classic token) that satisfy each level; see `accepted_scopes`.
    scopes: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def scopes_for(self, level: str) -> tuple[str, ...]:
        return dict(self.scopes).get(level, ())


R, W, A = "read", "write", "admin"
REPO = ("repo", "public_repo")  # public_repo counts only on public repositories

PERMISSIONS: dict[str, Permission] = {
    p.name: p
    for p in [
        # Repository permissions.
        Permission("metadata", ResourceKind.REPOSITORY, (R,), "Metadata", True, ((R, REPO),)),
        Permission("contents", ResourceKind.REPOSITORY, (R, W), "Contents", True, ((R, REPO), (W, REPO))),
        Permission("issues", ResourceKind.REPOSITORY, (R, W), "Issues", True, ((R, REPO), (W, REPO))),
        Permission("pull_requests", ResourceKind.REPOSITORY, (R, W), "Pull requests", True, ((R, REPO), (W, REPO))),
        Permission("actions", ResourceKind.REPOSITORY, (R, W), "Actions", True, ((R, REPO), (W, REPO))),
        Permission(
            "administration",
            ResourceKind.REPOSITORY,
            (R, W, A),
            "Administration",
            False,
            ((R, REPO), (W, REPO), (A, REPO)),
        ),
        Permission(
            "deployments",
            ResourceKind.REPOSITORY,
            (R, W),
            "Deployments",
            True,
            ((R, (*REPO, "repo_deployment")), (W, (*REPO, "repo_deployment"))),
        ),
        Permission("environments", ResourceKind.REPOSITORY, (R, W), "Environments", True, ((R, REPO), (W, ("repo",)))),
        Permission("pages", ResourceKind.REPOSITORY, (R, W), "Pages", True, ((R, REPO), (W, REPO))),
        Permission("secrets", ResourceKind.REPOSITORY, (R, W), "Secrets", False, ((R, ("repo",)), (W, ("repo",)))),
        Permission(
            "statuses",
            ResourceKind.REPOSITORY,
            (R, W),
            "Commit statuses",
            True,
            ((R, (*REPO, "repo:status")), (W, (*REPO, "repo:status"))),
        ),
        Permission(
            "repository_hooks",
            ResourceKind.REPOSITORY,
            (R, W),
            "Webhooks",
            False,
            ((R, ("repo", "read:repo_hook")), (W, ("repo", "write:repo_hook"))),
        ),
        Permission("workflows", ResourceKind.REPOSITORY, (W,), "Workflows", False, ((W, ("workflow",)),)),
        # Organization permissions.
        Permission(
            "members", ResourceKind.ORGANIZATION, (R, W), "Members", False, ((R, ("read:org",)), (W, ("write:org",)))
        ),
        Permission(
            "organization_administration",
            ResourceKind.ORGANIZATION,
            (R, W, A),
            "Administration",
            False,
            ((R, ("read:org",)), (W, ("admin:org",)), (A, ("admin:org",))),
        ),
        Permission(
            "organization_hooks",
            ResourceKind.ORGANIZATION,
            (R, W),
            "Webhooks",
            False,
            ((R, ("admin:org_hook",)), (W, ("admin:org_hook",))),
        ),
        Permission(
            "organization_personal_access_tokens",
            ResourceKind.ORGANIZATION,
            (R, W),
            "Personal access tokens",
            False,
            ((R, ("admin:org",)), (W, ("admin:org",))),
        ),
        Permission(
            "organization_personal_access_token_requests",
            ResourceKind.ORGANIZATION,
            (R, W),
            "Personal access token requests",
            False,
            ((R, ("admin:org",)), (W, ("admin:org",))),
        ),
        # Account permissions (the user's own settings).
        Permission(
            "keys",
            ResourceKind.ACCOUNT,
            (R, W),
            "Git SSH keys",
            False,
            ((R, ("read:public_key",)), (W, ("write:public_key",))),
        ),
        Permission(
            "emails", ResourceKind.ACCOUNT, (R, W), "Email addresses", False, ((R, ("user:email",)), (W, ("user",)))
        ),
        Permission("profile", ResourceKind.ACCOUNT, (R, W), "Profile", False, ((R, ("read:user",)), (W, ("user",)))),
        Permission(
            "gpg_keys",
            ResourceKind.ACCOUNT,
            (R, W),
            "GPG keys",
            False,
            ((R, ("read:gpg_key",)), (W, ("write:gpg_key",))),
        ),
        # Enterprise permissions (classic tokens only: an enterprise is never a
        # fine-grained token's resource owner).
        Permission(
            "enterprise_administration",
            ResourceKind.ENTERPRISE,
            (R, W, A),
            "Enterprise administration",
            False,
            ((R, ("read:enterprise",)), (W, ("admin:enterprise",)), (A, ("admin:enterprise",))),
        ),
        Permission("audit_log", ResourceKind.ENTERPRISE, (R,), "Audit log", False, ((R, ("read:audit_log",)),)),
    ]
}

# What each permission lets a token do, in a sentence (GitHub's meaning); shown in forms and lists.
PERMISSION_DESCRIPTIONS: dict[str, str] = {
    "metadata": "Read-only facts about a repository: its name, collaborators and settings; every token holds it.",
    "contents": "Repository contents, commits, branches, downloads, releases, and merges.",
    "issues": "Issues and their comments, assignees, labels, and milestones.",
    "pull_requests": "Pull requests and their comments, reviews, assignees, labels, milestones, and merges.",
    "actions": "GitHub Actions workflows, their runs, logs, and artifacts.",
    "administration": "Repository settings, collaborators, teams, and creating or deleting repositories.",
    "deployments": "Deployments and their statuses.",
    "environments": "Deployment environments and their protection rules.",
    "pages": "GitHub Pages sites: their configuration, status, and builds.",
    "secrets": "Encrypted secrets for the repository's Actions workflows.",
    "statuses": "The statuses attached to commits (such as a CI run's result).",
    "repository_hooks": "The repository's webhooks: what they send and where.",
    "workflows": "The workflow files under .github/workflows.",
    "members": "The organization's members, teams, and invitations.",
    "organization_administration": "The organization's settings and who may access it.",
    "organization_hooks": "The organization's webhooks: what they send and where.",
    "organization_personal_access_tokens": (
        "The fine-grained tokens approved in the organization: list them and revoke them."
    ),
    "organization_personal_access_token_requests": (
        "Requests of fine-grained tokens to access the organization: review, approve, or deny them."
    ),
    "keys": "The account's Git SSH keys.",
    "emails": "The account's email addresses.",
    "profile": "The account's public profile: name, bio, and other settings.",
    "gpg_keys": "The account's GPG keys, used to sign commits.",
    "enterprise_administration": "The enterprise's settings, policies, and organizations.",
    "audit_log": "The enterprise's audit log.",
}

# What each classic scope grants, in GitHub's words.
SCOPE_DESCRIPTIONS: dict[str, str] = {
    "repo": "Full control of private repositories",
    "repo:status": "Access commit statuses",
    "repo_deployment": "Access deployment statuses",
    "public_repo": "Access public repositories",
    "repo:invite": "Access repository invitations",
    "security_events": "Read and write security events",
    "workflow": "Update GitHub Actions workflow files",
    "write:packages": "Upload packages to the package registry",
    "read:packages": "Download packages from the package registry",
    "delete:packages": "Delete packages from the package registry",
    "admin:org": "Full control of organizations and teams",
    "write:org": "Read and write organization and team membership",
    "read:org": "Read organization and team membership",
    "admin:public_key": "Full control of user public keys",
    "write:public_key": "Write user public keys",
    "read:public_key": "Read user public keys",
    "admin:repo_hook": "Full control of repository webhooks",
    "write:repo_hook": "Write repository webhooks",
    "read:repo_hook": "Read repository webhooks",
    "admin:org_hook": "Full control of organization webhooks",
    "gist": "Create gists",
    "notifications": "Access notifications",
    "user": "Update all user data",
    "read:user": "Read all user profile data",
    "user:email": "Access user email addresses (read-only)",
    "user:follow": "Follow and unfollow users",
    "delete_repo": "Delete repositories",
    "admin:enterprise": "Full control of enterprises",
    "manage_runners:enterprise": "Manage enterprise runners and runner groups",
    "manage_billing:enterprise": "Read and write enterprise billing data",
    "read:enterprise": "Read enterprise profile data",
    "read:audit_log": "Read audit log data",
    "admin:gpg_key": "Full control of user GPG keys",
    "write:gpg_key": "Write user GPG keys",
    "read:gpg_key": "Read user GPG keys",
}

# How a level reads beside a permission's title: "Contents (read and write)".
LEVEL_WORDS = {"read": "read-only", "write": "read and write", "admin": "admin"}

# Classic scopes: each names the scope that includes it (GitHub's hierarchy).
SCOPE_PARENTS: dict[str, str | None] = {
    "repo": None,
    "repo:status": "repo",
    "repo_deployment": "repo",
    "public_repo": "repo",
    "repo:invite": "repo",
    "security_events": "repo",
    "workflow": None,
    "write:packages": None,
    "read:packages": "write:packages",
    "delete:packages": None,
    "admin:org": None,
    "write:org": "admin:org",
    "read:org": "write:org",
    "admin:public_key": None,
    "write:public_key": "admin:public_key",
    "read:public_key": "write:public_key",
    "admin:repo_hook": None,
    "write:repo_hook": "admin:repo_hook",
    "read:repo_hook": "write:repo_hook",
    "admin:org_hook": None,
    "gist": None,
    "notifications": None,
    "user": None,
    "read:user": "user",
    "user:email": "user",
    "user:follow": "user",
    "delete_repo": None,
    "admin:enterprise": None,
    "manage_runners:enterprise": "admin:enterprise",
    "manage_billing:enterprise": "admin:enterprise",
    "read:enterprise": "admin:enterprise",
    "read:audit_log": None,
    "admin:gpg_key": None,
    "write:gpg_key": "admin:gpg_key",
    "read:gpg_key": "write:gpg_key",
}
SCOPES = tuple(SCOPE_PARENTS)

# Scopes that act only on public repositories.
PUBLIC_ONLY_SCOPES = frozenset({"public_repo"})


def _with_ancestors(scope: str) -> frozenset[str]:
    found = set()
    while scope is not None:
        found.add(scope)
        scope = SCOPE_PARENTS[scope]
    return frozenset(found)


# Every scope that holding `key` implies having: a scope and all it includes.
SCOPE_SATISFIED_BY = {scope: _with_ancestors(scope) for scope in SCOPES}


def parse_permission(value: str) -> tuple[str, str]:
    """Split ``name:level``; raise ValueError naming what is wrong."""
    name, sep, level = value.partition(":")
    if not sep or not name or level not in LEVELS:
        raise ValueError("Use the form name:level, where level is read, write or admin.")
    if name not in PERMISSIONS:
        raise ValueError(f"Unknown permission {name!r}.")
    return name, level


def accepted_scopes(name: str, level: str, *, public: bool) -> tuple[str, ...]:
    """Classic scopes any one of which satisfies ``name:level``."""
    scopes = PERMISSIONS[name].scopes_for(level)
    if not public:
        scopes = tuple(scope for scope in scopes if scope not in PUBLIC_ONLY_SCOPES)
    return scopes


def scopes_cover(held: frozenset[str] | set[str], accepted: tuple[str, ...]) -> bool:
    return any(SCOPE_SATISFIED_BY[scope] & held for scope in accepted)


def level_covers(granted: str | None, requested: str) -> bool:
    return LEVEL_RANK.get(granted or "none", 0) >= LEVEL_RANK[requested]


def permissions_exceed(wanted: dict[str, str], held: dict[str, str]) -> bool:
    """True if `wanted` asks for a permission or a level that `held` lacks."""
    return any(not level_covers(held.get(name), level) for name, level in wanted.items())
