"""PostgreSQL connections are tuned for the access check: prepared statements with
generic plans, a random page cost for data that fits in memory, and a health
check without a round trip (tests/test_database_health.py)."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

READ = "import django; django.setup(); from django.conf import settings as s; print(s.DATABASES['default'][{name!r}])"


def database_setting(name: str, **environment) -> str:
    """The default database's setting `name` as Patrol's settings make it under `environment`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DB_")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL="postgres://patrol@db.example/patrol")
    env.update(environment)
    result = subprocess.run(
        [sys.executable, "-c", READ.format(name=name)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_connections_plan_for_rows_in_memory_by_default():
    assert "-c plan_cache_mode=force_generic_plan -c random_page_cost=1.1" in database_setting("OPTIONS")


def test_postgresql_urls_use_the_backend_with_a_health_check_without_a_round_trip():
    assert database_setting("ENGINE").strip() == "config.postgresql"


def test_an_empty_random_page_cost_keeps_the_servers_own():
    assert "random_page_cost" not in database_setting("OPTIONS", DB_RANDOM_PAGE_COST="")


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
def test_the_live_connection_runs_with_the_setting():
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"
