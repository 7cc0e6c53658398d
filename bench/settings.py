"""Settings for the benchmark's server: the product's, plus django-oauth-toolkit.

DOT (bench/requirements.txt) is a benchmark-only dependency: its RFC 7662
introspection endpoint is served by the same gunicorn, on the same database,
with the same settings as Patrol's check API, so the two can be compared
side by side. The product's settings, URLs and tests never import it.
"""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "oauth2_provider"]
ROOT_URLCONF = "bench.urls"

OAUTH2_PROVIDER = {
    # "introspection" is the scope DOT's IntrospectTokenView requires of the
    # resource server's bearer token.
    "SCOPES": {"read": "Read", "write": "Write", "introspection": "Introspect tokens"},
}
