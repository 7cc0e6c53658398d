"""Every URL × every role, generated from the URL configuration (issue 5, behaviour §1, §5, §7, §10).

`url_patterns()` walks ``django.urls.get_resolver()`` — the site, the admin
(every registered model's pages and the enterprise settings), and the v1/v3
APIs — and each pattern is one test case. `MATRIX` is the declarative table:
for every pattern, one or more rows saying how to fill its parameters and
which status each role gets on GET (and on POST where the view takes POSTs).
A pattern without a row fails with a message naming it, so a URL added later
must be placed in the matrix.

The roles: erin (owner of enterprise A, bigcorp), oscar (owner of enterprise
B, othercorp), olga (owner of organization acme, in A), alice (member of acme),
mallory (member of globex, in B: the outsider), anonymous, an API client
(Bearer secret from `api_client_create`) and a superuser. Site and admin pages
are fetched with the Django test client logged in as the role; the APIs with
DRF's APIClient, where each user sends their own classic ``admin:org`` token
as ``Bearer`` (the v3 API's credential; the v1 API takes only API clients).

The world is built once for the module (`world`), and each request runs in a
savepoint that is rolled back with the client's cookies restored, so a POST
that deletes, revokes or logs out leaves the world as it was for the next role
and the next case. A 200 response must not name the other tenant's objects
(`NOT_THEIRS`). Requests that raise are reported as 500s, never expected.
"""

import re
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve, reverse
from rest_framework.test import APIClient

from audit.services import audit_record
from organizations.models import Organization
from organizations.services import user_make_site_administrator
from outbox.models import OutboundEmail
from policies.services import policy_stage
from tests.factories import (
    EnterpriseFactory,
    OrganizationFactory,
    RepositoryFactory,
    UserFactory,
    WebhookEndpointFactory,
    classic_token,
    fine_grained_token,
    grant_of,
    pending_request,
)
from tokens.services import access_request_review, api_client_create, ssh_key_create

pytestmark = pytest.mark.django_db

USERS = ("erin", "oscar", "olga", "alice", "mallory", "superuser")
ROLES = (*USERS, "anonymous", "api_client")

# Words a role's 200 pages must never contain: the other tenant's enterprise, organization and people.
TENANT_A = ("acme", "Big Corp", "bigcorp", "alice", "emu_bob")
TENANT_B = ("globex", "Other Corp", "othercorp", "mallory", "gina")
NOT_THEIRS = {"erin": TENANT_B, "olga": TENANT_B, "alice": TENANT_B, "oscar": TENANT_A, "mallory": TENANT_A}


# --- The world --------------------------------------------------------------------

PERMISSIONS = {"contents": "read"}
HUGE = 2**70  # an id no column can hold (behaviour §10: huge numbers are a 4xx, never a 500)


def the_cast() -> SimpleNamespace:
    """The fixed cast of tests/conftest.py, built here once for the module rather than once per test."""
    erin, olga, alice, oscar, gina, mallory, uma = (
        UserFactory(username=name) for name in ("erin", "olga", "alice", "oscar", "gina", "mallory", "uma")
    )
    bigcorp = EnterpriseFactory(slug="bigcorp", name="Big Corp", owners=[erin])
    othercorp = EnterpriseFactory(slug="othercorp", name="Other Corp", owners=[oscar])
    emu_bob = UserFactory(username="emu_bob", managed_by=bigcorp)
    acme = OrganizationFactory(login="acme", enterprise=bigcorp, owners=[olga], members=[alice, emu_bob])
    globex = OrganizationFactory(login="globex", enterprise=othercorp, owners=[gina], members=[mallory])
    OrganizationFactory(login="umbrella", owners=[uma])
    return SimpleNamespace(
        erin=erin,
        olga=olga,
        alice=alice,
        oscar=oscar,
        gina=gina,
        mallory=mallory,
        bigcorp=bigcorp,
        othercorp=othercorp,
        acme=acme,
        globex=globex,
        web=RepositoryFactory(owner_organization=acme, name="web", visibility="private"),
        secret_plans=RepositoryFactory(owner_organization=globex, name="plans", visibility="private"),
    )


