"""The admin's organization list says how fine-grained tokens are enabled: by the organization or its enterprise."""

import pytest
from django.urls import reverse

from organizations.models import Organization
from organizations.services import user_make_site_administrator
from tests.conftest import client_for
from tests.factories import EnterpriseFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:organizations_organization_changelist")


@pytest.fixture
def root():
    return client_for(user_make_site_administrator(user=UserFactory(username="root")))


def row_of(content: str, login: str) -> str:
    start = content.index(f">{login}</a>")
    return content[start : content.index("</tr>", start)]


def test_an_organization_whose_enterprise_opted_in_shows_it_through_the_enterprise(cast, erin):
    Organization.objects.filter(pk=cast.acme.pk).update(fine_grained_opted_in=False)
    content = erin.get(CHANGELIST).content.decode()
    assert "✓ Opted in through its enterprise, Big Corp" in row_of(content, "acme")
    assert "✗" not in row_of(content, "acme")


def test_an_organization_that_opted_in_itself_says_so(cast, erin):
    content = erin.get(CHANGELIST).content.decode()
    assert "✓ Opted in by itself" in row_of(content, "acme")


def test_an_organization_nobody_opted_in_says_not_opted_in(root):
    enterprise = EnterpriseFactory(fine_grained_opted_in=False)
    OrganizationFactory(login="plain", enterprise=enterprise, fine_grained_opted_in=False)
    content = root.get(CHANGELIST).content.decode()
    assert "✗ Not opted in" in row_of(content, "plain")


def test_the_filter_tells_the_three_apart(root):
    opted, absent = EnterpriseFactory(fine_grained_opted_in=True), EnterpriseFactory(fine_grained_opted_in=False)
    OrganizationFactory(login="itself", enterprise=absent, fine_grained_opted_in=True)
    OrganizationFactory(login="through", enterprise=opted, fine_grained_opted_in=False)
    OrganizationFactory(login="neither", enterprise=absent, fine_grained_opted_in=False)
    OrganizationFactory(login="alone", enterprise=None, fine_grained_opted_in=False)

    def logins(value):
        response = root.get(CHANGELIST, {"fine_grained_opted_in": value})
        return sorted(organization.login for organization in response.context["cl"].result_list)

    assert logins("itself") == ["itself"]
    assert logins("enterprise") == ["through"]
    assert logins("no") == ["alone", "neither"]


def test_the_filter_counts_its_choices(root):
    OrganizationFactory(login="itself", fine_grained_opted_in=True)
    response = root.get(CHANGELIST, {"_facets": "True"})
    assert response.status_code == 200
    assert "Opted in by itself (1)" in response.content.decode()
