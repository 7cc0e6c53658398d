"""Plain text: what a name, a title or a reason may hold (issue 16, point 4).

Every app imports these from here (organizations is the bottom app). A
single-line field (a token's name, an organization's name) refuses every
control character — line breaks and tabs included — the Unicode line and
paragraph separators, and the bidirectional controls that make text read in
another order than it is stored (CVE-2021-42574): such a name could forge an
email header or pass for another in an owner's queue. A multi-line field (a
justification, a review reason) keeps line breaks and tabs and refuses the rest.
Unpaired surrogates are refused in both: they are not text, and PostgreSQL
cannot store them.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

LINE_BREAKS = frozenset("\n\r\t")  # the only controls a multi-line field keeps
SEPARATORS = frozenset("\u2028\u2029")  # LINE SEPARATOR, PARAGRAPH SEPARATOR
# Embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _kind(character: str) -> str:
    if character == "\t":
        return "tab"
    if character in LINE_BREAKS or character in SEPARATORS:
        return "line break"
    if character in BIDI_CONTROLS:
        return "bidirectional control character"
    if unicodedata.category(character) == "Cs":
        return "unpaired surrogate"
    return "control character"


def forbidden_in_single_line(character: str) -> bool:
    return unicodedata.category(character) in ("Cc", "Cs") or character in SEPARATORS or character in BIDI_CONTROLS


def forbidden_in_multi_line(character: str) -> bool:
    return character not in LINE_BREAKS and character not in SEPARATORS and forbidden_in_single_line(character)


@deconstructible
class PlainTextValidator:
    """Refuse what is not plain text; the error names the first offending character and where it is."""

    code = "plain_text"

    def __init__(self, *, multi_line: bool = False):
        self.multi_line = multi_line

    def __call__(self, value) -> None:
        forbidden = forbidden_in_multi_line if self.multi_line else forbidden_in_single_line
        for position, character in enumerate(str(value), start=1):
            if forbidden(character):
                where = "plain text" if self.multi_line else "one line of plain text"
                raise ValidationError(
                    "Remove the %(kind)s U+%(codepoint)04X at character %(position)d: this field takes %(where)s.",
                    code=self.code,
                    params={
                        "kind": _kind(character),
                        "codepoint": ord(character),
                        "position": position,
                        "where": where,
                    },
                )

    def __eq__(self, other):
        return isinstance(other, PlainTextValidator) and self.multi_line == other.multi_line


single_line_text = PlainTextValidator()
multi_line_text = PlainTextValidator(multi_line=True)


def as_single_line(text: str) -> str:
    """`text` made safe for an email header: what a single-line field refuses becomes a space (bidi controls go).

    For text stored before these validators existed (a legacy ``deploy\\nBcc: x@y``
    token name), so that interpolating it into a subject can never raise BadHeaderError.
    """
    kept = ("" if c in BIDI_CONTROLS else " " if forbidden_in_single_line(c) else c for c in str(text))
    return " ".join("".join(kept).split())
