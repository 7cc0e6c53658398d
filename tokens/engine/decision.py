"""The access decision (behaviour §4): plain facts in, a Decision out.

No ORM, no request, no clock it was not given: `decide` walks the gates in the
order of behaviour §4 and the first failure is the reason. Every interface — the check
API, batch checks, introspection, the v3 API's own authorization, the pages
that say why a token is blocked — calls it. `tokens.engine.facts` loads the facts.
"""

from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime, timedelta
from enum import StrEnum

from ..choices import CredentialType
from . import policy
from .catalogue import LEVEL_RANK, PERMISSIONS, ResourceKind, accepted_scopes, level_covers, scopes_cover
from .moments import moment_words


class Reason(StrEnum):
    """The stable reason codes (behaviour §4): the check API's `reason`, as they are."""

    ALLOWED = "allowed"
    PUBLIC_READ = "public_read"
    CREDENTIAL_INVALID = "credential_invalid"
    TOKEN_REVOKED = "token_revoked"
    TOKEN_EXPIRED = "token_expired"
    USER_INACTIVE = "user_inactive"
    RESOURCE_NOT_FOUND = "resource_not_found"
    PERMISSION_UNKNOWN = "permission_unknown"
    USER_LACKS_ACCESS = "user_lacks_access"
    FINE_GRAINED_NOT_ENABLED = "fine_grained_not_enabled"
    FINE_GRAINED_RESTRICTED = "fine_grained_restricted"
    CLASSIC_RESTRICTED = "classic_restricted"
    RESOURCE_OWNER_MISMATCH = "resource_owner_mismatch"
    REPOSITORY_NOT_SELECTED = "repository_not_selected"
    PERMISSION_NOT_GRANTED = "permission_not_granted"
    SCOPE_MISSING = "scope_missing"
    ACCESS_REVOKED = "access_revoked"
    APPROVAL_REQUIRED = "approval_required"
    APPROVAL_PENDING = "approval_pending"
    APPROVAL_DENIED = "approval_denied"
    TOKEN_LIFETIME_EXCEEDS_POLICY = "token_lifetime_exceeds_policy"


# --- Facts -----------------------------------------------------------------


@dataclass(frozen=True)
class EnterpriseFacts:
    slug: str
    name: str
    fine_grained_opted_in: bool
    fine_grained_access: str
    fine_grained_approval: str
    classic_access: str
    fine_grained_max_lifetime_days: int | None = None
    classic_max_lifetime_days: int | None = None
    max_lifetime_exempts_owners: bool = False


@dataclass(frozen=True)
class OrganizationFacts:
    id: int
    login: str
    base_permission: str
    fine_grained_opted_in: bool
    fine_grained_access: str
    fine_grained_approval: str
    classic_access: str
    enterprise: EnterpriseFacts | None = None
    fine_grained_max_lifetime_days: int | None = None
    classic_max_lifetime_days: int | None = None


@dataclass(frozen=True)
class CredentialFacts:
    type: CredentialType
    id: int
    user_id: int
    username: str
    user_active: bool
    issued_at: datetime | None = None  # when the current secret was issued
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    # Fine-grained tokens: the resource owner is an organization (by id) or,
    # when resource_owner_organization_id is None, the token's own user.
    resource_owner_organization_id: int | None = None
    resource_owner_login: str = ""
    repository_access: str = "public"
    permissions: Mapping[str, str] = field(default_factory=dict)
    # Classic tokens.
    scopes: frozenset[str] = frozenset()
    # Classic tokens and SSH keys: (enterprise slug, when) for each enterprise
    # whose owners revoked the credential's access to it, in slug order.
    enterprise_revocations: tuple[tuple[str, datetime], ...] = ()


@dataclass(frozen=True)
class ResourceFacts:
    kind: ResourceKind
    name: str  # as asked: "acme/web", "acme", "enterprise:bigcorp"
    exists: bool = True
    # Repositories, organizations and accounts: who owns them.
    owner_user_id: int | None = None
    organization: OrganizationFacts | None = None
    repository_id: int | None = None
    visibility: str | None = None
    # Enterprise resources, and the enterprise of an organization-owned one.
    enterprise: EnterpriseFacts | None = None
    # Report-only policies (behaviour §5.8): this resource under each staged policy; None almost always.
    staged: "tuple[StagedResource, ...] | None" = None


