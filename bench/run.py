#!/usr/bin/env python
"""Benchmark the check API the way it runs in production, side by side with its
ceiling and with django-oauth-toolkit, and print figures against the targets.

    .venv/bin/pip install -r bench/requirements.txt -c constraints.txt   # once: DOT, benchmark-only
    .venv/bin/python bench/run.py [--world demo|large|both] [--reuse] [--duration 10]

For each world:

1. builds it in a throwaway PostgreSQL database (once; --reuse keeps it):
   `demo` (bench/world.py, BENCH_DATABASE_URL, default
   postgres://postgres@127.0.0.1:5432/patrol_bench) or `large` (bench/large.py:
   1M tokens, 10k organizations, 100k requests, in the same URL's
   database + "_large"), each with as many django-oauth-toolkit access tokens;
2. starts gunicorn on loopback against it with bench/settings.py (the
   product's settings plus DOT's app and introspection URL; DEBUG off,
   persistent connections, prepared statements, the cache in Redis at
   BENCH_CACHE_URL, default redis://127.0.0.1:6379/9, flushed first) — and
   beside it, started the same way with the same settings, the cold server,
   whose facts cache holds only --cold-cache-entries entries
   (PATROL_FACTS_CACHE_ENTRIES, 1,000), and the no-cache server
   (PATROL_FACTS_CACHE=0; --skip-no-cache leaves it out);
3. after a warm-up, drives from a separate process, at the same concurrency:
   a bare DRF view (the stack's ceiling), the same behind the check API's
   client authentication, single checks, the same checks as forward-auth
   requests in nginx's headers, 100-check batches, Patrol's RFC 7662
   introspection, and DOT's (`/o/introspect/`, its resource server's bearer
   token) — wrk when installed (`apt-get install wrk`), else a Python process;
   then the cold phases: single checks and batches that cycle over far more
   tokens and repositories than the cold server's cache holds (the world's
   cold checks: every token of the demo world, 40,000 tokens of the large
   one), so every check misses, against the cold server and against the
   no-cache one. The bare view, client auth, single check, batch and the cold
   phases run in interleaved rounds (--rounds, each figure the median
   round's); then single checks offered at a fixed rate (open loop, --rate)
   for p99, in rounds too (--paced-rounds);
4. stops the servers and probes in-process: queries per check cold (facts
   forgotten, the API client held) and warm, what the warm and the cold
   checks are answered, and the owners' pages (approval queue, active tokens,
   v3 lists) timed, with their query counts.

Figures only: nothing here asserts a time. Results are in docs/benchmarks.md.
"""

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `python bench/run.py` as well as `python -m bench.run`

from bench.load import Figures, Phase, paced_phase, python_phase, wrk_phase  # noqa: E402

PYTHON = sys.executable
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/patrol_bench"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/9"
STATE = Path(tempfile.gettempdir())
WORLD_FORMAT = 3  # bump when bench/world.py or bench/large.py change what they build: --reuse then rebuilds

# The targets (issues 5 and 17) on the 2-core machine.
TARGET_SINGLE_OVER_BARE = 0.8
TARGET_FORWARD_AUTH_OVER_BARE = 0.8  # issue 21: the same check with another input
TARGET_SINGLE_OVER_DOT = 2.5
TARGET_BATCH = 30_000
TARGET_COLD_SINGLE_OVER_BARE = 0.5
TARGET_COLD_BATCH = 20_000
TARGET_P99_MS = 10.0
TARGET_RATE = 1_000
TARGET_COLD_QUERIES = 1  # with the API client held, as after a process's first request
TARGET_WARM_QUERIES = 0
TARGET_LARGE_OVER_DEMO = 1.2
TARGET_CSV_ROWS_PER_SECOND = 50_000  # the credentials inventory's export
TARGET_REVIEW_MS = 2_000  # the policy pages' Review changes (issue 20)
COLD_CACHE_ENTRIES = 1_000  # the cold server's PATROL_FACTS_CACHE_ENTRIES: far fewer than the cold checks' keys
MIX_SAMPLE = 1_000  # warm and cold checks whose answers the probe counts by reason

