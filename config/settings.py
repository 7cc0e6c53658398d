"""Patrol's settings, read from the environment (behaviour §11).

Every variable has a safe default for the embedded set-up: SQLite inside the
project, local-memory cache, console email. Production sets DATABASE_URL,
SECRET_KEY, TOKEN_PEPPERS, ALLOWED_HOSTS and REDIS_URL.
"""

import json
import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("PATROL_STATE_DIR", BASE_DIR / "var"))


def envbool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name, default):
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def envlist(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def _local_secret(filename, *, create: bool):
    """A random secret kept in STATE_DIR: generated once under DEBUG, and read
    back by any later command on this machine (the demo's `manage.py` commands
    in a new shell). None when it does not exist and may not be created."""
    path = STATE_DIR / filename
    if not path.exists():
        if not create:
            return None
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = envbool("DEBUG", False)

# Production sets both; without them, the ones this machine's demo or DEBUG
# run generated in STATE_DIR are used, and with neither DEBUG off refuses to start.
SECRET_KEY = os.environ.get("SECRET_KEY") or _local_secret("secret_key", create=DEBUG)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

# Token digests are HMAC-SHA256 under a pepper that is *not* SECRET_KEY, so the
# two rotate independently. "id:secret" pairs, comma-separated; the highest id
# signs new tokens, every listed id still verifies old ones.
_peppers = os.environ.get("TOKEN_PEPPERS")
if _peppers:
    TOKEN_PEPPERS = {
        int(pepper_id): secret for pepper_id, secret in (item.split(":", 1) for item in _peppers.split(","))
    }
elif _local_pepper := _local_secret("token_pepper", create=DEBUG):
    TOKEN_PEPPERS = {1: _local_pepper}
else:
    raise ImproperlyConfigured("TOKEN_PEPPERS must be set when DEBUG is off.")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

# Served over HTTPS (behind a load balancer that terminates TLS and sets
# X-Forwarded-Proto): secure cookies, HSTS, redirects to https. docs/deploy.md.
if envbool("HTTPS", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_filters",
    "guardian",
    "policies",
    "organizations",
    "enterprises",
    "audit",
    "outbox",
    "webhooks",
    "tokens",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.headers.ContentSecurityPolicyMiddleware",
    "config.headers.ResponseHeadersMiddleware",
    "config.middleware.RefuseNulMiddleware",  # before anything reads the session or the URL's parameters
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "organizations.context_processors.organization_switcher",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{STATE_DIR / 'patrol.sqlite3'}"),
        # Persistent connections: the access check is a hot path (behaviour §4).
        conn_max_age=envint("CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
# Server-side parameters let psycopg prepare the access check's few statements
# once per connection, and generic plans stop PostgreSQL from re-planning them
# on every call (its planner costs several times what the index lookups do,
# and left to choose it can settle on re-planning after an ANALYZE). Behind a
# transaction-pooling PgBouncer, set DB_SERVER_SIDE_BINDING=0.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with a health check that needs no round trip (config/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "config.postgresql"
if DATABASES["default"]["ENGINE"] == "config.postgresql" and envbool("DB_SERVER_SIDE_BINDING", True):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5, options="-c plan_cache_mode=force_generic_plan"
    )
# The check's rows are read from memory, not disk: PostgreSQL's default random
# page cost (4, for spinning disks) makes it hash whole small tables where an
# index lookup per row is cheaper, and a cold batch then costs about twice its
# lookups. DB_RANDOM_PAGE_COST="" keeps the server's own setting.
_random_page_cost = os.environ.get("DB_RANDOM_PAGE_COST", "1.1")
if DATABASES["default"]["ENGINE"] == "config.postgresql" and _random_page_cost:
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c random_page_cost={float(_random_page_cost)}".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )

_cache_url = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL")
if _cache_url:
    CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": _cache_url}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Each process keeps the facts of the checks it answered, validated by one
# version in the shared cache (tokens/engine/facts_cache.py). On by default only with
# a shared cache: a LocMem cache cannot tell other processes of a change.
PATROL_FACTS_CACHE = envbool("PATROL_FACTS_CACHE", bool(_cache_url))
# A process drops each entry it holds after at most this long whatever the
# version says. That bounds the harm of a bump lost to a crash in the
# milliseconds between a commit and its bump, or to a cache unreachable just
# then. Every entry dropped costs a reload, so this is not made short.
PATROL_FACTS_CACHE_SECONDS = envint("PATROL_FACTS_CACHE_SECONDS", 300)
PATROL_FACTS_CACHE_ENTRIES = envint("PATROL_FACTS_CACHE_ENTRIES", 50000)
# How often each process's thread reloads the held facts that checks keep
# asking for, ahead of that lifetime (tokens/engine/refresher.py); 0: no thread.
PATROL_FACTS_REFRESH_SECONDS = float(os.environ.get("PATROL_FACTS_REFRESH_SECONDS", "0.5"))
# How long a process trusts the facts version it read, and so how long every
# committed change waits before it answers (tokens/engine/facts_cache.py). Every
# process must use the same value. 0 reads the version on every check.
PATROL_FACTS_LEASE_SECONDS = float(os.environ.get("PATROL_FACTS_LEASE_SECONDS", "0.1" if _cache_url else "0"))
# With the facts cache on, token uses are written by a thread per process this
# often (tokens/engine/usage.py); 0 writes them in the check itself.
PATROL_LAST_USE_FLUSH_SECONDS = float(os.environ.get("PATROL_LAST_USE_FLUSH_SECONDS", "1"))

AUTH_USER_MODEL = "organizations.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Roles are object permissions of real users; Patrol has no use for guardian's
# stand-in anonymous user.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["config.formats"]  # dates the admin renders say them as the pages do

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Requests larger than this are refused before any view sees them (behaviour §10).
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)

_email_url = os.environ.get("EMAIL_URL")
if _email_url:
    _email = urlparse(_email_url)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or 25
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_TLS = _email.scheme == "smtp+tls"
    EMAIL_USE_SSL = _email.scheme == "smtps"
    # A hung mail server must not hold a request (or an outbox row's lock) for long.
    EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10)
