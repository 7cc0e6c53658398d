"""Load a scenario file (behaviour §6, §9): a whole small world in one transaction.

Everything is written through the services the UI uses, so access requests,
grants and audit events arise exactly as they would from the pages. The keys
are applied in this order, each optional but ``users``::

    users, enterprises, organizations, repositories, tokens,
    ssh_keys, reviews, revocations, token_revocations

The file is self-contained: every user, enterprise, organization, repository
and token it names must be declared in it. Entries are checked for shape and
references before anything is written, and any error — there or from a
service — raises one `ScenarioError` naming the entry, e.g.
``tokens[2] ("alice-web"): unknown user "zed"``; nothing is written then.

Beyond behaviour §9:

- users may carry ``password`` (otherwise unusable), ``is_active`` and, for
  demos, ``is_superuser`` (a site administrator, also staff);
- organizations and enterprises may carry ``name``;
- tokens: ``type`` defaults to ``fine_grained``; ``resource_owner`` omitted (or
  the token's own user) means user-owned; ``repository_access`` defaults to
  ``selected`` when ``repositories`` are given, else ``public``; a repository
  is named bare (of the resource owner) or as ``owner/name``; fine-grained
  tokens take ``description``, classic tokens ``note`` (default: the name);
- reviews and revocations: ``organization`` defaults to the token's resource
  owner; a review's ``action`` is ``approve`` or ``deny``.

`load_scenario` returns ``{"tokens": {name: plaintext}}``: the only time the
plaintexts exist.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from enterprises.services import enterprise_create, enterprise_owner_grant
from organizations.models import Repository
from organizations.services import (
    membership_add,
    organization_create,
    organization_owner_grant,
    repository_create,
    user_create,
    user_make_site_administrator,
    user_set_managed_by,
)
from policies.models import POLICY_FIELDS
from policies.services import (
    enterprise_opt_in,
    enterprise_policy_update,
    organization_opt_in,
    organization_policy_update,
)

from . import services
from .choices import CredentialType, RepositoryAccess, RequestStatus
from .models import AccessRequest, FineGrainedToken, Grant

SECTIONS = (
    "users",
    "enterprises",
    "organizations",
    "repositories",
    "tokens",
    "ssh_keys",
    "reviews",
    "revocations",
    "token_revocations",
)
DEFAULT_EXPIRES_IN_DAYS = 30


class ScenarioError(Exception):
    """The scenario is invalid; the message names every bad entry found."""

    def __init__(self, errors: list[str] | str):
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("\n".join(self.errors))


# --- Shape ------------------------------------------------------------------
# Each field: (check, what the value must be). A check returns True if valid.


def _is_text(value) -> bool:
    return isinstance(value, str)


def _is_text_or_null(value) -> bool:
    return value is None or isinstance(value, str)


def _is_bool(value) -> bool:
    return isinstance(value, bool)


def _is_days(value) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def _is_text_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_text_map(value) -> bool:
    return isinstance(value, dict) and all(isinstance(item, str) for item in value.values())


def _is_policy(value) -> bool:
    return isinstance(value, dict)


TEXT = (_is_text, "text")
TEXT_OR_NULL = (_is_text_or_null, "text or null")
BOOL = (_is_bool, "true or false")
DAYS = (_is_days, "a whole number of days or null")
NAMES = (_is_text_list, "a list of names")
LEVELS = (_is_text_map, 'an object of permission name to level, e.g. {"contents": "write"}')
POLICY = (_is_policy, "an object of policy name to choice")

# section: (the key that identifies an entry, required keys, {key: field})
SCHEMA: dict[str, tuple[str, tuple[str, ...], dict]] = {
    "users": (
        "username",
        ("username",),
        {
            "username": TEXT,
            "email": TEXT,
            "managed_by": TEXT_OR_NULL,
            "password": TEXT,
            "is_active": BOOL,
            "is_superuser": BOOL,
        },
    ),
    "enterprises": (
        "slug",
        ("slug",),
        {"slug": TEXT, "name": TEXT, "owners": NAMES, "fine_grained_opted_in": BOOL, "policy": POLICY},
    ),
    "organizations": (
        "login",
        ("login",),
        {
            "login": TEXT,
            "name": TEXT,
            "enterprise": TEXT_OR_NULL,
            "owners": NAMES,
            "members": NAMES,
            "base_permission": TEXT,
            "fine_grained_opted_in": BOOL,
            "policy": POLICY,
        },
    ),
    "repositories": ("name", ("owner", "name"), {"owner": TEXT, "name": TEXT, "visibility": TEXT}),
    "tokens": (
        "name",
        ("name", "user"),
        {
            "name": TEXT,
            "user": TEXT,
            "type": TEXT,
            "expires_in_days": DAYS,
            # fine-grained only
            "resource_owner": TEXT_OR_NULL,
            "repository_access": TEXT,
            "repositories": NAMES,
            "permissions": LEVELS,
            "description": TEXT,
            "justification": TEXT,
            # classic only
            "note": TEXT,
            "scopes": NAMES,
        },
    ),
    "ssh_keys": (
        "title",
        ("user", "title", "fingerprint"),
        {"user": TEXT, "title": TEXT, "fingerprint": TEXT, "created_by_token": TEXT_OR_NULL},
    ),
    "reviews": (
        "token",
        ("token", "action", "by"),
        {"token": TEXT, "organization": TEXT, "action": TEXT, "by": TEXT, "reason": TEXT_OR_NULL},
    ),
    "revocations": ("token", ("token", "by"), {"token": TEXT, "organization": TEXT, "by": TEXT}),
}
CLASSIC_ONLY = frozenset({"note", "scopes"})
FINE_GRAINED_ONLY = frozenset(
    {"resource_owner", "repository_access", "repositories", "permissions", "description", "justification"}
)
POLICY_VALUE_TYPES = {name: (str,) if "lifetime" not in name else (int, type(None)) for name in POLICY_FIELDS}


def _label(section: str, index: int, entry) -> str:
    key = SCHEMA[section][0] if section in SCHEMA else None
    ident = entry.get(key) if isinstance(entry, dict) and key else entry
    if section == "repositories" and isinstance(entry, dict):
        ident = f"{entry.get('owner')}/{entry.get('name')}"
    if isinstance(ident, str):
        if not ident.isprintable():  # a name with a line break or an escape sequence is shown, not obeyed
            ident = ident.encode("unicode_escape").decode("ascii")
        return f'{section}[{index}] ("{ident}")'
    return f"{section}[{index}]"


def _shape_errors(data) -> list[str]:
    if not isinstance(data, dict):
        return ["The scenario must be a JSON object with at least a users list."]
    errors = [f'unknown key "{key}"; use {", ".join(SECTIONS)}' for key in data if key not in SECTIONS]
    if "users" not in data:
        errors.append('"users" is required')
    for section in SECTIONS:
        if section not in data:
            continue
        entries = data[section]
        if not isinstance(entries, list):
            errors.append(f'"{section}" must be a list')
            continue
        for index, entry in enumerate(entries):
            label = _label(section, index, entry)
            if section == "token_revocations":
                if not isinstance(entry, str):
                    errors.append(f"{label}: must be a token name")
                continue
            errors.extend(f"{label}: {problem}" for problem in _entry_shape_errors(section, entry))
    return errors


def _entry_shape_errors(section: str, entry) -> Iterator[str]:
    if not isinstance(entry, dict):
        yield "must be an object"
        return
    _, required, fields = SCHEMA[section]
    for key in required:
        if key not in entry:
            yield f'"{key}" is required'
    for key, value in entry.items():
        if key not in fields:
            yield f'unknown key "{key}"; use {", ".join(fields)}'
            continue
        check, what = fields[key]
        if not check(value):
            yield f'"{key}" must be {what}'
        elif key == "policy":
            yield from _policy_shape_errors(value)
    if section == "tokens":
        kind = entry.get("type", CredentialType.FINE_GRAINED)
        if kind not in (CredentialType.FINE_GRAINED, CredentialType.CLASSIC):
            yield f'"type" must be "{CredentialType.FINE_GRAINED}" or "{CredentialType.CLASSIC}"'
        else:
            misplaced = CLASSIC_ONLY if kind == CredentialType.FINE_GRAINED else FINE_GRAINED_ONLY
            for key in sorted(misplaced & entry.keys()):
                yield f'"{key}" does not apply to {kind} tokens'
    if section == "reviews" and entry.get("action") not in (None, "approve", "deny"):
        yield '"action" must be "approve" or "deny"'


def _policy_shape_errors(policy: dict) -> Iterator[str]:
    for name, value in policy.items():
        if name not in POLICY_VALUE_TYPES:
            yield f'unknown policy "{name}"; use {", ".join(POLICY_FIELDS)}'
        elif isinstance(value, bool) or not isinstance(value, POLICY_VALUE_TYPES[name]):
            what = "text" if str in POLICY_VALUE_TYPES[name] else "a number of days or null"
            yield f'policy "{name}" must be {what}'


# --- References ---------------------------------------------------------------


def _reference_errors(data: dict) -> list[str]:
    """Every name used must be declared in the same file (behaviour §9)."""
    users = {entry["username"] for entry in data.get("users", ())}
    enterprises = {entry["slug"] for entry in data.get("enterprises", ())}
    organizations = {entry["login"] for entry in data.get("organizations", ())}
    token_names = [entry["name"] for entry in data.get("tokens", ())]
    tokens = set(token_names)
    errors: list[str] = []

    def expect(label: str, kind: str, names, known) -> None:
        errors.extend(f'{label}: unknown {kind} "{name}"' for name in names if name not in known)

    def each(section: str) -> Iterator[tuple[str, dict]]:
        for index, entry in enumerate(data.get(section, ())):
            yield _label(section, index, entry), entry

    for label, entry in each("users"):
        if entry.get("managed_by") is not None:
            expect(label, "enterprise", [entry["managed_by"]], enterprises)
    for label, entry in each("enterprises"):
        expect(label, "user", entry.get("owners", ()), users)
    for label, entry in each("organizations"):
        if entry.get("enterprise") is not None:
            expect(label, "enterprise", [entry["enterprise"]], enterprises)
        expect(label, "user", [*entry.get("owners", ()), *entry.get("members", ())], users)
    for label, entry in each("repositories"):
        expect(label, "owner (user or organization)", [entry["owner"]], users | organizations)
    seen: set[str] = set()
    for label, entry in each("tokens"):
        if entry["name"] in seen:
            errors.append(f"{label}: another token of this file has the same name")
        seen.add(entry["name"])
        expect(label, "user", [entry["user"]], users)
        owner = entry.get("resource_owner")
        if owner is not None and owner != entry["user"] and owner not in organizations:
            errors.append(f'{label}: resource owner "{owner}" is neither the token\'s user nor an organization')
    for label, entry in each("ssh_keys"):
        expect(label, "user", [entry["user"]], users)
        if entry.get("created_by_token") is not None:
            expect(label, "token", [entry["created_by_token"]], tokens)
    for section in ("reviews", "revocations"):
        for label, entry in each(section):
            expect(label, "token", [entry["token"]], tokens)
            expect(label, "user", [entry["by"]], users)
            if "organization" in entry:
                expect(label, "organization", [entry["organization"]], organizations)
    for label, name in each("token_revocations"):
        expect(label, "token", [name], tokens)
    return errors


# --- Applying ---------------------------------------------------------------


def _describe(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            " ".join(messages) if field == "__all__" else f"{field}: {' '.join(messages)}"
            for field, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


@contextmanager
def _entry(label: str):
    """Turn a service's refusal into a ScenarioError naming the entry."""
    try:
        yield
    except ValidationError as error:
        raise ScenarioError(f"{label}: {_describe(error)}") from error
    except (PermissionDenied, IntegrityError) as error:
        raise ScenarioError(f"{label}: {error}") from error


