from tests.factories import fine_grained_token, pending_request
from tests.tokens.pages.conftest import PLAINTEXT_RE, plaintext_in
from tokens.engine.access import check
from tokens.engine.facts import CheckInput, parse_resource
from tokens.models import ClassicToken, FineGrainedToken

NEW = "/settings/tokens/new/"


def fine_grained_post(cast, **overrides):
    data = {
        "name": "deploy",
        "description": "ships web",
        "resource_owner": "acme",
        "repository_access": "selected",
        "repositories": [cast.web.pk],
        "permission_contents": "write",
        "expiration": "30",
        "justification": "CI deploys",
    }
    data.update(overrides)
    return data


def test_token_pages_require_sign_in(client, cast):
    response = client.get("/settings/tokens/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_form_annotates_each_organization_with_what_its_policy_means(as_user, cast):
    cast.umbrella.fine_grained_opted_in = False
    cast.umbrella.save()
    from organizations.services import membership_add

    membership_add(organization=cast.umbrella, user=cast.alice)
    page = as_user(cast.alice).get(NEW).content.decode()
    assert "Approval required: an owner must approve the request." in page
    assert "umbrella has not enabled fine-grained tokens yet." in page


def test_form_says_an_owner_is_auto_approved(as_user, cast):
    page = as_user(cast.olga).get(NEW).content.decode()
    assert "Auto-approved: you own this organization." in page


def test_form_names_an_enterprise_restriction(as_user, cast):
    cast.bigcorp.fine_grained_access = "restrict"
    cast.bigcorp.save()
    page = as_user(cast.alice).get(NEW).content.decode()
    assert "Restricted by the Big Corp enterprise&#x27;s policy" in page


def test_creating_redirects_to_the_secret_page_which_shows_the_plaintext_once(as_user, cast):
    client = as_user(cast.alice)
    response = client.post(NEW, fine_grained_post(cast))
    token = FineGrainedToken.objects.get(user=cast.alice, name="deploy")
    assert response.status_code == 302
    assert response["Location"] == f"/settings/tokens/fine-grained/{token.pk}/secret/"
    held = str(dict(client.session))
    shown = client.get(response["Location"])
    plaintext = plaintext_in(shown)
    assert plaintext is not None
    assert shown["Cache-Control"] == "no-store"
    assert plaintext not in held, "the session (a database row) holds the plaintext only sealed"
    assert plaintext not in str(dict(client.session))
    again = client.get(response["Location"]).content.decode()
    assert plaintext not in again
    assert "This token's secret was shown once" in again
    token = FineGrainedToken.objects.get(user=cast.alice, name="deploy")
    for url in ("/settings/tokens/", f"/settings/tokens/fine-grained/{token.pk}/"):
        assert plaintext not in client.get(url).content.decode()


def test_without_the_browsers_pad_the_secret_page_shows_nothing(as_user, cast):
    client = as_user(cast.alice)
    response = client.post(NEW, fine_grained_post(cast))
    del client.cookies["patrol_secret_pad"]
    page = client.get(response["Location"]).content.decode()
    assert plaintext_in_text(page) is None
    assert "This token's secret was shown once" in page


def test_another_users_secret_page_is_a_404(client, cast):
    token = fine_grained_token(cast.alice).token
    client.force_login(cast.olga)
    assert client.get(f"/settings/tokens/fine-grained/{token.pk}/secret/").status_code == 404


def test_the_shown_plaintext_is_the_token(as_user, cast):
    data = fine_grained_post(cast, resource_owner="alice", repositories=[cast.dotfiles.pk])
    response = as_user(cast.alice).post(NEW, data)
    result = check(CheckInput(parse_resource("alice/dotfiles"), "contents", "write", token=plaintext_in(response)))
    assert result.decision.allowed


def test_creating_for_an_organization_that_requires_approval_opens_a_request(as_user, cast):
    as_user(cast.alice).post(NEW, fine_grained_post(cast))
    request = pending_request(FineGrainedToken.objects.get(name="deploy"))
    assert request.justification == "CI deploys"
    assert request.permissions == {"contents": "write"}
    assert request.repository_ids == [cast.web.pk]


def test_selected_access_without_repositories_names_the_field(as_user, cast):
    response = as_user(cast.alice).post(NEW, fine_grained_post(cast, repositories=[]))
    assert response.status_code == 200
    assert response.context["form"].errors["repositories"] == ["Select at least one repository."]
    assert not FineGrainedToken.objects.exists()


def test_a_repository_of_another_owner_is_refused(as_user, cast):
    response = as_user(cast.alice).post(NEW, fine_grained_post(cast, repositories=[cast.dotfiles.pk]))
    assert "does not belong to the resource owner" in str(response.context["form"].errors["repositories"])
    assert not FineGrainedToken.objects.exists()


def test_an_organization_the_user_is_not_in_is_not_a_choice(as_user, cast):
    response = as_user(cast.alice).post(NEW, fine_grained_post(cast, resource_owner="globex", repositories=[]))
    assert "resource_owner" in response.context["form"].errors
    assert not FineGrainedToken.objects.exists()


def test_custom_expiry_over_366_days_is_refused(as_user, cast):
    response = as_user(cast.alice).post(NEW, fine_grained_post(cast, expiration="custom", custom_days="367"))
    assert "custom_days" in response.context["form"].errors
    assert not FineGrainedToken.objects.exists()


def test_no_expiration_makes_a_token_that_never_expires(as_user, cast):
    as_user(cast.alice).post(NEW, fine_grained_post(cast, expiration="none"))
    assert FineGrainedToken.objects.get(name="deploy").expires_at is None


def test_an_organization_permission_on_a_user_owned_token_is_refused(as_user, cast):
    data = fine_grained_post(cast, resource_owner="alice", repositories=[cast.dotfiles.pk], permission_members="read")
    response = as_user(cast.alice).post(NEW, data)
    assert "members is a organization permission" in " ".join(response.context["form"].non_field_errors())
    assert not FineGrainedToken.objects.exists()


def test_creating_a_classic_token_shows_its_plaintext_once(as_user, cast):
    response = as_user(cast.alice).post(
        "/settings/tokens/new-classic/", {"note": "laptop", "scopes": ["repo", "read:org"], "expiration": "7"}
    )
    assert plaintext_in(response).startswith("patrol_cl_")
    assert ClassicToken.objects.get(user=cast.alice).scopes == ["read:org", "repo"]


def test_an_unknown_scope_is_refused(as_user, cast):
    response = as_user(cast.alice).post(
        "/settings/tokens/new-classic/", {"note": "laptop", "scopes": ["root"], "expiration": "7"}
    )
    assert "scopes" in response.context["form"].errors
    assert not ClassicToken.objects.exists()


def plaintext_in_text(text: str) -> str | None:
    match = PLAINTEXT_RE.search(text)
    return match.group(0) if match else None
