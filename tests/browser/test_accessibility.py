"""Pages have no serious or critical accessibility violations, in light and in dark (axe-core)."""

import pytest

from .axe import violations


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_sign_in_page_has_no_serious_violations(page, scheme, db):
    page.emulate_media(color_scheme=scheme)
    page.goto("/login/")
    assert violations(page) == []


def test_the_check_itself_finds_a_critical_violation(browser):
    """The harness is no rubber stamp: an image without a text alternative is critical."""
    page = browser.new_page()
    page.set_content('<html lang="en"><title>t</title><main><img src="x.png"></main></html>')
    try:
        assert any("image-alt" in line for line in violations(page))
    finally:
        page.close()
