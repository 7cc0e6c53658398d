"""CSRF on every form (issue 5 §7), generated from the URL configuration like the matrix.

Every site and admin URL refuses a POST without the CSRF token, even from a
signed-in superuser who may use the page. The API (`api/`) is exempt by
design: it authenticates with bearer secrets, never with the session cookie.
"""

import pytest
from django.test import Client

from tests.security.test_url_matrix import MATRIX, PATTERNS, fill, world  # noqa: F401 (world is a fixture)

pytestmark = pytest.mark.django_db

FORM_PATTERNS = [(key, route) for key, route in PATTERNS if not route.startswith(("api/", "static/"))]


def test_the_site_and_the_admin_have_forms_to_protect():
    assert any(route.startswith("admin/") for _, route in FORM_PATTERNS)
    assert any(key == "login" for key, _ in FORM_PATTERNS)


@pytest.mark.parametrize(("key", "route"), FORM_PATTERNS, ids=[key for key, _ in FORM_PATTERNS])
def test_a_post_without_the_csrf_token_is_refused(key, route, world):  # noqa: F811
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.superuser)
    path = fill(key, route, MATRIX[key][0].kwargs(world))
    response = browser.post(path, {"anything": "x"})
    assert response.status_code == 403, f"{path}: {response.status_code}"
    assert b"CSRF" in response.content


def test_a_post_with_the_csrf_token_gets_through():
    browser = Client(enforce_csrf_checks=True)
    browser.get("/login/")
    token = browser.cookies["csrftoken"].value
    response = browser.post("/login/", {"username": "nobody", "password": "wrong", "csrfmiddlewaretoken": token})
    assert response.status_code == 200  # the form again, with its error: past the CSRF check