else:
    EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "patrol@localhost")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["tokens.api.parsers.StrictJsonParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tokens.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Patrol API",
    "DESCRIPTION": "Access decisions for personal access tokens and SSH keys (behaviour §5.4).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # JavaScript, passed as is: no validator badge (fetched from validator.swagger.io, which CSP
    # blocks), and PatrolApiDocs (static/js/api-docs.js) keeps links out of the operations' buttons.
    "SWAGGER_UI_SETTINGS": """{
        deepLinking: true,
        validatorUrl: null,
        presets: [SwaggerUIBundle.presets.apis, PatrolApiDocs],
    }""",
}

# Patrol's own knobs, each documented in README.md.
PATROL_API_CLIENT_RATE_PER_MINUTE = envint("PATROL_API_CLIENT_RATE_PER_MINUTE", 600_000)
# Requests an address may make an hour to the credentials revoke API, which needs no account: GitHub's 60.
PATROL_CREDENTIALS_REVOKE_RATE_PER_HOUR = envint("PATROL_CREDENTIALS_REVOKE_RATE_PER_HOUR", 60)
PATROL_LAST_USED_RESOLUTION_SECONDS = 60
# A failed email is tried again after PATROL_OUTBOX_RETRY_SECONDS, doubled at each
# failure, and parked after PATROL_OUTBOX_MAX_ATTEMPTS (5 min, 10, 20, 40: 75 min).
PATROL_OUTBOX_MAX_ATTEMPTS = envint("PATROL_OUTBOX_MAX_ATTEMPTS", 5)
PATROL_OUTBOX_RETRY_SECONDS = envint("PATROL_OUTBOX_RETRY_SECONDS", 300)
# Forward-auth (docs/gateway.md): the realm git is told to log in to, and the
# operator's routes, a JSON list of [methods, pattern, permission] tried before the defaults.
PATROL_FORWARD_AUTH_REALM = os.environ.get("PATROL_FORWARD_AUTH_REALM", "Patrol")
PATROL_FORWARD_AUTH_ROUTES = json.loads(os.environ.get("PATROL_FORWARD_AUTH_ROUTES") or "[]")
# Webhooks: the site's address their payloads link to; private targets only where an operator allows (no SSRF).
PATROL_SITE_URL = os.environ.get("PATROL_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
PATROL_WEBHOOKS_ALLOW_PRIVATE_TARGETS = envbool("PATROL_WEBHOOKS_ALLOW_PRIVATE_TARGETS", False)
PATROL_WEBHOOKS_TIMEOUT_SECONDS = envint("PATROL_WEBHOOKS_TIMEOUT_SECONDS", 10)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# --- Sign-in throttling (issue 5) ----------------------------------------------
# django-axes counts failed sign-ins on /login/ and /admin/login/ in the
# database (so every process sees the same counts), per username and client
# address together, and per client address alone (issue 16): failing someone
# else's password locks the address it came from, never their account
# elsewhere. LOGIN_FAILURE_LIMIT failures lock that address for
# LOGIN_LOCKOUT_MINUTES after the last failure: the form answers 429 with
# templates/registration/locked_out.html, which says how long. A successful
# sign-in is unaffected until the limit is reached. `manage.py axes_reset_ip
# ADDRESS` lifts a lock.
# Behind PROXY_COUNT proxies that each append to X-Forwarded-For, the client
# address is the one the outermost proxy saw (config/client_ip.py); without
# it every sign-in would share the load balancer's address.
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last, as axes requires
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", *AUTHENTICATION_BACKENDS]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envint("LOGIN_LOCKOUT_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are not recorded; failures are
AXES_ENABLE_ADMIN = False  # attempts span tenants: not for enterprise owners' admin
PATROL_PROXY_COUNT = envint("PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"

# --- Response headers (issue 16) -------------------------------------------------
# django-csp sends this policy on every page (the JSON APIs get a stricter constant
# one, config/headers.py, which also adds Permissions-Policy and no-store).
# Scripts and styles come only from this site's static files: nothing inline,
# no eval, nothing from a CDN. Swagger UI's stylesheet draws icons as data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"  # for browsers that predate frame-ancestors
SECURE_REFERRER_POLICY = "same-origin"
