"""The PAT policy forms of the enterprise's and the organization's pages (behaviour §5.1, §5.2).

A policy form is three radio groups, with the headings, labels and
explanations of GitHub's page, and the hidden ``policy_revision`` the page was
loaded at, so a stale save is refused by the service instead of overwriting
someone else's (policies.services.policy_update).
"""

from dataclasses import dataclass

from django import forms

from tokens.engine.policy import (
    Effective,
    effective_classic_access,
    effective_fine_grained_access,
    effective_fine_grained_approval,
    effective_max_lifetime_days,
)

from .choices import (
    LIFETIME_DAYS_RANGE,
    EnterpriseClassicAccess,
    EnterpriseFineGrainedAccess,
    EnterpriseFineGrainedApproval,
    OrganizationClassicAccess,
    OrganizationFineGrainedAccess,
    OrganizationFineGrainedApproval,
)
from .models import UNUSED_DAYS_RANGE


@dataclass(frozen=True)
class Policy:
    """One policy: its field, the heading of its section, and each choice's explanation."""

    name: str
    heading: str
    choices: type
    explanations: dict[str, str]


@dataclass(frozen=True)
class Option:
    id: str
    value: str
    label: str
    explanation: str
    checked: bool


@dataclass(frozen=True)
class Section:
    """What a template needs to draw one policy's radio group."""

    name: str
    heading: str
    options: list[Option]
    errors: list[str]
    locked_reason: str = ""
    kept_label: str = ""  # the organization's own choice, kept while the policy is locked


class PolicyForm(forms.Form):
    """The three policies of `POLICIES` as required radio groups, plus the revision."""

    POLICIES: tuple[Policy, ...] = ()
    SETTINGS: tuple[str, ...] = ()  # fields saved beside the radio groups: the maximum lifetimes

    policy_revision = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=0,
        error_messages={
            "required": "The form is missing its policy revision; reload the page and try again.",
            "invalid": "The form's policy revision is not valid; reload the page and try again.",
            "min_value": "The form's policy revision is not valid; reload the page and try again.",
        },
    )

    def __init__(self, *args, locked: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # {policy name: why it is locked}; a locked field keeps its stored value.
        self.locked = locked or {}
        for policy in self.POLICIES:
            self.fields[policy.name] = forms.ChoiceField(
                label=policy.heading,
                choices=policy.choices.choices,
                widget=forms.RadioSelect,
                disabled=policy.name in self.locked,
                error_messages={
                    "required": f"Choose an option under “{policy.heading}”.",
                    "invalid_choice": f"“%(value)s” is not an option under “{policy.heading}”.",
                },
            )

    @classmethod
    def initial_for(cls, instance) -> dict:
        initial = {name: getattr(instance, name) for name in (*(policy.name for policy in cls.POLICIES), *cls.SETTINGS)}
        initial["policy_revision"] = instance.policy_revision
        return initial

    def policy_values(self) -> dict:
        """The values to save: every policy and setting this form may change."""
        values = {
            policy.name: self.cleaned_data[policy.name] for policy in self.POLICIES if policy.name not in self.locked
        }
        return values | {name: self.cleaned_data[name] for name in self.SETTINGS}

    def shown_value(self, policy: Policy) -> str | None:
        if self.is_bound and policy.name not in self.locked:
            return self.data.get(policy.name)
        return self.get_initial_for_field(self.fields[policy.name], policy.name)

    def sections(self) -> list[Section]:
        sections = []
        for policy in self.POLICIES:
            shown = self.shown_value(policy)
            stored = self.get_initial_for_field(self.fields[policy.name], policy.name)
            options = [
                Option(
                    id=f"id_{policy.name}_{index}",
                    value=value,
                    label=label,
                    explanation=policy.explanations[value],
                    checked=value == shown,
                )
                for index, (value, label) in enumerate(policy.choices.choices)
            ]
            sections.append(
                Section(
                    name=policy.name,
                    heading=policy.heading,
                    options=options,
                    errors=list(self.errors.get(policy.name, [])),
                    locked_reason=self.locked.get(policy.name, ""),
                    kept_label=dict(policy.choices.choices).get(stored, "") if policy.name in self.locked else "",
                )
            )
        return sections


LOWEST_DAYS, HIGHEST_DAYS = LIFETIME_DAYS_RANGE


def lifetime_field(label: str) -> forms.IntegerField:
    """A maximum lifetime in days, 1–366; empty for no maximum (behaviour §3)."""
    invalid = f"Give a whole number of days from {LOWEST_DAYS} to {HIGHEST_DAYS} under “{label}”, or leave it empty."
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=LOWEST_DAYS,
        max_value=HIGHEST_DAYS,
        help_text=f"{LOWEST_DAYS}–{HIGHEST_DAYS} days; empty: no maximum.",
        error_messages={"invalid": invalid, "min_value": invalid, "max_value": invalid},
    )