BARE, AUTH, SINGLE, BATCH, INTROSPECT, DOT, FORWARD_AUTH = (
    "bare DRF view (ceiling)",
    "DRF + client auth, constant",
    "single check",
    "batch check (100 per call)",
    "Patrol introspection",
    "DOT introspection",
    "forward-auth (nginx's headers)",
)
COLD_SINGLE, COLD_BATCH, NO_CACHE_SINGLE, NO_CACHE_BATCH = (
    "cold single check",
    "cold batch check (100 per call)",
    "cold single, no cache",
    "cold batch, no cache (100 per call)",
)
# Report-only policies (behaviour §5.8): warm single checks on two organizations saved alike, one with a
# policy staged that flips its classic and its pending tokens' checks (`report_only_organizations`).
SINGLE_ALIKE, SINGLE_STAGED = "single check, nothing staged", "single check, a policy staged"
TARGET_STAGED_OVER_ALIKE = 0.95
# The figures a target compares (and the no-cache ones the cold phases are compared with), in interleaved rounds.
INTERLEAVED = (
    BARE, AUTH, SINGLE, FORWARD_AUTH, SINGLE_ALIKE, SINGLE_STAGED, BATCH,
    COLD_SINGLE, COLD_BATCH, NO_CACHE_SINGLE, NO_CACHE_BATCH,
)  # fmt: skip
# The server each phase runs against (the warm one unless named here).
WARM, COLD, NO_CACHE = "warm", "cold", "no cache"
SERVER_OF = {COLD_SINGLE: COLD, COLD_BATCH: COLD, NO_CACHE_SINGLE: NO_CACHE, NO_CACHE_BATCH: NO_CACHE}


def database_url(world: str) -> str:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    if world == "demo":
        return url
    parsed = urlparse(url)
    return parsed._replace(path=parsed.path + "_large").geturl()


def server_environment(url: str, cache_url: str) -> dict:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key",
        "TOKEN_PEPPERS": "1:bench-only-pepper",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": url,
        "PATROL_API_CLIENT_RATE_PER_MINUTE": str(10**9),
        "LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }
    environment.pop("REDIS_URL", None)
    environment.pop("CACHE_URL", None)
    if cache_url:
        environment["CACHE_URL"] = cache_url
    return environment


def servers(args) -> dict[str, dict]:
    """The servers a world is measured on, each with what its environment changes.

    All three run the same settings against the same database and Redis
    (they share the facts version, as the processes of one deployment do);
    only the facts cache differs: the product's default size (warm), too
    small for the cold checks (cold), or off (no cache).
    """
    started = {WARM: {}, COLD: {"PATROL_FACTS_CACHE_ENTRIES": str(args.cold_cache_entries)}}
    if not args.skip_no_cache:
        started[NO_CACHE] = {"PATROL_FACTS_CACHE": "0"}
    return started


# --- The world -----------------------------------------------------------------------


def recreate_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def database_exists(url: str) -> bool:
    import psycopg

    parsed = urlparse(url)
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        return bool(
            connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [parsed.path.lstrip("/")]).fetchone()
        )


def settle(url: str) -> None:
    """Vacuum what the warm-up's last-use writes left, so autovacuum does not run mid-phase."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
        connection.execute("CHECKPOINT")


BUILD_SCRIPT = """
import json, sys, time
import django
django.setup()
from django.db import connection
from tokens.engine.materialized import deferred
from tokens.services import api_client_create
started = time.monotonic()
if {world!r} == "demo":
    from bench.world import build
else:
    from bench.large import build
with deferred():  # the check facts' triggers off for the load, then one rebuild
    world = build(**{sizes!r})
world["secret"] = api_client_create(name="bench").plaintext
world["build_seconds"] = time.monotonic() - started
with open({output!r}, "w") as output:
    json.dump(world, output)
