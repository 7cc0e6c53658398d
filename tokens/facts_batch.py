"""Load the facts for a whole batch of checks in a fixed number of queries.

`tokens.facts.load_facts` spends two queries on one check; a batch of 100
would spend 200. Here every kind of fact is fetched once for the whole batch
(credentials by digest, resources by name, then ownership, membership,
enterprise membership and repository selection for the users and
organizations involved), so a batch costs at most twelve queries whatever its
size. The facts are the same as the single loader's: `tests/api` proves batch
decisions equal single ones.
"""

from collections import defaultdict

from django.db.models import Q

from enterprises.models import Enterprise, EnterprisePermission
from organizations.models import Membership, Organization, OrganizationPermission, Repository, User

from . import credentials
from .catalogue import PERMISSIONS, ResourceKind
from .decision import CLASSIC, FINE_GRAINED, SSH_KEY, Facts, RelationFacts, ResourceFacts
from .facts import (
    CheckInput,
    _grant_and_request_annotations,
    _grant_facts,
    _request_facts,
    credential_facts,
    credential_kind,
    enterprise_facts,
    organization_facts,
)
from .models import ClassicToken, FineGrainedToken, SSHKey


def _index_by_digest(rows, plaintexts):
    """Map each plaintext to its row, trying every accepted pepper."""
    by_digest = {row.digest: row for row in rows}
    found = {}
    for plaintext in plaintexts:
        for digest in credentials.candidate_digests(plaintext):
            if digest in by_digest:
                found[plaintext] = by_digest[digest]
                break
    return found


def _load_credentials(checks_by_kind):
    """One query per credential type present in the batch."""
    found = {}
    fine_grained = checks_by_kind[FINE_GRAINED]
    if fine_grained:
        digests = [d for plaintext in fine_grained for d in credentials.candidate_digests(plaintext)]
        rows = (
            FineGrainedToken.objects.select_related("user", "resource_owner_organization")
            .annotate(**_grant_and_request_annotations())
            .filter(digest__in=digests)
        )
        found.update(_index_by_digest(rows, fine_grained))
    classic = checks_by_kind[CLASSIC]
    if classic:
        digests = [d for plaintext in classic for d in credentials.candidate_digests(plaintext)]
        rows = ClassicToken.objects.select_related("user").filter(digest__in=digests)
        found.update(_index_by_digest(rows, classic))
    fingerprints = checks_by_kind[SSH_KEY]
    if fingerprints:
        rows = SSHKey.objects.select_related("user").filter(fingerprint__in=fingerprints, deleted_at=None)
        found.update({row.fingerprint: row for row in rows})
    return found


def _resource_kind_key(check: CheckInput):
    name = check.resource
    if name.enterprise is not None:
        return ResourceKind.ENTERPRISE, name.enterprise
    if name.repository is not None:
        return ResourceKind.REPOSITORY, (name.owner, name.repository)
    if PERMISSIONS[check.permission].kind == ResourceKind.ACCOUNT:
        return ResourceKind.ACCOUNT, name.owner
    return ResourceKind.ORGANIZATION, name.owner


def _load_resources(keys):
    """One query per resource kind present: repositories, organizations, users, enterprises."""
    wanted = defaultdict(set)
    for kind, key in keys:
        wanted[kind].add(key)
    loaded = {}
    if wanted[ResourceKind.REPOSITORY]:
        match = Q()
        for owner, name in wanted[ResourceKind.REPOSITORY]:
            match |= Q(name=name) & (Q(owner_organization__login=owner) | Q(owner_user__username=owner))
        for repository in Repository.objects.select_related("owner_organization__enterprise", "owner_user").filter(
            match
        ):
            loaded[(ResourceKind.REPOSITORY, (repository.owner_login, repository.name))] = repository
    if wanted[ResourceKind.ORGANIZATION]:
        for organization in Organization.objects.select_related("enterprise").filter(
            login__in=wanted[ResourceKind.ORGANIZATION]
        ):
            loaded[(ResourceKind.ORGANIZATION, organization.login)] = organization
    if wanted[ResourceKind.ACCOUNT]:
        for user_id, username in User.objects.filter(username__in=wanted[ResourceKind.ACCOUNT]).values_list(
            "pk", "username"
        ):
            loaded[(ResourceKind.ACCOUNT, username)] = user_id
    if wanted[ResourceKind.ENTERPRISE]:
        for enterprise in Enterprise.objects.filter(slug__in=wanted[ResourceKind.ENTERPRISE]):
            loaded[(ResourceKind.ENTERPRISE, enterprise.slug)] = enterprise
    return loaded


