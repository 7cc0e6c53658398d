"""The entry points every interface uses to decide (SPEC §4, §5.4).

`check` loads the facts (tokens.engine.facts), decides (tokens.engine.decision) and, when a
token was used successfully, records the use. `check_many` does the same for a
batch in a fixed number of queries (tokens.engine.facts_batch). `introspect` answers
RFC 7662. All three take facts this process already holds under the current
version when it can (tokens.engine.facts_cache), and then make no query at all.

An API client created for an enterprise learns nothing outside it (issue 16):
all three take its `enterprise`, and a resource outside it is answered as a
resource that does not exist; a token whose holder is not in it is inactive.
"""

from functools import cached_property

from django.db.models import Q
from django.utils import timezone

from organizations.models import User

from ..choices import CredentialType
from . import credentials, facts_cache, refresher, usage
from .catalogue import ResourceKind
from .decision import Decision, Facts, RelationFacts, ResourceFacts, decide, gate_usable
from .facts import CheckInput, LoadedCredential, facts_for, load_facts, load_token
from .facts_batch import load_facts_many
from .usage import record_use_many


class CheckResult:
    def __init__(self, decision: Decision, loaded: LoadedCredential | None, *, shows_token: bool = True):
        self.decision = decision
        self.loaded = loaded  # None when the credential is malformed or unknown
        # An enterprise's client is told who holds a token only on the enterprise's own resources.
        self.shows_token = shows_token

    @cached_property
    def credential(self):
        """The token or SSH key row with its user (one query, for callers that act as that user)."""
        if self.loaded is None:
            return None
        return self.loaded.model.objects.select_related("user").get(pk=self.loaded.facts.id)

    def as_dict(self, *, explain: bool = False) -> dict:
        """The check API's response body (SPEC §5.4)."""
        decision = self.decision
        body = {
            "allowed": decision.allowed,
            "reason": decision.reason,
            "message": decision.message,
            "policy_source": decision.policy_source,
            "accepted_permissions": list(decision.accepted_permissions),
            "request_id": decision.request_id,
            "token": None,
        }
        if self.loaded is not None and self.shows_token:
            facts = self.loaded.facts
            body["token"] = {
                "id": facts.id,
                "type": facts.type,
                "user": facts.username,
                "expires_at": facts.expires_at.isoformat() if facts.expires_at else None,
            }
        if explain:
            body["gates"] = [{"number": g.number, "name": g.name, "result": g.result} for g in decision.gates]
        return body


def _load(checks: list[CheckInput], keys, load_many, *, now, store) -> list[tuple]:
    """(facts, loaded) for each check: held facts where `store` has them, `load_many` for the rest."""
    if store is None:
        return load_many(checks, now=now)
    results, missed = [], []
    for index, (check, key) in enumerate(zip(checks, keys, strict=True)):
        held = store.get(key) if key is not None else None
        if held is None:
            missed.append(index)
            results.append(None)
        else:
            loaded, resource, relation = held
            results.append((facts_for(check, loaded, resource, relation, now=now), loaded))
    if missed:
        for index, (facts, loaded) in zip(missed, load_many([checks[i] for i in missed], now=now), strict=True):
            if keys[index] is not None:
                if loaded is None:
                    store.put(keys[index], (loaded, facts.resource, facts.relation))
                else:
                    store.put_check(keys[index], (loaded, facts.resource, facts.relation))
                    refresher.start()
            results[index] = (facts, loaded)
    return results


def _outside(resource: ResourceFacts, enterprise: str | None) -> bool:
    """Whether a client of `enterprise` (a slug; None: site-wide) must be told `resource` does not exist."""
    if enterprise is None or not resource.exists:
        return False
    return resource.enterprise is None or resource.enterprise.slug != enterprise


def _as_missing(check: CheckInput, loaded: LoadedCredential, resource: ResourceFacts, *, now) -> Decision:
    """The decision for a resource of this name that does not exist, as tokens.engine.facts loads one."""
    missing = ResourceFacts(resource.kind, resource.name, exists=False)
    return decide(facts_for(check, loaded, missing, RelationFacts(), now=now))


