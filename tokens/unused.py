"""Unused tokens (behaviour §5.1): an enterprise may revoke tokens unused for N days, with a week's warning.

`unused_tokens_revoke` is what `manage.py revoke_unused_tokens` runs, daily.
For each enterprise with the setting, it walks the inventory's fine-grained and
classic tokens (tokens.inventory.selectors.unused_tokens) in chunks by id
(keyset), so memory and queries per chunk stay flat over a million tokens:

- a token unused for N − 7 days is warned once per unused spell: one
  `UnusedTokenWarning` row under a unique constraint, and an email for the rows
  this run wrote itself (two runs at once never warn twice);
- a token unused for N days whose warning of this spell is a week old loses the
  enterprise through the inventory's own revoke services, one token per
  transaction; the token's row is locked and the token looked up again first,
  so a second run at once finds it gone from the inventory and does nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from uuid import uuid4

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from enterprises.models import Enterprise
from enterprises.selectors import enterprise_users
from outbox.services import outbound_emails_enqueue

from . import notifications
from .choices import UNUSED_WARNING_LEAD, CredentialType
from .inventory.selectors import unused_tokens
from .models import ClassicToken, FineGrainedToken, UnusedTokenWarning
from .services import credential_enterprise_revoke, fine_grained_enterprise_revoke

CHUNK_SIZE = 500
TOKEN_FIELDS = {CredentialType.FINE_GRAINED: "fine_grained_token", CredentialType.CLASSIC: "classic_token"}
MODELS = {CredentialType.FINE_GRAINED: FineGrainedToken, CredentialType.CLASSIC: ClassicToken}


@dataclass
class Counts:
    warned: int = 0
    revoked: int = 0


@dataclass(frozen=True)
class Step:
    """One chunk of one enterprise's tokens of one kind, warned or revoked (or, on a dry run, that would be)."""

    enterprise: Enterprise
    kind: CredentialType
    action: str  # "warn" or "revoke"
    tokens: list[tuple]  # (pk, unused since, holder's username)
    done: int


def _holders(enterprise) -> Q:
    return Q(user__in=get_user_model().objects.filter(enterprise_users([enterprise.pk])).values("pk"))


def _warnings_of_spell(enterprise, kind) -> QuerySet:
    return UnusedTokenWarning.objects.filter(
        enterprise=enterprise, **{TOKEN_FIELDS[kind]: OuterRef("pk")}, unused_since=OuterRef("unused_since")
    )


def _unused_for(enterprise, kind, *, now, lead: timedelta):
    """The enterprise's tokens of `kind` unused for its setting's days less `lead`; expired ones cannot be used."""
    days = timedelta(days=enterprise.revoke_unused_after_days)
    tokens = unused_tokens(enterprise, holders=_holders(enterprise), kind=kind, unused_before=now - days + lead)
    return tokens.exclude(expires_at__lte=now)


def to_warn(enterprise, kind, *, now):
    """Tokens unused for a week less than the setting and not yet warned of this spell."""
    tokens = _unused_for(enterprise, kind, now=now, lead=UNUSED_WARNING_LEAD)
    return tokens.filter(~Exists(_warnings_of_spell(enterprise, kind)))


def to_revoke(enterprise, kind, *, now):
    """Tokens unused for the setting's days whose holder was warned of this spell a week ago or more."""
    tokens = _unused_for(enterprise, kind, now=now, lead=timedelta(0))
    return tokens.filter(Exists(_warnings_of_spell(enterprise, kind).filter(created_at__lte=now - UNUSED_WARNING_LEAD)))


def _chunks(queryset, chunk_size: int):
    last_pk = 0
    while chunk := list(
        queryset.filter(pk__gt=last_pk).order_by("pk").values_list("pk", "unused_since", "user__username")[:chunk_size]
    ):
        last_pk = chunk[-1][0]
        yield chunk


@transaction.atomic
def _warn(enterprise, kind, chunk: list[tuple], *, now) -> int:
    """Record and enqueue one chunk's warnings; returns how many this run wrote (the others were another run's)."""
    token_field, batch = TOKEN_FIELDS[kind], uuid4()
    warnings = [
        UnusedTokenWarning(
            enterprise=enterprise, **{f"{token_field}_id": pk}, unused_since=since, batch=batch, created_at=now
        )
        for pk, since, _ in chunk
    ]
    UnusedTokenWarning.objects.bulk_create(warnings, ignore_conflicts=True)
    ours = UnusedTokenWarning.objects.filter(batch=batch).values_list("pk", flat=True)
    return outbound_emails_enqueue(notifications.unused_token_warning, [{"warning_id": pk} for pk in ours])


@transaction.atomic
def _revoke(enterprise, kind, pk: int, *, now) -> bool:
    """Revoke one token in the enterprise if it is still due once its row is locked; False if it no longer is."""
    token = MODELS[kind].objects.select_for_update().filter(pk=pk).first()
    if token is None or not to_revoke(enterprise, kind, now=now).filter(pk=pk).exists():
        return False
    days = enterprise.revoke_unused_after_days
    if kind == CredentialType.FINE_GRAINED:
        fine_grained_enterprise_revoke(token=token, enterprise=enterprise, actor=None, unused_days=days)
    else:
        credential_enterprise_revoke(credential=token, enterprise=enterprise, actor=None, unused_days=days)
    return True


def unused_tokens_revoke(
    *, now=None, dry_run: bool = False, chunk_size: int = CHUNK_SIZE, progress: Callable[[Step], None] | None = None
) -> Counts:
    """Warn and revoke, in every enterprise with the setting, the tokens unused too long; returns the counts.

    With `dry_run`, counts what would be done and writes nothing. `progress(step)` hears each chunk.
    """
    now = now or timezone.now()
    counts = Counts()
    for enterprise in Enterprise.objects.filter(revoke_unused_after_days__isnull=False).order_by("pk"):
        for kind in TOKEN_FIELDS:
            for chunk in _chunks(to_warn(enterprise, kind, now=now), chunk_size):
                done = len(chunk) if dry_run else _warn(enterprise, kind, chunk, now=now)
                counts.warned += done
                _report(progress, Step(enterprise, kind, "warn", chunk, done))
            for chunk in _chunks(to_revoke(enterprise, kind, now=now), chunk_size):
                done = len(chunk) if dry_run else sum(_revoke(enterprise, kind, pk, now=now) for pk, _, _ in chunk)
                counts.revoked += done
                _report(progress, Step(enterprise, kind, "revoke", chunk, done))
    return counts


def _report(progress, step: Step) -> None:
    if progress is not None:
        progress(step)
