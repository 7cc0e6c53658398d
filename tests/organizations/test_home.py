"""The start page: every person sees a way on to what they own or belong to."""

from django.urls import reverse

from tests.conftest import client_for
from tests.factories import UserFactory


def test_an_enterprise_owner_sees_their_enterprises_with_links_to_the_enterprise_settings(cast, erin):
    page = erin.get("/").content.decode()
    assert "Big Corp" in page
    assert reverse("admin:enterprises_enterprise_account", args=["bigcorp"]) in page
    assert reverse("admin:enterprises_enterprise_pat_policies", args=["bigcorp"]) in page
    assert "Other Corp" not in page


def test_an_organization_owner_sees_a_link_to_the_overview(cast, olga):
    page = olga.get("/").content.decode()
    assert f'href="{reverse("organization_overview", args=["acme"])}"' in page


def test_a_member_sees_the_organization_without_owner_links(cast):
    page = client_for(cast.alice).get("/").content.decode()
    assert "acme" in page
    assert reverse("organization_overview", args=["acme"]) not in page


def test_someone_in_no_organization_is_shown_a_way_on(db):
    page = client_for(UserFactory(username="newcomer")).get("/").content.decode()
    assert "not a member of any organization" in page
    assert f'href="{reverse("tokens:fine-grained-new")}"' in page


def test_the_switcher_lists_what_the_person_owns(cast):
    page = client_for(cast.olga).get(reverse("tokens:list")).content.decode()
    assert f'href="{reverse("organization_overview", args=["acme"])}"' in page
    assert "globex" not in page


def test_the_switcher_lists_an_enterprise_owners_enterprises(cast, erin):
    page = erin.get(reverse("tokens:list")).content.decode()
    assert f'href="{reverse("admin:enterprises_enterprise_account", args=["bigcorp"])}"' in page