"""


def world_sizes(args, world: str) -> dict:
    if world == "demo":
        return {
            "organizations": args.organizations,
            "members_per_organization": args.members,
            "repositories_per_organization": args.repositories,
        }
    return {
        "tokens": args.large_tokens,
        "organizations": args.large_organizations,
        "requests": args.large_requests,
        "cold": args.large_cold_tokens,
    }


def saved_world(world: str) -> Path:
    """Where the last world built of this name keeps its fixture (tokens, checks, sizes)."""
    return STATE / f"patrol-bench-{world}.json"


def ensure_world(args, world: str, environment: dict) -> dict:
    """Build the world (or reuse the last one of the same sizes); returns its fixture."""
    url, sizes = environment["DATABASE_URL"], world_sizes(args, world)
    saved = saved_world(world)
    if args.reuse and saved.exists() and database_exists(url):
        data = json.loads(saved.read_text())
        if (data.get("sizes"), data.get("database"), data.get("format")) == (sizes, url, WORLD_FORMAT):
            print(f"[{world}] reusing the world built in {data['build_seconds']:.0f} s (migrating it first)")
            subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=environment, check=True)
            return data
    started = time.monotonic()
    print(f"[{world}] building {sizes} in {urlparse(url).path.lstrip('/')} …", flush=True)
    recreate_database(url)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=environment, check=True)
    migrated = time.monotonic()
    output = Path(tempfile.mkstemp(prefix="patrol-bench-", suffix=".json")[1])
    script = BUILD_SCRIPT.format(world=world, sizes=sizes, output=str(output))
    subprocess.run([PYTHON, "-c", script], cwd=ROOT, env=environment, check=True)
    data = json.loads(output.read_text())
    output.unlink()
    filled = time.monotonic()
    settle(url)
    data.update(
        format=WORLD_FORMAT,
        sizes=sizes,
        database=url,
        build_seconds=time.monotonic() - started,
        build_steps={
            "migrate": migrated - started,
            "fill": filled - migrated,
            "vacuum analyze": time.monotonic() - filled,
        },
    )
    saved.write_text(json.dumps(data))
    steps = ", ".join(f"{step} {seconds:.0f} s" for step, seconds in data["build_steps"].items())
    print(f"[{world}] built in {data['build_seconds']:.0f} s ({steps})", flush=True)
    return data


# --- The server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def flush_cache(cache_url: str) -> None:
    if cache_url:
        import redis

        redis.Redis.from_url(cache_url).flushdb()


def start_server(args, environment, port):
    command = [
        str(Path(PYTHON).parent / "gunicorn"),
        "--config", "config/gunicorn.py",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(args.workers),
        "--worker-class", args.worker_class,
        "--threads", str(args.threads),
        "--keep-alive", "30",
        "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=environment)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


# --- Measuring -------------------------------------------------------------------------


# The warm checks' permissions as the requests a gateway would hold (tokens/api/forward_auth.py's routes).
FORWARD_AUTH_REQUESTS = {
    "contents:read": ("GET", "/{repository}.git/info/refs?service=git-upload-pack"),
    "contents:write": ("POST", "/{repository}.git/git-receive-pack"),
    "issues:read": ("GET", "/repos/{repository}/issues"),
    "pull_requests:write": ("POST", "/repos/{repository}/pulls"),
    "metadata:read": ("GET", "/repos/{repository}"),
}


def forward_auth_headers(checks: list[dict], secret: str) -> list[dict]:
    """Each check as nginx's auth request for it: the same decisions as the single checks."""
    sets = []
    for check in checks:
        method, uri = FORWARD_AUTH_REQUESTS[check["permission"]]
        basic = base64.b64encode(f"git:{check['token']}".encode()).decode()
        sets.append(
            {
                "X-Patrol-Client": secret,
                "X-Original-Method": method,
                "X-Original-URI": uri.format(repository=check["resource"]),
                "Authorization": f"Basic {basic}",
            }
        )
    return sets


def report_only_organizations(checks: list[dict]) -> tuple[str, str]:
    """The organizations the report-only phases compare: (staged, alike).

    Both worlds set an organization's policies by its number: in an enterprise
    if odd, approval required unless a multiple of 3, classic tokens
    restricted if a multiple of 5 (bench/world.py, bench/large.py). Of the
    odd ones that are neither, so saved alike, the two with the most warm
    checks, so each phase has checks to send in either world.
    """
    counts = Counter(check["resource"].split("/", 1)[0] for check in checks)
    numbers = {login: login.removeprefix("org") for login in counts if login.startswith("org")}
    alike = [
        login
        for login, _ in counts.most_common()
        if numbers.get(login, "").isdigit() and (number := int(numbers[login])) % 2 and number % 3 and number % 5
    ]
    if len(alike) < 2:
        raise SystemExit("the world's warm checks reach fewer than two organizations saved alike")
    return alike[0], alike[1]


def phases(world: dict) -> dict[str, Phase]:
    client = f"Bearer {world['secret']}"

    def singles(checks):
        return [json.dumps(check) for check in checks]

    def batches(checks):
        return [json.dumps({"checks": checks[n : n + 100]}) for n in range(0, len(checks) - 99, 100)]

    warm, cold = world["checks"], world["cold_checks"]
    staged, alike = report_only_organizations(warm)

    def on(login):
        return [check for check in warm if check["resource"].startswith(f"{login}/")]

    form = "application/x-www-form-urlencoded"
    dot = f"Bearer {world['dot_bearer']}"
    return {
        BARE: Phase("/bench/constant", singles(warm), client),
        AUTH: Phase("/bench/authenticated-constant", singles(warm), client),
        SINGLE: Phase("/api/v1/access/check", singles(warm), client),
        FORWARD_AUTH: Phase("/api/v1/access/forward-auth", [], "", method="GET",
                            header_sets=forward_auth_headers(warm, world["secret"])),
        SINGLE_ALIKE: Phase("/api/v1/access/check", singles(on(alike)), client),
        SINGLE_STAGED: Phase("/api/v1/access/check", singles(on(staged)), client),
        BATCH: Phase("/api/v1/access/check-batch", batches(warm), client, per_request=100),
        COLD_SINGLE: Phase("/api/v1/access/check", singles(cold), client),
        COLD_BATCH: Phase("/api/v1/access/check-batch", batches(cold), client, per_request=100),
        NO_CACHE_SINGLE: Phase("/api/v1/access/check", singles(cold), client),
        NO_CACHE_BATCH: Phase("/api/v1/access/check-batch", batches(cold), client, per_request=100),
        INTROSPECT: Phase("/api/v1/introspect", [f"token={quote(t)}" for t in world["patrol_tokens"]], client, form),
        DOT: Phase("/o/introspect/", [f"token={quote(t)}" for t in world["dot_tokens"]], dot, form),
    }  # fmt: skip


