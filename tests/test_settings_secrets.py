"""Secrets: production sets SECRET_KEY and TOKEN_PEPPERS; a machine that ran the demo
keeps its own in the state directory, so `manage.py` commands in a new shell work;
with neither, DEBUG off refuses to start."""

import os
import subprocess
import sys

from django.conf import settings

READ = "import django; django.setup(); from django.conf import settings; print(sorted(settings.TOKEN_PEPPERS))"


def run_settings(state_dir, **environment):
    env = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "TOKEN_PEPPERS", "DEBUG")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", PATROL_STATE_DIR=str(state_dir), **environment)
    return subprocess.run(
        [sys.executable, "-c", READ], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=False
    )


def test_with_debug_off_the_demo_secrets_in_the_state_directory_are_read(tmp_path):
    (tmp_path / "secret_key").write_text("a-local-secret-key-" * 3)
    (tmp_path / "token_pepper").write_text("a-local-pepper")

    result = run_settings(tmp_path, DEBUG="0")

    assert (result.returncode, result.stdout.strip()) == (0, "[1]"), result.stderr


def test_with_debug_off_and_no_secrets_anywhere_it_refuses_to_start(tmp_path):
    result = run_settings(tmp_path, DEBUG="0")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr
    assert not (tmp_path / "secret_key").exists()  # nothing generated behind production's back
