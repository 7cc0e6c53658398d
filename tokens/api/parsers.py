"""The JSON parser of every API view (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES).

Strict where Python's `json` is lenient, so that hostile bodies are a 400
parse error naming what is wrong, never a 500 or a silent guess (issue 16):
nesting deeper than MAX_DEPTH (Python's decoder would recurse into a
RecursionError), a key given twice in one object (the last would win, so a log
reading the first could name another token than the one decided on), numbers
beyond MAX_DIGITS digits or beyond a float's range (1e999 is inf), NaN and
Infinity, strings holding NUL (PostgreSQL text cannot) or a lone surrogate (not
encodable as UTF-8), and bytes that are not UTF-8.

The check API is the hot path: a check body costs under a microsecond more
than `json.loads` (a few scans of its bytes and a hook per object). The slower
checks run only on bodies that could fail them: the nesting passes when there
are more brackets than MAX_DEPTH, the string walk when there is an escape.
"""

import json
import math
import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, JSONParser

MAX_DEPTH = 32  # a batch check is 3 deep; v3 bodies 2
MAX_DIGITS = 100  # far beyond any id (2**63 has 19 digits); int() refuses 4,300 with advice for Python programmers
KEY_SHOWN = 40  # a duplicate key is named up to this many characters

# A JSON string: no bare quote or backslash outside an escape. Neither byte
# occurs inside a multi-byte UTF-8 sequence, so bytes can be scanned as they come.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# A body's brackets alone, openers as "(" and closers as ")".
_SHAPE = bytes.maketrans(b"[{]}", b"(())")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _float(text):
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"number {text[:KEY_SHOWN]} is out of range")
    return number


def _int(text):
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise ValueError(f"number with more than {MAX_DIGITS} digits")
    return int(text)


def _object(pairs):
    data = dict(pairs)
    if len(data) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                shown = key if len(key) <= KEY_SHOWN else f"{key[:KEY_SHOWN]}…"
                raise ValueError(f"duplicate key {shown!r}")
            seen.add(key)
    return data


def nested_deeper_than(body: bytes, limit: int) -> bool:
    """Whether arrays and objects nest deeper than `limit`, counting brackets inside strings too.

    Bytes operations only (the check API's batches are parsed by the
    hundred): each pass removes the innermost pairs, one level.
    """
    shape = body.translate(_SHAPE, _NOT_BRACKETS)
    run = b"(" * (limit + 1)
    for _ in range(limit):
        if run in shape:
            return True
        if b"()" not in shape:
            return False  # every level removed, or unbalanced: the decoder says which
        shape = shape.replace(b"()", b"")
    return b"()" in shape


def _bad_text(text: str) -> str | None:
    if "\x00" in text:
        return "NUL character"
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            return "lone surrogate"
    return None


def text_problem(value, path: tuple[str, ...] = ()) -> str | None:
    """The first string (value or key) holding NUL or a lone surrogate: what and where ("checks.0.resource")."""
    where = ".".join(path) or "the body"
    if isinstance(value, str):
        problem = _bad_text(value)
        return f"{problem} in {where}" if problem else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, inner in items:
        if isinstance(key, str) and (problem := _bad_text(key)):
            return f"{problem} in a key of {where}"
        if problem := text_problem(inner, (*path, str(key))):
            return problem
    return None


class StrictJsonParser(JSONParser):
    """DRF's JSON parser, strict (see the module), reading the body whole.

    One decoder for every request (`json.loads` with an option builds one per
    call), and the body handed back as `DataAndFiles`, which DRF otherwise
    finds out by catching an AttributeError. JSON is UTF-8 (RFC 8259); a
    leading byte order mark is ignored, as the RFC allows.
    """

    decoder = json.JSONDecoder(
        parse_constant=_refuse_constant, parse_float=_float, parse_int=_int, object_pairs_hook=_object
    )

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read()
        try:
            if self.too_deep(body):
                raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
            data = self.decoder.decode(body.decode("utf-8").removeprefix("\ufeff"))
            # NUL and lone surrogates can only arrive as \u escapes: raw, the
            # decoder refuses control characters and UTF-8 has no surrogates.
            # (One byte is found faster than two.)
            problem = text_problem(data) if b"\\" in body else None
            if problem:
                raise ValueError(problem)
        except ValueError as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise ParseError(f"JSON parse error - {error}") from None
        return DataAndFiles(data, {})

    @staticmethod
    def too_deep(body: bytes) -> bool:
        # Only a body with more brackets than MAX_DEPTH can be nested deeper (a
        # batch of 100 checks has 102); brackets inside strings are left out
        # only if they would decide it, as that costs a regular expression.
        return (
            body.count(b"[") + body.count(b"{") > MAX_DEPTH
            and nested_deeper_than(body, MAX_DEPTH)
            and nested_deeper_than(_STRING.sub(b"", body), MAX_DEPTH)
        )
