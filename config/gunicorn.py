"""gunicorn settings for Patrol: `gunicorn -c config/gunicorn.py` (docs/deploy.md).

Bind address and worker count come from the command line; this file holds
what each worker does to its own interpreter once it has loaded the application.
"""

import gc
import sys

import psycopg._queries

wsgi_app = "config.wsgi"


def post_worker_init(worker) -> None:
    tune_interpreter()


def tune_interpreter() -> None:
    # A full collection walks every held check fact and stalls the requests
    # behind it: collect the middle generation ten times less often, so full
    # collections come ten times less often.
    gc.set_threshold(700, 100, 10)
    # What loading the application left lives as long as the worker: out of
    # every collection's way.
    gc.collect()
    gc.freeze()
    # The refresher and last-use threads hold the interpreter for 10–25 ms a
    # batch; the request thread gets it back after 1 ms instead of 5.
    sys.setswitchinterval(0.001)
    # psycopg remembers how it rewrote a statement's placeholders only for
    # statements up to 4 KiB; the cold check's statement (a credential and a
    # resource side by side) runs to 6 KiB, and rewriting it each time costs
    # about 0.2 ms of a 1.2 ms cold check. The check's statements are a fixed
    # few dozen, so remembering them all costs nothing.
    psycopg._queries.MAX_CACHED_STATEMENT_LENGTH = 16 * 1024