class _World:
    """What the scenario made so far, by the names the file uses."""

    def __init__(self):
        self.users = {}
        self.enterprises = {}
        self.organizations = {}
        self.repositories = {}  # (owner login, name) -> Repository
        self.tokens = {}
        self.plaintexts = {}

    def owner(self, login: str):
        return self.organizations.get(login) or self.users[login]


def load_scenario(data: dict) -> dict:
    """Apply a behaviour §9 scenario in one transaction; return ``{"tokens": {name: plaintext}}``."""
    errors = _shape_errors(data)
    if not errors:
        errors = _reference_errors(data)
    if errors:
        raise ScenarioError(errors)
    world = _World()
    with transaction.atomic():
        for section, apply in APPLIERS:
            for index, entry in enumerate(data.get(section, ())):
                with _entry(_label(section, index, entry)):
                    apply(world, entry)
            if section == "enterprises":
                _assign_managed_users(world, data)
    return {"tokens": dict(world.plaintexts)}


def _apply_user(world: _World, entry: dict) -> None:
    user = user_create(
        username=entry["username"],
        email=entry.get("email", ""),
        password=entry.get("password"),
        is_active=entry.get("is_active", True),
    )
    if entry.get("is_superuser"):
        user = user_make_site_administrator(user=user)
    world.users[user.username] = user


