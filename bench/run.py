#!/usr/bin/env python
"""Benchmark the check API the way it runs in production, and print figures.

    .venv/bin/python bench/run.py [--organizations 200] [--duration 10]

1. creates a throwaway PostgreSQL database (BENCH_DATABASE_URL, default
   postgres://postgres@127.0.0.1:5432/patrol_bench), migrates it and fills it
   with the demo world scaled up (bench/world.py);
2. starts gunicorn on loopback against it (persistent connections, DEBUG off);
3. drives single checks and 100-check batches from a separate process with
   keep-alive connections, and prints throughput and p50/p99 latency.

Figures only: nothing here asserts a time. Results are in docs/benchmarks.md.
"""

import argparse
import json
import os
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


def run_phase(port, secret, path, bodies, *, duration, concurrency):
    context = get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=load, args=(port, secret, path, bodies, duration, concurrency, queue))
    process.start()
    latencies, counts = queue.get()
    process.join()
    return latencies, counts


def report(label, latencies, counts, duration, per_request=1):
    requests = len(latencies)
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000 if ordered else float("nan")
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000 if ordered else float("nan")
    print(
        f"{label:<28} {requests / duration:>9.0f} req/s {requests * per_request / duration:>10.0f} decisions/s"
        f"   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   statuses {dict(sorted(counts.items()))}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--organizations", type=int, default=200)
    parser.add_argument("--members", type=int, default=10, help="members (each with two tokens) per organization")
    parser.add_argument("--repositories", type=int, default=20, help="repositories per organization")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--reuse", action="store_true", help="keep the database of the previous run (same sizes)")
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive connections of the load generator")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
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

    port = free_port()
    server = start_server(args, environment, port)
    try:
        run_phase(port, secret, "/api/v1/access/check", singles, duration=2, concurrency=args.concurrency)  # warm-up
        print(f"gunicorn: {args.workers} workers × {args.threads} threads; load: {args.concurrency} connections,"
              f" {args.duration:.0f} s per phase; machine: {os.cpu_count()} cores")  # fmt: skip
        phases = [
            ("bare DRF view (ceiling)", "/bench/constant", singles),
            ("DRF + client auth, constant", "/bench/authenticated-constant", singles),
            ("single check", "/api/v1/access/check", singles),
        ]
        for label, path, bodies in phases:
            latencies, counts = run_phase(
                port, secret, path, bodies, duration=args.duration, concurrency=args.concurrency
            )
            report(label, latencies, counts, args.duration)
        latencies, counts = run_phase(
            port, secret, "/api/v1/access/check-batch", batches, duration=args.duration, concurrency=args.concurrency
        )
        report("batch check (100 per call)", latencies, counts, args.duration, per_request=100)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
