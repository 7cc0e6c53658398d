"""`built` makes the same frozen facts as their constructors, for the loaders' hot path."""

from dataclasses import FrozenInstanceError, replace
from datetime import UTC, datetime

import pytest

from tokens.choices import CredentialType
from tokens.engine.catalogue import ResourceKind
from tokens.engine.decision import (
    CredentialFacts,
    Decision,
    Facts,
    GrantFacts,
    RelationFacts,
    ResourceFacts,
    built,
)

NOW = datetime(2026, 12, 5, tzinfo=UTC)
CASES = [
    (
        CredentialFacts,
        {"type": CredentialType.CLASSIC, "id": 1, "user_id": 2, "username": "alice", "user_active": True},
    ),
    (
        GrantFacts,
        {"id": 3, "repository_access": "all", "repository_ids": frozenset({4}), "permissions": {"issues": "read"}},
    ),
    (RelationFacts, {"is_organization_member": True}),
    (ResourceFacts, {"kind": ResourceKind.REPOSITORY, "name": "acme/web", "repository_id": 5, "visibility": "private"}),
    (Decision, {"allowed": False, "reason": "scope_missing", "message": "No."}),
]


@pytest.mark.parametrize(("cls", "values"), CASES, ids=[cls.__name__ for cls, _ in CASES])
def test_built_facts_equal_the_constructors_with_defaults_filled_in(cls, values):
    made = built(cls, **values)

    assert made == cls(**values)
    assert repr(made) == repr(cls(**values))


def test_built_facts_hash_as_the_constructors():
    assert hash(built(RelationFacts, is_enterprise_owner=True)) == hash(RelationFacts(is_enterprise_owner=True))


def test_built_facts_stay_frozen():
    made = built(RelationFacts, is_organization_owner=True)

    with pytest.raises(FrozenInstanceError):
        made.is_organization_owner = False  # type: ignore[misc]


def test_a_default_factory_gives_each_built_fact_its_own_value():
    first = built(CredentialFacts, type=CredentialType.CLASSIC, id=1, user_id=2, username="a", user_active=True)
    second = built(CredentialFacts, type=CredentialType.CLASSIC, id=1, user_id=2, username="a", user_active=True)

    assert first.permissions == {} and first.permissions is not second.permissions


def test_built_facts_can_be_replaced_and_nested():
    resource = built(ResourceFacts, kind=ResourceKind.ACCOUNT, name="alice", owner_user_id=2)
    facts = built(Facts, credential=None, resource=resource, permission="profile", level="read", now=NOW)

    assert replace(facts, level="write") == Facts(None, resource, "profile", "write", NOW)
