"""Token format, generation, checksum and keyed hash (behaviour §2, §4 gate 1).

A token is ``<prefix><body><checksum>``:

- prefix: ``patrol_fg_`` (fine-grained), ``patrol_cl_`` (classic) or ``patrol_ac_``
  (an API client's secret), so a leaked token says what it is;
- body: 32 base62 characters from `secrets` (about 190 random bits);
- checksum: CRC32 of prefix and body, 6 base62 characters, so typos and
  made-up strings are refused without touching the database.

The whole token matches ``TOKEN_RE``. Only ``HMAC-SHA256(pepper, token)`` and
the last four characters are stored; the pepper id travels with the digest so
peppers can rotate (settings.TOKEN_PEPPERS).
"""

import hmac
import re
import secrets
import string
import zlib
from dataclasses import dataclass

from django.conf import settings

from ..choices import CredentialType

ALPHABET = string.digits + string.ascii_letters  # base62
BODY_LENGTH = 32
CHECKSUM_LENGTH = 6


PREFIXES = {
    CredentialType.FINE_GRAINED: "patrol_fg_",
    CredentialType.CLASSIC: "patrol_cl_",
    CredentialType.API_CLIENT: "patrol_ac_",
}
KIND_BY_PREFIX = {prefix: kind for kind, prefix in PREFIXES.items()}

TOKEN_RE = re.compile(r"^patrol_(fg|cl|ac)_[0-9A-Za-z]{32}[0-9A-Za-z]{6}\Z")
TOKEN_LENGTH = len("patrol_fg_") + BODY_LENGTH + CHECKSUM_LENGTH

# OpenSSH's fingerprint form: "SHA256:" and 43 unpadded base64 characters.
SSH_FINGERPRINT_RE = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}\Z")


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(ALPHABET[remainder])
    return "".join(reversed(digits))


def _checksum(text: str) -> str:
    return _base62(zlib.crc32(text.encode()), CHECKSUM_LENGTH)


def generate(kind: CredentialType) -> str:
    body = PREFIXES[kind] + "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + _checksum(body)


def parse_kind(token: str) -> CredentialType | None:
    """The token's kind if it is well formed (prefix, length, checksum), else None."""
    if not isinstance(token, str) or len(token) != TOKEN_LENGTH or not TOKEN_RE.match(token):
        return None
    body, checksum = token[:-CHECKSUM_LENGTH], token[-CHECKSUM_LENGTH:]
    if not hmac.compare_digest(_checksum(body), checksum):
        return None
    return KIND_BY_PREFIX[token[: len("patrol_fg_")]]


def is_ssh_fingerprint(value: str) -> bool:
    return isinstance(value, str) and bool(SSH_FINGERPRINT_RE.match(value))


@dataclass(frozen=True)
class Digest:
    pepper_id: int
    value: str


def _hmac(pepper: str, token: str) -> str:
    # hmac.digest is the one-shot C path: the check hashes on every request.
    return hmac.digest(pepper.encode(), token.encode(), "sha256").hex()


def digest(token: str) -> Digest:
    """The digest new tokens are stored under: the newest pepper."""
    pepper_id = max(settings.TOKEN_PEPPERS)
    return Digest(pepper_id, _hmac(settings.TOKEN_PEPPERS[pepper_id], token))


def candidate_digests(token: str) -> list[str]:
    """The token's digest under every pepper still accepted, for one lookup."""
    return [_hmac(pepper, token) for pepper in settings.TOKEN_PEPPERS.values()]


def last_four(token: str) -> str:
    return token[-4:]
