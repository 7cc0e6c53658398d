"""The audit log in words (behaviour §8): each action's name, the token it concerns by name, and its
details as lines ("Name: old → new"); read by the organization's audit log and the admin's.
"""

import csv
from dataclasses import dataclass, field

from django.db.models import F, Value
from django.utils import timezone

from audit.choices import action_name, detail_label
from audit.models import AuditEvent
from organizations.models import Repository
from policies import choices as policy_choices
from tokens.choices import CredentialType, RepositoryAccess
from tokens.engine.catalogue import LEVEL_WORDS, PERMISSIONS
from tokens.models import AccessRequest, ClassicToken, FineGrainedToken, Grant, SSHKey

# --- Events in words --------------------------------------------------------------


@dataclass
class Line:
    """One detail of an event: "label: text", or "label: before → after" for a change."""

    label: str
    text: str = ""
    before: str = ""
    after: str = ""
    change: bool = False

    def __str__(self):
        return f"{self.label}: {self.before} → {self.after}" if self.change else f"{self.label}: {self.text}"


@dataclass
class ReadableEvent:
    event: AuditEvent
    name: str
    lines: list[Line]
    token_label: str = ""  # the token's name (a classic token's note), or the name it had once deleted
    token_kind: str = ""  # "fine-grained token", "classic token", "SSH key"
    token_holder: str = ""
    token_exists: bool = False
    request_id: int | None = None
    grant_id: int | None = None
    # Where the organization's owner reads this token: its grant, else its latest request.
    token_grant_id: int | None = None
    token_request_id: int | None = None
    links: dict = field(default_factory=dict)  # filled by the page: token, actor, request, grant


TOKEN_KINDS = {
    CredentialType.FINE_GRAINED: "fine-grained token",
    CredentialType.CLASSIC: "classic token",
    CredentialType.SSH_KEY: "SSH key",
    CredentialType.API_CLIENT: "API client",
}
TOKEN_MODELS = {
    CredentialType.FINE_GRAINED: (FineGrainedToken, "name"),
    CredentialType.CLASSIC: (ClassicToken, "note"),
    CredentialType.SSH_KEY: (SSHKey, "title"),
}
# Lines read in this order; other keys follow in the order they were recorded.
DETAIL_ORDER = {
    key: index
    for index, key in enumerate(["name", "note", "title", "token_type", "repository_access", "repository_ids"])
}
# Values kept as links, not as lines.
LINKED_KEYS = {"request_id", "grant_id", "revocation_id"}


def readable_events(events, *, organization=None) -> list[ReadableEvent]:
    """The events in words, in a fixed number of queries (none for a page without tokens or repositories)."""
    events = list(events)
    tokens = _tokens_of(events)
    repositories = _repository_names(events)
    owner_pages = _owner_pages(events, organization) if organization is not None else {}
    readable = []
    for event in events:
        item = ReadableEvent(
            event=event,
            name=action_name(event.action),
            lines=describe(event, repositories),
            request_id=_int(event.data.get("request_id")),
            grant_id=_int(event.data.get("grant_id")),
        )
        if event.token_type:
            found = tokens.get((event.token_type, event.token_id))
            item.token_kind = TOKEN_KINDS.get(event.token_type, event.token_type.replace("_", " "))
            item.token_exists = found is not None
            if found is not None:
                item.token_label, item.token_holder = found
            else:
                kept = event.data.get("name") or event.data.get("note")
                item.token_label = str(kept) if kept else f"#{event.token_id}"
            item.token_grant_id, item.token_request_id = owner_pages.get(event.token_id, (None, None))
            if event.token_type != CredentialType.FINE_GRAINED:
                item.token_grant_id = item.token_request_id = None
        readable.append(item)
    return readable


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _tokens_of(events) -> dict:
    """{(token_type, id): (label, holder)} for the events' tokens, in one query whatever their types."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.token_type in TOKEN_MODELS and event.token_id is not None:
            wanted.setdefault(event.token_type, set()).add(event.token_id)
    queries = [
        TOKEN_MODELS[token_type][0]
        .objects.filter(pk__in=ids)
        .annotate(kind=Value(str(token_type)), label=F(TOKEN_MODELS[token_type][1]), holder=F("user__username"))
        .values_list("kind", "pk", "label", "holder")
        for token_type, ids in wanted.items()
    ]
    if not queries:
        return {}
    rows = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
    return {(kind, pk): (label, holder) for kind, pk, label, holder in rows}


def _repository_names(events) -> dict[int, str]:
    ids = set()
    for event in events:
        for value in _repository_id_lists(event.data):
            ids.update(pk for pk in value if isinstance(pk, int))
    if not ids:
        return {}
    return dict(Repository.objects.filter(pk__in=ids).values_list("pk", "name"))


def _repository_id_lists(data: dict):
    if isinstance(data.get("repository_ids"), list):
        yield data["repository_ids"]
    change = (data.get("changes") or {}).get("repository_ids")
    if isinstance(change, dict):
        for side in ("from", "to"):
            if isinstance(change.get(side), list):
                yield change[side]


def _owner_pages(events, organization) -> dict[int, tuple[int | None, int | None]]:
    """For each fine-grained token: its grant in `organization`, and its latest request there."""
    ids = {e.token_id for e in events if e.token_type == CredentialType.FINE_GRAINED and e.token_id is not None}
    if not ids:
        return {}
    pages = {pk: (None, None) for pk in ids}
    for token_id, pk in Grant.objects.filter(organization=organization, token_id__in=ids).values_list("token_id", "pk"):
        pages[token_id] = (pk, None)
    requests = (
        AccessRequest.objects.filter(organization=organization, token_id__in=ids)
        .order_by("token_id", "-created_at", "-id")
        .values_list("token_id", "pk")
    )
    for token_id, pk in requests:
        grant_id, request_id = pages[token_id]
        if request_id is None:
            pages[token_id] = (grant_id, pk)
    return pages


# --- Details ------------------------------------------------------------------------------


def describe(event: AuditEvent, repositories: dict[int, str] | None = None) -> list[Line]:
    """The event's details as lines; a policy change and an edit read "label: before → after"."""
    data = event.data if isinstance(event.data, dict) else {"value": event.data}
    repositories = repositories or {}
    if {"policy", "old", "new"} <= set(data):
        scope = event.action.partition(".")[0]
        policy = str(data["policy"])
        return [
            Line(
                detail_label(policy),
                before=policy_words(scope, policy, data["old"]),
                after=policy_words(scope, policy, data["new"]),
                change=True,
            )
        ]
    lines = []
    for key, value in sorted(data.items(), key=lambda item: DETAIL_ORDER.get(item[0], len(DETAIL_ORDER))):
        if key in LINKED_KEYS or (key == "repository_ids" and value == []):
            continue
        if key == "changes" and isinstance(value, dict):
            lines.extend(_change_lines(value, repositories))
        else:
            lines.append(Line(detail_label(key), text=words(key, value, repositories)))
    return lines


