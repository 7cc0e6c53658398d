"""In-process probes of the bench database, run by bench/run.py after the load phases.

    DJANGO_SETTINGS_MODULE=bench.settings python -m bench.probe INPUT.json   # prints JSON

- queries per single check, through the real view (Django's test client):
  cold — the facts forgotten before each check (`facts_cache.forget_facts()`:
  the credentials, resources and decisions held go, the API client stays, as
  in a process that has answered its first request) — and warm (the same check
  again at once), reads and writes counted apart;
- what the check endpoint answers for a sample of the warm and of the cold
  checks, by reason: the two mixes should match;
- the organization owners' pages at the world's size: the approval queue, the
  active tokens, and the v3 list endpoints — first and last page — each timed
  (median of a few requests, in-process, so without gunicorn and the network)
  and its queries counted;
- the credentials inventory of the enterprise of the largest organization, as
  a superuser sees it: its first page and a filtered one, timed and counted,
  and its whole CSV export streamed, with rows a second and the memory the
  stream held at its peak (tracemalloc);
- the policy pages' review before Save ("Review changes") of restricting
  fine-grained tokens, for the largest organization (as its owner) and for its
  enterprise (as the superuser), through the views, timed and counted.

Reads the world's tables; writes only sessions, `last_used_at` and a superuser
`bench-root` (made once, to read the inventory).
"""

import json
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from math import ceil
from pathlib import Path
from urllib.parse import urlencode

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection, models  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from organizations.models import Organization, User  # noqa: E402
from policies import impact, review_page  # noqa: E402
from policies.models import ENTERPRISE_SETTINGS_FIELDS, POLICY_FIELDS  # noqa: E402
from tokens.engine import facts_cache  # noqa: E402
from tokens.models import AccessRequest, Grant  # noqa: E402

QUEUE_PAGE_SIZE = 50  # tokens/views.py
V3_PER_PAGE = 30  # GitHub's default per_page
TIMED_REQUESTS = 5


def _counted(call) -> tuple[int, int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    writes = sum(1 for query in captured if query["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE")))
    return len(captured) - writes, writes, response


def check_queries(secret: str, checks: list[dict]) -> dict:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def post(body):
        return lambda: client.post("/api/v1/access/check", body, content_type="application/json")

    def hold_client():
        response = client.post("/bench/authenticated-constant", "{}", content_type="application/json")
        assert response.status_code == 200, response.content

    cache.clear()  # as a new process sees it: no version, nothing held
    facts_cache.forget()
    hold_client()  # the first request: from now on the API client is held
    cold_reads, cold_writes, warm_reads, warm_writes = [], [], [], []
    for body in checks:
        facts_cache.forget_facts()  # the parts and decisions; the client stays held
        reads, writes, response = _counted(post(body))
        assert response.status_code == 200, response.content
        cold_reads.append(reads)
        cold_writes.append(writes)
        reads, writes, _ = _counted(post(body))
        warm_reads.append(reads)
        warm_writes.append(writes)
    return {
        "checks": len(checks),
        "cold": {"max": max(cold_reads), "mean": statistics.fmean(cold_reads), "writes": sum(cold_writes)},
        "warm": {"max": max(warm_reads), "mean": statistics.fmean(warm_reads), "writes": sum(warm_writes)},
        "max_with_writes": max(r + w for r, w in zip(cold_reads, cold_writes, strict=True)),
    }


def answers(secret: str, world: dict, *, sample: int) -> dict:
    """What the measured endpoints answered for the first bodies: proof the phases did real work."""
    patrol = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    dot = Client(HTTP_AUTHORIZATION=f"Bearer {world['dot_bearer']}")
    form = "application/x-www-form-urlencoded"

    def active(client, path, token):
        return client.post(path, urlencode({"token": token}), content_type=form).json().get("active") is True

    allowed = [
        patrol.post("/api/v1/access/check", body, content_type="application/json").json()["allowed"]
        for body in world["checks"][:sample]
    ]
    return {
        "checks allowed": f"{sum(allowed)}/{len(allowed)}",
        "warm checks by reason": reasons(patrol, world["mix_checks"]),
        "cold checks by reason": reasons(patrol, world["cold_checks"]),
        "Patrol introspection active": "{}/{}".format(
            sum(active(patrol, "/api/v1/introspect", token) for token in world["patrol_tokens"][:sample]), sample
        ),
        "DOT introspection active": "{}/{}".format(
            sum(active(dot, "/o/introspect/", token) for token in world["dot_tokens"][:sample]), sample
        ),
    }


def reasons(client, checks: list[dict]) -> str:
    """How many of `checks` got each reason (by batches of 100), the most frequent first."""
    counted = Counter()
    for start in range(0, len(checks), 100):
        body = json.dumps({"checks": checks[start : start + 100]})
        response = client.post("/api/v1/access/check-batch", body, content_type="application/json")
        assert response.status_code == 200, response.content
        counted.update(result["reason"] for result in response.json()["results"])
    return ", ".join(f"{reason} {count}" for reason, count in counted.most_common())


def _timed(call) -> tuple[float, int, int]:
    call()  # warm: the owner token's once-a-minute last-use write, the ORM's first compile
    reads, writes, response = _counted(call)
    assert response.status_code == 200, (response.status_code, response.content[:300])
    times = []
    for _ in range(TIMED_REQUESTS):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, reads, writes