def _assign_managed_users(world: _World, data: dict) -> None:
    # Users come first in the file's order but their enterprise only now exists.
    for index, entry in enumerate(data["users"]):
        slug = entry.get("managed_by")
        if slug is not None:
            with _entry(_label("users", index, entry)):
                user_set_managed_by(user=world.users[entry["username"]], enterprise=world.enterprises[slug])


def _apply_enterprise(world: _World, entry: dict) -> None:
    enterprise = enterprise_create(slug=entry["slug"], name=entry.get("name") or entry["slug"])
    for username in entry.get("owners", ()):
        enterprise_owner_grant(enterprise=enterprise, user=world.users[username])
    if entry.get("fine_grained_opted_in"):
        enterprise = enterprise_opt_in(enterprise=enterprise)
    if entry.get("policy"):
        enterprise = enterprise_policy_update(enterprise=enterprise, **entry["policy"])
    world.enterprises[enterprise.slug] = enterprise


def _apply_organization(world: _World, entry: dict) -> None:
    settings = {"base_permission": entry["base_permission"]} if "base_permission" in entry else {}
    organization = organization_create(
        login=entry["login"],
        name=entry.get("name", ""),
        enterprise=world.enterprises.get(entry.get("enterprise")),
        **settings,
    )
    for username in entry.get("owners", ()):
        organization_owner_grant(organization=organization, user=world.users[username])
    for username in entry.get("members", ()):
        membership_add(organization=organization, user=world.users[username])
    if entry.get("fine_grained_opted_in"):
        organization = organization_opt_in(organization=organization)
    if entry.get("policy"):
        organization = organization_policy_update(organization=organization, **entry["policy"])
    world.organizations[organization.login] = organization


