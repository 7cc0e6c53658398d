"""The inventory takes the attacks the owner-scoped admin lists take (tests/tenancy): a lookup on any
field of the three credential models, or of a model they relate to, is refused with 400 and lists nothing."""

import pytest

from tokens.models import ClassicToken, FineGrainedToken, SSHKey

pytestmark = pytest.mark.django_db


def every_lookup() -> list[str]:
    paths = set()
    for model in (FineGrainedToken, ClassicToken, SSHKey):
        for field in model._meta.get_fields():
            paths.add(field.name)
            if field.is_relation and field.related_model is not None:
                paths |= {f"{field.name}__{column.name}" for column in field.related_model._meta.concrete_fields}
    return sorted(f"{path}__isnull" for path in paths)


def test_a_lookup_on_any_credential_field_is_refused(inventory, erin, root):
    for lookup in every_lookup():
        for client in (erin, root):
            response = client.get(inventory.url, {lookup: "0"})
            assert response.status_code == 400, lookup
            assert response.context["rows"] == [], lookup
        assert erin.get(inventory.export_url, {lookup: "0"}).status_code == 400, lookup


def test_a_refused_lookup_cannot_ride_along_a_declared_filter(inventory, erin):
    response = erin.get(inventory.url, {"type": "classic", "digest__startswith": inventory.alice_classic.digest[:4]})
    assert response.status_code == 400
