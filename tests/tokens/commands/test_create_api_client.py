"""`create_api_client` (behaviour §5.4, §6): the secret once, alone on the last line."""

import pytest
from django.core.management.base import CommandError

from tests.tokens.commands.helpers import counts, last_line, run_command
from tokens.choices import CredentialType
from tokens.engine import credentials
from tokens.models import ApiClient

pytestmark = pytest.mark.django_db


def test_prints_the_secret_alone_on_the_last_line():
    output = run_command("create_api_client", "git-server")

    secret = last_line(output)
    assert credentials.TOKEN_RE.match(secret)
    assert credentials.parse_kind(secret) == CredentialType.API_CLIENT
    client = ApiClient.objects.get(name="git-server")
    assert client.digest in credentials.candidate_digests(secret)
    assert client.rate_per_minute is None
    assert output.count(secret) == 1


def test_rate_per_minute():
    run_command("create_api_client", "ci", "--rate-per-minute", "120")

    assert ApiClient.objects.get(name="ci").rate_per_minute == 120


def test_secret_is_not_stored():
    secret = last_line(run_command("create_api_client", "gateway"))

    client = ApiClient.objects.get()
    assert secret not in {client.digest, client.last_four, client.name}
    assert client.last_four == secret[-4:]


def test_duplicate_name_is_refused():
    run_command("create_api_client", "gateway")
    before = counts()

    with pytest.raises(CommandError, match=r"'gateway': An API client with this name exists\."):
        run_command("create_api_client", "gateway")
    assert counts() == before


@pytest.mark.parametrize("rate", ["0", "-5", "fast", "99999999999"])
def test_bad_rate_is_refused(rate):
    with pytest.raises(CommandError, match="--rate-per-minute"):
        run_command("create_api_client", "gateway", "--rate-per-minute", rate)
    assert not ApiClient.objects.exists()


def test_blank_name_is_refused():
    with pytest.raises(CommandError, match=r"This field is required\."):
        run_command("create_api_client", "   ")


def test_enterprise_scopes_the_client(cast):
    secret = last_line(run_command("create_api_client", "bigcorp-ci", "--enterprise", "bigcorp"))

    client = ApiClient.objects.get(name="bigcorp-ci")
    assert client.enterprise == cast.bigcorp
    assert client.digest in credentials.candidate_digests(secret)


def test_unknown_enterprise_is_refused_naming_the_option(cast):
    with pytest.raises(CommandError, match=r"--enterprise: no enterprise has the slug 'nope'\."):
        run_command("create_api_client", "ci", "--enterprise", "nope")
    assert not ApiClient.objects.exists()


def test_the_same_name_may_be_used_in_another_enterprise(cast):
    run_command("create_api_client", "ci", "--enterprise", "bigcorp")
    run_command("create_api_client", "ci", "--enterprise", "othercorp")
    run_command("create_api_client", "ci")

    assert ApiClient.objects.filter(name="ci").count() == 3
