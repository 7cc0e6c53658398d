#!/usr/bin/env python
"""Benchmark the check API the way it runs in production, and print figures.

    .venv/bin/python bench/run.py [--organizations 200] [--duration 10]

1. creates a throwaway PostgreSQL database (BENCH_DATABASE_URL, default
   postgres://postgres@127.0.0.1:5432/patrol_bench), migrates it and fills it
   with the demo world scaled up (bench/world.py);
2. starts gunicorn on loopback against it (persistent connections, DEBUG off);
3. after a warm-up, drives a bare DRF view (the stack's ceiling), the same
   with the check API's client authentication, single checks and 100-check
   batches from a separate process over keep-alive connections — wrk
   (`apt-get install wrk`) when installed, else a Python process — and prints
   throughput and p50/p99 latency.

Figures only: nothing here asserts a time. Results are in docs/benchmarks.md.
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.client import HTTPConnection
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def server_environment(database_url: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key",
        "TOKEN_PEPPERS": "1:bench-only-pepper",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "PATROL_API_CLIENT_RATE_PER_MINUTE": str(10**9),
        "LOG_LEVEL": "ERROR",
        "PATROL_BENCH_ENDPOINTS": "1",
    }


def recreate_database(database_url: str) -> None:
    import psycopg

    url = urlparse(database_url)
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def settle(database_url: str) -> None:
    """Vacuum what the warm-up's last-use writes left, so autovacuum does not run mid-phase."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
        connection.execute("CHECKPOINT")