def build_world() -> SimpleNamespace:
    """The cast, plus a token, a pending request and a grant on each side of the tenant line."""
    w = the_cast()
    w.superuser = user_make_site_administrator(user=UserFactory(username="root"))
    w.gateway = api_client_create(name="gateway").plaintext
    w.bigcorp_client = api_client_create(name="bigcorp-ci", enterprise=w.bigcorp).token
    w.othercorp_client = api_client_create(name="othercorp-ci", enterprise=w.othercorp).token
    w.group = Group.objects.create(name="reviewers")

    def request_and_grant(user, organization, owner):
        pending = fine_grained_token(
            user, name=f"{user}-pending", resource_owner=organization, permissions=PERMISSIONS, repository_access="all"
        ).token
        granted = fine_grained_token(
            user, name=f"{user}-granted", resource_owner=organization, permissions=PERMISSIONS, repository_access="all"
        ).token
        access_request_review(request=pending_request(granted), reviewer=owner, approve=True)
        return pending, pending_request(pending), grant_of(granted)

    # Each organization's webhook, listening before the requests below so each has deliveries.
    w.acme_hook = WebhookEndpointFactory(organization=w.acme)
    w.globex_hook = WebhookEndpointFactory(organization=w.globex)
    w.bigcorp_hook = WebhookEndpointFactory(enterprise=w.bigcorp)
    w.othercorp_hook = WebhookEndpointFactory(enterprise=w.othercorp)
    w.acme_token, w.acme_request, w.acme_grant = request_and_grant(w.alice, w.acme, w.olga)
    w.globex_token, w.globex_request, w.globex_grant = request_and_grant(w.mallory, w.globex, w.gina)
    w.acme_delivery = w.acme_hook.deliveries.first()
    w.globex_delivery = w.globex_hook.deliveries.first()
    w.bigcorp_delivery = w.bigcorp_hook.deliveries.first()
    w.othercorp_delivery = w.othercorp_hook.deliveries.first()
    w.acme_event = audit_record(action="test.acme_event", actor=w.olga, organization=w.acme)
    w.globex_event = audit_record(action="test.globex_event", actor=w.gina, organization=w.globex)
    w.alice_key = ssh_key_create(user=w.alice, title="alice-laptop", fingerprint="SHA256:" + "a" * 43)
    w.mallory_key = ssh_key_create(user=w.mallory, title="mallory-laptop", fingerprint="SHA256:" + "m" * 43)

    # Each user's API credential; alice's and mallory's double as "their classic token" below.
    w.api_tokens = {}
    for role in USERS:
        issued = classic_token(getattr(w, role), note=f"{role}-classic", scopes=["admin:org"])
        w.api_tokens[role] = issued.plaintext
        setattr(w, f"{role}_classic", issued.token)
    # Report-only policies staged in both tenants, so their pages have something to show and act on.
    w.acme_staged = policy_stage(instance=w.acme, actor=w.olga, values={"classic_access": "restrict"})
    w.globex_staged = policy_stage(instance=w.globex, actor=w.gina, values={"classic_access": "restrict"})
    w.bigcorp_staged = policy_stage(instance=w.bigcorp, actor=w.erin, values={"classic_access": "restrict"})
    w.othercorp_staged = policy_stage(instance=w.othercorp, actor=w.oscar, values={"classic_access": "restrict"})
    w.clients = clients(w)
    return w


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once, in a transaction rolled back after the module (about 110 cases would otherwise build it 110 times).

    Every request runs in its own rolled-back savepoint (`fetch`), so each case sees the world as built.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


def clients(w) -> dict[str, tuple[Client, APIClient]]:
    """(site client, API client) for each role."""
    made = {}
    for role in ROLES:
        site, api = Client(), APIClient()
        if role in USERS:
            site.force_login(getattr(w, role))
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {w.api_tokens[role]}")
        elif role == "api_client":
            site.defaults["HTTP_AUTHORIZATION"] = f"Bearer {w.gateway}"
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {w.gateway}")
        made[role] = (site, api)
    return made


# --- Expectations -----------------------------------------------------------------


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def site(default: int = 404, **named: int) -> dict[str, int]:
    """A login-required site page: no session (anonymous, an API client) goes to the login page."""
    return {**dict.fromkeys(USERS, default), "anonymous": 302, "api_client": 302, **named}


def admin(erin: int, oscar: int, superuser: int) -> dict[str, int]:
    """An admin page: only staff (enterprise owners, superusers) pass admin_view; the rest go to the admin login."""
    return {**everyone(302), "erin": erin, "oscar": oscar, "superuser": superuser}


def v1(api_client: int) -> dict[str, int]:
    """The check API: API clients only; a person's own token is not an API client secret (401)."""
    return {**everyone(401), "api_client": api_client}


def v3(default: int, **named: int) -> dict[str, int]:
    """The owner API, authorized by the decision engine with each user's own admin:org token (behaviour §5.5).

    Authorization comes before any lookup of a request or grant id, so a
    member who is not an owner gets a 403 whatever the id, and everyone else
    the 404 of an organization that does not exist (issue 16).
    """
    return {**dict.fromkeys(USERS, default), "anonymous": 401, "api_client": 401, **named}


def in_acme(olga: int) -> dict[str, int]:
    """v3 at acme: its owner olga gets `olga`, its member alice 403, everyone else acme's 404."""
    return v3(404, alice=403, olga=olga)


def in_globex() -> dict[str, int]:
    """v3 at globex: its member mallory gets 403, everyone else globex's 404."""
    return v3(404, mallory=403)


@dataclass(frozen=True)
class Row:
    """One way to fill a URL pattern, and the status per role."""

    variant: str
    kwargs: Callable[[SimpleNamespace], dict] = lambda w: {}
    get: dict[str, int] | None = None
    post: dict[str, int] | None = None
    query: dict = field(default_factory=dict)
    data: Callable[[SimpleNamespace], dict] = lambda w: {}
    public: bool = False  # served to everyone alike; exempt from the NOT_THEIRS check


# --- The admin: one block of rows per registered model ---------------------------------


@dataclass(frozen=True)
class AdminModel:
    tenant_a: Callable[[SimpleNamespace], object]
    tenant_b: Callable[[SimpleNamespace], object]
    can_add: bool = False
    can_delete: bool = False
    scoped: bool = True  # an OwnerScopedAdmin; auth.Group keeps Django's model permissions


def _membership(organization, username):
    return lambda w: getattr(w, organization).memberships.get(user__username=username)