def unused_days_field(label: str) -> forms.IntegerField:
    """Days without use after which a token loses the enterprise, 30–365; empty for never (behaviour §5.1)."""
    low, high = UNUSED_DAYS_RANGE
    invalid = f"Give a whole number of days from {low} to {high} under “{label}”, or leave it empty."
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=low,
        max_value=high,
        help_text=f"{low}–{high} days; empty: never.",
        error_messages={"invalid": invalid, "min_value": invalid, "max_value": invalid},
    )


ORGANIZATION_POLICIES = (
    Policy(
        name="fine_grained_access",
        heading="Restrict access via fine-grained personal access tokens",
        choices=OrganizationFineGrainedAccess,
        explanations={
            OrganizationFineGrainedAccess.ALLOW: "Fine-grained personal access tokens can access the organization.",
            OrganizationFineGrainedAccess.RESTRICT: (
                "Fine-grained personal access tokens cannot access the private and internal resources "
                "of the organization. SSH keys created by fine-grained personal access tokens will continue to work."
            ),
        },
    ),
    Policy(
        name="fine_grained_approval",
        heading="Require approval of fine-grained personal access tokens",
        choices=OrganizationFineGrainedApproval,
        explanations={
            OrganizationFineGrainedApproval.REQUIRE: (
                "An organization owner must approve each fine-grained personal access token that can access the "
                "organization. Fine-grained personal access tokens created by organization owners will not need "
                "approval."
            ),
            OrganizationFineGrainedApproval.NOT_REQUIRED: (
                "Fine-grained personal access tokens created by organization members can access the organization "
                "without prior approval."
            ),
        },
    ),
    Policy(
        name="classic_access",
        heading="Restrict personal access tokens (classic) from accessing your organization",
        choices=OrganizationClassicAccess,
        explanations={
            OrganizationClassicAccess.ALLOW: "Personal access tokens (classic) can access the organization.",
            OrganizationClassicAccess.RESTRICT: (
                "Personal access tokens (classic) cannot access the private and internal resources "
                "of the organization. SSH keys created by personal access tokens (classic) will continue to work."
            ),
        },
    ),
)


def enforced_policies(organization) -> dict[str, Effective]:
    """The organization's policies its enterprise enforces, with what it enforces (behaviour §3)."""
    effective = {
        "fine_grained_access": effective_fine_grained_access(organization),
        "fine_grained_approval": effective_fine_grained_approval(organization),
        "classic_access": effective_classic_access(organization),
    }
    return {name: value for name, value in effective.items() if value.enforced_by_enterprise}


def _label(name: str, value: str) -> str:
    """The organization's words for a policy's value."""
    policy = next(policy for policy in ORGANIZATION_POLICIES if policy.name == name)
    return dict(policy.choices.choices).get(value, value)


def _set_by(effective: Effective, organization) -> str:
    if effective.enforced_by_enterprise:
        return f"enforced by your enterprise, {effective.enterprise.name}; {organization.login} cannot change it"
    return f"set by {organization.login} below"


