import gc
import os
import sys

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# A full garbage collection walks every object a worker tracks and stalls every
# request queued behind it: ~180 ms at the benchmark's 12,000 held checks
# (docs/benchmarks.md). Two settings keep those stalls short and rare.
#
# CPython starts a full collection once a quarter more objects have reached the
# oldest generation, and with its default thresholds (700, 10, 10) the objects
# of the request in flight get there on every tenth young collection.
# Collecting the middle generation ten times less often promotes ten times
# less, so full collections come about ten times less often; the young
# collections, which do the day-to-day work, stay as they are. (A larger first
# threshold was tried too: each young collection then costs ~2 ms, worse.)
gc.set_threshold(700, 100, 10)
# What the application loaded — modules, models, URLs, some 100,000 objects —
# lives as long as the process: collect the garbage of loading it, then move the
# rest where no collection walks (gc.freeze). Full collections then walk the
# held facts and little else (~100 ms instead of ~180 ms in bench/tail.py).
gc.collect()
gc.freeze()

# A worker runs two threads beside the one answering requests: the last-use
# writer (tokens/engine/usage.py) and the facts refresher (tokens/engine/refresher.py), whose
# batches hold the interpreter for ~10–25 ms. A thread waiting for the
# interpreter gets it after the switch interval, 5 ms by default — a delay the
# request thread would pay on every request that arrives during a batch. At
# 1 ms it pays at most about that.
sys.setswitchinterval(0.001)
