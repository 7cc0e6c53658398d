"""The one entry point every interface uses to decide (SPEC §4).

`check` loads the facts (tokens.facts), decides (tokens.decision) and, when
a token was used successfully, records the use.
"""

from dataclasses import dataclass

from django.utils import timezone

from .decision import Decision, decide
from .facts import CheckInput, load_facts
from .services import record_use


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
