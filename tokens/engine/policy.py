"""Effective-policy resolution (behaviour §3), as pure functions.

Each function takes anything with the policy attributes — an Organization or
Enterprise model instance, or the plain snapshots the access check loads — so
the decision engine, the policy pages and the token forms share one rule.

An enterprise choice other than ``org_configurable`` holds for all of its
organizations; otherwise the organization's own stored value holds (it is kept
while the enterprise enforces, so it comes back when the enterprise stops).
"""

from dataclasses import dataclass

ORG_CONFIGURABLE = "org_configurable"
ENTERPRISE = "enterprise"
ORGANIZATION = "organization"

# Enterprise approval choices in organization terms.
_APPROVAL_FROM_ENTERPRISE = {"require": "require", "disabled": "not_required"}


@dataclass(frozen=True)
class Effective:
    value: str
    source: str  # ENTERPRISE or ORGANIZATION
    enterprise: object | None = None  # set when the enterprise enforces the value

    @property
    def enforced_by_enterprise(self) -> bool:
        return self.source == ENTERPRISE


def _resolve(organization, policy: str, translate=None) -> Effective:
    enterprise = organization.enterprise
    if enterprise is not None:
        choice = getattr(enterprise, policy)
        if choice != ORG_CONFIGURABLE:
            return Effective(translate[choice] if translate else choice, ENTERPRISE, enterprise)
    return Effective(getattr(organization, policy), ORGANIZATION)


def effective_fine_grained_access(organization) -> Effective:
    """``allow`` or ``restrict``."""
    return _resolve(organization, "fine_grained_access")


def effective_fine_grained_approval(organization) -> Effective:
    """``require`` or ``not_required``."""
    return _resolve(organization, "fine_grained_approval", _APPROVAL_FROM_ENTERPRISE)


def effective_classic_access(organization) -> Effective:
    """``allow`` or ``restrict``."""
    return _resolve(organization, "classic_access")


def enterprise_classic_access(enterprise) -> Effective:
    """For enterprise-level resources no organization can loosen the choice."""
    value = "restrict" if enterprise.classic_access == "restrict" else "allow"
    return Effective(value, ENTERPRISE, enterprise)


def fine_grained_enabled(organization) -> bool:
    """Opt-in (beta): the organization or its enterprise opted in (behaviour §3)."""
    enterprise = organization.enterprise
    return organization.fine_grained_opted_in or (enterprise is not None and enterprise.fine_grained_opted_in)


def effective_max_lifetime_days(organization, token_type: str) -> tuple[int | None, str | None]:
    """The stricter of the enterprise's and the organization's maximum lifetime.

    Returns (days or None for no limit, the source of the limit).
    """
    field = f"{token_type}_max_lifetime_days"
    limits = [(getattr(organization, field), ORGANIZATION)]
    if organization.enterprise is not None:
        limits.append((getattr(organization.enterprise, field), ENTERPRISE))
    set_limits = [(days, source) for days, source in limits if days is not None]
    if not set_limits:
        return None, None
    return min(set_limits, key=lambda limit: (limit[0], limit[1] != ENTERPRISE))