@dataclass(frozen=True)
class StagedResource:
    """A resource as a staged policy (`staged_id`) would have it: its organization's or enterprise's replaced."""

    staged_id: int
    resource: ResourceFacts


@dataclass(frozen=True)
class GrantFacts:
    id: int
    repository_access: str
    repository_ids: frozenset[int]
    permissions: Mapping[str, str]
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class RequestFacts:
    id: int
    status: str
    reason: str = ""


@dataclass(frozen=True)
class RelationFacts:
    """Where the credential's user (and token) stands towards the resource."""

    is_organization_owner: bool = False
    is_organization_member: bool = False
    is_enterprise_member: bool = False  # a member of any organization of the enterprise
    is_enterprise_owner: bool = False
    repository_selected: bool = False  # the token's selected repositories include it
    grant: GrantFacts | None = None
    latest_request: RequestFacts | None = None


@dataclass(frozen=True)
class Facts:
    credential: CredentialFacts | None  # None: malformed or unknown (gates 1–2)
    resource: ResourceFacts
    permission: str
    level: str
    now: datetime
    relation: RelationFacts = RelationFacts()
    credential_malformed: bool = False  # refused by gate 1, before any lookup


_new, _set = object.__new__, object.__setattr__
_DEFAULTS: dict[type, tuple[dict, tuple]] = {}


def built(cls, **values):
    """`cls(**values)` for a frozen facts class, at a third of the cost.

    A frozen dataclass's __init__ sets each field through object.__setattr__;
    a cold batch builds some ten facts a decision, a hundred decisions a
    call, and those calls were a tenth of its time. This hands the instance
    its fields in one dict instead: the same value (equal, same hash, same
    repr), still frozen. Unlike __init__, it does not refuse an unknown or
    missing field, so only the loaders use it, with every required field
    (tests/tokens/engine/test_built_facts.py).
    """
    defaults = _DEFAULTS.get(cls)
    if defaults is None:
        defaults = _DEFAULTS[cls] = (
            {each.name: each.default for each in fields(cls) if each.default is not MISSING},
            tuple((each.name, each.default_factory) for each in fields(cls) if each.default_factory is not MISSING),
        )
    plain, factories = defaults
    state = plain | values
    for name, factory in factories:
        if name not in values:
            state[name] = factory()
    instance = _new(cls)
    _set(instance, "__dict__", state)
    return instance


# --- Decision --------------------------------------------------------------


@dataclass(frozen=True)
class GateResult:
    number: int
    name: str
    result: str  # "pass", "fail", "allow", "skip" (not applicable) or "not_reached"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    message: str
    policy_source: str | None = None
    accepted_permissions: tuple[str, ...] = ()
    request_id: int | None = None
    gates: tuple[GateResult, ...] = ()


@dataclass(frozen=True)
class _Verdict:
    allowed: bool
    reason: str
    message: str
    policy_source: str | None = None
    request_id: int | None = None


INVALID_CREDENTIAL_MESSAGE = "The credential is not valid."

SKIP = object()  # the gate does not apply to these facts


def _deny(reason, message, policy_source=None, request_id=None):
    # Phrases such as "the Big Corp enterprise" may open a message; logins never do
    # with "the " (they have no spaces), so only our own article is capitalized.
    if message.startswith("the "):
        message = "The " + message[4:]
    return _Verdict(False, reason, message, policy_source, request_id)


def _allow(reason, message):
    return _Verdict(True, reason, message)


# Verdicts that never vary, made once: a verdict is a value.
_ALLOWED = _allow(Reason.ALLOWED, "Allowed.")
_SSH_KEY_ALLOWED = _allow(Reason.ALLOWED, "Allowed: SSH keys act with their user's access.")


# --- Helpers ---------------------------------------------------------------


def _permission_label(facts: Facts) -> str:
    return f"{facts.permission}:{facts.level}"


def _owning_organization(facts: Facts) -> OrganizationFacts | None:
    return facts.resource.organization


def _is_fine_grained(facts: Facts) -> bool:
    return facts.credential.type == CredentialType.FINE_GRAINED


def _is_classic(facts: Facts) -> bool:
    return facts.credential.type == CredentialType.CLASSIC


