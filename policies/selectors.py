"""Reads of report-only policies for their pages (behaviour §5.8): the staged values and the flips, in words.

The caller resolved the organization or enterprise through its owner selector,
so tenancy has one path. A page of flips costs a fixed number of queries: the
page, its count, and one per credential type on it (tests/speed asserts it).
"""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator

from organizations.models import Organization
from tokens.choices import CredentialType
from tokens.engine.catalogue import LEVEL_WORDS, PERMISSIONS
from tokens.engine.decision import Reason
from tokens.models import ClassicToken, FineGrainedToken, SSHKey

from .choices import (
    EnterpriseClassicAccess,
    EnterpriseFineGrainedAccess,
    EnterpriseFineGrainedApproval,
    OrganizationClassicAccess,
    OrganizationFineGrainedAccess,
    OrganizationFineGrainedApproval,
)
from .models import StagedPolicy, StagedPolicyFlip

FLIPS_PER_PAGE = 50

# What a check would answer under the staged policy, as the report says it.
WOULD_BE_WORDS = {
    Reason.ALLOWED: "Allowed",
    Reason.PUBLIC_READ: "Allowed: a public resource",
    Reason.CREDENTIAL_INVALID: "Refused: the credential is not valid",
    Reason.TOKEN_REVOKED: "Refused: the token is revoked",
    Reason.TOKEN_EXPIRED: "Refused: the token has expired",
    Reason.USER_INACTIVE: "Refused: the holder’s account is suspended",
    Reason.RESOURCE_NOT_FOUND: "Refused: no such resource",
    Reason.PERMISSION_UNKNOWN: "Refused: no such permission",
    Reason.USER_LACKS_ACCESS: "Refused: the holder has no such access",
    Reason.FINE_GRAINED_NOT_ENABLED: "Refused: fine-grained tokens are not enabled",
    Reason.FINE_GRAINED_RESTRICTED: "Refused: fine-grained tokens restricted",
    Reason.CLASSIC_RESTRICTED: "Refused: classic tokens restricted",
    Reason.RESOURCE_OWNER_MISMATCH: "Refused: the token is for another resource owner",
    Reason.REPOSITORY_NOT_SELECTED: "Refused: repository not selected for the token",
    Reason.PERMISSION_NOT_GRANTED: "Refused: permission not granted to the token",
    Reason.SCOPE_MISSING: "Refused: the token lacks the scope",
    Reason.ACCESS_REVOKED: "Refused: access revoked",
    Reason.APPROVAL_REQUIRED: "Refused: approval required",
    Reason.APPROVAL_PENDING: "Refused: approval pending",
    Reason.APPROVAL_DENIED: "Refused: approval denied",
    Reason.TOKEN_LIFETIME_EXCEEDS_POLICY: "Refused: the token outlives the maximum lifetime",
}
KIND_WORDS = {
    CredentialType.FINE_GRAINED: "Fine-grained",
    CredentialType.CLASSIC: "Classic",
    CredentialType.SSH_KEY: "SSH key",
}
_CHOICES = {
    "organization": {
        "fine_grained_access": OrganizationFineGrainedAccess,
        "fine_grained_approval": OrganizationFineGrainedApproval,
        "classic_access": OrganizationClassicAccess,
    },
    "enterprise": {
        "fine_grained_access": EnterpriseFineGrainedAccess,
        "fine_grained_approval": EnterpriseFineGrainedApproval,
        "classic_access": EnterpriseClassicAccess,
    },
}
POLICY_HEADINGS = {
    "fine_grained_access": "Fine-grained tokens’ access",
    "fine_grained_approval": "Approval of fine-grained tokens",
    "classic_access": "Classic tokens’ access",
    "fine_grained_max_lifetime_days": "Fine-grained tokens’ maximum lifetime",
    "classic_max_lifetime_days": "Classic tokens’ maximum lifetime",
    "max_lifetime_exempts_owners": "Owners exempt from the maximum lifetimes",
}


@dataclass(frozen=True)
class StagedChange:
    heading: str
    saved: str
    staged: str


@dataclass(frozen=True)
class FlipRow:
    holder: str
    token: str
    kind: str
    resource: str
    permission: str
    now: str
    would_be: str
    first_seen: object
    last_seen: object
    count: int


def staged_policy_of(owner) -> StagedPolicy | None:
    scope = "organization" if isinstance(owner, Organization) else "enterprise"
    return StagedPolicy.objects.select_related("staged_by").filter(**{scope: owner}).first()


def _value_words(scope: str, name: str, value) -> str:
    if name.endswith("_lifetime_days"):
        return "no maximum" if value is None else f"{value} days"
    if name == "max_lifetime_exempts_owners":
        return "yes" if value else "no"
    return _CHOICES[scope][name](value).label


def staged_changes(staged: StagedPolicy) -> list[StagedChange]:
    """What the staged policy changes from the saved one, in words."""
    owner = staged.owner
    scope = "organization" if staged.organization_id is not None else "enterprise"
    return [
        StagedChange(
            POLICY_HEADINGS[name], _value_words(scope, name, getattr(owner, name)), _value_words(scope, name, new)
        )
        for name, new in staged.values().items()
        if getattr(owner, name) != new
    ]


def _credential_labels(flips) -> dict:
    """(type, id) -> what the page calls the credential: a fine-grained token's name, a classic one's masked secret."""
    ids = {}
    for flip in flips:
        ids.setdefault(flip.credential_type, set()).add(flip.credential_id)
    labels = {}
    if CredentialType.FINE_GRAINED in ids:
        for pk, name in FineGrainedToken.objects.filter(pk__in=ids[CredentialType.FINE_GRAINED]).values_list(
            "pk", "name"
        ):
            labels[(CredentialType.FINE_GRAINED, pk)] = name
    if CredentialType.CLASSIC in ids:
        for token in ClassicToken.objects.filter(pk__in=ids[CredentialType.CLASSIC]).only("pk", "last_four"):
            labels[(CredentialType.CLASSIC, token.pk)] = token.masked
    if CredentialType.SSH_KEY in ids:
        for pk, title in SSHKey.objects.filter(pk__in=ids[CredentialType.SSH_KEY]).values_list("pk", "title"):
            labels[(CredentialType.SSH_KEY, pk)] = title
    return labels


def _permission_words(permission: str, level: str) -> str:
    known = PERMISSIONS.get(permission)
    title = known.title if known is not None else permission
    return f"{title} ({LEVEL_WORDS.get(level, level)})"


def flips_page(staged: StagedPolicy, number) -> tuple[Page, list[FlipRow]]:
    """One page of the report, most recently seen first."""
    flips = StagedPolicyFlip.objects.filter(staged=staged).select_related("holder").order_by("-last_seen", "-pk")
    page = Paginator(flips, FLIPS_PER_PAGE).get_page(number)
    labels = _credential_labels(page.object_list)
    rows = [
        FlipRow(
            holder=flip.holder.username,
            token=labels.get((flip.credential_type, flip.credential_id), "a deleted credential"),
            kind=KIND_WORDS.get(flip.credential_type, flip.credential_type),
            resource=flip.resource,
            permission=_permission_words(flip.permission, flip.level),
            now="Allowed" if flip.allowed else "Refused",
            would_be=WOULD_BE_WORDS.get(flip.would_be_reason, "Refused"),
            first_seen=flip.first_seen,
            last_seen=flip.last_seen,
            count=flip.count,
        )
        for flip in page.object_list
    ]
    return page, rows
