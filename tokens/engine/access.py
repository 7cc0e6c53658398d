"""The entry points every interface uses to decide (behaviour §4, §5.4).

`check_many` (and `check`, a batch of one) loads each check's facts, decides,
and records the use of each credential that was allowed. `introspect` answers
RFC 7662. Both read through `facts_cache.source()`: the database
(tokens.engine.source), or the facts cache in front of it, which answers from
what this process holds under the current version without a query.

An API client created for an enterprise learns nothing outside it (issue 16):
all three take its `enterprise`, and a resource outside it is answered as a
resource that does not exist; a token whose holder is not in it is inactive.
"""

from functools import cached_property

from django.utils import timezone

from ..choices import CredentialType
from . import facts_cache, report_only
from .catalogue import ResourceKind
from .decision import Decision, Facts, ResourceFacts, decide, gate_usable
from .facts import CheckInput, LoadedCredential, facts_for


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
        """The check API's response body (behaviour §5.4)."""
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


def _outside(resource: ResourceFacts, enterprise: str | None) -> bool:
    """Whether a client of `enterprise` (a slug; None: site-wide) must be told `resource` does not exist."""
    if enterprise is None or not resource.exists:
        return False
    return resource.enterprise is None or resource.enterprise.slug != enterprise


def _as_missing(check: CheckInput, loaded: LoadedCredential, resource: ResourceFacts, *, now) -> Decision:
    """The decision for a resource of this name that does not exist, as tokens.engine.facts loads one."""
    missing = ResourceFacts(resource.kind, resource.name, exists=False)
    return decide(facts_for(check, loaded, missing, now=now))


def check(check_input: CheckInput, *, now=None, enterprise: str | None = None) -> CheckResult:
    """`enterprise`: the slug of the asking client's enterprise; None for a site-wide client."""
    return check_many([check_input], now=now, enterprise=enterprise)[0]


def check_many(checks: list[CheckInput], *, now=None, enterprise: str | None = None) -> list[CheckResult]:
    """Decisions in order, for a whole batch in a fixed number of queries."""
    now = now or timezone.now()
    source = facts_cache.source()  # the database, or the facts cache in front of it
    answers = source.decide(checks, now=now)  # facts loaded, then decided
    results, used, flips = [], {}, []
    for check_input, (decision, loaded, resource) in zip(checks, answers, strict=True):
        if loaded is not None and _outside(resource, enterprise):
            decision = _as_missing(check_input, loaded, resource, now=now)
        elif resource.staged is not None and loaded is not None:  # a report-only policy (behaviour §5.8)
            flips += report_only.would_be_flips(check_input, loaded, resource, decision, now=now)
        if decision.allowed and loaded is not None:
            used[(loaded.model, loaded.facts.id)] = loaded
        shows_token = enterprise is None or (resource.exists and not _outside(resource, enterprise))
        results.append(CheckResult(decision, loaded, shows_token=shows_token))
    source.record_use(used, now=now)
    if flips:
        report_only.note(flips, now=now)
    return results


INACTIVE = {"active": False}


def introspect(token: str, *, now, enterprise: str | None = None) -> dict:
    """RFC 7662: ``{"active": false}`` and nothing more for anything unusable,
    or, for a client of an enterprise (its slug), for a token whose holder is not in it."""
    source = facts_cache.source()
    loaded = source.token(token)
    if loaded is None:
        return INACTIVE
    credential = loaded.facts
    nowhere = ResourceFacts(kind=ResourceKind.ACCOUNT, name="", exists=False)
    if gate_usable(Facts(credential, nowhere, "profile", "read", now)) is not None:
        return INACTIVE
    if enterprise is not None and not source.belongs(credential.user_id, enterprise):
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