def _enterprise_phrase(enterprise: EnterpriseFacts) -> str:
    return f"the {enterprise.name} enterprise"


def _policy_owner_phrase(effective: policy.Effective, organization: OrganizationFacts) -> str:
    if effective.enforced_by_enterprise:
        return f"{_enterprise_phrase(effective.enterprise)} (which {organization.login} belongs to)"
    return organization.login


def user_ceiling(facts: Facts) -> str:
    """The most the credential's *user* may do on the resource (behaviour §4 gate 6)."""
    resource, relation = facts.resource, facts.relation
    # Everyone may read a public repository's public parts only: not its
    # secrets, administration or webhooks (catalogue `public_read`).
    public = resource.visibility == "public" and PERMISSIONS[facts.permission].public_read
    if resource.kind == ResourceKind.REPOSITORY:
        if resource.organization is None:
            if resource.owner_user_id == facts.credential.user_id:
                return "admin"
            return "read" if public else "none"
        if relation.is_organization_owner:
            return "admin"
        levels = ["none"]
        if relation.is_organization_member:
            levels.append(resource.organization.base_permission)
        if public or (resource.visibility == "internal" and relation.is_enterprise_member):
            levels.append("read")
        return max(levels, key=LEVEL_RANK.__getitem__)
    if resource.kind == ResourceKind.ORGANIZATION:
        if relation.is_organization_owner:
            return "admin"
        return "read" if relation.is_organization_member else "none"
    if resource.kind == ResourceKind.ACCOUNT:
        return "admin" if resource.owner_user_id == facts.credential.user_id else "none"
    return "admin" if relation.is_enterprise_owner else "none"


def _grant_covers(grant: GrantFacts, facts: Facts) -> bool:
    if not level_covers(grant.permissions.get(facts.permission), facts.level):
        return False
    if facts.resource.kind != ResourceKind.REPOSITORY:
        return True
    if grant.repository_access == "all":
        return True
    return grant.repository_access == "selected" and facts.resource.repository_id in grant.repository_ids


def _token_lifetime(credential: CredentialFacts) -> timedelta | None:
    if credential.expires_at is None:
        return None
    return credential.expires_at - credential.issued_at


# --- Gates, in the order of behaviour §4 ----------------------------------


def gate_well_formed(facts: Facts):
    if facts.credential_malformed:
        return _deny(Reason.CREDENTIAL_INVALID, INVALID_CREDENTIAL_MESSAGE)
    return None


def gate_known(facts: Facts):
    # Same answer as gate 1: the caller learns nothing more about an unknown
    # token than about a malformed one.
    if facts.credential is None:
        return _deny(Reason.CREDENTIAL_INVALID, INVALID_CREDENTIAL_MESSAGE)
    return None


def gate_usable(facts: Facts):
    credential = facts.credential
    if credential.revoked_at is not None:
        return _deny(Reason.TOKEN_REVOKED, "This token was revoked; create a new one.")
    if credential.expires_at is not None and credential.expires_at <= facts.now:
        return _deny(
            Reason.TOKEN_EXPIRED,
            f"This token expired on {moment_words(credential.expires_at)}; regenerate it to keep using it.",
        )
    if not credential.user_active:
        return _deny(Reason.USER_INACTIVE, f"The account {credential.username} is suspended.")
    return None


def gate_resource(facts: Facts):
    resource = facts.resource
    if not resource.exists:
        return _deny(Reason.RESOURCE_NOT_FOUND, f"{resource.name} was not found.")
    permission = PERMISSIONS[facts.permission]
    if permission.kind != resource.kind or facts.level not in permission.levels:
        return _deny(
            Reason.PERMISSION_UNKNOWN,
            f"{_permission_label(facts)} is not a permission of {resource.kind} resources"
            f" (levels of {facts.permission}: {', '.join(permission.levels)}).",
        )
    return None


def gate_public_read(facts: Facts):
    resource = facts.resource
    if (
        resource.kind == ResourceKind.REPOSITORY
        and resource.visibility == "public"
        and facts.level == "read"
        and PERMISSIONS[facts.permission].public_read
    ):
        return _allow(Reason.PUBLIC_READ, f"{resource.name} is public; every valid credential may read it.")
    return None


