"""Every permission and classic scope has words, and the `patrol` filters show them (issue 18)."""

import pytest
from django.template import Context, Template

from tokens.engine.catalogue import PERMISSION_DESCRIPTIONS, PERMISSIONS, SCOPE_DESCRIPTIONS, SCOPES


def render(text, **context):
    return Template("{% load patrol %}" + text).render(Context(context))


@pytest.mark.parametrize("name", list(PERMISSIONS))
def test_every_permission_has_a_description(name):
    assert PERMISSION_DESCRIPTIONS[name].strip()


@pytest.mark.parametrize("scope", SCOPES)
def test_every_classic_scope_has_a_description(scope):
    assert SCOPE_DESCRIPTIONS[scope].strip()


def test_descriptions_name_only_what_the_catalogue_holds():
    assert set(PERMISSION_DESCRIPTIONS) == set(PERMISSIONS)
    assert set(SCOPE_DESCRIPTIONS) == set(SCOPES)


def test_a_permission_reads_as_its_title_and_description():
    assert render('{{ "contents"|permission_title }}') == "Contents"
    assert render('{{ "contents"|permission_description }}') == (
        "Repository contents, commits, branches, downloads, releases, and merges."
    )


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("contents:write", "Contents (read and write)"),
        ("issues:read", "Issues (read-only)"),
        ("administration:admin", "Administration (admin)"),
    ],
)
def test_a_permission_and_level_read_as_words(value, words):
    assert render("{{ value|permission_words }}", value=value) == words


def test_a_tokens_permissions_read_in_the_catalogues_order():
    permissions = {"issues": "write", "contents": "read"}
    assert render("{{ p|permission_list|join:', ' }}", p=permissions) == "Contents (read-only), Issues (read and write)"


def test_a_classic_scope_reads_as_its_description():
    assert render('{{ "repo"|scope_description }}') == "Full control of private repositories"


@pytest.mark.parametrize(
    "template",
    [
        '{{ "nonsense"|permission_title }}',
        '{{ "nonsense"|permission_words }}',
        '{{ "nonsense:write"|permission_words }}',
        '{{ "contents:delete"|permission_words }}',
        '{{ "nonsense"|level_words }}',
        '{{ "nonsense"|action_name }}',
    ],
)
def test_an_unknown_name_renders_as_itself(template):
    value = template.split('"')[1]
    assert render(template) == value


def test_an_unknown_name_has_no_description():
    assert render('{{ "nonsense"|permission_description }}{{ "nonsense"|scope_description }}') == ""


def test_filters_take_anything_without_raising():
    assert render("{{ n|permission_title }}{{ n|permission_words }}{{ n|permission_list|length }}", n=None) == (
        "NoneNone0"
    )
