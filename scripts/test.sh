#!/usr/bin/env bash
# Install everything and run the whole test suite.
# SQLite by default; set DATABASE_URL=postgres://... to run it on PostgreSQL.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh dev
.venv/bin/ruff check --quiet .
.venv/bin/bandit --quiet --configfile pyproject.toml --recursive .
exec .venv/bin/python -m pytest "$@"