def prepare(args, environment) -> tuple[str, Path]:
    """Migrate and fill the database; returns the API client secret and the checks file."""
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=environment, check=True)
    script = f"""
import json, sys
sys.path.insert(0, {str(ROOT)!r})
import django
django.setup()
from bench.world import build
from tokens.services import api_client_create
checks = build(organizations={args.organizations}, members_per_organization={args.members},
               repositories_per_organization={args.repositories})
secret = api_client_create(name="bench").plaintext
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
json.dump({{"secret": secret, "checks": checks}}, sys.stdout)
"""
    output = subprocess.run(
        [PYTHON, "-c", script], cwd=ROOT, env=environment, check=True, capture_output=True, text=True
    ).stdout
    data = json.loads(output)
    checks_file = Path(tempfile.mkstemp(prefix="patrol-bench-", suffix=".json")[1])
    checks_file.write_text(json.dumps(data["checks"]))
    return data["secret"], checks_file


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(args, environment, port):
    command = [
        str(Path(PYTHON).parent / "gunicorn"),
        "config.wsgi",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(args.workers),
        "--worker-class", "gthread",
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


# --- The load generator (a separate process) ------------------------------


def _drive(port, secret, path, bodies, start, stop_at, latencies, counts):
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    index = start
    while time.monotonic() < stop_at:
        body = bodies[index % len(bodies)]
        index += 1
        started = time.perf_counter()
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        counts[response.status] = counts.get(response.status, 0) + 1


def load(port, secret, path, bodies, duration, concurrency, queue):
    stop_at = time.monotonic() + duration
    latencies, counts = [], {}
    threads = [
        threading.Thread(
            target=_drive, args=(port, secret, path, bodies, n * len(bodies) // concurrency, stop_at, latencies, counts)
        )
        for n in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put((latencies, counts))


def python_phase(port, secret, path, bodies, *, duration, concurrency):
    """Drive the server from a separate Python process; returns (requests/s, p50 ms, p99 ms, statuses)."""
    context = get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=load, args=(port, secret, path, bodies, duration, concurrency, queue))
    process.start()
    latencies, counts = queue.get()
    process.join()
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000 if ordered else float("nan")
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000 if ordered else float("nan")
    return len(latencies) / duration, p50, p99, dict(sorted(counts.items()))


WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("PATROL_BENCH_SECRET")
local bodies = {}
for line in io.lines(os.getenv("PATROL_BENCH_BODIES")) do bodies[#bodies + 1] = line end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, nil, bodies[(counter % #bodies) + 1])
end
"""


def _wrk_milliseconds(text):
    number, unit = float(text[:-2] if text.endswith(("ms", "us")) else text[:-1]), text[-2:]
    return number / 1000 if unit == "us" else number if unit == "ms" else number * 1000


def wrk_phase(port, secret, path, bodies, *, duration, concurrency):
    """Drive the server with wrk (Debian's package), a load generator that barely uses the CPU."""
    with tempfile.TemporaryDirectory() as folder:
        script, body_file = Path(folder, "bench.lua"), Path(folder, "bodies.txt")
        script.write_text(WRK_SCRIPT)
        body_file.write_text("\n".join(bodies))
        environment = {**os.environ, "PATROL_BENCH_SECRET": secret, "PATROL_BENCH_BODIES": str(body_file)}
        output = subprocess.run(
            ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(duration))}s", "--latency", "-s", str(script),
             f"http://127.0.0.1:{port}{path}"],
            env=environment, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    figures = {}
    for line in output.splitlines():
        words = line.split()
        if words[:1] in (["50%"], ["99%"]):
            figures[words[0]] = _wrk_milliseconds(words[1])
        elif words[:1] == ["Requests/sec:"]:
            figures["rate"] = float(words[1])
        elif line.strip().startswith("Non-2xx"):
            figures["errors"] = int(words[-1])
    return figures["rate"], figures["50%"], figures["99%"], {"non-2xx": figures.get("errors", 0)}


def report(label, rate, p50, p99, statuses, per_request=1):
    print(
        f"{label:<28} {rate:>9.0f} req/s {rate * per_request:>10.0f} decisions/s"
        f"   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   {statuses}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--organizations", type=int, default=200)
    parser.add_argument("--members", type=int, default=10, help="members (each with two tokens) per organization")
    parser.add_argument("--repositories", type=int, default=20, help="repositories per organization")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds of single checks before measuring")
    parser.add_argument("--reuse", action="store_true", help="keep the database of the previous run (same sizes)")
    parser.add_argument("--concurrency", type=int, default=4, help="keep-alive connections of the load generator")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument(
        "--load",
        choices=["auto", "python", "wrk"],
        default="auto",
        help="load generator: wrk if installed (auto), or a Python process",
    )
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/patrol_bench")
    environment = server_environment(database_url)
    users, repositories = args.organizations * args.members, args.organizations * args.repositories
    print(f"World: {args.organizations} organizations, {users} users, {users * 2} tokens, {repositories} repositories")
    saved = Path(tempfile.gettempdir()) / "patrol-bench-world.json"
    if args.reuse and saved.exists():
        data = json.loads(saved.read_text())
    else:
        recreate_database(database_url)
        secret, checks_file = prepare(args, environment)
        data = {"secret": secret, "checks": json.loads(checks_file.read_text())}
        checks_file.unlink()
        saved.write_text(json.dumps(data))
    secret, checks = data["secret"], data["checks"]
    singles = [json.dumps(check) for check in checks]
    batches = [json.dumps({"checks": checks[n : n + 100]}) for n in range(0, len(checks) - 99, 100)]

    use_wrk = args.load == "wrk" or (args.load == "auto" and shutil.which("wrk"))
    phase = wrk_phase if use_wrk else python_phase
    port = free_port()
    server = start_server(args, environment, port)
    try:
        # Warm-up: every token once, so each has had its once-a-minute last-use write
        # and the phases measure the steady state a gateway sees.
        phase(port, secret, "/api/v1/access/check", singles, duration=args.warmup, concurrency=args.concurrency)
        settle(database_url)
        generator = "wrk" if use_wrk else "a Python process"
        print(f"gunicorn: {args.workers} workers × {args.threads} threads; load: {generator},"
              f" {args.concurrency} connections, {args.duration:.0f} s a phase; {os.cpu_count()} cores")  # fmt: skip
        phases = [
            ("bare DRF view (ceiling)", "/bench/constant", singles, 1),
            ("DRF + client auth, constant", "/bench/authenticated-constant", singles, 1),
            ("single check", "/api/v1/access/check", singles, 1),
            ("batch check (100 per call)", "/api/v1/access/check-batch", batches, 100),
        ]
        figures = {}
        for label, path, bodies, per_request in phases:
            figures[label] = phase(port, secret, path, bodies, duration=args.duration, concurrency=args.concurrency)
            report(label, *figures[label], per_request=per_request)
        ceiling, single = figures["bare DRF view (ceiling)"][0], figures["single check"][0]
        print(f"single check / bare DRF view: {single / ceiling:.2f}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
