"""API clients in the admin (issue 16, point 5): superusers manage every client,
an enterprise owner only their enterprise's; the secret is shown once; revoked, never deleted."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from audit.models import AuditEvent
from tests.factories import api_client
from tokens.api.authentication import authenticate_client
from tokens.models import ApiClient

pytestmark = pytest.mark.django_db

CHANGELIST, ADD = reverse("admin:tokens_apiclient_changelist"), reverse("admin:tokens_apiclient_add")


def change_url(client):
    return reverse("admin:tokens_apiclient_change", args=[client.pk])


@pytest.fixture
def clients(cast):
    return {
        "site-wide": api_client("gateway").token,
        "bigcorp": api_client("bigcorp-ci", enterprise=cast.bigcorp).token,
        "othercorp": api_client("othercorp-ci", enterprise=cast.othercorp).token,
    }


def add(browser, **data):
    return browser.post(ADD, {"name": "", "enterprise": "", "rate_per_minute": "", **data})


def test_a_superuser_creates_a_site_wide_client_and_sees_its_secret_once(root):
    response = add(root, name="git-server", rate_per_minute="120")
    client = ApiClient.objects.get(name="git-server")
    secret = response.context["secret"]
    assert (client.enterprise, client.rate_per_minute) == (None, 120)
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert authenticate_client(secret).id == client.pk
    for url in (CHANGELIST, change_url(client)):
        content = root.get(url).content.decode()
        assert secret not in content
        assert client.digest not in content
        assert client.masked in content


def test_creating_a_client_is_audited_with_its_actor(root, cast):
    add(root, name="git-server")
    event = AuditEvent.objects.get(action="api_client.created")
    assert (event.actor_login, event.enterprise_id, event.data) == ("root", None, {"name": "git-server"})


def test_an_enterprise_owner_creates_a_client_of_their_enterprise_with_an_audit_event(erin, cast):
    response = add(erin, name="bigcorp-gateway", enterprise=cast.bigcorp.pk)
    client = ApiClient.objects.get(name="bigcorp-gateway")
    assert client.enterprise == cast.bigcorp
    assert authenticate_client(response.context["secret"]).enterprise == "bigcorp"
    event = AuditEvent.objects.get(action="api_client.created")
    assert (event.actor_login, event.enterprise_id) == ("erin", cast.bigcorp.pk)


def test_an_enterprise_owner_cannot_create_a_site_wide_client(erin):
    response = add(erin, name="everywhere")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["enterprise"]
    assert not ApiClient.objects.exists()


def test_an_enterprise_owner_cannot_create_a_client_of_another_enterprise(erin, cast):
    response = add(erin, name="theirs", enterprise=cast.othercorp.pk)
    assert "enterprise" in response.context["adminform"].form.errors
    assert not ApiClient.objects.exists()


def test_the_add_form_offers_an_enterprise_owner_only_their_enterprises(erin, cast):
    choices = list(add(erin).context["adminform"].form.fields["enterprise"].queryset)
    assert choices == [cast.bigcorp]


def test_a_name_taken_in_the_same_enterprise_is_refused_with_a_message(erin, clients, cast):
    response = add(erin, name="bigcorp-ci", enterprise=cast.bigcorp.pk)
    assert "This enterprise has an API client with this name." in response.content.decode()
    assert ApiClient.objects.filter(name="bigcorp-ci").count() == 1


def test_a_name_taken_in_another_enterprise_or_site_wide_tells_an_owner_nothing(erin, clients, cast):
    for name in ("othercorp-ci", "gateway"):
        add(erin, name=name, enterprise=cast.bigcorp.pk)
        assert ApiClient.objects.filter(name=name, enterprise=cast.bigcorp).exists()


def test_a_rate_limit_below_one_is_refused(root):
    response = add(root, name="zero", rate_per_minute="0")
    assert "rate_per_minute" in response.context["adminform"].form.errors
    assert not ApiClient.objects.exists()


def test_an_enterprise_owner_lists_only_their_enterprises_clients(erin, clients):
    content = erin.get(CHANGELIST).content.decode()
    assert "bigcorp-ci" in content
    assert "othercorp-ci" not in content
    assert "gateway" not in content


def test_a_superuser_lists_every_client_with_its_rate_and_last_use(root, clients):
    response = root.get(CHANGELIST)
    assert {client.name for client in response.context["cl"].result_list} == {"gateway", "bigcorp-ci", "othercorp-ci"}
    headers = response.content.decode()
    assert "Rate per minute" in headers and "Last used at" in headers


@pytest.mark.parametrize("other", ["othercorp", "site-wide"])
def test_another_tenants_or_a_site_wide_client_is_not_found_for_an_enterprise_owner(erin, clients, other):
    assert erin.get(change_url(clients[other])).status_code == 404


def test_an_enterprise_owner_revokes_their_client_with_an_audit_event(erin, clients, cast):
    client = clients["bigcorp"]
    response = erin.post(CHANGELIST, {"action": "revoke_selected", ACTION_CHECKBOX_NAME: [client.pk]}, follow=True)
    assert "Revoked 1 API client." in response.content.decode()
    client.refresh_from_db()
    assert client.revoked_at is not None
    event = AuditEvent.objects.get(action="api_client.revoked")
    assert (event.actor_login, event.enterprise_id) == ("erin", cast.bigcorp.pk)


def test_an_enterprise_owner_cannot_revoke_another_tenants_client(erin, clients):
    targets = [clients["othercorp"].pk, clients["site-wide"].pk]
    erin.post(CHANGELIST, {"action": "revoke_selected", ACTION_CHECKBOX_NAME: targets})
    assert not ApiClient.objects.filter(revoked_at__isnull=False).exists()


def test_a_superuser_revokes_a_site_wide_client(root, clients):
    client = clients["site-wide"]
    root.post(CHANGELIST, {"action": "revoke_selected", ACTION_CHECKBOX_NAME: [client.pk]})
    client.refresh_from_db()
    assert client.revoked_at is not None


def test_clients_are_neither_edited_nor_deleted(root, erin, clients):
    client = clients["bigcorp"]
    for browser in (root, erin):
        assert "delete_selected" not in browser.get(CHANGELIST).content.decode()
        assert browser.get(reverse("admin:tokens_apiclient_delete", args=[client.pk])).status_code == 403
        assert browser.post(change_url(client), {"name": "renamed"}).status_code == 403
    client.refresh_from_db()
    assert client.name == "bigcorp-ci"


def test_the_enterprise_settings_link_to_the_enterprises_clients(erin, clients, cast):
    account = erin.get(reverse("admin:enterprises_enterprise_account", args=["bigcorp"])).content.decode()
    link = f"{CHANGELIST}?enterprise__id__exact={cast.bigcorp.pk}"
    assert link in account
    listed = erin.get(link).context["cl"].result_list
    assert [client.name for client in listed] == ["bigcorp-ci"]
