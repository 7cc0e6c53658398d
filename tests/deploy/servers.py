"""Gunicorn processes for the deploy tests: each one worker, on the test database."""

import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 1  # the same in the servers and in this process


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    database = connection.settings_dict
    return "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(
        USER=database["USER"] or "postgres",
        HOST=database["HOST"] or "127.0.0.1",
        PORT=database["PORT"] or 5432,
        NAME=database["NAME"],
    )


def wait_until_serving(port: int, process) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server on port {port} did not start")


@contextmanager
def gunicorn_servers(env: dict, count: int = 2):
    """`count` gunicorn processes started with `env`; yields their base URLs, stops them after."""
    ports, processes = [free_port() for _ in range(count)], []
    try:
        for port in ports:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "-b", f"127.0.0.1:{port}", "-w=1"],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for port, process in zip(ports, processes, strict=True):
            wait_until_serving(port, process)
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)
