"""Every site page, for every persona that can see it, at 1280 and 390 px, in light and in dark:
no serious or critical accessibility violations (axe-core), and no sideways scrolling at 390 px.

The Django admin's own pages are left out; the enterprise settings under /admin/ are
Patrol's templates, and are in.
"""

from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.urls import reverse

from enterprises.models import Enterprise
from organizations.models import Organization
from organizations.services import user_make_site_administrator
from policies.services import enterprise_policy_update, policy_stage
from tests.browser.conftest import review_and_save, sign_in
from tests.factories import AccessRequestFactory, GrantFactory, UserFactory, WebhookEndpointFactory, classic_token
from tokens.engine.access import check_many
from tokens.engine.facts import CheckInput, parse_resource

from .axe import violations

pytestmark = pytest.mark.browser

PERMISSIONS = {"contents": "read", "issues": "write"}
WIDTHS = {"wide": {"width": 1280, "height": 900}, "narrow": {"width": 390, "height": 844}}
SCHEMES = ("light", "dark")


def build_world(cast) -> SimpleNamespace:
    """alice's tokens in every state, olga's queue and grants, and a site administrator."""
    user_make_site_administrator(user=UserFactory(username="root"))
    hook = WebhookEndpointFactory(organization=cast.acme, url="https://hooks.example.com/a-rather-long/path/to/patrol")
    enterprise_hook = WebhookEndpointFactory(enterprise=cast.bigcorp, url="https://hooks.example.com/bigcorp")
    pending = AccessRequestFactory(
        user=cast.alice, organization=cast.acme, name="deploy", permissions=PERMISSIONS, repository_access="all"
    )
    grant = GrantFactory(
        user=cast.alice, organization=cast.acme, name="ci", permissions=PERMISSIONS, repository_access="all"
    )
    AccessRequestFactory(
        denied=True,
        user=cast.alice,
        organization=cast.acme,
        name="everything",
        permissions={"administration": "write"},
        repository_access="all",
    )
    classic = classic_token(cast.alice, note="laptop", scopes=["repo", "read:org"])
    return SimpleNamespace(
        pending=pending,
        token=pending.token,
        grant=grant,
        classic=classic.token,
        classic_plaintext=classic.plaintext,
        hook=hook,
        delivery=hook.deliveries.last(),
        enterprise_hook=enterprise_hook,
        enterprise_delivery=enterprise_hook.deliveries.last(),
    )


@dataclass(frozen=True)
class Page:
    name: str
    persona: str | None  # None: signed out
    url: object  # a world -> path callable
    status: int = 200
    then: object = None  # what the person does on the page before it is checked


def fail_sign_in(page):
    page.fill("#id_username", "alice")
    page.fill("#id_password", "not her password")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def open_switcher(page):
    page.get_by_text("Organizations", exact=True).click()


def enterprise_maximums(page):
    """The enterprise sets short maximum lifetimes, so the pages show them locked, bounded and outlived."""
    enterprise_policy_update(
        enterprise=Enterprise.objects.get(slug="bigcorp"), fine_grained_max_lifetime_days=7, classic_max_lifetime_days=7
    )
    page.reload()


def save_maximums(page):
    page.fill("#id_fine_grained_max_lifetime_days", "7")
    page.fill("#id_classic_max_lifetime_days", "7")
    review_and_save(page)
    page.wait_for_load_state()


def review_restricting(page):
    page.get_by_role("group", name="Restrict access via fine-grained personal access tokens").get_by_label(
        "Restrict access via fine-grained personal access tokens"
    ).check()
    page.get_by_role("button", name="Review changes").click()
    page.wait_for_load_state()


def refuse_unused_days(page):
    page.get_by_label("Revoke tokens unused for (days)").fill("10")
    page.get_by_role("button", name="Review changes").click()
    page.wait_for_load_state()


def open_permission_help(page):
    page.locator("details.permission-help summary").first.click()


def ask_to_revoke_one(page):
    page.locator("input[name=selected]").first.check()
    page.get_by_role("button", name="Revoke selected…").click()
    page.wait_for_load_state()


def add_webhook_empty(page):
    page.get_by_role("button", name="Add webhook").click()
    page.wait_for_load_state()


def report_only(owner: str, url: str):
    """A report-only policy staged on `owner` (acme or bigcorp), with a check it would refuse: the page at `url`."""

    def staged(w):
        instance = Organization.objects.get(login="acme") if owner == "acme" else Enterprise.objects.get(slug=owner)
        policy_stage(instance=instance, actor=None, values={"classic_access": "restrict"})
        check = CheckInput(parse_resource("acme/web"), "contents", "read", token=w.classic_plaintext)
        check_many([check])
        return reverse(url, args=[owner])

    return staged


