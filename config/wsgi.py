import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# A worker holds many long-lived objects: the facts of the checks it answered
# (tokens/facts_cache.py), some 16 per check. A full garbage collection walks
# them all — about 200 ms at 12,000 held checks, a stall every request queued
# behind it feels. CPython starts one once a quarter more objects have reached
# the oldest generation, and with its default thresholds (700, 10, 10) the
# objects of the request in flight get there on every tenth young collection:
# a full collection every ~36,000 checks per worker, with nothing new held.
# Collecting the middle generation ten times less often promotes ten times
# less, so full collections come about ten times less often; the young
# collections, which do the day-to-day work, stay as they are. (Measured
# in-process on the benchmark's world: docs/benchmarks.md.)
gc.set_threshold(700, 100, 10)
