"""Load generators for bench/run.py, each in a process of its own beside the server.

- `wrk_phase`: closed loop, as fast as the server answers, with wrk (Debian's
  package), which leaves the CPU to the server;
- `python_phase`: the same from a Python process, when wrk is not installed;
- `paced_phase`: open loop at a fixed offered rate (wrk2's method, which wrk
  lacks): request i is due at start + i / rate whatever happened before, and
  its latency counts from when it was due, so a stall shows up in every
  request that queued behind it instead of being left out.

Each returns a `Figures`.
"""

import asyncio
import os
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.client import HTTPConnection
from multiprocessing import get_context
from pathlib import Path


@dataclass
class Phase:
    """What to send: bodies replayed in turn, with the same headers."""

    path: str
    bodies: list[str]
    authorization: str
    content_type: str = "application/json"
    per_request: int = 1  # decisions per request
    method: str = "POST"
    # Headers of each request, replayed in turn beside `authorization` (forward-auth: no bodies).
    header_sets: list[dict] = field(default_factory=list)


@dataclass
class Figures:
    rate: float  # requests/s (closed loop) or achieved requests/s (paced)
    p50: float  # ms
    p99: float  # ms
    statuses: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(len(ordered) * fraction) - 1))] * 1000


# --- wrk ---------------------------------------------------------------------------

WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = os.getenv("PATROL_BENCH_CONTENT_TYPE")
wrk.headers["Authorization"] = os.getenv("PATROL_BENCH_AUTHORIZATION")
local bodies = {}
for line in io.lines(os.getenv("PATROL_BENCH_BODIES")) do bodies[#bodies + 1] = line end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, nil, bodies[(counter % #bodies) + 1])
end
"""


# For phases whose requests differ by their headers: each line of the file is one
# request's headers, "Name: value" separated by tabs. wrk.format replaces wrk.headers
# rather than adding to them, so the fixed ones are copied into each request's.
WRK_HEADERS_SCRIPT = """
wrk.method = os.getenv("PATROL_BENCH_METHOD")
local fixed = os.getenv("PATROL_BENCH_AUTHORIZATION")
local requests = {}
for line in io.lines(os.getenv("PATROL_BENCH_BODIES")) do
  local headers = {}
  if fixed ~= "" then headers["Authorization"] = fixed end
  for name, value in line:gmatch("([^\t:]+): ([^\t]*)") do headers[name] = value end
  requests[#requests + 1] = headers
end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, requests[(counter % #requests) + 1], nil)
end
"""


def _headers_line(headers: dict) -> str:
    return "\t".join(f"{name}: {value}" for name, value in headers.items())


def _wrk_milliseconds(text: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("m", 60_000.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def wrk_phase(port: int, phase: Phase, *, duration: float, concurrency: int) -> Figures:
    with tempfile.TemporaryDirectory() as folder:
        script, body_file = Path(folder, "bench.lua"), Path(folder, "bodies.txt")
        if phase.header_sets:
            script.write_text(WRK_HEADERS_SCRIPT)
            body_file.write_text("\n".join(_headers_line(headers) for headers in phase.header_sets))
        else:
            script.write_text(WRK_SCRIPT)
            body_file.write_text("\n".join(phase.bodies))
        environment = {
            **os.environ,
            "PATROL_BENCH_AUTHORIZATION": phase.authorization,
            "PATROL_BENCH_CONTENT_TYPE": phase.content_type,
            "PATROL_BENCH_METHOD": phase.method,
            "PATROL_BENCH_BODIES": str(body_file),
        }
        output = subprocess.run(
            ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(duration))}s", "--latency", "-s", str(script),
             f"http://127.0.0.1:{port}{phase.path}"],
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
        elif line.strip().startswith("Socket errors"):
            figures["socket"] = line.split(":", 1)[1].strip()
    statuses = {"non-2xx": figures.get("errors", 0)}
    if "socket" in figures:
        statuses["socket errors"] = figures["socket"]
    return Figures(figures["rate"], figures["50%"], figures["99%"], statuses)


# --- closed loop in Python ---------------------------------------------------------


def _drive(port, phase, start, stop_at, latencies, counts):
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    fixed = {"Authorization": phase.authorization} if phase.authorization else {}
    if not phase.header_sets:
        fixed["Content-Type"] = phase.content_type
    index = start
    while time.monotonic() < stop_at:
        if phase.header_sets:
            body, headers = None, {**fixed, **phase.header_sets[index % len(phase.header_sets)]}
        else:
            body, headers = phase.bodies[index % len(phase.bodies)], fixed
        index += 1
        started = time.perf_counter()
        connection.request(phase.method, phase.path, body, headers)
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        counts[response.status] = counts.get(response.status, 0) + 1


def _closed_loop(port, phase, duration, concurrency, queue):
    stop_at = time.monotonic() + duration
    latencies, counts = [], {}
    requests = len(phase.header_sets or phase.bodies)
    threads = [
        threading.Thread(target=_drive, args=(port, phase, n * requests // concurrency, stop_at, latencies, counts))
        for n in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put((latencies, counts))


def _in_process(target, *args):
    context = get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def python_phase(port: int, phase: Phase, *, duration: float, concurrency: int) -> Figures:
    latencies, counts = _in_process(_closed_loop, port, phase, duration, concurrency)
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000 if ordered else float("nan")
    return Figures(len(latencies) / duration, p50, _percentile(ordered, 0.99), dict(sorted(counts.items())))


# --- open loop at a fixed rate -----------------------------------------------------


async def _read_response(reader) -> tuple[int, bool]:
    """The status, and whether the server closes the connection after this response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length, closes = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            closes = value.strip().lower() == b"close"
        elif name == b"transfer-encoding":
            raise RuntimeError("chunked responses are not supported by the paced load generator")
    if length:
        await reader.readexactly(length)
    return status, closes


async def _paced(port, phase, rate, duration, connections):
    loop = asyncio.get_running_loop()
    requests = [
        (
            f"POST {phase.path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {phase.authorization}\r\n"
            f"Content-Type: {phase.content_type}\r\nContent-Length: {len(body.encode())}\r\n\r\n{body}"
        ).encode()
        for body in phase.bodies
    ]
    due_queue: asyncio.Queue = asyncio.Queue()
    latencies, service, lags, counts = [], [], [], {}
    start = loop.time() + 0.2  # let the connections open
    # A server that cannot keep up would make the queue, and the phase, grow without
    # end: what is still waiting after the grace period is counted, not sent.
    give_up = start + duration + max(5.0, duration)

    async def connection():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while (item := await due_queue.get()) is not None:
            due, request = item
            sent = loop.time()
            if sent > give_up:
                counts["unanswered"] = counts.get("unanswered", 0) + 1
                continue
            writer.write(request)
            status, closes = await _read_response(reader)
            done = loop.time()
            if closes:  # gunicorn's sync workers answer one request per connection
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            latencies.append(done - due)
            service.append(done - sent)
            lags.append(sent - due)
            counts[status] = counts.get(status, 0) + 1
        writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    total = int(rate * duration)
    for number in range(total):
        due = start + number / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        due_queue.put_nowait((due, requests[number % len(requests)]))
    for _ in workers:
        due_queue.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = loop.time() - start
    return latencies, service, lags, counts, elapsed


def _paced_process(port, phase, rate, duration, connections, queue):
    latencies, service, lags, counts, elapsed = asyncio.run(_paced(port, phase, rate, duration, connections))
    queue.put((latencies, service, lags, dict(sorted(counts.items(), key=lambda item: str(item[0]))), elapsed))


def paced_phase(port: int, phase: Phase, *, rate: float, duration: float, connections: int) -> Figures:
    """Offer `rate` requests/s for `duration` s; latency from each request's due time (queueing included)."""
    latencies, service, lags, counts, elapsed = _in_process(_paced_process, port, phase, rate, duration, connections)
    ordered = sorted(latencies)
    return Figures(
        len(latencies) / elapsed,
        _percentile(ordered, 0.50),
        _percentile(ordered, 0.99),
        counts,
        {
            "offered": rate,
            "p99.9": _percentile(ordered, 0.999),
            "max": ordered[-1] * 1000 if ordered else float("nan"),
            "service p99": _percentile(sorted(service), 0.99),
            "send lag p99": _percentile(sorted(lags), 0.99),
        },
    )
