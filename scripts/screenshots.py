"""Take the screenshots in docs/screenshots/ from a running demo (`bash scripts/demo.sh`).

    .venv/bin/python scripts/screenshots.py [http://127.0.0.1:8000]

Each persona's main pages, wide in the light scheme and at phone width in the
dark one, through Debian's Chromium, as the browser tests drive it.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "patrol-demo"
ENTERPRISE = "/admin/enterprises/enterprise"
# (persona, file name, path)
PAGES = [
    (None, "sign-in", "/login/"),
    ("alice", "holder-home", "/"),
    ("alice", "holder-tokens", "/settings/tokens/"),
    ("alice", "holder-new-token", "/settings/tokens/new/"),
    ("olga", "owner-overview", "/orgs/acme/"),
    ("olga", "owner-requests", "/orgs/acme/settings/personal-access-tokens/requests/"),
    ("olga", "owner-active-tokens", "/orgs/acme/settings/personal-access-tokens/active/"),
    ("olga", "owner-settings", "/orgs/acme/settings/personal-access-tokens/"),
    ("olga", "owner-audit-log", "/orgs/acme/settings/audit-log/"),
    ("erin", "enterprise-home", "/"),
    ("erin", "enterprise-token-policies", f"{ENTERPRISE}/bigcorp/settings/policies/personal-access-tokens/"),
    ("erin", "enterprise-credentials", f"{ENTERPRISE}/bigcorp/settings/credentials/"),
]
VIEWS = [("wide-light", {"width": 1280, "height": 900}, "light"), ("phone-dark", {"width": 390, "height": 844}, "dark")]


def main(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        for label, viewport, scheme in VIEWS:
            signed_in = {}
            for persona, name, path in PAGES:
                if persona not in signed_in:
                    context = browser.new_context(base_url=base, viewport=viewport, color_scheme=scheme)
                    page = context.new_page()
                    if persona:
                        page.goto("/login/")
                        page.fill("#id_username", persona)
                        page.fill("#id_password", PASSWORD)
                        page.click("button[type=submit]")
                        page.wait_for_load_state()
                    signed_in[persona] = page
                page = signed_in[persona]
                response = page.goto(path)
                status = response.status if response else "?"
                target = OUT / f"{name}-{label}.png"
                page.screenshot(path=str(target), full_page=True)
                print(f"{status} {path} → {target.relative_to(OUT.parent.parent)}")
        browser.close()
    print(f"{len(PAGES) * len(VIEWS)} screenshots in {OUT.relative_to(OUT.parent.parent)}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
