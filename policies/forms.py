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
)

from .choices import (
    EnterpriseClassicAccess,
    EnterpriseFineGrainedAccess,
    EnterpriseFineGrainedApproval,
    OrganizationClassicAccess,
    OrganizationFineGrainedAccess,
    OrganizationFineGrainedApproval,
)


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
        initial = {policy.name: getattr(instance, policy.name) for policy in cls.POLICIES}
        initial["policy_revision"] = instance.policy_revision
        return initial

    def policy_values(self) -> dict[str, str]:
        """The values to save: every policy this form may change."""
        return {
            policy.name: self.cleaned_data[policy.name] for policy in self.POLICIES if policy.name not in self.locked
        }

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
    return [fine_grained, classic_words]


class OrganizationPolicyForm(PolicyForm):
    POLICIES = ORGANIZATION_POLICIES

    @classmethod
    def for_organization(cls, organization, data=None) -> "OrganizationPolicyForm":
        """A policy the enterprise enforces is locked and shows the enforced value."""
        enforced = enforced_policies(organization)
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
        )
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
    return [fine_grained, approval, classic]
