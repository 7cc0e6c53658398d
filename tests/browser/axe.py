"""axe-core, the accessibility engine, run inside a page (tests/browser/package.json pins it).

`scripts/install.sh dev` installs it with npm into tests/browser/node_modules.
It is evaluated through the DevTools protocol, which the site's Content
Security Policy does not govern, so pages are checked exactly as served.
"""

import os
from functools import cache
from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
# What a page must not have: axe's two worst impacts.
BLOCKING = ("serious", "critical")


@cache
def _source() -> str:
    return AXE.read_text()


def require_axe() -> None:
    """Skip (or, where the browser is required, fail) when axe-core is not installed."""
    if AXE.exists():
        return
    message = f"{AXE} is missing; `bash scripts/install.sh dev` installs it (npm)."
    if os.environ.get("PATROL_REQUIRE_BROWSER"):
        pytest.fail(message)
    pytest.skip(message)


def violations(page, impacts=BLOCKING) -> list[str]:
    """The page's accessibility violations of the given impacts, one readable line each."""
    require_axe()
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_source())
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{violation['impact']}: {violation['id']} — {violation['help']} at "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in found
        if violation["impact"] in impacts
    ]