def fine_grained(name):
    return lambda w: reverse(f"tokens:{name}", args=[w.token.pk])


ENTERPRISE = "admin:enterprises_enterprise_"
PAGES = [
    # Signed out.
    Page("sign-in", None, lambda w: reverse("login")),
    Page("sign-in failed", None, lambda w: reverse("login"), then=fail_sign_in),
    Page("not found", None, lambda w: "/no-such-page/", status=404),
    Page("api docs", None, lambda w: "/api/docs/"),
    # A token holder.
    Page("home", "alice", lambda w: "/"),
    Page("tokens", "alice", lambda w: reverse("tokens:list")),
    Page("new fine-grained token", "alice", lambda w: reverse("tokens:fine-grained-new")),
    Page("new classic token", "alice", lambda w: reverse("tokens:classic-new")),
    Page("fine-grained token", "alice", fine_grained("fine-grained-detail")),
    Page("approved token", "alice", lambda w: reverse("tokens:fine-grained-detail", args=[w.grant.token.pk])),
    Page("edit fine-grained token", "alice", fine_grained("fine-grained-edit")),
    Page("classic token", "alice", lambda w: reverse("tokens:classic-detail", args=[w.classic.pk])),
    Page("regenerate token", "alice", lambda w: reverse("tokens:regenerate", args=["fine-grained", w.token.pk])),
    Page("new classic token, bounded", "alice", lambda w: reverse("tokens:classic-new"), then=enterprise_maximums),
    Page("edit outliving token", "alice", fine_grained("fine-grained-edit"), then=enterprise_maximums),
    Page("delete token", "alice", lambda w: reverse("tokens:delete", args=["fine-grained", w.token.pk])),
    Page("cancel request", "alice", lambda w: reverse("tokens:request-cancel", args=[w.token.pk, w.pending.pk])),
    Page("not an owner's overview", "alice", lambda w: "/orgs/acme/", status=404),
    # An organization owner.
    Page("home", "olga", lambda w: "/"),
    Page("overview", "olga", lambda w: reverse("organization_overview", args=["acme"])),
    Page("organization switcher", "olga", lambda w: "/", then=open_switcher),
    Page("token settings", "olga", lambda w: reverse("organization_pat_settings", args=["acme"])),
    Page(
        "token settings, maximums locked",
        "olga",
        lambda w: reverse("organization_pat_settings", args=["acme"]),
        then=enterprise_maximums,
    ),
    Page(
        "token settings, reviewing a change",
        "olga",
        lambda w: reverse("organization_pat_settings", args=["acme"]),
        then=review_restricting,
    ),
    Page("pending requests", "olga", lambda w: reverse("tokens:org-requests", args=["acme"])),
    Page(
        "pending requests filtered, what a row's permissions allow open",
        "olga",
        lambda w: reverse("tokens:org-requests", args=["acme"]) + "?permission=contents_read",
        then=open_permission_help,
    ),
    Page("pending request", "olga", lambda w: reverse("tokens:org-request", args=["acme", w.pending.pk])),
    Page("active tokens", "olga", lambda w: reverse("tokens:org-active", args=["acme"])),
    Page("active token", "olga", lambda w: reverse("tokens:org-grant", args=["acme", w.grant.pk])),
    Page("audit log", "olga", lambda w: reverse("organization_audit_log", args=["acme"])),
    Page("webhooks", "olga", lambda w: reverse("webhooks:org-list", args=["acme"])),
    Page("add webhook", "olga", lambda w: reverse("webhooks:org-new", args=["acme"])),
    Page("add webhook, refused", "olga", lambda w: reverse("webhooks:org-new", args=["acme"]), then=add_webhook_empty),
    Page("webhook", "olga", lambda w: reverse("webhooks:org-edit", args=["acme", w.hook.pk])),
    Page("delete webhook", "olga", lambda w: reverse("webhooks:org-delete", args=["acme", w.hook.pk])),
    Page(
        "webhook delivery",
        "olga",
        lambda w: reverse("webhooks:org-delivery", args=["acme", w.hook.pk, w.delivery.pk]),
    ),
    Page("report-only policy", "olga", report_only("acme", "organization_report_only")),
    Page("report-only policy, nothing staged", "olga", lambda w: reverse("organization_report_only", args=["acme"])),
    Page("enforce report-only policy", "olga", report_only("acme", "organization_report_only_enforce")),
    # An enterprise owner.
    Page("home", "erin", lambda w: "/"),
    Page("tokens", "erin", lambda w: reverse("tokens:list")),
    Page("enterprise account", "erin", lambda w: reverse(f"{ENTERPRISE}account", args=["bigcorp"])),
    Page("enterprise policies", "erin", lambda w: reverse(f"{ENTERPRISE}policies", args=["bigcorp"])),
    Page("enterprise token policies", "erin", lambda w: reverse(f"{ENTERPRISE}pat_policies", args=["bigcorp"])),
    Page(
        "enterprise token policies, tokens outliving",
        "erin",
        lambda w: reverse(f"{ENTERPRISE}pat_policies", args=["bigcorp"]),
        then=save_maximums,
    ),
    Page(
        "enterprise token policies, reviewing a change",
        "erin",
        lambda w: reverse(f"{ENTERPRISE}pat_policies", args=["bigcorp"]),
        then=review_restricting,
    ),
    Page(
        "enterprise token policies, unused days refused",
        "erin",
        lambda w: reverse(f"{ENTERPRISE}pat_policies", args=["bigcorp"]),
        then=refuse_unused_days,
    ),
    Page("enterprise report-only policy", "erin", report_only("bigcorp", f"{ENTERPRISE}report_only")),
    Page("enterprise discard report-only policy", "erin", report_only("bigcorp", f"{ENTERPRISE}report_only_discard")),
    Page("credentials inventory", "erin", lambda w: reverse("enterprise_credentials", args=["bigcorp"])),
    Page("enterprise webhooks", "erin", lambda w: reverse("enterprise_webhook_list", args=["bigcorp"])),
    Page("enterprise add webhook", "erin", lambda w: reverse("enterprise_webhook_new", args=["bigcorp"])),
    Page(
        "enterprise add webhook, refused",
        "erin",
        lambda w: reverse("enterprise_webhook_new", args=["bigcorp"]),
        then=add_webhook_empty,
    ),
    Page(
        "enterprise webhook",
        "erin",
        lambda w: reverse("enterprise_webhook_edit", args=["bigcorp", w.enterprise_hook.pk]),
    ),
    Page(
        "enterprise webhook delivery",
        "erin",
        lambda w: reverse(
            "enterprise_webhook_delivery", args=["bigcorp", w.enterprise_hook.pk, w.enterprise_delivery.pk]
        ),
    ),
    Page(
        "credentials inventory, a refused filter",
        "erin",
        lambda w: reverse("enterprise_credentials", args=["bigcorp"]) + "?expiring=0",
        status=400,
    ),
    Page(
        "credentials inventory, revoke confirmation",
        "erin",
        lambda w: reverse("enterprise_credentials", args=["bigcorp"]),
        then=ask_to_revoke_one,
    ),
    # A site administrator.
    Page("home", "root", lambda w: "/"),
    Page("enterprise chooser", "root", lambda w: reverse(f"{ENTERPRISE}settings")),
    Page("enterprise token policies", "root", lambda w: reverse(f"{ENTERPRISE}pat_policies", args=["othercorp"])),
    Page("overview", "root", lambda w: reverse("organization_overview", args=["globex"])),
    Page("token settings", "root", lambda w: reverse("organization_pat_settings", args=["globex"])),
]


def cases():
    for page in PAGES:
        for width in WIDTHS:
            for scheme in SCHEMES:
                yield pytest.param(
                    page, width, scheme, id=f"{page.persona or 'anonymous'}-{page.name}-{width}-{scheme}"
                )


@pytest.mark.parametrize(("site_page", "width", "scheme"), list(cases()))
def test_the_page_has_no_serious_violations_and_fits_the_screen(cast, page, site_page, width, scheme):
    world = build_world(cast)
    page.set_viewport_size(WIDTHS[width])
    page.emulate_media(color_scheme=scheme)
    if site_page.persona:
        sign_in(page, site_page.persona)
    response = page.goto(site_page.url(world))
    assert response.status == site_page.status
    if site_page.then:
        site_page.then(page)
    page.wait_for_load_state("networkidle")
    assert violations(page) == []
    if width == "narrow":
        assert page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]") == [390, 390]


def test_the_check_itself_finds_a_critical_violation(browser):
    """The harness is no rubber stamp: an image without a text alternative is critical."""
    page = browser.new_page()
    page.set_content('<html lang="en"><title>t</title><main><img src="x.png"></main></html>')
    try:
        assert any("image-alt" in line for line in violations(page))
    finally:
        page.close()
