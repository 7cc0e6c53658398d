"""A token's plaintext is shown once and nowhere else (behaviour §2, §5.1, §5.2, §5.4).

Tokens are made through the site pages, then used everywhere a secret could
slip out: checks (allowed, denied, malformed), batches, introspection, bad
requests, the holders' pages, the owners' queue, the admin, the v3 API. Every
log record (root logger, DEBUG), every response, every email and every row is
searched for the secret's random body — which also catches a malformed
variant of it echoed back — and for its digest.
"""

import logging
import re
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from audit.models import AuditEvent
from tests.factories import UserFactory
from tokens.engine import credentials
from tokens.models import AccessRequest, ApiClient, ClassicToken, FineGrainedToken, Grant
from tokens.services import api_client_create

PLAINTEXT_RE = re.compile(r"patrol_(?:fg|cl)_[0-9A-Za-z]{38}")
CHECK, BATCH, INTROSPECT = "/api/v1/access/check", "/api/v1/access/check-batch", "/api/v1/introspect"
ROTATE, REVOKE = "/api/v1/tokens/rotate", "/api/v3/credentials/revoke"
FORM = "application/x-www-form-urlencoded"
ORG_PATS = "/orgs/acme/settings/personal-access-tokens"


def _body(plaintext: str) -> str:
    """The random part: prefix and checksum aside, what only this token contains."""
    return plaintext[len("patrol_fg_") : -credentials.CHECKSUM_LENGTH]


def _text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return f"{response.headers}\n{response.cookies}\n{content.decode(errors='replace')}"


class Recorder:
    """Every response the test sees, so each can be searched afterwards."""

    def __init__(self):
        self.responses: list[tuple[str, str]] = []

    def __call__(self, label, response, status=None):
        if status is not None:
            assert response.status_code == status, (label, response.status_code)
        self.responses.append((label, _text(response)))
        return response


def _issue(client, record, url, data, label) -> str:
    """Create or regenerate: the POST redirects to the secret page, the one response that shows it."""
    created = record(f"{label} (redirect)", client.post(url, data), 302)
    response = record(label, client.get(created["Location"]), 200)
    found = PLAINTEXT_RE.findall(response.content.decode())
    assert len(set(found)) == 1, f"{label}: the creation response shows the plaintext"
    return found[0]


def _broken_checksum(plaintext: str) -> str:
    return plaintext[:-1] + ("a" if plaintext[-1] != "a" else "b")


@pytest.fixture
def site(cast):
    """Logged-in browsers of the site for alice, olga and a superuser."""
    clients = {}
    for user in (cast.alice, cast.olga):
        clients[user.username] = Client()
        clients[user.username].force_login(user)
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    clients["root"] = Client()
    clients["root"].force_login(root)
    return clients


