"""The entry points every interface uses to decide (SPEC §4, §5.4).

`check` loads the facts (tokens.facts), decides (tokens.decision) and, when a
token was used successfully, records the use. `check_many` does the same for a
batch in a fixed number of queries (tokens.facts_batch). `introspect` answers
RFC 7662.
"""

from functools import cached_property

from django.utils import timezone

from .catalogue import ResourceKind
from .decision import FINE_GRAINED, Decision, Facts, ResourceFacts, decide, gate_usable
from .facts import CheckInput, LoadedCredential, load_facts, load_token
from .facts_batch import load_facts_many
from .services import record_use_many


class CheckResult:
    def __init__(self, decision: Decision, loaded: LoadedCredential | None):
        self.decision = decision
        self.loaded = loaded  # None when the credential is malformed or unknown

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
        if self.loaded is not None:
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


def _decide_and_record(loaded_facts, *, now) -> list[CheckResult]:
    results, used = [], {}
    for facts, loaded in loaded_facts:
        decision = decide(facts)
        if decision.allowed and loaded is not None:
            used[(loaded.model, loaded.facts.id)] = loaded
        results.append(CheckResult(decision, loaded))
    record_use_many(used.values(), now=now)
    return results


def check(check_input: CheckInput, *, now=None) -> CheckResult:
    now = now or timezone.now()
    return _decide_and_record([load_facts(check_input, now=now)], now=now)[0]


def check_many(checks: list[CheckInput], *, now=None) -> list[CheckResult]:
    """Decisions in order, for a whole batch in a fixed number of queries."""
    now = now or timezone.now()
    return _decide_and_record(load_facts_many(checks, now=now), now=now)


INACTIVE = {"active": False}


def introspect(token: str, *, now) -> dict:
    """RFC 7662: ``{"active": false}`` and nothing more for anything unusable."""
    loaded = load_token(token)
    if loaded is None:
        return INACTIVE
    credential = loaded.facts
    nowhere = ResourceFacts(kind=ResourceKind.ACCOUNT, name="", exists=False)
    if gate_usable(Facts(credential, nowhere, "profile", "read", now)) is not None:
        return INACTIVE
    if credential.type == FINE_GRAINED:
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