def _change_lines(changes: dict, repositories) -> list[Line]:
    lines = []
    for key, change in changes.items():
        if not isinstance(change, dict):
            lines.append(Line(detail_label(key), text=words(key, change, repositories)))
            continue
        before, after = change.get("from"), change.get("to")
        if key.startswith("permissions."):
            name = key.partition(".")[2]
            label = PERMISSIONS[name].title if name in PERMISSIONS else name
            lines.append(Line(label, before=level_words(before), after=level_words(after), change=True))
        else:
            lines.append(
                Line(
                    detail_label(key),
                    before=words(key, before, repositories),
                    after=words(key, after, repositories),
                    change=True,
                )
            )
    return lines


def level_words(level) -> str:
    return LEVEL_WORDS.get(level, str(level)) if level else "no access"


def permission_list_words(permissions: dict) -> str:
    """{"contents": "write"} → "Contents (read and write)", in the catalogue's order."""
    known = [name for name in PERMISSIONS if name in permissions]
    unknown = sorted(name for name in permissions if name not in PERMISSIONS)
    return ", ".join(
        [f"{PERMISSIONS[name].title} ({level_words(permissions[name])})" for name in known]
        + [f"{name} ({level_words(permissions[name])})" for name in unknown]
    )


POLICY_CHOICES = {
    "enterprise": {
        "fine_grained_access": policy_choices.EnterpriseFineGrainedAccess,
        "fine_grained_approval": policy_choices.EnterpriseFineGrainedApproval,
        "classic_access": policy_choices.EnterpriseClassicAccess,
    },
    "organization": {
        "fine_grained_access": policy_choices.OrganizationFineGrainedAccess,
        "fine_grained_approval": policy_choices.OrganizationFineGrainedApproval,
        "classic_access": policy_choices.OrganizationClassicAccess,
    },
}


def policy_words(scope: str, policy: str, value) -> str:
    if value is None:
        return "no limit" if policy.endswith("_lifetime_days") else "none"
    choices = POLICY_CHOICES.get(scope, {}).get(policy)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return words(policy, value)


def words(key: str, value, repositories: dict[int, str] | None = None) -> str:
    """A stored value in words: never a Python repr or raw JSON."""
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "token_type" and value in CredentialType.values:
        return TOKEN_KINDS[value]
    if key == "repository_access" and value in RepositoryAccess.values:
        return str(RepositoryAccess(value).label)
    if key == "permissions" and isinstance(value, dict):
        return permission_list_words(value) or "none"
    if key == "repository_ids" and isinstance(value, list):
        names = [(repositories or {}).get(pk, f"#{pk}") for pk in value]
        return ", ".join(names) or "none"
    if key == "fields" and isinstance(value, list):
        return ", ".join(detail_label(str(item)).lower() for item in value) or "none"
    if isinstance(value, list):
        return ", ".join(words(key, item, repositories) for item in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{detail_label(str(k))}: {words(str(k), v, repositories)}" for k, v in value.items())
    return str(value)


# --- CSV export ---------------------------------------------------------------------------

CSV_HEADER = ["Time", "Event", "Action", "Actor", "Organization", "Token", "Token type", "Token id", "Details"]
CSV_CHUNK = 500
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value):
        return value


def csv_lines(events, *, organization=None):
    """The events as CSV lines, header first, read and described `CSV_CHUNK` events at a time."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    batch = []
    for event in events.select_related("organization").iterator(chunk_size=CSV_CHUNK):
        batch.append(event)
        if len(batch) == CSV_CHUNK:
            yield from _csv_rows(writer, batch, organization)
            batch = []
    yield from _csv_rows(writer, batch, organization)


def _csv_rows(writer, batch, organization):
    for item in readable_events(batch, organization=organization):
        event = item.event
        row = [
            timezone.localtime(event.created_at).isoformat(),
            item.name,
            event.action,
            event.actor_login or "system",
            event.organization.login if event.organization_id else "",
            item.token_label,
            item.token_kind,
            event.token_id or "",
            "; ".join(str(line) for line in item.lines),
        ]
        yield writer.writerow([csv_cell(value) for value in row])