def page_times(owner: dict) -> list[dict]:
    login = owner["organization"]
    site = Client()
    site.force_login(User.objects.get(username=owner["owner"]))
    api = Client(HTTP_AUTHORIZATION=f"Bearer {owner['token']}")
    pending = AccessRequest.objects.filter(organization__login=login, status="pending").count()
    active = Grant.objects.filter(organization__login=login, revoked_at=None, token__revoked_at=None).count()
    base = f"/orgs/{login}/settings/personal-access-tokens"
    v3 = f"/api/v3/orgs/{login}"
    pages = [
        ("approval queue", f"{base}/requests/", site, pending, QUEUE_PAGE_SIZE),
        ("active tokens", f"{base}/active/", site, active, QUEUE_PAGE_SIZE),
        ("v3 requests list", f"{v3}/personal-access-token-requests", api, pending, V3_PER_PAGE),
        ("v3 tokens list", f"{v3}/personal-access-tokens", api, active, V3_PER_PAGE),
    ]
    results = []
    for label, path, client, rows, per_page in pages:
        last = max(1, ceil(rows / per_page))
        for page in sorted({1, last}):
            url = f"{path}?page={page}"
            milliseconds, reads, writes = _timed(lambda client=client, url=url: client.get(url))
            results.append(
                {
                    "organization": login,
                    "label": label,
                    "page": page,
                    "last": last,
                    "rows": rows,
                    "ms": milliseconds,
                    "queries": reads,
                    "writes": writes,
                }
            )
    return results


def inventory_times(login: str) -> dict:
    """The inventory of `login`'s enterprise (or the enterprise with the most organizations): pages and the CSV."""
    organization = Organization.objects.select_related("enterprise").get(login=login)
    enterprise = organization.enterprise
    if enterprise is None:
        enterprise = (
            Organization.objects.exclude(enterprise=None)
            .values("enterprise__slug")
            .annotate(n=models.Count("id"))
            .order_by("-n")[0]["enterprise__slug"]
        )
    slug = enterprise if isinstance(enterprise, str) else enterprise.slug
    root, _ = User.objects.get_or_create(username="bench-root", defaults={"is_staff": True, "is_superuser": True})
    site = Client()
    site.force_login(root)
    base = f"/admin/enterprises/enterprise/{slug}/settings/credentials/"
    pages = []
    for label, query in (("first page", ""), ("classic, unused 90 days", "?type=classic&unused=90")):
        milliseconds, reads, _ = _timed(lambda url=base + query: site.get(url))
        pages.append({"label": label, "ms": milliseconds, "queries": reads})

    def export() -> int:
        rows = -1  # the header
        for chunk in site.get(base + "export/").streaming_content:
            rows += chunk.count(b"\n")
        return rows

    export()  # warm, as the pages are
    started = time.perf_counter()
    rows = export()
    seconds = time.perf_counter() - started
    tracemalloc.start()  # apart from the timed run: tracing every allocation slows Python down severalfold
    export()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"enterprise": slug, "pages": pages, "csv_rows": rows, "csv_seconds": seconds, "csv_peak_mb": peak / 2**20}


def review_times(owner: dict) -> list[dict]:
    """Review changes (restricting fine-grained tokens) on the organization's page and its enterprise's."""
    organization = Organization.objects.select_related("enterprise").get(login=owner["organization"])
    root, _ = User.objects.get_or_create(username="bench-root", defaults={"is_staff": True, "is_superuser": True})
    pages = [("organization", organization, User.objects.get(username=owner["owner"]), POLICY_FIELDS)]
    if organization.enterprise is not None:
        pages.append(("enterprise", organization.enterprise, root, ENTERPRISE_SETTINGS_FIELDS))
    results = []
    for level, instance, user, fields in pages:
        site = Client()
        site.force_login(user)
        if level == "organization":
            url, scope = f"/orgs/{instance.login}/settings/personal-access-tokens/", [instance]
            change = "restrict" if instance.fine_grained_access == "allow" else "allow"
        else:
            url = f"/admin/enterprises/enterprise/{instance.slug}/settings/policies/personal-access-tokens/"
            scope = list(Organization.objects.filter(enterprise=instance).select_related("enterprise"))
            change = "restrict" if instance.fine_grained_access != "restrict" else "allow"
        values = {name: getattr(instance, name) for name in fields} | {"fine_grained_access": change}
        data = review_page.form_data({"revision": instance.policy_revision, "values": values})
        answer = site.post(url, {**data, "action": "review"})
        assert answer.status_code == 302, (answer.status_code, answer.content[:300])
        milliseconds, reads, _ = _timed(lambda site=site, location=answer["Location"]: site.get(location))
        result = impact.review(scope, level=level, values=values, now=timezone.now())
        results.append(
            {
                "level": level,
                "name": str(instance),
                "organizations": len(scope),
                "probes": len(result.probes),
                "sentence": result.sentence,
                "ms": milliseconds,
                "queries": reads,
            }
        )
    return results


def main():
    data = json.loads(Path(sys.argv[1]).read_text())
    result = {
        "check_queries": check_queries(data["secret"], data["checks"]),
        "answers": answers(data["secret"], data, sample=len(data["checks"])),
        "pages": [],
    }
    for owner in data["pages"]:
        result["pages"] += [{**row, "who": owner["label"]} for row in page_times(owner)]
    result["inventory"] = inventory_times(data["pages"][0]["organization"])
    result["reviews"] = review_times(data["pages"][0])
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