def _apply_repository(world: _World, entry: dict) -> None:
    kwargs = {"visibility": entry["visibility"]} if "visibility" in entry else {}
    repository = repository_create(owner=world.owner(entry["owner"]), name=entry["name"], **kwargs)
    world.repositories[(entry["owner"], repository.name)] = repository


def _apply_token(world: _World, entry: dict) -> None:
    user = world.users[entry["user"]]
    expires_in_days = entry.get("expires_in_days", DEFAULT_EXPIRES_IN_DAYS)
    if entry.get("type", CredentialType.FINE_GRAINED) == CredentialType.CLASSIC:
        issued = services.classic_token_create(
            user=user,
            note=entry.get("note") or entry["name"],
            scopes=entry.get("scopes", ()),
            expires_in_days=expires_in_days,
        )
    else:
        owner_login = entry.get("resource_owner") or user.username
        resource_owner = world.organizations.get(owner_login) if owner_login != user.username else None
        names = entry.get("repositories", ())
        issued = services.fine_grained_token_create(
            user=user,
            name=entry["name"],
            resource_owner=resource_owner,
            repository_access=entry.get(
                "repository_access", RepositoryAccess.SELECTED if names else RepositoryAccess.PUBLIC
            ),
            repositories=[_repository(world, owner_login, name) for name in names],
            permissions=entry.get("permissions", {}),
            expires_in_days=expires_in_days,
            description=entry.get("description", ""),
            justification=entry.get("justification", ""),
        )
    world.tokens[entry["name"]] = issued.token
    world.plaintexts[entry["name"]] = issued.plaintext


def _repository(world: _World, owner_login: str, name: str) -> Repository:
    owner, _, bare = name.rpartition("/")
    key = (owner or owner_login, bare)
    if key not in world.repositories:
        raise ValidationError({"repositories": f'unknown repository "{"/".join(key)}"'})
    return world.repositories[key]


def _apply_ssh_key(world: _World, entry: dict) -> None:
    created_by = entry.get("created_by_token")
    services.ssh_key_create(
        user=world.users[entry["user"]],
        title=entry["title"],
        fingerprint=entry["fingerprint"],
        created_by_token=world.tokens[created_by] if created_by is not None else None,
    )


def _token_and_organization(world: _World, entry: dict):
    token = world.tokens[entry["token"]]
    if not isinstance(token, FineGrainedToken):
        raise ValidationError({"token": f'"{entry["token"]}" is a classic token; only fine-grained tokens have grants'})
    login = entry.get("organization")
    if login is None:
        if token.resource_owner_organization is None:
            raise ValidationError({"token": f'"{entry["token"]}" is owned by its user, not an organization'})
        return token, token.resource_owner_organization
    return token, world.organizations[login]


def _apply_review(world: _World, entry: dict) -> None:
    token, organization = _token_and_organization(world, entry)
    request = AccessRequest.objects.filter(token=token, organization=organization, status=RequestStatus.PENDING).first()
    if request is None:
        raise ValidationError(f'token "{entry["token"]}" has no pending request in {organization.login}')
    services.access_request_review(
        request=request,
        reviewer=world.users[entry["by"]],
        approve=entry["action"] == "approve",
        reason=entry.get("reason") or "",
    )


def _apply_revocation(world: _World, entry: dict) -> None:
    token, organization = _token_and_organization(world, entry)
    grant = Grant.objects.filter(token=token, organization=organization).first()
    if grant is None:
        raise ValidationError(f'token "{entry["token"]}" has no access to {organization.login} to revoke')
    services.grant_revoke(grant=grant, actor=world.users[entry["by"]])


def _apply_token_revocation(world: _World, name: str) -> None:
    token = world.tokens[name]
    services.token_revoke(token=token, actor=token.user)


APPLIERS: tuple[tuple[str, Callable], ...] = (
    ("users", _apply_user),
    ("enterprises", _apply_enterprise),
    ("organizations", _apply_organization),
    ("repositories", _apply_repository),
    ("tokens", _apply_token),
    ("ssh_keys", _apply_ssh_key),
    ("reviews", _apply_review),
    ("revocations", _apply_revocation),
    ("token_revocations", _apply_token_revocation),
)
