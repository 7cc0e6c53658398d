"""The WSGI entry point gunicorn serves (config/wsgi.py)."""

import gc


def test_the_served_application_collects_the_middle_generation_ten_times_less_often():
    import config.wsgi  # noqa: F401  # what gunicorn imports in each worker

    assert gc.get_threshold()[:2] == (700, 100)
