"""A credential is found by its keyed digest, compared whole: unique, and indexed once."""

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction

from tests.factories import UserFactory
from tokens.models import ApiClient, ClassicToken, FineGrainedToken, SecretDigestMixin

DIGEST = "d" * 64
# Every model that stores a digest, found rather than listed: a new one is checked too.
DIGEST_MODELS = [model for model in apps.get_models() if issubclass(model, SecretDigestMixin)]


def _credential(model, *, name):
    common = {"digest": DIGEST, "pepper_id": 1, "last_four": "dddd"}
    if model is ApiClient:
        return ApiClient.objects.create(name=name, **common)
    if model is ClassicToken:
        return ClassicToken.objects.create(user=UserFactory(), note=name, **common)
    return FineGrainedToken.objects.create(user=UserFactory(), name=name, **common)


def test_every_model_with_a_digest_declares_it_unique():
    assert DIGEST_MODELS, "no model stores a digest"
    for model in DIGEST_MODELS:
        assert any(
            isinstance(constraint, models.UniqueConstraint) and tuple(constraint.fields) == ("digest",)
            for constraint in model._meta.constraints
        ), model


@pytest.mark.parametrize("model", [FineGrainedToken, ClassicToken, ApiClient])
def test_two_credentials_of_a_kind_cannot_share_a_digest(db, model):
    _credential(model, name="first")

    with pytest.raises(IntegrityError), transaction.atomic():
        _credential(model, name="second")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the pattern-matching index is PostgreSQL's")
@pytest.mark.parametrize("model", DIGEST_MODELS)
def test_a_digest_has_one_index_the_unique_one(db, model):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
            [model._meta.db_table, "%(digest%"],
        )
        definitions = [row[0] for row in cursor.fetchall()]

    assert len(definitions) == 1, definitions
    assert definitions[0].startswith("CREATE UNIQUE INDEX")
