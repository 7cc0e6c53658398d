"""Delete and regenerate are reached through a page that says what happens; bad input changes nothing."""

from tests.factories import classic_token, fine_grained_token
from tokens.models import ClassicToken, FineGrainedToken


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
