"""The two policy pages as one shape: the enterprise's in the admin (behaviour §5.1) and the
organization's on the site (§5.2). `policy_page` runs a test on each; test_policy_pages.py
holds what they do alike, and each page's own file what only it does.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import pytest
from django.test import Client
from django.urls import reverse

from policies.forms import ENTERPRISE_POLICIES, ORGANIZATION_POLICIES, Policy
from policies.services import enterprise_policy_update, organization_policy_update
from tests.conftest import client_for


@dataclass
class PolicyPage:
    kind: str  # "enterprise" or "organization": the audit actions' prefix and a decision's policy_source
    owner: object  # the Enterprise or Organization whose policies the page sets
    user: object  # one of its owners, signed in on `client`
    url: str
    policies: tuple[Policy, ...]
    defaults: dict[str, str]  # the values a new enterprise or organization has
    update: Callable  # the service another owner saves with: update(expected_revision=…, **values)
    client: Client = field(init=False)

    def __post_init__(self):
        self.client = client_for(self.user)

    def save(self, client: Client | None = None, **values):
        """POST the form as the page sends it: the defaults, the current revision, then `values` (None: left out)."""
        self.owner.refresh_from_db()
        data = {**self.defaults, "policy_revision": self.owner.policy_revision, **values}
        return (client or self.client).post(
            self.url, {name: value for name, value in data.items() if value is not None}
        )

    def stored(self) -> dict[str, str]:
        self.owner.refresh_from_db()
        return {name: getattr(self.owner, name) for name in self.defaults}


ENTERPRISE_DEFAULTS = dict.fromkeys(
    ("fine_grained_access", "fine_grained_approval", "classic_access"), "org_configurable"
)
ORGANIZATION_DEFAULTS = {"fine_grained_access": "allow", "fine_grained_approval": "require", "classic_access": "allow"}


def enterprise_page(cast) -> PolicyPage:
    """bigcorp's page, as erin."""
    return PolicyPage(
        kind="enterprise",
        owner=cast.bigcorp,
        user=cast.erin,
        url=reverse("admin:enterprises_enterprise_pat_policies", args=[cast.bigcorp.slug]),
        policies=ENTERPRISE_POLICIES,
        defaults=ENTERPRISE_DEFAULTS,
        update=partial(enterprise_policy_update, enterprise=cast.bigcorp),
    )


def organization_page(cast, organization=None, owner=None) -> PolicyPage:
    """acme's page (in bigcorp), as olga; or another organization's, as its owner."""
    organization, owner = organization or cast.acme, owner or cast.olga
    return PolicyPage(
        kind="organization",
        owner=organization,
        user=owner,
        url=reverse("organization_pat_settings", args=[organization.login]),
        policies=ORGANIZATION_POLICIES,
        defaults=ORGANIZATION_DEFAULTS,
        update=partial(organization_policy_update, organization=organization),
    )


PAGES = {
    "enterprise": enterprise_page,
    "organization": organization_page,
    "standalone organization": lambda cast: organization_page(cast, cast.umbrella, cast.uma),
}


@pytest.fixture(params=["enterprise", "organization"])
def policy_page(request, cast) -> PolicyPage:
    """Each page in turn; parametrize `policy_page` with PAGES' keys (indirect) to choose others."""
    return PAGES[request.param](cast)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]
