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
   BENCH_CACHE_URL, default redis://127.0.0.1:6379/9, flushed first);
3. after a warm-up, drives from a separate process, at the same concurrency:
   a bare DRF view (the stack's ceiling), the same behind the check API's
   client authentication, single checks, 100-check batches, Patrol's RFC 7662
   introspection, and DOT's (`/o/introspect/`, its resource server's bearer
   token) — wrk when installed (`apt-get install wrk`), else a Python process;
   the bare view, client auth, single check and batch in interleaved rounds
   (--rounds, each figure the median round's); then single checks offered at
   a fixed rate (open loop, --rate) for p99, in rounds too (--paced-rounds);
4. stops the server and probes in-process: queries per check on a cold and a
   warm cache, and the owners' pages (approval queue, active tokens, v3 lists)
   timed, with their query counts.

Figures only: nothing here asserts a time. Results are in docs/benchmarks.md.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
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
WORLD_FORMAT = 2  # bump when bench/world.py or bench/large.py change what they build: --reuse then rebuilds

# The targets (issue 5) on the 2-core machine.
TARGET_SINGLE_OVER_BARE = 0.8
TARGET_SINGLE_OVER_DOT = 2.5
TARGET_BATCH = 30_000
TARGET_P99_MS = 10.0
TARGET_RATE = 1_000
TARGET_COLD_QUERIES = 3
TARGET_WARM_QUERIES = 0
TARGET_LARGE_OVER_DEMO = 1.2

BARE, AUTH, SINGLE, BATCH, INTROSPECT, DOT = (
    "bare DRF view (ceiling)",
    "DRF + client auth, constant",
    "single check",
    "batch check (100 per call)",
    "Patrol introspection",
    "DOT introspection",
)
INTERLEAVED = (BARE, AUTH, SINGLE, BATCH)  # the figures a target compares


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
from tokens.services import api_client_create
started = time.monotonic()
if {world!r} == "demo":
    from bench.world import build
    world = build(**{sizes!r})
else:
    from bench.large import build
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
    return {"tokens": args.large_tokens, "organizations": args.large_organizations, "requests": args.large_requests}


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


def phases(world: dict) -> dict[str, Phase]:
    client = f"Bearer {world['secret']}"
    checks = world["checks"]
    singles = [json.dumps(check) for check in checks]
    batches = [json.dumps({"checks": checks[n : n + 100]}) for n in range(0, len(checks) - 99, 100)]
    form = "application/x-www-form-urlencoded"
    dot = f"Bearer {world['dot_bearer']}"
    return {
        BARE: Phase("/bench/constant", singles, client),
        AUTH: Phase("/bench/authenticated-constant", singles, client),
        SINGLE: Phase("/api/v1/access/check", singles, client),
        BATCH: Phase("/api/v1/access/check-batch", batches, client, per_request=100),
        INTROSPECT: Phase("/api/v1/introspect", [f"token={quote(t)}" for t in world["patrol_tokens"]], client, form),
        DOT: Phase("/o/introspect/", [f"token={quote(t)}" for t in world["dot_tokens"]], dot, form),
    }  # fmt: skip


def warm_up(closed_loop, port: int, plan: dict[str, Phase], environment: dict, *, seconds, concurrency) -> None:
    """So the phases measure the steady state a gateway sees: batches first (100
    checks a request), so every check reaches every worker's facts cache, then
    singles, so every token has had its once-a-minute last-use write; then
    VACUUM ANALYZE."""
    closed_loop(port, plan[BATCH], duration=seconds, concurrency=concurrency)
    closed_loop(port, plan[SINGLE], duration=seconds, concurrency=concurrency)
    settle(environment["DATABASE_URL"])


def report(label: str, figures: Figures, per_request: int = 1, note: str = "") -> None:
    print(
        f"  {label:<28} {figures.rate:>9,.0f} req/s {figures.rate * per_request:>10,.0f} decisions/s"
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


def measure(args, world_name: str, world: dict, environment: dict) -> dict:
    use_wrk = args.load == "wrk" or (args.load == "auto" and shutil.which("wrk"))
    closed_loop = wrk_phase if use_wrk else python_phase
    plan = phases(world)
    flush_cache(args.cache_url)
    port = free_port()
    server = start_server(args, environment, port)
    figures: dict[str, Figures] = {}
    began = time.monotonic()
    try:
        warm_up(closed_loop, port, plan, environment, seconds=args.warmup, concurrency=args.concurrency)
        generator = "wrk" if use_wrk else "a Python process"
        print(
            f"[{world_name}] gunicorn: {args.workers} {args.worker_class} workers × {args.threads} threads;"
            f" load: {generator},"
            f" {args.concurrency} connections, {args.duration:.0f} s a phase; {os.cpu_count()} cores;"
            f" cache: {args.cache_url or 'local memory'}",
            flush=True,
        )

        def measured(label: str) -> Figures:
            if args.phase_warmup:
                closed_loop(port, plan[label], duration=args.phase_warmup, concurrency=args.concurrency)
            return closed_loop(port, plan[label], duration=args.duration, concurrency=args.concurrency)

        # The ceiling and the check are compared in interleaved rounds, each figure
        # the median round's: a drift of the shared machine during the run lands on
        # every phase of a round alike, not on one side of the ratio.
        rounds = {label: [] for label in INTERLEAVED}
        for _ in range(args.rounds):
            for label in INTERLEAVED:
                rounds[label].append(measured(label))
        for label in plan:
            if label in rounds:
                figures[label] = median_round(rounds[label])
                others = ", ".join(f"{figure.rate:,.0f}" for figure in rounds[label])
                report(label, figures[label], plan[label].per_request, note=f"median of rounds {others}")
            else:
                figures[label] = measured(label)
                report(label, figures[label], plan[label].per_request)
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
    finally:
        server.terminate()
        server.wait(timeout=10)
    probed = probe(environment, world, sample=args.probe_checks)
    return {"figures": figures, "probe": probed}


# --- The report ------------------------------------------------------------------------


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def print_targets(world_name: str, result: dict) -> None:
    figures, probed = result["figures"], result["probe"]
    single = figures[SINGLE].rate
    over_bare, over_dot = single / figures[BARE].rate, single / figures[DOT].rate
    batch = figures[BATCH].rate * 100
    p99 = figures["paced"].p99
    queries = probed["check_queries"]
    cold, warm = queries["cold"], queries["warm"]
    rows = [
        ("single / bare DRF view", f"{over_bare:.2f}×", f"≥ {TARGET_SINGLE_OVER_BARE}×",
         over_bare >= TARGET_SINGLE_OVER_BARE),
        ("single / DOT introspection", f"{over_dot:.2f}×", f"≥ {TARGET_SINGLE_OVER_DOT}×",
         over_dot >= TARGET_SINGLE_OVER_DOT),
        ("batch", f"{batch:,.0f} decisions/s", f"≥ {TARGET_BATCH:,}/s", batch >= TARGET_BATCH),
        (f"p99 at {figures['paced'].extra['offered']:,.0f} checks/s offered", f"{p99:.2f} ms",
         f"≤ {TARGET_P99_MS:g} ms at {TARGET_RATE:,}/s",
         p99 <= TARGET_P99_MS and figures["paced"].extra["offered"] >= TARGET_RATE),
        ("queries per check, cold cache", f"max {cold['max']} (mean {cold['mean']:.2f})", f"≤ {TARGET_COLD_QUERIES}",
         cold["max"] <= TARGET_COLD_QUERIES),
        ("queries per check, warm cache", f"max {warm['max']} (mean {warm['mean']:.2f})", f"= {TARGET_WARM_QUERIES}",
         warm["max"] <= TARGET_WARM_QUERIES),
    ]  # fmt: skip
    print(f"[{world_name}] against the targets")
    print(f"  single / Patrol introspection {single / figures[INTROSPECT].rate:.2f}× (no target)")
    for label, value, target, met in rows:
        print(f"  {label:<36} {value:<26} target {target:<20} {verdict(met)}")
    print(
        f"  ({queries['checks']} checks probed; last-use writes: {cold['writes']} on the cold pass,"
        f" {warm['writes']} on the warm one; at most {queries['max_with_writes']} statements with them)"
    )
    answers = ", ".join(f"{what} {count}" for what, count in probed["answers"].items())
    print(f"  (what the endpoints answered for the probed bodies: {answers})")
    print(f"[{world_name}] owners' pages (in-process, median of 5; queries counted on one request)")
    for page in probed["pages"]:
        writes = f" + {page['writes']} writes" if page["writes"] else ""
        print(
            f"  {page['organization']:<6} {page['label']:<17} page {page['page']:>4}/{page['last']:<4}"
            f" ({page['rows']:>6,} rows) {page['ms']:8.1f} ms  {page['queries']:>3} queries{writes}"
        )


def print_comparison(demo: dict, large: dict) -> None:
    print(f"large world / demo world (target: within {TARGET_LARGE_OVER_DEMO}×)")
    for label in (SINGLE, BATCH, DOT):
        ratio = demo["figures"][label].rate / large["figures"][label].rate
        target = TARGET_LARGE_OVER_DEMO if label != DOT else None
        mark = "" if target is None else verdict(ratio <= target)
        print(f"  {label + ' throughput':<38} demo/large {ratio:5.2f}×  {mark}")
    ratio = large["figures"]["paced"].p99 / demo["figures"]["paced"].p99
    print(f"  {'p99 at the fixed rate':<38} large/demo {ratio:5.2f}×  {verdict(ratio <= TARGET_LARGE_OVER_DEMO)}")
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
    parser.add_argument("--reuse", action="store_true", help="keep a world built before with the same sizes")
    parser.add_argument("--build-only", action="store_true", help="build the world(s), measure nothing")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--warmup", type=float, default=15.0, help="warm-up seconds: batches, then singles")
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved rounds of the bare view, client auth, single check, batch"
    )
    parser.add_argument("--phase-warmup", type=float, default=2.0, help="seconds of each phase before measuring it")
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
        print(
            f"[{name}] {len(world['checks']):,} checks over {len(world['patrol_tokens']):,} sampled tokens;"
            f" {len(world['dot_tokens']):,} DOT tokens sampled"
        )
        results[name] = measure(args, name, world, environment)
        print_targets(name, results[name])
    if len(results) == 2:
        print_comparison(results["demo"], results["large"])


if __name__ == "__main__":
    main()
