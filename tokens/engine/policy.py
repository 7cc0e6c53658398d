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


def effective_max_lifetime_days(
    organization, token_type: str, *, holder_is_owner: bool = False
) -> tuple[int | None, str | None]:
    """The stricter of the enterprise's and the organization's maximum lifetime (behaviour §3).

    Returns (days or None for no limit, the source of the limit). An enterprise
    that exempts administrators does not limit the organization's own owners
    there (`holder_is_owner`); the organization's own maximum still does.
    """
    field = f"{token_type}_max_lifetime_days"
    limits = [(getattr(organization, field), ORGANIZATION)]
    enterprise = organization.enterprise
    if enterprise is not None and not (holder_is_owner and enterprise.max_lifetime_exempts_owners):
        limits.append((getattr(enterprise, field), ENTERPRISE))
    set_limits = [(days, source) for days, source in limits if days is not None]
    if not set_limits:
        return None, None
    return min(set_limits, key=lambda limit: (limit[0], limit[1] != ENTERPRISE))


def enterprise_max_lifetime_days(
    enterprise, token_type: str, *, holder_is_owner: bool = False
) -> tuple[int | None, str | None]:
    """The enterprise's maximum lifetime on its own resources (`enterprise:<slug>`), as above."""
    days = getattr(enterprise, f"{token_type}_max_lifetime_days")
    if days is None or (holder_is_owner and enterprise.max_lifetime_exempts_owners):
        return None, None
    return days, ENTERPRISE