def warm_up(
    closed_loop, port: int, plan: dict[str, Phase], environment: dict, *, seconds, concurrency, cold=(), cold_seconds=0
) -> None:
    """So the phases measure the steady state a gateway sees: batches first (100
    checks a request), so every check reaches every worker's facts cache, then
    singles, so every token has had its once-a-minute last-use write. Then the
    same on each (port, batch label, single label) of `cold`, for `cold_seconds`
    each: whatever a process does once (connections, prepared statements), and
    the cold tokens' first last-use writes. Then VACUUM ANALYZE."""
    closed_loop(port, plan[BATCH], duration=seconds, concurrency=concurrency)
    closed_loop(port, plan[SINGLE], duration=seconds, concurrency=concurrency)
    for cold_port, *labels in cold:
        for label in labels:
            closed_loop(cold_port, plan[label], duration=cold_seconds, concurrency=concurrency)
    settle(environment["DATABASE_URL"])


def report(label: str, figures: Figures, per_request: int = 1, note: str = "") -> None:
    print(
        f"  {label:<36} {figures.rate:>9,.0f} req/s {figures.rate * per_request:>10,.0f} decisions/s"
        f"   p50 {figures.p50:6.2f} ms   p99 {figures.p99:7.2f} ms   {figures.statuses}"
        + (f"   ({note})" if note else ""),
        flush=True,
    )


def median_round(rounds: list[Figures]) -> Figures:
    return sorted(rounds, key=lambda figures: figures.rate)[len(rounds) // 2]


def probe(environment: dict, world: dict, *, sample: int) -> dict:
    """Query counts per check and the owners' page times, in-process (bench/probe.py)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as data:
        json.dump(
            {
                "secret": world["secret"],
                "checks": world["checks"][:sample],
                "mix_checks": world["checks"][:MIX_SAMPLE],
                "cold_checks": world["cold_checks"][:MIX_SAMPLE],
                "patrol_tokens": world["patrol_tokens"][:sample],
                "dot_tokens": world["dot_tokens"][:sample],
                "dot_bearer": world["dot_bearer"],
                "pages": world["pages"],
            },
            data,
        )
        data.flush()
        output = subprocess.run(
            [PYTHON, "-m", "bench.probe", data.name],
            cwd=ROOT,
            env={**environment, "ALLOWED_HOSTS": "testserver"},
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
    return json.loads(output)


STAGE_SCRIPT = """
import django
django.setup()
from organizations.models import Organization
from policies.models import StagedPolicy
from policies.services import policy_stage
organization = Organization.objects.get(login={login!r})
StagedPolicy.objects.filter(organization=organization).delete()
if {stage!r}:
    values = {{"classic_access": "restrict", "fine_grained_approval": "not_required"}}
    policy_stage(instance=organization, actor=None, values=values)
"""


def stage_report_only(environment: dict, login: str, *, stage: bool) -> None:
    """Stage the report-only policy on organization `login` for the run (or discard it, so a reused world is clean)."""
    script = STAGE_SCRIPT.format(login=login, stage=stage)
    subprocess.run([PYTHON, "-c", script], cwd=ROOT, env=environment, check=True)


def measure(args, world_name: str, world: dict, environment: dict) -> dict:
    use_wrk = args.load == "wrk" or (args.load == "auto" and shutil.which("wrk"))
    closed_loop = wrk_phase if use_wrk else python_phase
    started = servers(args)
    plan = {label: phase for label, phase in phases(world).items() if SERVER_OF.get(label, WARM) in started}
    flush_cache(args.cache_url)
    staged, alike = report_only_organizations(world["checks"])
    print(f"[{world_name}] report only: a policy staged on {staged}, compared with {alike}, saved alike", flush=True)
    stage_report_only(environment, staged, stage=True)
    # The same start-up for each, one after the other: the cold servers idle while others are measured.
    ports, running = {}, {}
    try:
        for name, changes in started.items():
            ports[name] = free_port()
            running[name] = start_server(args, {**environment, **changes}, ports[name])
        result = measure_on(args, world_name, plan, environment, ports, running, closed_loop)
    finally:
        stop_servers(running, list(running))
        stage_report_only(environment, staged, stage=False)
    result["probe"] = probe(environment, world, sample=args.probe_checks)
    return result


def stop_servers(running: dict, names: list[str]) -> None:
    for name in names:
        running[name].terminate()
    for name in names:
        running.pop(name).wait(timeout=10)


def worker_memory(server) -> list[int]:
    """The resident memory (MB) of a gunicorn master's workers, from /proc (Linux)."""
    try:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        sizes = []
        for child in children:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) // 1024)
        return sizes
    except OSError:
        return []