ADMIN_MODELS = {
    "auth.group": AdminModel(lambda w: w.group, lambda w: w.group, scoped=False),
    "enterprises.enterprise": AdminModel(lambda w: w.bigcorp, lambda w: w.othercorp),
    "organizations.user": AdminModel(lambda w: w.alice, lambda w: w.mallory),
    "organizations.organization": AdminModel(lambda w: w.acme, lambda w: w.globex),
    "organizations.membership": AdminModel(
        _membership("acme", "alice"), _membership("globex", "mallory"), can_add=True, can_delete=True
    ),
    "organizations.repository": AdminModel(lambda w: w.web, lambda w: w.secret_plans),
    "audit.auditevent": AdminModel(lambda w: w.acme_event, lambda w: w.globex_event),
    "tokens.finegrainedtoken": AdminModel(lambda w: w.acme_token, lambda w: w.globex_token),
    "tokens.classictoken": AdminModel(lambda w: w.alice_classic, lambda w: w.mallory_classic),
    "tokens.accessrequest": AdminModel(lambda w: w.acme_request, lambda w: w.globex_request),
    "tokens.grant": AdminModel(lambda w: w.acme_grant, lambda w: w.globex_grant),
    "tokens.apiclient": AdminModel(lambda w: w.bigcorp_client, lambda w: w.othercorp_client, can_add=True),
    "tokens.sshkey": AdminModel(lambda w: w.alice_key, lambda w: w.mallory_key),
}


def CONFIRM(w):  # the admin's "Yes, I'm sure"
    return {"post": "yes"}


def _object_id(get):
    return lambda w: {"object_id": get(w).pk}


def admin_model_rows(label: str, model: AdminModel) -> dict[str, list[Row]]:
    """Changelist, add, change, delete, history and the bare object URL of one model, for tenant A and B.

    erin owns A, oscar owns B: each answers 404 for the other's object, 403
    where the admin offers no such write at all. auth.Group is not tenant data:
    enterprise owners hold no model permission on it (403), superusers do.
    """
    info = "admin:" + label.replace(".", "_")
    a, b = _object_id(model.tenant_a), _object_id(model.tenant_b)
    if not model.scoped:
        closed, removed = admin(403, 403, 200), admin(403, 403, 302)
        return {
            f"{info}_changelist": [Row("list", get=closed, post=closed)],
            f"{info}_add": [Row("add", get=closed, post=closed)],
            f"{info}_change": [Row("group", a, get=closed, post=closed)],
            f"{info}_delete": [Row("group", a, get=closed, post=removed, data=CONFIRM)],
            f"{info}_history": [Row("group", a, get=closed)],
            f"admin/{label.replace('.', '/')}/<path:object_id>/": [Row("group", a, get=everyone(302))],
        }
    add = admin(200, 200, 200) if model.can_add else admin(403, 403, 403)
    view_a, view_b = admin(200, 404, 200), admin(404, 200, 200)
    if model.can_delete:
        delete_get, delete_post = (view_a, view_b), (admin(302, 404, 302), admin(404, 302, 302))
    else:
        delete_get = delete_post = (admin(403, 404, 403), admin(404, 403, 403))
    return {
        f"{info}_changelist": [Row("list", get=admin(200, 200, 200), post=admin(200, 200, 200))],
        f"{info}_add": [Row("add", get=add, post=add)],
        f"{info}_change": [
            # Every change form here is read-only: a POST is refused (403) once the object is in scope.
            Row("tenant A", a, get=view_a, post=admin(403, 404, 403)),
            Row("tenant B", b, get=view_b, post=admin(404, 403, 403)),
            Row("missing", lambda w: {"object_id": "not-a-number"}, get=admin(404, 404, 404)),
            Row("huge id", lambda w: {"object_id": HUGE}, get=admin(404, 404, 404)),
        ],
        f"{info}_delete": [
            Row("tenant A", a, get=delete_get[0], post=delete_post[0], data=CONFIRM),
            Row("tenant B", b, get=delete_get[1], post=delete_post[1], data=CONFIRM),
        ],
        f"{info}_history": [Row("tenant A", a, get=view_a), Row("tenant B", b, get=view_b)],
        f"admin/{label.replace('.', '/')}/<path:object_id>/": [Row("redirect to change", a, get=everyone(302))],
    }


# --- The table ------------------------------------------------------------------------

ACME, GLOBEX = (lambda w: {"login": "acme"}), (lambda w: {"login": "globex"})
DENY, REVOKE = (lambda w: {"action": "deny"}), (lambda w: {"action": "revoke"})  # minimal valid v3 bodies
OWNER_OF_ACME = site(olga=200, superuser=200)
OWNER_OF_GLOBEX = site(superuser=200)  # gina, globex's owner, is not a role here
HOLDER = {"alice": site(alice=200), "mallory": site(mallory=200)}


def _token(attribute, kind=None):
    def fill(w):
        kwargs = {"pk": getattr(w, attribute).pk}
        return {**kwargs, "kind": kind} if kind else kwargs

    return fill


def _enterprise(slug):
    return lambda w: {"slug": slug}


