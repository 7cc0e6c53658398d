#!/usr/bin/env bash
# Install everything, migrate the embedded SQLite database, load the demo world
# and serve Patrol on http://127.0.0.1:8000/ (PORT to change it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh

export DEBUG=${DEBUG:-1}
PORT=${PORT:-8000}
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py seed_demo
echo
echo "Patrol is running at http://127.0.0.1:${PORT}/  (admin: http://127.0.0.1:${PORT}/admin/, API docs: http://127.0.0.1:${PORT}/api/docs/)"
echo "Log in with the demo logins above. Stop with Ctrl-C."
exec .venv/bin/python manage.py runserver "127.0.0.1:${PORT}"
