"""Two owners saving the same policy page at once keep one truth (issue 5 §6).

Both loaded the form at the same revision; `policy_update` locks the row, so
exactly one Save lands with its audit events and the other is refused as
stale, whatever the timing. PostgreSQL only, like the concurrent reviews.
"""

import threading

import pytest
from django.db import connection

from audit.models import AuditEvent
from organizations.models import Organization
from policies.services import StalePolicyError, organization_policy_update, policy_update

ACTION = "organization.pat_policy_changed"


def save_at_once(organization_id, revision, actors_and_values):
    start = threading.Barrier(len(actors_and_values))
    outcomes = [None] * len(actors_and_values)

    def run(index, actor, values):
        try:
            organization = Organization.objects.get(pk=organization_id)
            start.wait(timeout=30)
            policy_update(instance=organization, action=ACTION, actor=actor, expected_revision=revision, values=values)
            outcomes[index] = "saved"
        except StalePolicyError:
            outcomes[index] = "stale"
        except Exception as error:  # shown by the caller's assertion
            outcomes[index] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *pair)) for i, pair in enumerate(actors_and_values)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True)
def test_two_owners_saving_at_once_make_one_save(cast):
    umbrella = organization_policy_update(organization=cast.umbrella, fine_grained_access="allow")
    revision = umbrella.policy_revision
    outcomes = save_at_once(
        umbrella.pk,
        revision,
        [(cast.uma, {"fine_grained_access": "restrict"}), (cast.uma, {"classic_access": "restrict"})],
    )
    assert sorted(outcomes) == ["saved", "stale"]
    umbrella.refresh_from_db()
    assert umbrella.policy_revision == revision + 1
    winner = outcomes.index("saved")
    assert (umbrella.fine_grained_access, umbrella.classic_access) == (
        ("restrict", "allow") if winner == 0 else ("allow", "restrict")
    )
    assert AuditEvent.objects.filter(action=ACTION, organization=umbrella).count() == 1