def test_token_plaintext_never_leaks(cast, site, caplog):
    caplog.set_level(logging.DEBUG)  # root logger: every logger propagates here
    record = Recorder()
    alice, olga, root = site["alice"], site["olga"], site["root"]
    gateway = APIClient()
    gateway.credentials(HTTP_AUTHORIZATION=f"Bearer {api_client_create(name='gateway').plaintext}")

    # --- Issue tokens through the pages; each creation response shows its plaintext once.
    fine_grained_form = {
        "name": "deploy",
        "description": "ships the web app",
        "resource_owner": "acme",
        "repository_access": "all",
        "permission_contents": "write",
        "permission_metadata": "read",
        "expiration": "30",
        "justification": "deploys",
    }
    issued = {
        "alice-acme": _issue(alice, record, "/settings/tokens/new/", fine_grained_form, "create alice-acme"),
        "alice-own": _issue(
            alice,
            record,
            "/settings/tokens/new/",
            {**fine_grained_form, "name": "own", "resource_owner": "alice", "expiration": "none"},
            "create alice-own",
        ),
        "alice-classic": _issue(
            alice,
            record,
            "/settings/tokens/new-classic/",
            {"note": "ci", "scopes": ["repo", "read:org"], "expiration": "custom", "custom_days": "12"},
            "create alice-classic",
        ),
        "olga-classic": _issue(
            olga,
            record,
            "/settings/tokens/new-classic/",
            {"note": "owner automation", "scopes": ["admin:org", "repo"], "expiration": "7"},
            "create olga-classic",
        ),
    }
    fine_grained = FineGrainedToken.objects.get(name="deploy")
    own = FineGrainedToken.objects.get(name="own")
    classic = ClassicToken.objects.get(note="ci")
    access_request = AccessRequest.objects.get(token=fine_grained)

    # --- The owner's queue: list, filter, detail, approve; then active tokens.
    record("queue", olga.get(f"{ORG_PATS}/requests/"), 200)
    record("queue filtered", olga.get(f"{ORG_PATS}/requests/", {"owner": "alice", "permission": "contents_write"}), 200)
    record("request", olga.get(f"{ORG_PATS}/requests/{access_request.pk}/"), 200)
    record("approve", olga.post(f"{ORG_PATS}/requests/{access_request.pk}/", {"action": "approve"}), 302)
    grant = Grant.objects.get(token=fine_grained)
    record("active", olga.get(f"{ORG_PATS}/active/"), 200)
    record("active detail", olga.get(f"{ORG_PATS}/active/{grant.pk}/"), 200)

    # --- Checks: allowed, denied, malformed, unknown, with SSH keys around them.
    checks = [
        ("alice-acme", "acme/web", "contents:write"),  # allowed
        ("alice-acme", "globex/plans", "contents:read"),  # denied
        ("alice-own", "alice/dotfiles", "contents:write"),
        ("alice-own", "acme/web", "contents:read"),
        ("alice-classic", "acme/web", "contents:read"),
        ("alice-classic", "enterprise:bigcorp", "audit_log:read"),
        ("olga-classic", "acme", "organization_personal_access_tokens:read"),
    ]
    for name, resource, permission in checks:
        body = {"token": issued[name], "resource": resource, "permission": permission, "explain": True}
        record(f"check {name} {resource}", gateway.post(CHECK, body, format="json"), 200)
    for name, plaintext in issued.items():
        broken = {"token": _broken_checksum(plaintext), "resource": "acme/web", "permission": "contents:read"}
        response = record(f"check broken {name}", gateway.post(CHECK, broken, format="json"), 200)
        assert response.json()["reason"] == "credential_invalid"
        # Bad requests carrying the token: 400s name the field, never echo the token.
        bad = [
            {"token": plaintext, "resource": "a/b/c", "permission": "contents:read"},
            {"token": plaintext, "resource": "acme/web", "permission": "nonsense:read"},
            {"token": plaintext, "resource": "acme/web"},
            {"token": plaintext, "ssh_key_fingerprint": "SHA256:x", "resource": "acme/web", "permission": "x"},
        ]
        for number, body in enumerate(bad):
            record(f"bad check {name} {number}", gateway.post(CHECK, body, format="json"), 400)
        record(
            f"bad batch {name}",
            gateway.post(BATCH, {"checks": [{"token": plaintext, "resource": "//", "permission": "x"}]}, format="json"),
            400,
        )
        record(f"check unauthenticated {name}", APIClient().post(CHECK, {"token": plaintext}, format="json"), 401)
        form = urlencode({"token": plaintext})
        record(f"introspect {name}", gateway.post(INTROSPECT, form, content_type=FORM), 200)
        record(f"introspect json {name}", gateway.post(INTROSPECT, {"token": plaintext}, format="json"), 200)
        broken_form = urlencode({"token": _broken_checksum(plaintext)})
        record(f"introspect broken {name}", gateway.post(INTROSPECT, broken_form, content_type=FORM), 200)
    batch = [
        {"token": plaintext, "resource": resource, "permission": "contents:read", "explain": True}
        for plaintext in [*issued.values(), *map(_broken_checksum, issued.values())]
        for resource in ("acme/web", "acme/docs", "globex/plans")
    ]
    record("batch", gateway.post(BATCH, {"checks": batch}, format="json"), 200)

    # --- The v3 API, authenticated by olga's own classic token (and a broken one).
    v3 = APIClient()
    v3.credentials(HTTP_AUTHORIZATION=f"Bearer {issued['olga-classic']}")
    for path, status in (
        ("/api/v3/orgs/acme/personal-access-token-requests", 200),
        ("/api/v3/orgs/acme/personal-access-tokens", 200),
        (f"/api/v3/orgs/acme/personal-access-tokens/{grant.pk}/repositories", 200),
        ("/api/v3/orgs/acme/personal-access-tokens?per_page=1000", 422),
        ("/api/v3/orgs/globex/personal-access-tokens", None),
    ):
        record(f"v3 {path}", v3.get(path), status)
    broken_v3 = APIClient()
    broken_v3.credentials(HTTP_AUTHORIZATION=f"token {_broken_checksum(issued['olga-classic'])}")
    record("v3 broken token", broken_v3.get("/api/v3/orgs/acme/personal-access-tokens"))
    unusable_v3 = APIClient()
    unusable_v3.credentials(HTTP_AUTHORIZATION=f"Bearer {issued['alice-own']}")
    record("v3 wrong token", unusable_v3.get("/api/v3/orgs/acme/personal-access-tokens"))

    # --- The holder's pages, and someone else's (404).
    for path in (
        "/settings/tokens/",
        f"/settings/tokens/fine-grained/{fine_grained.pk}/",
        f"/settings/tokens/fine-grained/{fine_grained.pk}/edit/",
        f"/settings/tokens/fine-grained/{own.pk}/",
        f"/settings/tokens/classic/{classic.pk}/",
        f"/settings/tokens/fine-grained/{fine_grained.pk}/regenerate/",
        f"/settings/tokens/classic/{classic.pk}/delete/",
    ):
        record(f"holder {path}", alice.get(path), 200)
    record("not yours", olga.get(f"/settings/tokens/fine-grained/{fine_grained.pk}/"), 404)
    record(
        "edit",
        alice.post(
            f"/settings/tokens/fine-grained/{own.pk}/edit/",
            {"name": "own", "repository_access": "all", "permission_contents": "read"},
        ),
        302,
    )

    # --- The admin, as a superuser: lists and change pages.
    admin_pages = ["/admin/tokens/finegrainedtoken/", "/admin/tokens/classictoken/", "/admin/audit/auditevent/"]
    admin_pages += [f"/admin/tokens/finegrainedtoken/{t.pk}/change/" for t in (fine_grained, own)]
    admin_pages += [f"/admin/tokens/classictoken/{classic.pk}/change/", "/admin/tokens/accessrequest/"]
    admin_pages += [f"/admin/tokens/accessrequest/{access_request.pk}/change/", "/admin/tokens/grant/"]
    admin_pages += [f"/admin/tokens/grant/{grant.pk}/change/"]
    admin_pages += [f"/admin/audit/auditevent/{event.pk}/change/" for event in AuditEvent.objects.all()[:20]]
    for path in admin_pages:
        record(f"admin {path}", root.get(path), 200)

    # --- Regenerate: the new plaintext is shown once too; the old one stops working.
    regenerated = _issue(
        alice,
        record,
        f"/settings/tokens/fine-grained/{fine_grained.pk}/regenerate/",
        {"expiration": "7"},
        "regenerate alice-acme",
    )
    issued["alice-acme-regenerated"] = regenerated
    old = {"token": issued["alice-acme"], "resource": "acme/web", "permission": "contents:read"}
    assert gateway.post(CHECK, old, format="json").json()["reason"] == "credential_invalid"
    record("check regenerated", gateway.post(CHECK, {**old, "token": regenerated}, format="json"), 200)
    record("holder after regenerate", alice.get(f"/settings/tokens/fine-grained/{fine_grained.pk}/"), 200)

    # --- Rotate with the token itself (shown once, in that answer), reuse the old secret, report a leak.
    olga_api = APIClient()
    olga_api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued['olga-classic']}")
    rotated = record("rotate olga-classic", olga_api.post(ROTATE), 200).json()["token"]
    issued["olga-classic-rotated"] = rotated
    record("rotate with the old secret", olga_api.post(ROTATE), 401)
    leak = {"credentials": [issued["alice-classic"], _broken_checksum(issued["alice-classic"])]}
    record("report alice-classic", APIClient().post(REVOKE, leak, format="json"), 202)

    # --- Now search everything.
    creations = {
        "alice-acme": "create alice-acme",
        "alice-own": "create alice-own",
        "alice-classic": "create alice-classic",
        "olga-classic": "create olga-classic",
        "alice-acme-regenerated": "regenerate alice-acme",
        "olga-classic-rotated": "rotate olga-classic",
    }
    assert len(record.responses) > 100
    assert any(r.name == "django.request" for r in caplog.records), "the 404s and 400s were logged and searched"
    logs = [f"{r.name} {r.levelname} {r.getMessage()} {r.args!r} {getattr(r, 'request', '')!r}" for r in caplog.records]
    emails = [f"{m.subject}\n{m.body}\n{m.alternatives!r}" for m in mail.outbox]
    for name, plaintext in issued.items():
        secret, digests = _body(plaintext), credentials.candidate_digests(plaintext)
        shown = [label for label, text in record.responses if secret in text]
        assert shown == [creations[name]], f"{name} appears in {shown}"
        for digest in digests:
            assert not [label for label, text in record.responses if digest in text], f"{name}'s digest shown"
        for needle in (secret, *digests):
            assert not [line for line in logs if needle in line], f"{name} logged"
            assert not [email for email in emails if needle in email], f"{name} emailed"
        _assert_not_stored(secret, name)
        for event in AuditEvent.objects.all():
            assert not any(needle in repr(event.data) for needle in (secret, *digests)), (name, event.action)


def _assert_not_stored(secret: str, name: str) -> None:
    """No column of any row holds the secret; the token tables only its digest and last four."""
    for model in (FineGrainedToken, ClassicToken, ApiClient, *apps.get_models()):
        for row in model._default_manager.values():
            assert not any(secret in str(value) for value in row.values()), f"{name} stored in {model.__name__}"