MATRIX: dict[str, list[Row]] = {
    # --- Admin site ---
    "admin:index": [Row("index", get=admin(200, 200, 200))],
    "admin:login": [
        # Staff already signed in are sent on to the index; anyone else sees the form.
        Row("login", get={**everyone(200), "erin": 302, "oscar": 302, "superuser": 302}, post=everyone(200))
    ],
    "admin:logout": [Row("logout", get=admin(405, 405, 405), post=everyone(302))],
    "admin:password_change": [Row("form", get=admin(200, 200, 200), post=admin(200, 200, 200))],
    "admin:password_change_done": [Row("done", get=admin(200, 200, 200))],
    "admin:autocomplete": [
        Row(
            "membership user",
            query={"app_label": "organizations", "model_name": "membership", "field_name": "user", "term": ""},
            get=admin(200, 200, 200),
        ),
        Row("no parameters", get=admin(403, 403, 403)),
        Row(
            "unknown model",
            query={"app_label": "tokens", "model_name": "nope", "field_name": "user"},
            get=admin(403, 403, 403),
        ),
    ],
    "admin:jsi18n": [Row("catalog", get=admin(200, 200, 200), public=True)],
    "admin:view_on_site": [
        # No model has get_absolute_url: 404 for every object, so nothing is learned about existence.
        Row(
            "globex",
            lambda w: {"content_type_id": ContentType.objects.get_for_model(Organization).pk, "object_id": w.globex.pk},
            get=admin(404, 404, 404),
        ),
        Row("junk", lambda w: {"content_type_id": "x", "object_id": "y"}, get=admin(404, 404, 404)),
    ],
    "admin:app_list": [
        *(
            Row(label, lambda w, label=label: {"app_label": label}, get=admin(200, 200, 200))
            for label in ("enterprises", "organizations", "audit", "tokens")
        ),
        Row("auth", lambda w: {"app_label": "auth"}, get=admin(404, 404, 200)),
        Row("outbox", lambda w: {"app_label": "outbox"}, get=admin(404, 404, 200)),
    ],
    "admin/(?P<url>.*)$": [Row("unknown page", lambda w: {"url": "no-such-page/"}, get=admin(404, 404, 404))],
    # Enterprise settings (behaviour §5.1): another enterprise's slug is a 404.
    "admin:enterprises_enterprise_settings": [Row("chooser", get=admin(302, 302, 200))],
    # Each owner's CSV holds their own enterprises' events (tests/enterprises/test_audit_admin_words.py).
    "admin:audit_auditevent_export": [Row("csv", get=admin(200, 200, 200), post=admin(405, 405, 405))],
    "admin:enterprises_enterprise_account": [
        Row("bigcorp", _enterprise("bigcorp"), get=admin(200, 404, 200)),
        Row("othercorp", _enterprise("othercorp"), get=admin(404, 200, 200)),
        Row("missing", _enterprise("no-such"), get=admin(404, 404, 404)),
    ],
    "admin:enterprises_enterprise_policies": [
        Row("bigcorp", _enterprise("bigcorp"), get=admin(200, 404, 200)),
        Row("othercorp", _enterprise("othercorp"), get=admin(404, 200, 200)),
    ],
    "admin:enterprises_enterprise_pat_policies": [
        # An empty Save re-renders with errors (400) and changes nothing.
        Row("bigcorp", _enterprise("bigcorp"), get=admin(200, 404, 200), post=admin(400, 404, 400)),
        Row("othercorp", _enterprise("othercorp"), get=admin(404, 200, 200), post=admin(404, 400, 400)),
    ],
    # Report-only policies (behaviour §5.8): the report is GET only; Enforce now and Discard ask first (GET),
    # then act on the staged policy the form names: none is a 400, another tenant's a 404.
    "admin:enterprises_enterprise_report_only": [
        Row("bigcorp", _enterprise("bigcorp"), get=admin(200, 404, 200), post=admin(405, 405, 405)),
        Row("othercorp", _enterprise("othercorp"), get=admin(404, 200, 200)),
        Row("missing", _enterprise("no-such"), get=admin(404, 404, 404)),
    ],
    **{
        f"admin:enterprises_enterprise_report_only_{action}": [
            Row("bigcorp", _enterprise("bigcorp"), get=admin(200, 404, 200), post=admin(400, 404, 400)),
            Row(
                "bigcorp's staged policy",
                _enterprise("bigcorp"),
                post=admin(302, 404, 302),
                data=lambda w: {"staged": w.bigcorp_staged.pk},
            ),
            Row(
                "othercorp's staged policy under bigcorp",
                _enterprise("bigcorp"),
                post=admin(404, 404, 404),
                data=lambda w: {"staged": w.othercorp_staged.pk},
            ),
            Row("huge id", _enterprise("bigcorp"), post=admin(400, 404, 400), data=lambda w: {"staged": str(HUGE)}),
            Row("othercorp", _enterprise("othercorp"), get=admin(404, 200, 200)),
        ]
        for action in ("enforce", "discard")
    },
    # The credentials inventory (tests/tokens/inventory/): GET only; a revoke of nothing selected is a 400.
    "enterprise_credentials": [
        Row("bigcorp", _enterprise("bigcorp"), get=admin(200, 404, 200), post=admin(405, 405, 405)),
        Row("othercorp", _enterprise("othercorp"), get=admin(404, 200, 200)),
        Row("missing", _enterprise("no-such"), get=admin(404, 404, 404)),
    ],
    "enterprise_credentials_export": [
        Row("bigcorp", _enterprise("bigcorp"), get=admin(200, 404, 200), post=admin(405, 405, 405)),
        Row("othercorp", _enterprise("othercorp"), get=admin(404, 200, 200)),
    ],
    "enterprise_credentials_revoke": [
        Row("bigcorp", _enterprise("bigcorp"), get=admin(405, 405, 405), post=admin(400, 404, 400)),
        Row("othercorp", _enterprise("othercorp"), post=admin(404, 400, 400)),
    ],
    # Enterprise settings → Webhooks (behaviour §5.7): another enterprise's webhook or delivery is a 404.
    "enterprise_webhook_list": [
        Row("bigcorp", _enterprise("bigcorp"), get=admin(200, 404, 200), post=admin(405, 405, 405)),
        Row("othercorp", _enterprise("othercorp"), get=admin(404, 200, 200)),
        Row("missing", _enterprise("no-such"), get=admin(404, 404, 404)),
    ],
    "enterprise_webhook_new": [
        Row("bigcorp", _enterprise("bigcorp"), get=admin(200, 404, 200), post=admin(400, 404, 400)),
        Row("othercorp", _enterprise("othercorp"), get=admin(404, 200, 200), post=admin(404, 400, 400)),
    ],
    "enterprise_webhook_edit": [
        Row(
            "bigcorp webhook",
            lambda w: {"slug": "bigcorp", "pk": w.bigcorp_hook.pk},
            get=admin(200, 404, 200),
            post=admin(400, 404, 400),
        ),
        Row(
            "othercorp webhook under bigcorp",
            lambda w: {"slug": "bigcorp", "pk": w.othercorp_hook.pk},
            get=admin(404, 404, 404),
            post=admin(404, 404, 404),
        ),
        Row(
            "acme's webhook under bigcorp",
            lambda w: {"slug": "bigcorp", "pk": w.acme_hook.pk},
            get=admin(404, 404, 404),
        ),
        Row("huge id", lambda w: {"slug": "bigcorp", "pk": HUGE}, get=admin(404, 404, 404)),
    ],
    "enterprise_webhook_delete": [
        Row(
            "bigcorp webhook",
            lambda w: {"slug": "bigcorp", "pk": w.bigcorp_hook.pk},
            get=admin(200, 404, 200),
            post=admin(302, 404, 302),
        ),
        Row(
            "othercorp webhook under bigcorp",
            lambda w: {"slug": "bigcorp", "pk": w.othercorp_hook.pk},
            get=admin(404, 404, 404),
            post=admin(404, 404, 404),
        ),
    ],
    "enterprise_webhook_delivery": [
        Row(
            "bigcorp delivery",
            lambda w: {"slug": "bigcorp", "pk": w.bigcorp_hook.pk, "delivery_pk": w.bigcorp_delivery.pk},
            get=admin(200, 404, 200),
            post=admin(302, 404, 302),
        ),
        Row(
            "othercorp delivery under bigcorp's webhook",
            lambda w: {"slug": "bigcorp", "pk": w.bigcorp_hook.pk, "delivery_pk": w.othercorp_delivery.pk},
            get=admin(404, 404, 404),
            post=admin(404, 404, 404),
        ),
        Row(
            "huge id",
            lambda w: {"slug": "bigcorp", "pk": w.bigcorp_hook.pk, "delivery_pk": HUGE},
            get=admin(404, 404, 404),
        ),
    ],
    # --- Site: everyone ---
    "home": [Row("home", get=site(200))],
    "login": [Row("login", get=everyone(200), post=everyone(200))],
    "logout": [Row("logout", get=everyone(405), post=everyone(302))],
    # --- Site: organization owners (behaviour §5.2); members and outsiders get 404 ---
    "organization_pat_settings": [
        Row("acme", ACME, get=OWNER_OF_ACME, post=site(olga=400, superuser=400)),
        Row("globex", GLOBEX, get=OWNER_OF_GLOBEX, post=site(superuser=400)),
        Row("missing", lambda w: {"login": "no-such"}, get=site()),
    ],
    "organization_report_only": [
        Row("acme", ACME, get=OWNER_OF_ACME, post=site(405)),
        Row("globex", GLOBEX, get=OWNER_OF_GLOBEX),
        Row("missing", lambda w: {"login": "no-such"}, get=site()),
    ],
    **{
        f"organization_report_only_{action}": [
            Row("acme", ACME, get=OWNER_OF_ACME, post=site(olga=400, superuser=400)),
            Row(
                "acme's staged policy",
                ACME,
                post=site(olga=302, superuser=302),
                data=lambda w: {"staged": w.acme_staged.pk},
            ),
            Row(
                "globex's staged policy under acme",
                ACME,
                post=site(),
                data=lambda w: {"staged": w.globex_staged.pk},
            ),
            Row("huge id", ACME, post=site(olga=400, superuser=400), data=lambda w: {"staged": str(HUGE)}),
            Row("globex", GLOBEX, get=OWNER_OF_GLOBEX),
        ]
        for action in ("enforce", "discard")
    },
    "organization_overview": [
        Row("acme", ACME, get=OWNER_OF_ACME),
        Row("globex", GLOBEX, get=OWNER_OF_GLOBEX),
        Row("missing", lambda w: {"login": "no-such"}, get=site()),
    ],
    "organization_audit_log": [
        Row("acme", ACME, get=OWNER_OF_ACME),
        Row("globex", GLOBEX, get=OWNER_OF_GLOBEX),
    ],
    "tokens:org-requests": [
        Row("acme", ACME, get=OWNER_OF_ACME, post=OWNER_OF_ACME),
        Row("globex", GLOBEX, get=OWNER_OF_GLOBEX, post=OWNER_OF_GLOBEX),
    ],
    "tokens:org-request": [
        Row(
            "acme request", lambda w: {"login": "acme", "pk": w.acme_request.pk}, get=OWNER_OF_ACME, post=OWNER_OF_ACME
        ),
        Row(
            "globex request under acme", lambda w: {"login": "acme", "pk": w.globex_request.pk}, get=site(), post=site()
        ),
        Row(
            "globex request",
            lambda w: {"login": "globex", "pk": w.globex_request.pk},
            get=OWNER_OF_GLOBEX,
            post=OWNER_OF_GLOBEX,
        ),
        Row("huge id", lambda w: {"login": "acme", "pk": HUGE}, get=site(), post=site()),
    ],
    "tokens:org-active": [
        Row("acme", ACME, get=OWNER_OF_ACME, post=OWNER_OF_ACME),
        Row("globex", GLOBEX, get=OWNER_OF_GLOBEX, post=OWNER_OF_GLOBEX),
    ],
    "tokens:org-grant": [
        # The POST is the Revoke button: an owner is sent back to the list.
        Row(
            "acme grant",
            lambda w: {"login": "acme", "pk": w.acme_grant.pk},
            get=OWNER_OF_ACME,
            post=site(olga=302, superuser=302),
        ),
        Row("globex grant under acme", lambda w: {"login": "acme", "pk": w.globex_grant.pk}, get=site(), post=site()),
        Row(
            "globex grant",
            lambda w: {"login": "globex", "pk": w.globex_grant.pk},
            get=OWNER_OF_GLOBEX,
            post=site(superuser=302),
        ),
        Row("huge id", lambda w: {"login": "acme", "pk": HUGE}, get=site(), post=site()),
    ],
    # Confirmations of the owners' destructive actions: GET pages only; a bad or empty selection is a 400.
    "tokens:org-request-deny": [
        Row(
            "acme request",
            lambda w: {"login": "acme", "pk": w.acme_request.pk},
            get=OWNER_OF_ACME,
            post=site(405, anonymous=302, api_client=302),
        ),
        Row("globex request under acme", lambda w: {"login": "acme", "pk": w.globex_request.pk}, get=site()),
        Row("huge id", lambda w: {"login": "acme", "pk": HUGE}, get=site()),
    ],
    "tokens:org-requests-deny": [
        # The queue's "Deny selected" posts here and is sent on to the GET page.
        Row("acme, nothing selected", ACME, get=site(olga=400, superuser=400), post=site(olga=302, superuser=302)),
        Row("acme, huge id", ACME, get=site(olga=400, superuser=400), query={"request_ids": str(HUGE)}),
    ],
    "tokens:org-grant-revoke": [
        Row(
            "acme grant",
            lambda w: {"login": "acme", "pk": w.acme_grant.pk},
            get=OWNER_OF_ACME,
            post=site(405, anonymous=302, api_client=302),
        ),
        Row("globex grant under acme", lambda w: {"login": "acme", "pk": w.globex_grant.pk}, get=site()),
        Row("huge id", lambda w: {"login": "acme", "pk": HUGE}, get=site()),
    ],
    "tokens:org-active-revoke": [
        Row("acme, nothing selected", ACME, get=site(olga=400, superuser=400)),
        Row("acme, huge id", ACME, get=site(olga=400, superuser=400), query={"grant_ids": str(HUGE)}),
        Row("globex", GLOBEX, get=site(superuser=400)),
    ],
    # Settings → Webhooks (behaviour §5.7): owners only; another organization's webhook or delivery is a 404.
    "webhooks:org-list": [
        Row("acme", ACME, get=OWNER_OF_ACME, post=site(405)),
        Row("globex", GLOBEX, get=OWNER_OF_GLOBEX),
        Row("missing", lambda w: {"login": "no-such"}, get=site()),
    ],
    "webhooks:org-new": [
        # An empty form is refused naming its fields (400).
        Row("acme", ACME, get=OWNER_OF_ACME, post=site(olga=400, superuser=400)),
        Row("globex", GLOBEX, get=OWNER_OF_GLOBEX, post=site(superuser=400)),
    ],
    "webhooks:org-edit": [
        Row(
            "acme webhook",
            lambda w: {"login": "acme", "pk": w.acme_hook.pk},
            get=OWNER_OF_ACME,
            post=site(olga=400, superuser=400),
        ),
        Row("globex webhook under acme", lambda w: {"login": "acme", "pk": w.globex_hook.pk}, get=site(), post=site()),
        Row("huge id", lambda w: {"login": "acme", "pk": HUGE}, get=site(), post=site()),
    ],
    "webhooks:org-delete": [
        # GET asks first; POST deletes and goes back to the list.
        Row(
            "acme webhook",
            lambda w: {"login": "acme", "pk": w.acme_hook.pk},
            get=OWNER_OF_ACME,
            post=site(olga=302, superuser=302),
        ),
        Row("globex webhook under acme", lambda w: {"login": "acme", "pk": w.globex_hook.pk}, get=site(), post=site()),
    ],
    "webhooks:org-delivery": [
        # POST is Redeliver: a new delivery, and the page of it.
        Row(
            "acme delivery",
            lambda w: {"login": "acme", "pk": w.acme_hook.pk, "delivery_pk": w.acme_delivery.pk},
            get=OWNER_OF_ACME,
            post=site(olga=302, superuser=302),
        ),
        Row(
            "globex delivery under acme's webhook",
            lambda w: {"login": "acme", "pk": w.acme_hook.pk, "delivery_pk": w.globex_delivery.pk},
            get=site(),
            post=site(),
        ),
        Row(
            "huge id",
            lambda w: {"login": "acme", "pk": w.acme_hook.pk, "delivery_pk": HUGE},
            get=site(),
            post=site(),
        ),
    ],
    # --- Site: token holders (behaviour §5.2 "Tokens"); anyone else's token is a 404, even for a superuser ---
    "tokens:list": [Row("list", get=site(200))],
    "tokens:fine-grained-new": [Row("form", get=site(200), post=site(200))],
    "tokens:classic-new": [Row("form", get=site(200), post=site(200))],
    "tokens:fine-grained-detail": [
        Row("alice's", _token("acme_token"), get=HOLDER["alice"]),
        Row("mallory's", _token("globex_token"), get=HOLDER["mallory"]),
        Row("missing", lambda w: {"pk": 0}, get=site()),
        Row("huge id", lambda w: {"pk": HUGE}, get=site()),
    ],
    "tokens:fine-grained-edit": [
        Row("alice's", _token("acme_token"), get=HOLDER["alice"], post=HOLDER["alice"]),
        Row("mallory's", _token("globex_token"), get=HOLDER["mallory"], post=HOLDER["mallory"]),
    ],
    "tokens:request-cancel": [
        # GET asks first; POST cancels and sends the holder back to the token.
        Row(
            "alice's request",
            lambda w: {"pk": w.acme_token.pk, "request_id": w.acme_request.pk},
            get=site(alice=200),
            post=site(alice=302),
        ),
        Row(
            "mallory's request under alice's token",
            lambda w: {"pk": w.acme_token.pk, "request_id": w.globex_request.pk},
            get=site(),
            post=site(),
        ),
    ],
    "tokens:classic-detail": [
        Row("alice's", _token("alice_classic"), get=HOLDER["alice"]),
        Row("mallory's", _token("mallory_classic"), get=HOLDER["mallory"]),
    ],
    "tokens:regenerate": [
        Row("alice's fine-grained", _token("acme_token", "fine-grained"), get=HOLDER["alice"], post=HOLDER["alice"]),
        Row("alice's classic", _token("alice_classic", "classic"), get=HOLDER["alice"], post=HOLDER["alice"]),
        Row("mallory's fine-grained", _token("globex_token", "fine-grained"), get=HOLDER["mallory"]),
        Row("unknown kind", _token("acme_token", "ssh"), get=site(), post=site()),
    ],
    "tokens:delete": [
        Row("alice's fine-grained", _token("acme_token", "fine-grained"), get=HOLDER["alice"], post=site(alice=302)),
        Row("alice's classic", _token("alice_classic", "classic"), get=HOLDER["alice"], post=site(alice=302)),
        Row("mallory's classic", _token("mallory_classic", "classic"), get=HOLDER["mallory"], post=site(mallory=302)),
    ],
    "tokens:classic-edit": [
        Row("alice's", _token("alice_classic"), get=HOLDER["alice"], post=HOLDER["alice"]),
        Row("mallory's", _token("mallory_classic"), get=HOLDER["mallory"], post=HOLDER["mallory"]),
    ],
    "tokens:secret": [
        # Shown once after a create or regenerate; any other visit says it was shown.
        Row("alice's fine-grained", _token("acme_token", "fine-grained"), get=HOLDER["alice"], post=site(405)),
        Row("mallory's classic", _token("mallory_classic", "classic"), get=HOLDER["mallory"], post=site(405)),
        Row("unknown kind", _token("acme_token", "ssh"), get=site()),
    ],
    "tokens:ssh-keys": [Row("list", get=site(200))],
    "tokens:ssh-key-delete": [
        Row("alice's", lambda w: {"pk": w.alice_key.pk}, get=HOLDER["alice"], post=site(alice=302)),
        Row("mallory's", lambda w: {"pk": w.mallory_key.pk}, get=HOLDER["mallory"], post=site(mallory=302)),
        Row("huge id", lambda w: {"pk": HUGE}, get=site(), post=site()),
    ],
    # --- API v1 (behaviour §5.4): API clients only; an empty body is a 400 naming the fields ---
    "api-access-check": [Row("check", get=v1(405), post=v1(400))],
    "api-access-check-batch": [Row("batch", get=v1(405), post=v1(400))],
    "api-introspect": [Row("introspect", get=v1(405), post=v1(400))],
    # Forward-auth takes its client secret in X-Patrol-Client (Authorization is the caller's): without it, 401.
    "api-forward-auth": [Row("no client header", get=everyone(401), post=everyone(401))],
    "api-forward-auth-envoy": [
        Row("a push", lambda w: {"suffix": "acme/web.git/git-receive-pack"}, get=everyone(401), post=everyone(401))
    ],
    # A holder rotates their own token with it (behaviour §5.4): each user's token is theirs to rotate.
    "api-token-rotate": [Row("own token", get={**everyone(405), "anonymous": 401, "api_client": 401}, post=v3(200))],
    "api-schema": [Row("schema", get=everyone(200), public=True)],
    "api-docs": [Row("docs", get=everyone(200), public=True)],
    # --- API v3 (behaviour §5.5) ---
    # Leaked credentials, reported without an account: a request carrying credentials is refused, as on GitHub.
    "api-v3-credentials-revoke": [
        Row("empty body", get=everyone(405), post={**everyone(403), "anonymous": 422}, public=True)
    ],
    "api-v3-pat-requests": [
        Row("acme", lambda w: {"org": "acme"}, get=in_acme(olga=200), post=in_acme(olga=422)),
        Row("globex", lambda w: {"org": "globex"}, get=in_globex(), post=in_globex()),
        Row("missing", lambda w: {"org": "no-such"}, get=v3(404)),
    ],
    "api-v3-pat-request": [
        Row(
            "acme request",
            lambda w: {"org": "acme", "pk": w.acme_request.pk},
            get=in_acme(olga=405),
            post=in_acme(olga=204),
            data=DENY,
        ),
        Row(
            "globex request under acme",
            lambda w: {"org": "acme", "pk": w.globex_request.pk},
            post=in_acme(olga=404),
            data=DENY,
        ),
    ],
    "api-v3-pat-request-repositories": [
        Row("acme request", lambda w: {"org": "acme", "pk": w.acme_request.pk}, get=in_acme(olga=200)),
        Row("globex request under acme", lambda w: {"org": "acme", "pk": w.globex_request.pk}, get=in_acme(olga=404)),
        Row("huge id", lambda w: {"org": "acme", "pk": HUGE}, get=in_acme(olga=404)),
    ],
    "api-v3-pats": [
        Row("acme", lambda w: {"org": "acme"}, get=in_acme(olga=200), post=in_acme(olga=422)),
        Row("globex", lambda w: {"org": "globex"}, get=in_globex(), post=in_globex()),
    ],
    "api-v3-pat": [
        Row(
            "acme grant",
            lambda w: {"org": "acme", "pk": w.acme_grant.pk},
            get=in_acme(olga=405),
            post=in_acme(olga=204),
            data=REVOKE,
        ),
        Row(
            "globex grant under acme",
            lambda w: {"org": "acme", "pk": w.globex_grant.pk},
            post=in_acme(olga=404),
            data=REVOKE,
        ),
        Row("huge id", lambda w: {"org": "acme", "pk": HUGE}, post=in_acme(olga=404), data=REVOKE),
    ],
    "api-v3-pat-repositories": [
        Row("acme grant", lambda w: {"org": "acme", "pk": w.acme_grant.pk}, get=in_acme(olga=200)),
        Row("globex grant under acme", lambda w: {"org": "acme", "pk": w.globex_grant.pk}, get=in_acme(olga=404)),
    ],
}
for _label, _model in ADMIN_MODELS.items():
    MATRIX.update(admin_model_rows(_label, _model))

