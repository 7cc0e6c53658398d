"""Settings for the test suite: the real settings, with test-only secrets.

DATABASE_URL chooses the database exactly as in production (PostgreSQL in CI,
SQLite for a newcomer).
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("TOKEN_PEPPERS", "1:test-only-pepper")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Token uses are written in the check, where a test can see them (tokens/engine/usage.py
# tests its writer thread on its own).
PATROL_LAST_USE_FLUSH_SECONDS = 0
# Every check reads the facts version and no write waits out a lease: the tests
# of the lease itself set one (tests/tokens/engine/test_facts_cache.py, tests/deploy/).
PATROL_FACTS_LEASE_SECONDS = 0
# No refresher thread: tests run its rounds themselves (tests/tokens/engine/test_facts_refresh.py).
PATROL_FACTS_REFRESH_SECONDS = 0
