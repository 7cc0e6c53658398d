"""A git server behind nginx and Patrol for the integration test: Debian's nginx, fcgiwrap and git.

nginx runs in the foreground as this user, with its own prefix, temporary
paths and a free port; its server block is the one docs/gateway.md shows, read
from that page, so the documented configuration is the one proven.
"""

import getpass
import os
import re
import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from tests.deploy.servers import ROOT, free_port, wait_until_serving

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
FCGIWRAP = shutil.which("fcgiwrap") or "/usr/sbin/fcgiwrap"
GIT = shutil.which("git") or "/usr/bin/git"


def missing_tools() -> list[str]:
    """What the test needs and this machine lacks (apt-get install nginx fcgiwrap git)."""
    missing = [
        name for name, path in (("nginx", NGINX), ("fcgiwrap", FCGIWRAP), ("git", GIT)) if not os.access(path, os.X_OK)
    ]
    if "git" not in missing and not (git_exec_path() / "git-http-backend").exists():
        missing.append("git-http-backend")
    return missing


def git_exec_path() -> Path:
    return Path(subprocess.run([GIT, "--exec-path"], capture_output=True, text=True, check=True).stdout.strip())


def documented_server_block() -> str:
    """The ```nginx block of docs/gateway.md."""
    text = (ROOT / "docs" / "gateway.md").read_text()
    return re.search(r"```nginx\n(.*?)```", text, re.DOTALL)[1]


def nginx_configuration(folder: Path, *, port: int, patrol: str, secret: str, socket: Path, repositories: Path) -> str:
    server = documented_server_block()
    for documented, here in (
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("http://127.0.0.1:8000", patrol),
        ("PATROL_CLIENT_SECRET", secret),
        ("unix:/run/fcgiwrap.socket", f"unix:{socket}"),
        ("/usr/lib/git-core/git-http-backend", str(git_exec_path() / "git-http-backend")),
        ("GIT_PROJECT_ROOT /srv/git", f"GIT_PROJECT_ROOT {repositories}"),
    ):
        assert documented in server, f"docs/gateway.md's server block no longer has {documented!r}"
        server = server.replace(documented, here)
    temporary = "\n".join(
        f"    {kind}_temp_path {folder / 'tmp' / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # Run as root (a CI container), the workers stay this user rather than nginx's default, nobody.
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    return (
        f"{user}worker_processes 1;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} warn;\n"
        f"events {{ worker_connections 64; }}\n"
        f"http {{\n    access_log off;\n{temporary}\n{server}\n}}\n"
    )


@contextmanager
def git_gateway(folder: Path, *, patrol: str, secret: str, repositories: Path):
    """fcgiwrap and nginx in front of `repositories`, asking `patrol`; yields nginx's base URL."""
    port, socket = free_port(), folder / "fcgiwrap.sock"
    (folder / "tmp").mkdir(parents=True, exist_ok=True)
    configuration = folder / "nginx.conf"
    configuration.write_text(
        nginx_configuration(folder, port=port, patrol=patrol, secret=secret, socket=socket, repositories=repositories)
    )
    processes = []
    try:
        processes.append(subprocess.Popen([FCGIWRAP, "-s", f"unix:{socket}"], stdout=subprocess.DEVNULL))
        deadline = time.monotonic() + 10
        while not socket.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        nginx = [NGINX, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(configuration)]
        subprocess.run([*nginx, "-t", "-q"], check=True, capture_output=True)
        processes.append(subprocess.Popen([*nginx, "-g", "daemon off;"], stdout=subprocess.DEVNULL))
        wait_until_serving(port, processes[-1])
        yield f"http://127.0.0.1:{port}"
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def git(*arguments, cwd=None, home: Path) -> subprocess.CompletedProcess:
    """A real git command, with no configuration or credentials but the test's own."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_AUTHOR_NAME": "Alice",
        "GIT_AUTHOR_EMAIL": "alice@example.com",
        "GIT_COMMITTER_NAME": "Alice",
        "GIT_COMMITTER_EMAIL": "alice@example.com",
    }
    return subprocess.run([GIT, *arguments], cwd=cwd, env=environment, capture_output=True, text=True, timeout=60)


def bare_repository(repositories: Path, name: str, *, home: Path) -> None:
    """`repositories/<name>.git` with one commit on main."""
    path = repositories / f"{name}.git"
    path.parent.mkdir(parents=True, exist_ok=True)
    assert git("init", "-q", "--bare", "-b", "main", str(path), home=home).returncode == 0
    seed = home / f"seed-{name.replace('/', '-')}"
    assert git("init", "-q", "-b", "main", str(seed), home=home).returncode == 0
    (seed / "README.md").write_text(f"# {name}\n")
    for command in (("add", "README.md"), ("commit", "-q", "-m", "First"), ("push", "-q", str(path), "main")):
        done = git(*command, cwd=seed, home=home)
        assert done.returncode == 0, done.stderr