# Outbound emails span tenants: superusers only, read-only (issue 16). The world's reviews queued two.
_EMAIL = _object_id(lambda w: OutboundEmail.objects.first())
_NOBODY = admin(403, 403, 403)
MATRIX.update(
    {
        "admin:outbox_outboundemail_changelist": [Row("list", get=admin(403, 403, 200), post=admin(403, 403, 200))],
        "admin:outbox_outboundemail_add": [Row("add", get=_NOBODY, post=_NOBODY)],
        "admin:outbox_outboundemail_change": [
            Row("email", _EMAIL, get=admin(403, 403, 200), post=_NOBODY),
            Row("missing", lambda w: {"object_id": "not-a-number"}, get=admin(403, 403, 404)),
            Row("huge id", lambda w: {"object_id": HUGE}, get=admin(403, 403, 404)),
        ],
        "admin:outbox_outboundemail_delete": [Row("email", _EMAIL, get=_NOBODY, post=_NOBODY, data=CONFIRM)],
        "admin:outbox_outboundemail_history": [Row("email", _EMAIL, get=admin(403, 403, 200))],
        "admin/outbox/outboundemail/<path:object_id>/": [Row("redirect to change", _EMAIL, get=everyone(302))],
    }
)


# --- Walking the URL configuration ----------------------------------------------------------


