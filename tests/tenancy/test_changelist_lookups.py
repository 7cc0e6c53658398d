"""The admin answers only the filters it shows (issue 16, point 2).

Django's ModelAdmin accepts a query-string lookup on any local field, so a list
could be filtered on a column it never shows and a password hash or a token
digest read a character at a time. The refusals are generated: every registered
admin × every field of its model and every column of each related model, except
the fields its list filters and search declare.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse

from audit.models import AuditEvent
from organizations.models import User
from organizations.services import user_make_site_administrator
from outbox.models import OutboundEmail
from tests.conftest import client_for
from tests.factories import EnterpriseFactory, UserFactory
from tokens.models import ClassicToken, FineGrainedToken

pytestmark = pytest.mark.django_db

# Django's Group admin keeps Django's model permissions, which enterprise owners lack.
OWNERS_MAY_NOT_OPEN = {Group, OutboundEmail}


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def declared_paths(model_admin) -> set[str]:
    """The fields a list filter or the search names: the list shows what filtering on them reveals."""
    paths = {name.lstrip("^=@") for name in model_admin.search_fields}
    for item in model_admin.list_filter:
        if isinstance(item, str):
            paths.add(item)
        elif isinstance(item, (list, tuple)):
            paths.add(item[0])
        else:
            paths.add(getattr(item, "parameter_name", None))
    return paths


def hidden_paths(model_admin):
    """Every field of the model, and every column of each model it relates to, that no filter or search declares."""
    declared = declared_paths(model_admin)
    for field in model_admin.model._meta.get_fields():
        paths = [field.name]
        if field.is_relation and field.related_model is not None:
            paths += [f"{field.name}__{column.name}" for column in field.related_model._meta.concrete_fields]
        yield from (path for path in paths if path not in declared)


HIDDEN = [(model, path) for model, model_admin in admin.site._registry.items() for path in hidden_paths(model_admin)]


@pytest.fixture(scope="module")
def readers(django_db_setup, django_db_blocker):
    """A superuser and an enterprise owner, built once for the ~600 cases and rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        superuser = user_make_site_administrator(user=UserFactory(username="root"))
        owner = UserFactory(username="erin")
        EnterpriseFactory(owners=[owner])
        yield client_for(superuser), client_for(owner)
        transaction.set_rollback(True)


@pytest.mark.parametrize(
    ("model", "path"), HIDDEN, ids=[f"{model._meta.label_lower}:{path}" for model, path in HIDDEN]
)
def test_a_lookup_on_a_field_the_admin_does_not_filter_on_is_refused(readers, model, path):
    superuser, owner = readers
    # isnull takes any field, relation or column, so only the refusal can answer other than 200.
    query = {f"{path}__isnull": "0"}
    assert superuser.get(changelist(model), query).status_code == 400
    assert owner.get(changelist(model), query).status_code == (403 if model in OWNERS_MAY_NOT_OPEN else 400)


def test_every_registered_admin_is_generated():
    assert {model for model, _ in HIDDEN} == set(admin.site._registry)


# --- The attacks of the issue -------------------------------------------------------------


def test_an_owner_cannot_read_a_members_password_hash_by_prefix(cast, erin):
    right, wrong = cast.olga.password[:12], "x" * 12
    for prefix in (right, wrong):
        response = erin.get(changelist(User), {"username": "olga", "password__startswith": prefix})
        assert response.status_code == 400, prefix


@pytest.mark.parametrize("model", [FineGrainedToken, ClassicToken])
def test_nobody_can_range_over_token_digests(world, erin, root, model):
    digest = model.objects.order_by("digest").first().digest
    for client in (erin, root):
        assert client.get(changelist(model), {"digest__gte": digest}).status_code == 400


def test_a_parameter_that_names_no_field_is_refused(erin):
    assert erin.get(changelist(User), {"no_such_field": "1"}).status_code == 400


def test_a_declared_lookup_cannot_be_combined_with_a_hidden_one(cast, erin):
    response = erin.get(changelist(User), {"is_active__exact": "1", "password__startswith": "md5"})
    assert response.status_code == 400


# --- What the list shows still works -------------------------------------------------------


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda model: model._meta.label_lower)
def test_every_declared_filter_choice_answers(world, root, erin, model):
    url = changelist(model)
    listed = root.get(url)
    cl = listed.context["cl"]
    # The world gives every declared filter something to offer, so each one is clicked below.
    assert len(cl.filter_specs) == len(admin.site._registry[model].list_filter)
    for spec in cl.filter_specs:
        for choice in spec.choices(cl):
            if "query_string" not in choice:
                continue  # a typed-in filter (audit's token id), tested below
            assert root.get(url + choice["query_string"]).status_code == 200, choice["query_string"]
            expected = 403 if model in OWNERS_MAY_NOT_OPEN else 200
            assert erin.get(url + choice["query_string"]).status_code == expected, choice["query_string"]


def test_a_declared_filter_still_filters(world, erin):
    response = erin.get(changelist(User), {"managed_by__id__exact": world.bigcorp.pk})
    assert [user.username for user in response.context["cl"].result_list] == ["emu_bob"]


def test_the_typed_in_token_id_filter_still_filters(world, erin):
    token_id = world.acme_token.pk
    response = erin.get(changelist(AuditEvent), {"token_id": str(token_id)})
    assert response.status_code == 200
    assert {event.token_id for event in response.context["cl"].result_list} == {token_id}


def test_search_ordering_paging_and_facets_still_answer(world, erin):
    query = {"q": "ali", "o": "1", "p": "1", "_facets": "", "is_active__exact": "1"}
    response = erin.get(changelist(User), query)
    assert response.status_code == 200
    assert [user.username for user in response.context["cl"].result_list] == ["alice"]
    assert erin.get(changelist(User), {"all": ""}).status_code == 200


def test_the_popup_parameters_still_answer(world, erin):
    response = erin.get(changelist(User), {"_popup": "1", "_to_field": "id"})
    assert response.status_code == 200