def measure_on(args, world_name, plan, environment, ports, running, closed_loop) -> dict:
    """Warm up, then the phases on the running servers (`ports`, `running`: by name), the paced rounds last."""
    port = ports[WARM]
    figures: dict[str, Figures] = {}
    began = time.monotonic()
    cold = [(ports[COLD], COLD_BATCH, COLD_SINGLE)]
    if NO_CACHE in ports:
        cold.append((ports[NO_CACHE], NO_CACHE_BATCH, NO_CACHE_SINGLE))
    warm_up(
        closed_loop, port, plan, environment, seconds=args.warmup, concurrency=args.concurrency,
        cold=cold, cold_seconds=args.cold_warmup,
    )  # fmt: skip
    generator = "wrk" if closed_loop is wrk_phase else "a Python process"
    print(
        f"[{world_name}] gunicorn: {args.workers} {args.worker_class} workers × {args.threads} threads;"
        f" load: {generator},"
        f" {args.concurrency} connections, {args.duration:.0f} s a phase; {os.cpu_count()} cores;"
        f" cache: {args.cache_url or 'local memory'}; servers: {', '.join(ports)}"
        f" (the cold one's facts cache holds {args.cold_cache_entries:,} entries)",
        flush=True,
    )

    def measured(label: str) -> Figures:
        at = ports[SERVER_OF.get(label, WARM)]
        if args.phase_warmup:
            closed_loop(at, plan[label], duration=args.phase_warmup, concurrency=args.concurrency)
        return closed_loop(at, plan[label], duration=args.duration, concurrency=args.concurrency)

    # The ceiling and the check are compared in interleaved rounds, each figure
    # the median round's: a drift of the shared machine during the run lands on
    # every phase of a round alike, not on one side of the ratio.
    rounds = {label: [] for label in INTERLEAVED if label in plan}
    for _ in range(args.rounds):
        for label in rounds:
            rounds[label].append(measured(label))
    for label in plan:
        if label in rounds:
            figures[label] = median_round(rounds[label])
            others = ", ".join(f"{figure.rate:,.0f}" for figure in rounds[label])
            report(label, figures[label], plan[label].per_request, note=f"median of rounds {others}")
        else:
            figures[label] = measured(label)
            report(label, figures[label], plan[label].per_request)
    memory = "; ".join(f"{name} {', '.join(map(str, worker_memory(server)))}" for name, server in running.items())
    print(f"[{world_name}] the workers' resident memory, MB: {memory}", flush=True)
    # The cold servers have done their part. Their threads still work through
    # what they loaded (the refresher's queue), so they are stopped before the
    # paced rounds, which measure the warm server's tail alone.
    stop_servers(running, [name for name in running if name != WARM])
    # A p99 of 10,000 requests is its 100 slowest: one stall (a full
    # garbage collection, an autovacuum) moves it. So the paced phase runs
    # in rounds too, each printed, and its figure is the median round's.
    paced_rounds = []
    # Facts loaded in the warm-up come due for the refresher 120–210 s
    # after it (tokens/engine/refresher.py): a round in that window shares the
    # workers with its reloads (docs/benchmarks.md, bench/tail.py).
    for number in range(1, args.paced_rounds + 1):
        started = time.monotonic() - began
        paced = paced_phase(
            port, plan[SINGLE], rate=args.rate, duration=args.duration, connections=args.paced_connections
        )
        paced_rounds.append(paced)
        extra = paced.extra
        print(
            f"  single checks offered at {args.rate:,.0f}/s (open loop, {args.paced_connections} connections),"
            f" round {number}, {started:.0f} s after the warm-up began:"
            f" achieved {paced.rate:,.0f}/s, p50 {paced.p50:.2f} ms, p99 {paced.p99:.2f} ms,"
            f" p99.9 {extra['p99.9']:.2f} ms, max {extra['max']:.1f} ms {paced.statuses}\n"
            f"    (from each request's due time; service time alone p99 {extra['service p99']:.2f} ms,"
            f" waited to be sent p99 {extra['send lag p99']:.2f} ms)",
            flush=True,
        )
        if paced.rate < 0.95 * args.rate:
            print("    the server did not keep up with the offered rate: these latencies measure its queue")
        if paced.statuses.get("unanswered"):
            print("    requests still queued after the grace period were not sent: the p99 is a lower bound")
    figures["paced"] = sorted(paced_rounds, key=lambda paced_round: paced_round.p99)[len(paced_rounds) // 2]
    if len(paced_rounds) > 1:
        p99s = ", ".join(f"{paced_round.p99:.2f}" for paced_round in paced_rounds)
        print(f"  paced p99: the median round's, {figures['paced'].p99:.2f} ms (rounds {p99s} ms)")
    return {"figures": figures, "rounds": rounds, "cold_cache_entries": args.cold_cache_entries}


# --- The report ------------------------------------------------------------------------


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def print_targets(world_name: str, result: dict) -> None:
    figures, probed = result["figures"], result["probe"]
    single = figures[SINGLE].rate
    over_bare, over_dot = single / figures[BARE].rate, single / figures[DOT].rate
    batch = figures[BATCH].rate * 100
    cold_over_bare, cold_batch = figures[COLD_SINGLE].rate / figures[BARE].rate, figures[COLD_BATCH].rate * 100
    p99 = figures["paced"].p99
    queries = probed["check_queries"]
    cold, warm = queries["cold"], queries["warm"]
    forward_over_bare = figures[FORWARD_AUTH].rate / figures[BARE].rate
    rows = [
        ("single / bare DRF view", f"{over_bare:.2f}×", f"≥ {TARGET_SINGLE_OVER_BARE}×",
         over_bare >= TARGET_SINGLE_OVER_BARE),
        ("forward-auth / bare DRF view", f"{forward_over_bare:.2f}×", f"≥ {TARGET_FORWARD_AUTH_OVER_BARE}×",
         forward_over_bare >= TARGET_FORWARD_AUTH_OVER_BARE),
        ("single / DOT introspection", f"{over_dot:.2f}×", f"≥ {TARGET_SINGLE_OVER_DOT}×",
         over_dot >= TARGET_SINGLE_OVER_DOT),
        ("batch", f"{batch:,.0f} decisions/s", f"≥ {TARGET_BATCH:,}/s", batch >= TARGET_BATCH),
        ("cold single / bare DRF view", f"{cold_over_bare:.2f}×", f"≥ {TARGET_COLD_SINGLE_OVER_BARE}×",
         cold_over_bare >= TARGET_COLD_SINGLE_OVER_BARE),
        ("cold batch", f"{cold_batch:,.0f} decisions/s", f"≥ {TARGET_COLD_BATCH:,}/s", cold_batch >= TARGET_COLD_BATCH),
        (f"p99 at {figures['paced'].extra['offered']:,.0f} checks/s offered", f"{p99:.2f} ms",
         f"≤ {TARGET_P99_MS:g} ms at {TARGET_RATE:,}/s",
         p99 <= TARGET_P99_MS and figures["paced"].extra["offered"] >= TARGET_RATE),
        ("queries per check, cold (client held)", f"max {cold['max']} (mean {cold['mean']:.2f})",
         f"≤ {TARGET_COLD_QUERIES}",
         cold["max"] <= TARGET_COLD_QUERIES),
        ("queries per check, warm cache", f"max {warm['max']} (mean {warm['mean']:.2f})", f"= {TARGET_WARM_QUERIES}",
         warm["max"] <= TARGET_WARM_QUERIES),
    ]  # fmt: skip
    print(f"[{world_name}] against the targets")
    print(f"  single / Patrol introspection {single / figures[INTROSPECT].rate:.2f}× (no target)")
    for label, value, target, met in rows:
        print(f"  {label:<38} {value:<26} target {target:<20} {verdict(met)}")
    rounds = result["rounds"]

    def per_round(label: str, reference: str) -> str:
        return ", ".join(f"{a.rate / b.rate:.2f}" for a, b in zip(rounds[label], rounds[reference], strict=True))

    print(
        f"  (forward-auth / bare DRF view in each round: {per_round(FORWARD_AUTH, BARE)};"
        f" forward-auth / single check: {figures[FORWARD_AUTH].rate / single:.2f}×)"
    )
    print(f"  (cold single / bare DRF view in each round: {per_round(COLD_SINGLE, BARE)})")
    staged_over_alike = figures[SINGLE_STAGED].rate / figures[SINGLE_ALIKE].rate
    print(
        f"  report only: warm single with a policy staged / nothing staged {staged_over_alike:.2f}×"
        f" (rounds {per_round(SINGLE_STAGED, SINGLE_ALIKE)}; target ≥ {TARGET_STAGED_OVER_ALIKE}×,"
        f" {verdict(staged_over_alike >= TARGET_STAGED_OVER_ALIKE)})"
    )
    if NO_CACHE_SINGLE in figures:
        entries = result["cold_cache_entries"]
        print(
            f"  cold, a {entries:,}-entry cache / no cache (no target: ≥ 1× within noise):"
            f" single {figures[COLD_SINGLE].rate / figures[NO_CACHE_SINGLE].rate:.2f}×"
            f" (rounds {per_round(COLD_SINGLE, NO_CACHE_SINGLE)}),"
            f" batch {figures[COLD_BATCH].rate / figures[NO_CACHE_BATCH].rate:.2f}×"
            f" (rounds {per_round(COLD_BATCH, NO_CACHE_BATCH)})"
        )
    print(
        f"  ({queries['checks']} checks probed, cold after facts_cache.forget_facts(); last-use writes:"
        f" {cold['writes']} on the cold pass, {warm['writes']} on the warm one;"
        f" at most {queries['max_with_writes']} statements with them)"
    )
    answered = dict(probed["answers"])
    mixes = {what: answered.pop(what) for what in ("warm checks by reason", "cold checks by reason")}
    answers = ", ".join(f"{what} {count}" for what, count in answered.items())
    print(f"  (what the endpoints answered for the probed bodies: {answers})")
    for what, mix in mixes.items():
        print(f"  ({what}, of the first {MIX_SAMPLE:,}: {mix})")
    print(f"[{world_name}] owners' pages (in-process, median of 5; queries counted on one request)")
    for page in probed["pages"]:
        writes = f" + {page['writes']} writes" if page["writes"] else ""
        print(
            f"  {page['organization']:<6} {page['label']:<17} page {page['page']:>4}/{page['last']:<4}"
            f" ({page['rows']:>6,} rows) {page['ms']:8.1f} ms  {page['queries']:>3} queries{writes}"
        )
    print_inventory(world_name, probed["inventory"])
    print_reviews(world_name, probed["reviews"])


def print_reviews(world_name: str, reviews: list[dict]) -> None:
    print(f"[{world_name}] Review changes on the policy pages, restricting fine-grained tokens (in-process)")
    for review in reviews:
        print(
            f"  {review['level']:<12} {review['name']:<10} ({review['organizations']:>3,} organizations,"
            f" {review['probes']:>7,} checks) {review['ms']:8.1f} ms  {review['queries']:>3} queries"
            f"  (target ≤ {TARGET_REVIEW_MS:,} ms: {verdict(review['ms'] <= TARGET_REVIEW_MS)})"
        )
        print(f"    {review['sentence']}")


def print_inventory(world_name: str, inventory: dict) -> None:
    print(f"[{world_name}] the credentials inventory of {inventory['enterprise']} (in-process, as a superuser)")
    for page in inventory["pages"]:
        print(f"  {page['label']:<26} {page['ms']:8.1f} ms  {page['queries']:>3} queries")
    rate = inventory["csv_rows"] / inventory["csv_seconds"]
    print(
        f"  CSV export: {inventory['csv_rows']:,} rows in {inventory['csv_seconds']:.2f} s, {rate:,.0f} rows/s"
        f" (target ≥ {TARGET_CSV_ROWS_PER_SECOND:,}/s: {verdict(rate >= TARGET_CSV_ROWS_PER_SECOND)}),"
        f" peak memory of the stream {inventory['csv_peak_mb']:.1f} MB"
    )


def print_comparison(demo: dict, large: dict) -> None:
    print(f"large world / demo world (target: within {TARGET_LARGE_OVER_DEMO}×)")
    for label in (SINGLE, BATCH, COLD_SINGLE, COLD_BATCH, DOT):
        ratio = demo["figures"][label].rate / large["figures"][label].rate
        target = TARGET_LARGE_OVER_DEMO if label in (SINGLE, BATCH) else None
        mark = "" if target is None else verdict(ratio <= target)
        print(f"  {label + ' throughput':<44} demo/large {ratio:5.2f}×  {mark}")
    ratio = large["figures"]["paced"].p99 / demo["figures"]["paced"].p99
    print(f"  {'p99 at the fixed rate':<44} large/demo {ratio:5.2f}×  {verdict(ratio <= TARGET_LARGE_OVER_DEMO)}")
    demo_pages = {(p["label"], p["page"] == 1): p for p in demo["probe"]["pages"]}
    for page in large["probe"]["pages"]:
        reference = demo_pages.get((page["label"], page["page"] == 1))
        if reference and page["who"] == "the largest organization":
            same = "same" if page["queries"] == reference["queries"] else "DIFFERENT"
            print(
                f"  {page['label']} page {'1' if page['page'] == 1 else 'last'}: {page['queries']} queries"
                f" vs {reference['queries']} in the demo world ({same}), {page['ms']:.1f} vs {reference['ms']:.1f} ms"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--world", choices=["demo", "large", "both"], default="demo")
    parser.add_argument("--organizations", type=int, default=200, help="demo world: organizations")
    parser.add_argument("--members", type=int, default=10, help="demo world: members (two tokens each) per org")
    parser.add_argument("--repositories", type=int, default=20, help="demo world: repositories per organization")
    parser.add_argument("--large-tokens", type=int, default=1_000_000)
    parser.add_argument("--large-organizations", type=int, default=10_000)
    parser.add_argument("--large-requests", type=int, default=100_000)
    parser.add_argument(
        "--large-cold-tokens", type=int, default=40_000, help="large world: tokens the cold checks cycle over"
    )
    parser.add_argument("--reuse", action="store_true", help="keep a world built before with the same sizes")
    parser.add_argument(
        "--probe-only",
        action="store_true",
        help="no load phases: the in-process probe, the inventory and the policy reviews",
    )
    parser.add_argument("--build-only", action="store_true", help="build the world(s), measure nothing")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--warmup", type=float, default=15.0, help="warm-up seconds: batches, then singles")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="interleaved rounds of the bare view, client auth, single check, forward-auth, batch and the cold phases",
    )
    parser.add_argument("--phase-warmup", type=float, default=2.0, help="seconds of each phase before measuring it")
    parser.add_argument(
        "--cold-warmup", type=float, default=5.0, help="warm-up seconds of each cold server: batches, then singles"
    )
    parser.add_argument(
        "--cold-cache-entries",
        type=int,
        default=COLD_CACHE_ENTRIES,
        help="the cold server's facts cache size (PATROL_FACTS_CACHE_ENTRIES), far below the cold checks' keys",
    )
    parser.add_argument(
        "--skip-no-cache",
        action="store_true",
        help="leave out the third server (the facts cache off, PATROL_FACTS_CACHE=0) and its two cold phases",
    )
    parser.add_argument("--concurrency", type=int, default=4, help="keep-alive connections of the load generator")
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="offered checks/s of the paced phase")
    parser.add_argument(
        "--paced-connections",
        type=int,
        help="connections of the paced phase (default: one per request gunicorn serves at once, workers × threads)",
    )
    parser.add_argument(
        "--paced-rounds", type=int, default=5, help="rounds of the paced phase; its p99 is the median round's"
    )
    parser.add_argument("--probe-checks", type=int, default=50, help="checks whose queries are counted")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (gthread)")
    parser.add_argument(
        "--worker-class",
        choices=["sync", "gthread"],
        default="sync",
        help="gunicorn's worker class: sync (its default, and docs/deploy.md's) closes each connection after"
        " its response, as behind a load balancer; gthread keeps connections alive",
    )
    parser.add_argument(
        "--load",
        choices=["auto", "python", "wrk"],
        default="auto",
        help="closed-loop load generator: wrk if installed (auto), or a Python process",
    )
    args = parser.parse_args()
    args.cache_url = os.environ.get("BENCH_CACHE_URL", DEFAULT_CACHE_URL)
    # A sync worker serves one connection at a time and, once it has accepted
    # one, waits on it: a connection more than the workers can take sits idle
    # in a worker while a request sent on another waits — a stall no
    # deployment behind a proxy (which connects per request) sees. Requests
    # that find every connection busy wait in the generator, and that wait
    # counts: latency runs from each request's due time.
    if args.paced_connections is None:
        args.paced_connections = args.workers * args.threads

    try:
        import oauth2_provider  # noqa: F401
    except ImportError:
        raise SystemExit(
            "django-oauth-toolkit is missing: .venv/bin/pip install -r bench/requirements.txt -c constraints.txt"
        ) from None

    worlds = ["demo", "large"] if args.world == "both" else [args.world]
    results = {}
    for name in worlds:
        environment = server_environment(database_url(name), args.cache_url)
        world = ensure_world(args, name, environment)
        if args.build_only:
            continue
        if args.probe_only:
            probed = probe(environment, world, sample=args.probe_checks)
            print_inventory(name, probed["inventory"])
            print_reviews(name, probed["reviews"])
            continue
        cold = world["cold_checks"]
        print(
            f"[{name}] {len(world['checks']):,} checks over {len(world['patrol_tokens']):,} sampled tokens;"
            f" {len(world['dot_tokens']):,} DOT tokens sampled; {len(cold):,} cold checks over"
            f" {len({check['token'] for check in cold}):,} tokens and {len({check['resource'] for check in cold}):,}"
            " repositories"
        )
        results[name] = measure(args, name, world, environment)
        print_targets(name, results[name])
    if len(results) == 2:
        print_comparison(results["demo"], results["large"])


if __name__ == "__main__":
    main()
