"""Threads beside the requests: one of each kind per process, started when first needed.

The last-use writer (tokens/engine/usage.py) and the facts refresher
(tokens/engine/refresher.py) each run one. A gunicorn worker is a forked process: it
inherits the parent's objects but not its threads, so a thread is remembered
with the process that started it, and a forked process starts its own.
"""

import os
import threading


class ProcessThread:
    """A daemon thread running `target`, at most one per process."""

    def __init__(self, name: str, target):
        self.name = name
        self.target = target
        self._lock = threading.Lock()
        self._running: tuple[int, threading.Thread] | None = None  # (pid, thread)

    def start(self) -> None:
        """Start it in this process, unless it runs here already."""
        running = self._running
        if running is not None and running[0] == os.getpid():
            return
        with self._lock:
            running = self._running
            if running is None or running[0] != os.getpid():
                thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._running = (os.getpid(), thread)
                thread.start()

    @property
    def thread(self) -> threading.Thread | None:
        running = self._running
        return running[1] if running is not None and running[0] == os.getpid() else None

    def _run(self) -> None:
        try:
            self.target()
        finally:
            with self._lock:
                self._running = None  # the target returned: the next start() runs it again
