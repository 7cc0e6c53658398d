"""gunicorn settings for Patrol: `gunicorn -c config/gunicorn.py` (docs/deploy.md).

Bind address and worker count come from the command line; this file holds
what each worker does to its own interpreter once it has loaded the application.
"""

import gc
import sys

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