def gate_user_ceiling(facts: Facts):
    if level_covers(user_ceiling(facts), facts.level):
        return None
    resource = facts.resource
    if resource.organization is not None:
        hint = f" Ask an owner of {resource.organization.login} for access."
    elif resource.kind == ResourceKind.ENTERPRISE:
        hint = " Only owners of the enterprise have it."
    else:
        hint = ""
    return _deny(
        Reason.USER_LACKS_ACCESS,
        f"{facts.credential.username} does not have {facts.level} access to {resource.name}.{hint}",
    )


def _enterprise_revoked_at(facts: Facts) -> datetime | None:
    enterprise = facts.resource.enterprise
    if enterprise is None:
        return None
    return next((at for slug, at in facts.credential.enterprise_revocations if slug == enterprise.slug), None)


def gate_credential_authorization(facts: Facts):
    """Gate 7: an enterprise's revoke of a classic token or SSH key, then SSH keys' allow.

    An enterprise owner's revoke is GitHub's revoke of a credential's SSO
    authorization: the credential reaches none of the enterprise's protected
    resources (its organizations, their repositories, `enterprise:<slug>`) and
    keeps everything else (its user's own repositories, other tenants). Public
    repositories stay readable, as on GitHub: gate 5 has allowed those already.
    It comes before the SSH key allow, so a revoked key is blocked too, and
    after gate 6, so a user without access hears that first. The reason is the
    one an organization owner's revoke gives (gate 15), from the enterprise.
    """
    kind = facts.credential.type
    if kind == CredentialType.FINE_GRAINED or (kind == CredentialType.CLASSIC and facts.resource.enterprise is None):
        return SKIP
    revoked_at = _enterprise_revoked_at(facts)
    if revoked_at is not None:
        enterprise = facts.resource.enterprise
        what = "SSH key" if kind == CredentialType.SSH_KEY else "token"
        return _deny(
            Reason.ACCESS_REVOKED,
            f"{enterprise.name}'s owners revoked this {what}'s access to its organizations on"
            f" {moment_words(revoked_at)}; only a new {what} can reach them again.",
            policy.ENTERPRISE,
        )
    if kind != CredentialType.SSH_KEY:
        return None
    # SSH keys, including keys that tokens created, keep working under every
    # token policy (behaviour §4 gate 7): the user's own access is all that counts.
    return _SSH_KEY_ALLOWED


def gate_fine_grained_enabled(facts: Facts):
    organization = _owning_organization(facts)
    if not _is_fine_grained(facts) or organization is None:
        return SKIP
    if policy.fine_grained_enabled(organization):
        return None
    where = organization.login
    if organization.enterprise is not None:
        where += f" or {_enterprise_phrase(organization.enterprise)}"
    return _deny(
        Reason.FINE_GRAINED_NOT_ENABLED,
        f"{organization.login} has not enabled fine-grained personal access tokens;"
        f" an owner of {where} must opt in first.",
    )


def gate_fine_grained_access(facts: Facts):
    organization = _owning_organization(facts)
    if not _is_fine_grained(facts) or organization is None:
        return SKIP
    effective = policy.effective_fine_grained_access(organization)
    if effective.value != "restrict":
        return None
    return _deny(
        Reason.FINE_GRAINED_RESTRICTED,
        f"{_policy_owner_phrase(effective, organization)} restricts access via fine-grained personal"
        f" access tokens to {organization.login}; public resources stay readable.",
        effective.source,
    )


def gate_classic_access(facts: Facts):
    if not _is_classic(facts):
        return SKIP
    organization = _owning_organization(facts)
    if organization is not None:
        effective = policy.effective_classic_access(organization)
        target = organization.login
        owner = _policy_owner_phrase(effective, organization)
    elif facts.resource.kind == ResourceKind.ENTERPRISE:
        effective = policy.enterprise_classic_access(facts.resource.enterprise)
        target = owner = _enterprise_phrase(facts.resource.enterprise)
    else:
        return SKIP
    if effective.value != "restrict":
        return None
    return _deny(
        Reason.CLASSIC_RESTRICTED,
        f"{owner} restricts access via personal access tokens (classic) to {target};"
        " use a fine-grained personal access token instead.",
        effective.source,
    )