def _decide_and_record(checks, load_many, *, now, enterprise=None) -> list[CheckResult]:
    """Decide each check: a decision held for it, or one made from (held or loaded) facts."""
    store = facts_cache.current()
    keys = facts_cache.check_keys(checks) if store is not None else [None] * len(checks)
    outcomes, undecided = [], []  # outcomes: (decision, loaded, resource)
    for index, (check, key) in enumerate(zip(checks, keys, strict=True)):
        held = store.decision(key, check, now) if key is not None else None
        outcomes.append(held)
        if held is None:
            undecided.append(index)
    if undecided:
        loads = _load([checks[i] for i in undecided], [keys[i] for i in undecided], load_many, now=now, store=store)
        for index, (facts, loaded) in zip(undecided, loads, strict=True):
            decision = decide(facts)
            outcomes[index] = (decision, loaded, facts.resource)
            if keys[index] is not None:
                store.keep_decision(keys[index], checks[index], now, decision, loaded)
    results, used = [], {}
    for check, (decision, loaded, resource) in zip(checks, outcomes, strict=True):
        if loaded is not None and _outside(resource, enterprise):
            decision = _as_missing(check, loaded, resource, now=now)
        if decision.allowed and loaded is not None:
            used[(loaded.model, loaded.facts.id)] = loaded
        shows_token = enterprise is None or (resource.exists and not _outside(resource, enterprise))
        results.append(CheckResult(decision, loaded, shows_token=shows_token))
    if store is None:
        record_use_many(used, now=now)
    else:
        usage.record(used, now=now)  # held facts carry a stale last use: tokens.engine.usage judges
    return results


def _load_one(checks, *, now):
    return [load_facts(checks[0], now=now)]


def check(check_input: CheckInput, *, now=None, enterprise: str | None = None) -> CheckResult:
    """`enterprise`: the slug of the asking client's enterprise; None for a site-wide client."""
    now = now or timezone.now()
    return _decide_and_record([check_input], _load_one, now=now, enterprise=enterprise)[0]


def check_many(checks: list[CheckInput], *, now=None, enterprise: str | None = None) -> list[CheckResult]:
    """Decisions in order, for a whole batch in a fixed number of queries."""
    now = now or timezone.now()
    return _decide_and_record(checks, load_facts_many, now=now, enterprise=enterprise)


def _token(token: str, store) -> LoadedCredential | None:
    if store is None or credentials.parse_kind(token) is None:
        return load_token(token)  # no query for a malformed token
    return facts_cache.remember(store, facts_cache.token_key(token), lambda: load_token(token))


def _belongs(user_id: int, enterprise: str, store) -> bool:
    """Whether the user is a member of one of the enterprise's organizations, or managed by it (one query)."""
    return facts_cache.remember(
        store,
        ("belongs", user_id, enterprise),
        lambda: User.objects.filter(
            Q(managed_by__slug=enterprise) | Q(memberships__organization__enterprise__slug=enterprise), pk=user_id
        ).exists(),
    )


INACTIVE = {"active": False}


def introspect(token: str, *, now, enterprise: str | None = None) -> dict:
    """RFC 7662: ``{"active": false}`` and nothing more for anything unusable,
    or, for a client of an enterprise (its slug), for a token whose holder is not in it."""
    store = facts_cache.current()
    loaded = _token(token, store)
    if loaded is None:
        return INACTIVE
    credential = loaded.facts
    nowhere = ResourceFacts(kind=ResourceKind.ACCOUNT, name="", exists=False)
    if gate_usable(Facts(credential, nowhere, "profile", "read", now)) is not None:
        return INACTIVE
    if enterprise is not None and not _belongs(credential.user_id, enterprise, store):
        return INACTIVE
    if credential.type == CredentialType.FINE_GRAINED:
        scope = " ".join(f"{name}:{level}" for name, level in sorted(credential.permissions.items()))
        resource_owner = credential.resource_owner_login
    else:
        scope = " ".join(sorted(credential.scopes))
        resource_owner = credential.username
    payload = {
        "active": True,
        "token_type": credential.type,
        "username": credential.username,
        "iat": int(credential.issued_at.timestamp()),
        "scope": scope,
        "resource_owner": resource_owner,
    }
    if credential.expires_at is not None:
        payload["exp"] = int(credential.expires_at.timestamp())
    return payload
