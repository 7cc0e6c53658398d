#!/usr/bin/env python
"""Where in time the paced p99's tail comes from: after bench/run.py's warm-up,
single checks offered at a fixed rate in back-to-back 10 s rounds, each printed
with its time since the warm-up began. With --batch, the batch check's
throughput instead (closed loop, as bench/run.py measures it).

    .venv/bin/python bench/run.py --world large --build-only   # once
    .venv/bin/python bench/tail.py large 340                   # world, seconds to run for
    .venv/bin/python bench/tail.py large 340 --batch

Uses the world bench/run.py last built (its fixture under the temp directory)
and the same server settings. Figures only; how to run it: docs/benchmarks.md.
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import run
from bench.load import paced_phase, wrk_phase


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("world", choices=["demo", "large"])
    parser.add_argument("seconds", type=float, help="run rounds until this long after the warm-up began")
    parser.add_argument("--rate", type=float, default=run.TARGET_RATE)
    parser.add_argument("--batch", action="store_true", help="the batch check's throughput in each round")
    args = parser.parse_args()
    server_args = argparse.Namespace(workers=2, worker_class="sync", threads=1)
    environment = run.server_environment(run.database_url(args.world), run.DEFAULT_CACHE_URL)
    world = json.loads(run.saved_world(args.world).read_text())
    plan = run.phases(world)
    run.flush_cache(run.DEFAULT_CACHE_URL)
    port = run.free_port()
    server = run.start_server(server_args, environment, port)
    try:
        began = time.monotonic()
        run.warm_up(wrk_phase, port, plan, environment, seconds=15, concurrency=4)
        while (at := time.monotonic() - began) < args.seconds:
            if args.batch:
                figures = wrk_phase(port, plan[run.BATCH], duration=10, concurrency=4)
                print(
                    f"t={at:4.0f} s  {figures.rate:5.0f} calls/s  p50 {figures.p50:6.2f} ms  p99 {figures.p99:7.2f} ms",
                    flush=True,
                )
                continue
            figures = paced_phase(port, plan[run.SINGLE], rate=args.rate, duration=10, connections=2)
            print(
                f"t={at:4.0f} s  p50 {figures.p50:5.2f} ms  p99 {figures.p99:6.2f} ms"
                f"  service p99 {figures.extra['service p99']:5.2f} ms  max {figures.extra['max']:6.1f} ms",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