class _Standing:
    """Who owns or belongs to what, for the users and places of one batch."""

    def __init__(self, pairs, enterprise_pairs, token_repository_pairs):
        user_ids = {user_id for user_id, _ in pairs} | {user_id for user_id, _ in enterprise_pairs}
        organization_ids = {organization_id for _, organization_id in pairs}
        enterprise_ids = {enterprise_id for _, enterprise_id in enterprise_pairs}
        self.owners = self.members = self.enterprise_members = self.enterprise_owners = set()
        self.selected = set()
        if organization_ids:
            self.owners = set(
                OrganizationPermission.objects.filter(
                    user_id__in=user_ids,
                    content_object_id__in=organization_ids,
                    permission__codename="own_organization",
                ).values_list("user_id", "content_object_id")
            )
            self.members = set(
                Membership.objects.filter(user_id__in=user_ids, organization_id__in=organization_ids).values_list(
                    "user_id", "organization_id"
                )
            )
        if enterprise_ids:
            self.enterprise_members = set(
                Membership.objects.filter(user_id__in=user_ids, organization__enterprise_id__in=enterprise_ids)
                .values_list("user_id", "organization__enterprise_id")
                .distinct()
            )
            self.enterprise_owners = set(
                EnterprisePermission.objects.filter(
                    user_id__in=user_ids, content_object_id__in=enterprise_ids, permission__codename="own_enterprise"
                ).values_list("user_id", "content_object_id")
            )
        if token_repository_pairs:
            through = FineGrainedToken.repositories.through
            token_ids = {token_id for token_id, _ in token_repository_pairs}
            repository_ids = {repository_id for _, repository_id in token_repository_pairs}
            self.selected = set(
                through.objects.filter(finegrainedtoken_id__in=token_ids, repository_id__in=repository_ids).values_list(
                    "finegrainedtoken_id", "repository_id"
                )
            )


def _resource_facts(check, kind, row):
    text = check.resource.text
    if row is None:
        return ResourceFacts(kind=kind, name=text, exists=False)
    if kind == ResourceKind.REPOSITORY:
        organization = row.owner_organization
        facts = organization_facts(organization) if organization else None
        return ResourceFacts(
            kind=kind,
            name=text,
            owner_user_id=row.owner_user_id,
            organization=facts,
            repository_id=row.pk,
            visibility=row.visibility,
            enterprise=facts.enterprise if facts else None,
        )
    if kind == ResourceKind.ORGANIZATION:
        facts = organization_facts(row)
        return ResourceFacts(kind=kind, name=text, organization=facts, enterprise=facts.enterprise)
    if kind == ResourceKind.ACCOUNT:
        return ResourceFacts(kind=kind, name=text, owner_user_id=row)
    return ResourceFacts(kind=kind, name=text, enterprise=enterprise_facts(row))


def _organization_and_enterprise_ids(kind, row):
    if row is None or kind == ResourceKind.ACCOUNT:
        return None, None
    if kind == ResourceKind.ENTERPRISE:
        return None, row.pk
    organization = row.owner_organization if kind == ResourceKind.REPOSITORY else row
    if organization is None:
        return None, None
    return organization.pk, organization.enterprise_id


def load_facts_many(checks: list[CheckInput], *, now) -> list[tuple[Facts, object]]:
    kinds = [credential_kind(check) for check in checks]
    checks_by_kind = defaultdict(set)
    for check, kind in zip(checks, kinds, strict=True):
        if kind is not None:
            checks_by_kind[kind].add(check.ssh_key_fingerprint if kind == SSH_KEY else check.token)
    records = _load_credentials(checks_by_kind)

    def record_of(check, kind):
        if kind is None:
            return None
        return records.get(check.ssh_key_fingerprint if kind == SSH_KEY else check.token)

    resource_keys = [_resource_kind_key(check) for check in checks]
    known = [
        (check, kind, record_of(check, kind), key)
        for check, kind, key in zip(checks, kinds, resource_keys, strict=True)
    ]
    resources = _load_resources({key for _, _, record, key in known if record is not None})

    pairs, enterprise_pairs, token_repository_pairs = set(), set(), set()
    for _, kind, record, key in known:
        if record is None:
            continue
        row = resources.get(key)
        organization_id, enterprise_id = _organization_and_enterprise_ids(key[0], row)
        if organization_id is not None:
            pairs.add((record.user_id, organization_id))
        if enterprise_id is not None:
            enterprise_pairs.add((record.user_id, enterprise_id))
        if kind == FINE_GRAINED and key[0] == ResourceKind.REPOSITORY and row is not None:
            token_repository_pairs.add((record.pk, row.pk))
    standing = _Standing(pairs, enterprise_pairs, token_repository_pairs)

    results = []
    for check, kind, record, key in known:
        unresolved = ResourceFacts(kind=PERMISSIONS[check.permission].kind, name=check.resource.text, exists=False)
        if kind is None or record is None:
            facts = Facts(None, unresolved, check.permission, check.level, now, credential_malformed=kind is None)
            results.append((facts, None))
            continue
        credential = credential_facts(record)
        row = resources.get(key)
        organization_id, enterprise_id = _organization_and_enterprise_ids(key[0], row)
        user_id = record.user_id
        relation = RelationFacts(
            is_organization_owner=(user_id, organization_id) in standing.owners,
            is_organization_member=(user_id, organization_id) in standing.members,
            is_enterprise_member=key[0] != ResourceKind.ENTERPRISE
            and (user_id, enterprise_id) in standing.enterprise_members,
            is_enterprise_owner=key[0] == ResourceKind.ENTERPRISE
            and (user_id, enterprise_id) in standing.enterprise_owners,
            repository_selected=kind == FINE_GRAINED
            and row is not None
            and key[0] == ResourceKind.REPOSITORY
            and (record.pk, row.pk) in standing.selected,
            grant=_grant_facts(record) if kind == FINE_GRAINED else None,
            latest_request=_request_facts(record) if kind == FINE_GRAINED else None,
        )
        facts = Facts(credential, _resource_facts(check, key[0], row), check.permission, check.level, now, relation)
        results.append((facts, record))
    return results
