#!/usr/bin/env bash
# Create .venv and install Patrol's pinned dependencies into it.
#   scripts/install.sh        runtime only
#   scripts/install.sh dev    runtime and test tools
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Patrol needs Python 3.11 or newer; set PYTHON=/path/to/python3.11." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
requirements=requirements.txt
[ "${1:-}" = "dev" ] && requirements=requirements-dev.txt
.venv/bin/python -m pip install --quiet --disable-pip-version-check "pip==26.3"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements" -c constraints.txt

# The browser tests inject axe-core (pinned in tests/browser/package-lock.json).
axe=tests/browser/node_modules/axe-core/axe.min.js
if [ "${1:-}" = "dev" ] && command -v npm >/dev/null \
  && { [ ! -f "$axe" ] || [ tests/browser/package-lock.json -nt "$axe" ]; }; then
  npm ci --prefix tests/browser --no-audit --no-fund --silent
fi