def gate_resource_owner(facts: Facts):
    if not _is_fine_grained(facts):
        return SKIP
    credential, resource = facts.credential, facts.resource
    if resource.organization is not None:
        matches = credential.resource_owner_organization_id == resource.organization.id
    elif resource.kind in (ResourceKind.REPOSITORY, ResourceKind.ACCOUNT):
        matches = credential.resource_owner_organization_id is None and resource.owner_user_id == credential.user_id
    else:
        matches = False  # an enterprise is never a resource owner
    if matches:
        return None
    return _deny(
        Reason.RESOURCE_OWNER_MISMATCH,
        f"This token's resource owner is {credential.resource_owner_login}; it cannot act on"
        f" {resource.name}. Create a token with that resource owner.",
    )


def gate_repository_selected(facts: Facts):
    if not _is_fine_grained(facts) or facts.resource.kind != ResourceKind.REPOSITORY:
        return SKIP
    access = facts.credential.repository_access
    if access == "all" or (access == "selected" and facts.relation.repository_selected):
        return None
    return _deny(
        Reason.REPOSITORY_NOT_SELECTED,
        f"This token does not have access to {facts.resource.name}; edit the token's repository access.",
    )


def gate_permission_granted(facts: Facts):
    if not _is_fine_grained(facts):
        return SKIP
    if level_covers(facts.credential.permissions.get(facts.permission), facts.level):
        return None
    return _deny(
        Reason.PERMISSION_NOT_GRANTED,
        f"This token does not grant {_permission_label(facts)}; edit the token to add it.",
    )


def gate_scope(facts: Facts):
    if not _is_classic(facts):
        return SKIP
    accepted = _accepted_scopes(facts)
    if scopes_cover(facts.credential.scopes, accepted):
        return None
    return _deny(
        Reason.SCOPE_MISSING,
        f"This token needs one of the scopes {', '.join(accepted)} for {_permission_label(facts)}.",
    )


def gate_approval(facts: Facts):
    organization = _owning_organization(facts)
    if not _is_fine_grained(facts) or organization is None:
        return SKIP
    relation = facts.relation
    grant = relation.grant
    if grant is not None and grant.revoked_at is not None:
        return _deny(
            Reason.ACCESS_REVOKED,
            f"An owner of {organization.login} revoked this token's access on"
            f" {moment_words(grant.revoked_at)}; create a new token to ask again.",
            policy.ORGANIZATION,
        )
    effective = policy.effective_fine_grained_approval(organization)
    if effective.value != "require" or relation.is_organization_owner:
        return None
    if grant is not None and _grant_covers(grant, facts):
        return None
    request = relation.latest_request
    requirer = _policy_owner_phrase(effective, organization)
    if request is not None and request.status == "pending":
        return _deny(
            Reason.APPROVAL_PENDING,
            f"{requirer} requires approval of fine-grained personal access tokens; your request"
            f" #{request.id} is pending review by an owner of {organization.login}.",
            effective.source,
            request.id,
        )
    if request is not None and request.status == "denied":
        because = f": {request.reason.rstrip('.')}" if request.reason else " without giving a reason"
        return _deny(
            Reason.APPROVAL_DENIED,
            f"An owner of {organization.login} denied your request #{request.id}{because}."
            " Edit the token to ask again.",
            effective.source,
            request.id,
        )
    return _deny(
        Reason.APPROVAL_REQUIRED,
        f"{requirer} requires approval of fine-grained personal access tokens and this token has"
        f" none for {_permission_label(facts)} here; edit the token to request it.",
        effective.source,
    )


def gate_lifetime(facts: Facts):
    """Gate 16: the token lives no longer than the maximum of the resource's organization or enterprise.

    Where the enterprise exempts administrators, an organization's owners on
    its resources and the enterprise's owners on `enterprise:<slug>` are not
    held to the enterprise's maximum (behaviour §3).
    """
    credential, relation = facts.credential, facts.relation
    organization = _owning_organization(facts)
    if organization is not None:
        days, source = policy.effective_max_lifetime_days(
            organization, credential.type, holder_is_owner=relation.is_organization_owner
        )
        enterprise = organization.enterprise
    elif facts.resource.kind == ResourceKind.ENTERPRISE:
        enterprise = facts.resource.enterprise
        days, source = policy.enterprise_max_lifetime_days(
            enterprise, credential.type, holder_is_owner=relation.is_enterprise_owner
        )
    else:
        return SKIP
    if days is None:
        return None
    lifetime = _token_lifetime(credential)
    if lifetime is not None and lifetime <= timedelta(days=days):
        return None
    owner = organization.login if source == policy.ORGANIZATION else _enterprise_phrase(enterprise)
    return _deny(
        Reason.TOKEN_LIFETIME_EXCEEDS_POLICY,
        f"{owner} allows tokens that live at most {days} days; this token lives longer."
        " Regenerate it with a shorter expiry.",
        source,
    )