def organization_in_force(organization, *, enabled: bool) -> list[str]:
    """What holds now for the organization's personal access tokens, and who set it, in sentences.

    One statement per policy, derived from the effective values, so the page never says
    "enabled" above a restriction (issue 18).
    """
    login = organization.login
    access = effective_fine_grained_access(organization)
    approval = effective_fine_grained_approval(organization)
    classic = effective_classic_access(organization)
    if access.value == "restrict" and access.enforced_by_enterprise:
        fine_grained = (
            f"Your enterprise, {access.enterprise.name}, restricts fine-grained personal access tokens: they cannot "
            f"access {login}’s private resources, and {login} cannot change it. Public resources stay readable."
        )
    elif access.value == "restrict":
        fine_grained = (
            f"{login} restricts fine-grained personal access tokens: they cannot access its private resources "
            "(set below). Public resources stay readable."
        )
    elif not enabled:
        fine_grained = (
            f"Fine-grained personal access tokens can read only {login}’s public resources until it opts in "
            "(they are in beta)."
        )
    else:
        who = login if organization.fine_grained_opted_in else f"your enterprise, {organization.enterprise.name},"
        fine_grained = f"Fine-grained personal access tokens can access {login}’s resources: {who} opted in"
        fine_grained += f", and access is {_set_by(access, organization)}."
        needs = "Each token needs an owner’s approval" if approval.value == "require" else "Tokens need no approval"
        fine_grained += f" {needs} before it reaches private resources ({_set_by(approval, organization)})."
    classic_words = (
        f"Personal access tokens (classic) {'cannot' if classic.value == 'restrict' else 'can'} access {login}’s "
        f"private resources ({_set_by(classic, organization)})."
    )
    return [fine_grained, classic_words, _lifetime_in_force(organization)]


def _lifetime_in_force(organization) -> str:
    """What the maximum lifetimes mean for tokens on the organization's resources, and who set them."""
    login = organization.login
    parts = []
    for kind, words in (("fine_grained", "fine-grained tokens"), ("classic", "classic tokens")):
        days, source = effective_max_lifetime_days(organization, kind)
        by = ""
        if days is not None:
            by = (
                f" (set by your enterprise, {organization.enterprise.name})"
                if source == "enterprise"
                else f" (set by {login})"
            )
        parts.append(_lifetime_words(words, days) + by)
    return f"In {login}, {parts[0]} and {parts[1]}; a token that lives longer is refused here."


@dataclass(frozen=True)
class Lifetimes:
    """The maximum lifetimes the organization's page shows beside its own field, in words (behaviour §3)."""

    fine_grained_locked: str  # the enterprise's fine-grained maximum; "" when it sets none
    classic: str
    classic_locked: bool  # the classic maximum is the enterprise's
    exempt: str  # "" unless the enterprise exempts administrators


def organization_lifetimes(organization) -> Lifetimes:
    enterprise = organization.enterprise
    login = organization.login
    fine_grained_locked = exempt = ""
    if enterprise is not None and enterprise.fine_grained_max_lifetime_days is not None:
        fine_grained_locked = (
            f"Your enterprise, {enterprise.name}, allows fine-grained personal access tokens to live at most "
            f"{enterprise.fine_grained_max_lifetime_days} days; {login} may set a shorter maximum, not a longer one."
        )
    days, source = effective_max_lifetime_days(organization, "classic")
    if days is None:
        classic = f"Personal access tokens (classic) have no maximum lifetime in {login}."
    elif source == "enterprise":
        classic = (
            f"Your enterprise, {enterprise.name}, allows personal access tokens (classic) to live at most {days} days; "
            f"{login} cannot change it."
        )
    else:
        classic = f"Personal access tokens (classic) may live at most {days} days in {login}."
    if enterprise is not None and enterprise.max_lifetime_exempts_owners:
        exempt = (
            f"{enterprise.name} exempts administrators: the tokens of {login}’s owners are not held to the "
            f"enterprise’s maximums here, only to {login}’s own."
        )
    return Lifetimes(fine_grained_locked, classic, source == "enterprise", exempt)


