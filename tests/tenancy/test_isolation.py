"""An enterprise owner sees only their enterprises and what belongs to them (behaviour §5.1, §7)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import client_for
from tests.factories import OrganizationFactory, RepositoryFactory, classic_token, fine_grained_token

pytestmark = pytest.mark.django_db


def changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def objects(world):
    """(the owner's object, the other tenant's object, text naming each) for every registered model."""
    return [
        (world.bigcorp, world.othercorp, "Big Corp", "Other Corp"),
        (world.acme, world.globex, "acme", "globex"),
        (
            world.acme.memberships.get(user=world.alice),
            world.globex.memberships.get(user=world.mallory),
            "alice",
            "mallory",
        ),
        (world.web, world.secret_plans, "acme/web", "globex/plans"),
        (world.alice, world.mallory, "alice", "mallory"),
        (world.acme_token, world.globex_token, "alice-acme", "mallory-globex"),
        (world.alice_classic, world.mallory_classic, "alice-classic", "mallory-classic"),
        (world.acme_request, world.globex_request, "alice-acme", "mallory-globex"),
        (world.acme_grant, world.globex_grant, "alice-acme", "mallory-globex"),
        (world.acme_event, world.globex_event, "test.acme_event", "test.globex_event"),
    ]


def test_every_list_shows_the_owners_objects_and_not_the_other_tenants(world, erin):
    for mine, theirs, my_text, their_text in objects(world):
        response = erin.get(changelist(type(mine)))
        assert response.status_code == 200, type(mine)
        ids = {obj.pk for obj in response.context["cl"].result_list}
        assert mine.pk in ids, type(mine)
        assert theirs.pk not in ids, type(mine)
        assert their_text not in response.content.decode(), type(mine)


def test_every_change_url_of_the_other_tenant_answers_404(world, erin):
    for mine, theirs, _, _ in objects(world):
        assert erin.get(change(mine)).status_code == 200, type(mine)
        assert erin.get(change(theirs)).status_code == 404, type(theirs)


def test_history_and_delete_urls_of_the_other_tenant_answer_404(world, erin):
    membership = world.globex.memberships.get(user=world.mallory)
    info = "admin:organizations_membership"
    assert erin.get(reverse(f"{info}_history", args=[membership.pk])).status_code == 404
    assert erin.get(reverse(f"{info}_delete", args=[membership.pk])).status_code == 404
    assert erin.post(reverse(f"{info}_delete", args=[membership.pk]), {"post": "yes"}).status_code == 404
    assert world.globex.memberships.filter(user=world.mallory).exists()


def test_a_missing_object_answers_404_too(erin):
    assert erin.get(reverse("admin:organizations_organization_change", args=[999999])).status_code == 404
    assert erin.get(reverse("admin:organizations_organization_change", args=["not-a-number"])).status_code == 404


def test_search_finds_nothing_of_the_other_tenant(world, erin):
    for url, term in [
        (changelist(type(world.acme)), "globex"),
        (changelist(type(world.alice)), "mallory"),
        (changelist(type(world.acme_token)), "mallory"),
        (changelist(type(world.acme_event)), "globex"),
    ]:
        response = erin.get(url, {"q": term})
        assert list(response.context["cl"].result_list) == [], url


def test_query_string_lookups_do_not_widen_the_list(world, erin):
    response = erin.get(changelist(type(world.acme)), {"enterprise__id__exact": world.othercorp.pk})
    assert list(response.context["cl"].result_list) == []


def test_list_filters_offer_only_the_owners_objects(world, erin):
    for model in (type(world.acme), type(world.acme_token), type(world.acme_event), type(world.web)):
        content = erin.get(changelist(model)).content.decode()
        assert "globex" not in content, model
        assert "Other Corp" not in content, model


def test_autocomplete_offers_only_the_owners_users(world, erin):
    response = erin.get(
        reverse("admin:autocomplete"),
        {"app_label": "organizations", "model_name": "membership", "field_name": "user", "term": ""},
    )
    assert response.status_code == 200
    names = {result["text"] for result in response.json()["results"]}
    assert {"alice", "olga", "emu_bob"} <= names
    assert names.isdisjoint({"mallory", "gina", "oscar", "uma"})
    searched = erin.get(
        reverse("admin:autocomplete"),
        {"app_label": "organizations", "model_name": "membership", "field_name": "user", "term": "mallory"},
    )
    assert searched.json()["results"] == []


def test_membership_form_offers_only_the_owners_organizations(world, erin):
    response = erin.get(reverse("admin:organizations_membership_add"))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.fields["organization"].queryset) == [world.acme]
    assert set(form.fields["user"].queryset) >= {world.alice, world.olga}
    assert world.mallory not in form.fields["user"].queryset


def test_posting_another_tenants_ids_to_the_membership_form_is_refused(world, erin):
    response = erin.post(
        reverse("admin:organizations_membership_add"),
        {"organization": world.globex.pk, "user": world.mallory.pk},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.keys() == {"organization", "user"}
    assert not world.globex.memberships.filter(user=world.alice).exists()


def test_adding_a_membership_goes_through_the_service_and_is_audited(world, erin):
    from audit.models import AuditEvent
    from tests.factories import UserFactory

    dana = UserFactory(username="dana", managed_by=world.bigcorp)
    response = erin.post(
        reverse("admin:organizations_membership_add"), {"organization": world.acme.pk, "user": dana.pk}
    )
    assert response.status_code == 302
    assert world.acme.memberships.filter(user=dana).exists()
    assert AuditEvent.objects.filter(action="organization.member_added", actor=world.erin, data__user="dana").exists()


def test_removing_a_membership_goes_through_the_service(world, erin):
    membership = world.acme.memberships.get(user=world.alice)
    response = erin.post(reverse("admin:organizations_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not world.acme.memberships.filter(user=world.alice).exists()


def test_the_index_lists_the_models_an_owner_may_view(erin):
    response = erin.get(reverse("admin:index"))
    assert response.status_code == 200
    models = {model["object_name"] for app in response.context["app_list"] for model in app["models"]}
    assert {"Enterprise", "Organization", "FineGrainedToken", "ClassicToken", "AuditEvent"} <= models


def test_a_superuser_sees_every_tenant(world, root):
    for mine, theirs, _, _ in objects(world):
        ids = {obj.pk for obj in root.get(changelist(type(mine))).context["cl"].result_list}
        assert {mine.pk, theirs.pk} <= ids, type(mine)
        assert root.get(change(theirs)).status_code == 200, type(theirs)


def test_staff_who_own_nothing_see_nothing(world):
    from tests.factories import UserFactory

    former = UserFactory(username="former", is_staff=True)
    client = client_for(former)
    assert client.get(changelist(type(world.acme))).status_code == 403
    assert client.get(change(world.acme)).status_code == 404


def test_members_and_anonymous_users_are_sent_to_the_admin_login(world):
    from django.test import Client

    for client in (Client(), client_for(world.alice), client_for(world.olga)):
        response = client.get(changelist(type(world.acme)))
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_guardian_object_permission_pages_are_not_offered(world, erin):
    assert erin.get(f"{change(world.bigcorp)}permissions/", follow=True).status_code == 404


def _more_rows(world, n):
    for index in range(n):
        organization = OrganizationFactory(login=f"more{index}", enterprise=world.bigcorp, members=[world.alice])
        RepositoryFactory(owner_organization=organization, name=f"repo{index}")
        fine_grained_token(world.alice, name=f"more-{index}", resource_owner=organization)
        classic_token(world.alice, note=f"more-{index}")


@pytest.mark.parametrize(
    "model",
    [
        "enterprises.enterprise",
        "organizations.organization",
        "organizations.membership",
        "organizations.repository",
        "organizations.user",
        "tokens.finegrainedtoken",
        "tokens.classictoken",
        "tokens.accessrequest",
        "tokens.grant",
        "audit.auditevent",
    ],
)
def test_list_pages_take_a_fixed_number_of_queries(world, erin, model):
    url = reverse("admin:{}_{}_changelist".format(*model.split(".")))
    with CaptureQueriesContext(connection) as few:
        assert erin.get(url).status_code == 200
    _more_rows(world, 5)
    with CaptureQueriesContext(connection) as many:
        assert erin.get(url).status_code == 200
    # 12: the audit log, whose filters on action, actor, enterprise and organization each read their choices,
    # and which names the page's tokens in one more.
    assert len(many) == len(few) <= 12
