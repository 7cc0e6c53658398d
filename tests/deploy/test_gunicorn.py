"""The gunicorn settings every worker runs with (config/gunicorn.py)."""

import gc
import sys

from config import gunicorn


def test_a_worker_collects_the_middle_generation_ten_times_less_often_and_switches_threads_every_millisecond():
    threshold, interval = gc.get_threshold(), sys.getswitchinterval()
    try:
        gunicorn.post_worker_init(worker=None)  # what gunicorn calls in each worker once the application is loaded
        assert gc.get_threshold()[:2] == (700, 100)
        assert sys.getswitchinterval() == 0.001
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
        sys.setswitchinterval(interval)


def test_gunicorn_serves_the_wsgi_application():
    assert gunicorn.wsgi_app == "config.wsgi"