GATES: tuple[tuple[int, str, Callable], ...] = (
    (1, "credential_well_formed", gate_well_formed),
    (2, "credential_known", gate_known),
    (3, "credential_usable", gate_usable),
    (4, "resource_and_permission", gate_resource),
    (5, "public_read", gate_public_read),
    (6, "user_access", gate_user_ceiling),
    (7, "credential_authorization", gate_credential_authorization),
    (8, "fine_grained_enabled", gate_fine_grained_enabled),
    (9, "fine_grained_access_policy", gate_fine_grained_access),
    (10, "classic_access_policy", gate_classic_access),
    (11, "resource_owner", gate_resource_owner),
    (12, "repository_selected", gate_repository_selected),
    (13, "permission_granted", gate_permission_granted),
    (14, "classic_scope", gate_scope),
    (15, "approval", gate_approval),
    (16, "lifetime_policy", gate_lifetime),
)


def _accepted_scopes(facts: Facts) -> tuple[str, ...]:
    return accepted_scopes(facts.permission, facts.level, public=facts.resource.visibility == "public")


def accepted_permissions(facts: Facts) -> tuple[str, ...]:
    """What would have sufficed, like GitHub's X-Accepted-GitHub-Permissions."""
    credential = facts.credential
    if credential is None or credential.type == CredentialType.SSH_KEY:
        return ()
    if credential.type == CredentialType.CLASSIC:
        return _accepted_scopes(facts)
    return (_permission_label(facts),)


# Gate results are values; the ones every decision shares are made once, since
# the check API decides thousands of times a second.
_RESULTS = {
    result: tuple(GateResult(number, name, result) for number, name, _ in GATES)
    for result in ("skip", "pass", "allow", "fail", "not_reached")
}


_GATE_FUNCTIONS = tuple(gate for _, _, gate in GATES)


def decide(facts: Facts) -> Decision:
    skipped = 0  # one bit per gate that does not apply
    verdict, stop = None, len(GATES)  # the gate that decided, if any
    for index, gate in enumerate(_GATE_FUNCTIONS):
        outcome = gate(facts)
        if outcome is SKIP:
            skipped |= 1 << index
        elif outcome is not None:
            verdict, stop = outcome, index
            break
    if verdict is None:
        verdict = _ALLOWED
    applicable = facts.credential is not None and facts.resource.exists and _applies(facts)
    return built(
        Decision,
        allowed=verdict.allowed,
        reason=verdict.reason,
        message=verdict.message,
        policy_source=verdict.policy_source,
        accepted_permissions=accepted_permissions(facts) if applicable else (),
        request_id=verdict.request_id,
        gates=_trail(skipped, stop, verdict.allowed),
    )


# The distinct trails are few (a gate's outcome ends most of them), and the
# facts cache holds a decision per check: one tuple per trail, not per decision,
# leaves the garbage collector less to walk. A trail is named by the gates
# skipped, the gate that decided (len(GATES): none did) and whether it allowed.
_TRAILS: dict[tuple[int, int, bool], tuple[GateResult, ...]] = {}


def _trail(skipped: int, stop: int, allowed: bool) -> tuple[GateResult, ...]:
    shared = _TRAILS.get((skipped, stop, allowed))
    if shared is None:
        trail = [_RESULTS["skip" if skipped >> index & 1 else "pass"][index] for index in range(stop)]
        if stop < len(GATES):
            trail.append(_RESULTS["allow" if allowed else "fail"][stop])
            trail.extend(_RESULTS["not_reached"][stop + 1 :])
        shared = _TRAILS.setdefault((skipped, stop, allowed), tuple(trail))
    return shared


def _applies(facts: Facts) -> bool:
    permission = PERMISSIONS[facts.permission]
    return permission.kind == facts.resource.kind and facts.level in permission.levels