def url_patterns(resolver=None, prefix="", namespace=""):
    """(key, route) for every URL pattern: the key is the namespaced name, or the route when unnamed."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry, prefix + str(entry.pattern), inner)
        else:
            route = prefix + str(entry.pattern)
            yield (f"{namespace}{entry.name}" if entry.name else route), route


PATTERNS = list(url_patterns())


def fill(key: str, route: str, kwargs: dict) -> str:
    if key != route:
        return reverse(key, kwargs=kwargs)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda match: str(kwargs[match[1]]), route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(kwargs[match[1]]), path)
    return "/" + path.replace("^", "").replace("$", "")


def fetch(client, method: str, path: str, row: Row, w, *, api: bool):
    """One request in a savepoint that is rolled back, cookies restored: the next role sees the same world."""
    cookies = deepcopy(client.cookies)
    try:
        with transaction.atomic():
            if method == "get":
                response = client.get(path, row.query)
            elif api:
                response = client.post(path, row.data(w), format="json")
            else:
                response = client.post(path, row.data(w))
            transaction.set_rollback(True)
    except Exception as error:  # a 500: reported as a mismatch, not a crash of the whole case
        return f"500 ({type(error).__name__}: {error})", ""
    finally:
        client.cookies = cookies
    body = b"".join(response.streaming_content) if response.streaming else response.content  # a CSV streams
    return response.status_code, body.decode(errors="replace")


def mentions(body: str, word: str) -> bool:
    """`word` as a name of its own ("globex", "globex_event"), not inside another word ("paginator")."""
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])", body) is not None


def test_every_key_is_unique():
    keys = [key for key, _ in PATTERNS]
    assert len(keys) == len(set(keys)), sorted(key for key in keys if keys.count(key) > 1)


def test_every_row_names_a_url_pattern():
    stale = set(MATRIX) - {key for key, _ in PATTERNS}
    assert not stale, f"rows for URL patterns that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize(("key", "route"), PATTERNS, ids=[key for key, _ in PATTERNS])
def test_url_matrix(key, route, world):
    rows = MATRIX.get(key)
    if not rows:
        pytest.fail(f"URL pattern {route!r} (key {key!r}) has no row in MATRIX; add one with its status per role.")
    api = route.startswith("api/")
    made = world.clients
    problems = []
    for row in rows:
        path = fill(key, route, row.kwargs(world))
        resolved = resolve(path).route
        assert resolved.replace("^", "") == route.replace("^", ""), f"{row.variant}: {path} resolves to {resolved}"
        for method, expected in (("get", row.get), ("post", row.post)):
            if expected is None:
                continue
            assert set(expected) == set(ROLES), f"{row.variant} {method}: roles {sorted(expected)}"
            for role in ROLES:
                site, api_client = made[role]
                status, body = fetch(api_client if api else site, method, path, row, world, api=api)
                where = f"{method.upper()} {path} [{row.variant}] as {role}"
                if status != expected[role]:
                    problems.append(f"{where}: expected {expected[role]}, got {status}")
                elif status == 200 and not row.public:
                    leaked = [word for word in NOT_THEIRS.get(role, ()) if mentions(body, word)]
                    if leaked:
                        problems.append(f"{where}: shows the other tenant's {leaked}")
    assert not problems, "\n".join(problems)
