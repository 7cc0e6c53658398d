"""The enterprise's PAT policy form (SPEC §5.1): headings, labels and explanations from the seed."""

from organizations.forms import Policy, PolicyForm
from policies.choices import EnterpriseClassicAccess, EnterpriseFineGrainedAccess, EnterpriseFineGrainedApproval

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
