"""What plain text is (organizations.validators; issue 16, point 4)."""

import pytest
from django.core.exceptions import ValidationError

from organizations.validators import as_single_line, multi_line_text, single_line_text

LINE_BREAKS = ["\n", "\r", "\r\n", "\t", "\u2028", "\u2029"]
# NUL, ESC (terminal escapes), DEL, NEL (a C1 line break), RLO and RLI (text shown in another order), a lone surrogate.
OTHER_CONTROLS = ["\x00", "\x1b", "\x7f", "\x85", "\u202e", "\u2067", "\ud800"]
PLAIN = ["deploy", "déploiement", "日本語のトークン", "نشر الموقع", "👩‍💻 laptop", "CI: web & docs (v2)"]


@pytest.mark.parametrize("value", PLAIN)
def test_plain_text_passes_both_validators(value):
    single_line_text(value)
    multi_line_text(value)


@pytest.mark.parametrize("character", LINE_BREAKS + OTHER_CONTROLS)
def test_a_single_line_refuses_every_line_break_and_control_character(character):
    with pytest.raises(ValidationError):
        single_line_text(f"deploy{character}Bcc: x@y")


@pytest.mark.parametrize("character", LINE_BREAKS)
def test_multi_line_text_keeps_line_breaks_and_tabs(character):
    multi_line_text(f"first line{character}second line")


@pytest.mark.parametrize("character", OTHER_CONTROLS)
def test_multi_line_text_refuses_the_other_control_characters(character):
    with pytest.raises(ValidationError):
        multi_line_text(f"first line\n{character}second line")


def test_the_error_names_the_character_and_where_it_is():
    with pytest.raises(ValidationError) as caught:
        single_line_text("deploy\nBcc: x@y")
    assert caught.value.messages == [
        "Remove the line break U+000A at character 7: this field takes one line of plain text."
    ]


@pytest.mark.parametrize("character", sorted(set(LINE_BREAKS + OTHER_CONTROLS) - {"\u202e", "\u2067"}))
def test_as_single_line_makes_a_space_of_what_a_single_line_refuses(character):
    text = as_single_line(f"[Patrol] acme approved your token “deploy{character}Bcc: x@y”")
    assert text == "[Patrol] acme approved your token “deploy Bcc: x@y”"
    single_line_text(text)


def test_as_single_line_drops_bidirectional_controls():
    assert as_single_line("token “\u202egnp.exe\u2067”") == "token “gnp.exe”"
