"""The cycle collector held off while an API client's request is answered.

A cold batch check builds some thirty tracked objects a decision, three
thousand a request, and nearly all of them live until the request ends. The
collector, run every 700 allocations, walked those same live objects again
and again: about a tenth of a cold batch's time, for cycles it almost never
found. Paused for the request, it runs once the request's objects are freed,
and walks only what outlived it (the parts the facts cache kept). Reference
counting still frees everything without a cycle at once, so a request's
memory is what it was; only cyclic garbage waits for the request to end.

The pause counts its holders: with threads, the collector resumes when the
last request that paused it ends, and only if it was enabled before.
"""

import gc
import threading
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_resume = False


@contextmanager
def collector_paused():
    global _holders, _resume
    with _lock:
        if _holders == 0:
            _resume = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _resume:
                gc.enable()
