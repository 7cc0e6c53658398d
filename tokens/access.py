"""The entry points every interface uses to decide (SPEC §4, §5.4).

`check` loads the facts (tokens.facts), decides (tokens.decision) and, when a
token was used successfully, records the use. `introspect` answers RFC 7662.
"""

from dataclasses import dataclass

from django.utils import timezone

from .catalogue import ResourceKind
from .decision import FINE_GRAINED, Decision, Facts, ResourceFacts, decide, gate_usable
from .facts import CheckInput, credential_facts, load_facts, load_token
from .facts_batch import load_facts_many
from .services import record_use, record_use_many


@dataclass(frozen=True)
class CheckResult:
    decision: Decision
    credential: object | None  # the token or SSH key row; None when invalid


def check(check_input: CheckInput, *, now=None) -> CheckResult:
    now = now or timezone.now()
    facts, record = load_facts(check_input, now=now)
    decision = decide(facts)
    if decision.allowed and record is not None:
        record_use(record, now=now)
    return CheckResult(decision, record)


def check_many(checks: list[CheckInput], *, now=None) -> list[CheckResult]:
    """Decisions in order, for a whole batch in a fixed number of queries."""
    now = now or timezone.now()
    results = []
    used = {}
    for facts, record in load_facts_many(checks, now=now):
        decision = decide(facts)
        if decision.allowed and record is not None:
            used[(type(record), record.pk)] = record
        results.append(CheckResult(decision, record))
    record_use_many(used.values(), now=now)
    return results


INACTIVE = {"active": False}


def introspect(token: str, *, now) -> dict:
    """RFC 7662: ``{"active": false}`` and nothing more for anything unusable."""
    record = load_token(token)
    if record is None:
        return INACTIVE
    credential = credential_facts(record)
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
        "iat": int(credential.created_at.timestamp()),
        "scope": scope,
        "resource_owner": resource_owner,
    }
    if credential.expires_at is not None:
        payload["exp"] = int(credential.expires_at.timestamp())
    return payload
