"""Delete, regenerate and cancelling a request are reached through a page that says what happens;
bad input changes nothing."""

import html

from tests.factories import classic_token, fine_grained_token, pending_request
from tokens.models import AccessRequest, ClassicToken, FineGrainedToken


def test_the_delete_page_says_the_token_stops_everywhere_and_links_to_it_carry_data_confirm(as_user, cast):
    token = fine_grained_token(cast.alice, name="deploy", resource_owner=cast.acme).token
    client = as_user(cast.alice)
    detail = client.get(f"/settings/tokens/fine-grained/{token.pk}/").content.decode()
    assert f'data-confirm href="/settings/tokens/fine-grained/{token.pk}/delete/"' in detail
    assert f'data-confirm href="/settings/tokens/fine-grained/{token.pk}/regenerate/"' in detail
    page = client.get(f"/settings/tokens/fine-grained/{token.pk}/delete/").content.decode()
    assert 'class="card confirm-form"' in page
    assert "<strong>deploy</strong> stops working everywhere at once; this cannot be undone." in page
    assert FineGrainedToken.objects.filter(pk=token.pk).exists()


def test_a_bad_expiry_on_regenerate_is_named_at_the_top_and_keeps_the_old_secret(as_user, cast):
    issued = classic_token(cast.alice, note="laptop")
    response = as_user(cast.alice).post(
        f"/settings/tokens/classic/{issued.token.pk}/regenerate/", {"expiration": "custom", "custom_days": "999"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="alert"' in page and 'href="#id_custom_days"' in page
    token = ClassicToken.objects.get(pk=issued.token.pk)
    assert token.digest == issued.token.digest


def test_another_users_token_cannot_be_deleted_or_regenerated(as_user, cast):
    token = fine_grained_token(cast.alice, name="deploy").token
    client = as_user(cast.olga)
    for action in ("delete", "regenerate", "secret"):
        assert client.get(f"/settings/tokens/fine-grained/{token.pk}/{action}/").status_code == 404
    assert client.post(f"/settings/tokens/fine-grained/{token.pk}/delete/").status_code == 404
    assert FineGrainedToken.objects.filter(pk=token.pk).exists()


def pending_token(cast, **kwargs):
    token = fine_grained_token(cast.alice, name="deploy", resource_owner=cast.acme, **kwargs).token
    return token, pending_request(token)


def test_cancel_request_is_a_link_to_a_page_that_says_what_happens(as_user, cast):
    token, request = pending_token(cast, permissions={"contents": "write", "issues": "read"})
    client = as_user(cast.alice)
    url = f"/settings/tokens/fine-grained/{token.pk}/requests/{request.pk}/cancel/"

    detail = client.get(f"/settings/tokens/fine-grained/{token.pk}/").content.decode()
    response = client.get(url)

    assert f'data-confirm href="{url}"' in detail
    assert f'action="{url}"' not in detail
    page = html.unescape(response.content.decode())
    assert 'class="card confirm-form"' in page and f'action="{url}"' in page
    assert (
        "Your request for Contents (read and write), Issues (read-only) in acme is withdrawn;"
        " the access the token already has stays." in page
    )
    request.refresh_from_db()
    assert request.status == "pending"


def test_a_request_no_longer_pending_offers_nothing_to_cancel(as_user, cast):
    token, request = pending_token(cast, permissions={"contents": "read"})
    AccessRequest.objects.filter(pk=request.pk).update(status="denied")

    response = as_user(cast.alice).get(f"/settings/tokens/fine-grained/{token.pk}/requests/{request.pk}/cancel/")

    assert response.status_code == 409
    page = response.content.decode()
    assert "confirm-form" not in page
    assert f"Request #{request.pk} is no longer pending, so there is nothing to cancel." in page


def test_another_users_request_has_no_cancel_page(as_user, cast):
    token, request = pending_token(cast, permissions={"contents": "read"})

    response = as_user(cast.emu_bob).get(f"/settings/tokens/fine-grained/{token.pk}/requests/{request.pk}/cancel/")

    assert response.status_code == 404
