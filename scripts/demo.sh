#!/usr/bin/env bash
# Install everything, migrate the embedded SQLite database, load the demo world
# and serve Patrol on http://127.0.0.1:8000/ (PORT to change it).
#
# The demo runs as production does, with DEBUG off, so its 403/404/500 pages are
# the site's own. DEBUG off needs SECRET_KEY and TOKEN_PEPPERS: unless they are
# set, they are random ones generated once and kept in var/ (PATROL_STATE_DIR),
# where config/settings.py finds them too, so `manage.py …` in another shell
# reads the same tokens.
# `runserver --insecure` serves the static files, as DEBUG would.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh

STATE_DIR=${PATROL_STATE_DIR:-var}
local_secret() {
  mkdir -p "$STATE_DIR"
  if [ ! -s "$STATE_DIR/$1" ]; then
    (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50), end="")' >"$STATE_DIR/$1")
  fi
  cat "$STATE_DIR/$1"
}
export DEBUG=${DEBUG:-0}
export SECRET_KEY=${SECRET_KEY:-$(local_secret secret_key)}
export TOKEN_PEPPERS=${TOKEN_PEPPERS:-1:$(local_secret token_pepper)}
PORT=${PORT:-8000}
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py seed_demo
echo
echo "Patrol is running at http://127.0.0.1:${PORT}/  (admin: http://127.0.0.1:${PORT}/admin/, API docs: http://127.0.0.1:${PORT}/api/docs/)"
echo "Log in with the demo logins above. Stop with Ctrl-C."
exec .venv/bin/python manage.py runserver --insecure "127.0.0.1:${PORT}"