class OrganizationPolicyForm(PolicyForm):
    POLICIES = ORGANIZATION_POLICIES
    SETTINGS = ("fine_grained_max_lifetime_days",)

    fine_grained_max_lifetime_days = lifetime_field("Fine-grained personal access tokens: maximum lifetime (days)")

    def __init__(self, *args, ceiling: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # The enterprise's maximum: the organization may only set a shorter one.
        self.ceiling = ceiling
        if ceiling is not None:
            self.fields["fine_grained_max_lifetime_days"].widget.attrs["max"] = ceiling

    def clean_fine_grained_max_lifetime_days(self):
        days = self.cleaned_data["fine_grained_max_lifetime_days"]
        kept = days == self.initial.get("fine_grained_max_lifetime_days")  # a value saved before the ceiling
        if days is not None and self.ceiling is not None and days > self.ceiling and not kept:
            raise forms.ValidationError(
                f"Your enterprise allows at most {self.ceiling} days; give {self.ceiling} or fewer, or leave it "
                "empty for the enterprise’s maximum."
            )
        return days

    @classmethod
    def for_organization(cls, organization, data=None) -> "OrganizationPolicyForm":
        """A policy the enterprise enforces is locked and shows the enforced value."""
        enforced = enforced_policies(organization)
        enterprise = organization.enterprise
        form = cls(
            data,
            initial=cls.initial_for(organization),
            locked={
                name: (
                    f"Your enterprise, {effective.enterprise.name}, enforces “{_label(name, effective.value)}” "
                    f"for all its organizations; {organization.login} cannot change it."
                )
                for name, effective in enforced.items()
            },
            ceiling=enterprise.fine_grained_max_lifetime_days if enterprise is not None else None,
        )
        form.lifetimes = organization_lifetimes(organization)
        form.enforced_values = {name: effective.value for name, effective in enforced.items()}
        return form

    def shown_value(self, policy: Policy) -> str | None:
        if policy.name in self.locked:
            return self.enforced_values[policy.name]
        return super().shown_value(policy)


ENTERPRISE_POLICIES = (
    Policy(
        name="fine_grained_access",
        heading="Restrict access via fine-grained personal access tokens",
        choices=EnterpriseFineGrainedAccess,
        explanations={
            EnterpriseFineGrainedAccess.ORG_CONFIGURABLE: (
                "Each organization owned by the enterprise can decide whether to restrict access by fine-grained "
                "personal access tokens."
            ),
            EnterpriseFineGrainedAccess.RESTRICT: (
                "Fine-grained personal access tokens cannot access organizations owned by the enterprise. SSH keys "
                "created by fine-grained personal access tokens will continue to work. Organizations cannot override "
                "this setting."
            ),
            EnterpriseFineGrainedAccess.ALLOW: (
                "Fine-grained personal access tokens can access organizations owned by the enterprise. Organizations "
                "cannot override this setting."
            ),
        },
    ),
    Policy(
        name="fine_grained_approval",
        heading="Require approval of fine-grained personal access tokens",
        choices=EnterpriseFineGrainedApproval,
        explanations={
            EnterpriseFineGrainedApproval.ORG_CONFIGURABLE: (
                "Each organization owned by the enterprise can decide whether to require approval of fine-grained "
                "personal access token that can access the organization."
            ),
            EnterpriseFineGrainedApproval.REQUIRE: (
                "All organizations owned by the enterprise must approve each fine-grained personal access token that "
                "can access the organization. Fine-grained personal access tokens created by organization owners will "
                "not need approval. Organizations cannot override this setting."
            ),
            EnterpriseFineGrainedApproval.DISABLED: (
                "Fine-grained personal access tokens created by organization members can access organizations owned "
                "by the enterprise without prior approval. Organizations cannot override this setting."
            ),
        },
    ),
    Policy(
        name="classic_access",
        heading="Restrict personal access tokens (classic) from accessing your organizations",
        choices=EnterpriseClassicAccess,
        explanations={
            EnterpriseClassicAccess.ORG_CONFIGURABLE: (
                "Each organization owned by the enterprise can decide whether to restrict access by personal access "
                "tokens (classic)."
            ),
            EnterpriseClassicAccess.RESTRICT: (
                "Personal access tokens (classic) cannot access the enterprise or organizations owned by the "
                "enterprise. SSH keys created by personal access tokens (classic) will continue to work. "
                "Organizations cannot override this setting."
            ),
            EnterpriseClassicAccess.ALLOW: (
                "Personal access tokens (classic) can access the enterprise and organizations owned by the "
                "enterprise. Organizations cannot override this setting."
            ),
        },
    ),
)


class EnterprisePolicyForm(PolicyForm):
    POLICIES = ENTERPRISE_POLICIES
    SETTINGS = (
        "fine_grained_max_lifetime_days",
        "classic_max_lifetime_days",
        "max_lifetime_exempts_owners",
        "revoke_unused_after_days",
    )

    fine_grained_max_lifetime_days = lifetime_field("Fine-grained personal access tokens: maximum lifetime (days)")
    classic_max_lifetime_days = lifetime_field("Personal access tokens (classic): maximum lifetime (days)")
    max_lifetime_exempts_owners = forms.BooleanField(
        label="Exempt administrators",
        required=False,
        help_text=(
            "Owners’ own tokens are not held to these maximums where they own: an organization owner’s on that "
            "organization, an enterprise owner’s on the enterprise itself. An organization’s own maximum still "
            "holds for its owners."
        ),
    )

    revoke_unused_after_days = unused_days_field("Revoke tokens unused for (days)")

    @classmethod
    def for_enterprise(cls, enterprise, data=None) -> "EnterprisePolicyForm":
        return cls(data, initial=cls.initial_for(enterprise))


def enterprise_in_force(enterprise) -> list[str]:
    """What the enterprise's saved policies mean for its organizations now, in sentences."""
    name = enterprise.name
    fixed = "; organizations cannot change it."
    fine_grained = {
        "org_configurable": f"Each organization of {name} decides whether fine-grained personal access tokens "
        "can access it.",
        "restrict": f"Fine-grained personal access tokens cannot access the private resources of any organization "
        f"of {name}{fixed}",
        "allow": f"Fine-grained personal access tokens can access every organization of {name}{fixed}",
    }[enterprise.fine_grained_access]
    approval = {
        "org_configurable": "Each organization decides whether fine-grained tokens need an owner’s approval.",
        "require": f"Every organization of {name} reviews each fine-grained token before it reaches private "
        f"resources (organization owners’ own tokens excepted){fixed}",
        "disabled": f"Fine-grained tokens reach the organizations of {name} without approval{fixed}",
    }[enterprise.fine_grained_approval]
    classic = {
        "org_configurable": "Each organization decides whether personal access tokens (classic) can access it.",
        "restrict": f"Personal access tokens (classic) cannot access {name} or its organizations{fixed}",
        "allow": f"Personal access tokens (classic) can access {name} and its organizations{fixed}",
    }[enterprise.classic_access]
    return [fine_grained, approval, classic, _enterprise_lifetimes_in_force(enterprise), _unused_in_force(enterprise)]


def _lifetime_words(words: str, days: int | None) -> str:
    return f"{words} have no maximum lifetime" if days is None else f"{words} may live at most {days} days"


def _enterprise_lifetimes_in_force(enterprise) -> str:
    """What the enterprise's maximum lifetimes mean for its organizations and itself, in one sentence."""
    sentence = (
        f"In {enterprise.name} and its organizations, "
        f"{_lifetime_words('fine-grained tokens', enterprise.fine_grained_max_lifetime_days)} and "
        f"{_lifetime_words('classic tokens', enterprise.classic_max_lifetime_days)}"
    )
    if enterprise.max_lifetime_exempts_owners:
        sentence += " (owners’ own tokens excepted where they own)"
    return sentence + "; an organization may set a shorter maximum for fine-grained tokens."


def _unused_in_force(enterprise) -> str:
    days = enterprise.revoke_unused_after_days
    if days is None:
        return f"Unused tokens keep their access to {enterprise.name}."
    return (
        f"Tokens unused for {days} days lose their access to {enterprise.name} and its organizations; "
        "their holders are warned a week before."
    )
