"""The zone key: where it comes from, how it is named, and how it is kept out of every text.

Belongs here: reading the key from `LEVELUP_RESTRICTED_KEY` (urlsafe base64 of 32 bytes) or from the file named
by `LEVELUP_RESTRICTED_KEY_FILE` (which must lie outside the repository), the `RestrictedKey` value whose repr
never shows the bytes (`key_id`, a truncated SHA-256, names it instead), `redact()` for any text leaving the
zone, a logging filter doing the same, and the zone's error types.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from core.settings import PROJECT_ROOT

KEY_ENV = "LEVELUP_RESTRICTED_KEY"
KEY_FILE_ENV = "LEVELUP_RESTRICTED_KEY_FILE"


class RestrictedError(RuntimeError):
    """Base class. Messages name files and feeds, never key material or record-level values."""


class RestrictedKeyError(RestrictedError):
    """The key is missing, malformed, stored inside the repository, or wrong for a file."""


class RestrictedDecryptError(RestrictedKeyError):
    """A file could not be decrypted (wrong key, truncated or tampered)."""


@dataclass(frozen=True)
class RestrictedKey:
    """32 key bytes. repr/str never show them."""

    _raw: bytes
    source: str  # "environment variable LEVELUP_RESTRICTED_KEY" | "key file <path>"

    def __repr__(self) -> str:  # never the bytes
        return f"RestrictedKey(key_id={self.key_id!r}, source={self.source!r})"

    __str__ = __repr__

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"levelup-restricted-key-id:" + self._raw).hexdigest()[:12]

    @property
    def raw(self) -> bytes:
        return self._raw


def generate_key() -> str:
    """A new key as text (urlsafe base64 of 32 random bytes) to store in a secret manager or key file."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _decode_key(text: str, source: str) -> RestrictedKey:
    text = text.strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise RestrictedKeyError(
            f"restricted key from {source} is not urlsafe base64 (generate one with `levelup restricted new-key`)"
        ) from None
    if len(raw) != 32:
        raise RestrictedKeyError(
            f"restricted key from {source} decodes to {len(raw)} bytes; AES-256-GCM needs 32"
        )
    return RestrictedKey(raw, source)


def load_key(environ: dict | None = None) -> RestrictedKey:
    """The zone key, from LEVELUP_RESTRICTED_KEY or the file named by LEVELUP_RESTRICTED_KEY_FILE."""
    env = os.environ if environ is None else environ
    if env.get(KEY_ENV):
        return _decode_key(env[KEY_ENV], f"environment variable {KEY_ENV}")
    path_text = env.get(KEY_FILE_ENV)
    if not path_text:
        raise RestrictedKeyError(
            f"no restricted key: set {KEY_ENV} or {KEY_FILE_ENV} (a file outside the repository); "
            "restricted files cannot be read without it"
        )
    path = Path(path_text).expanduser().resolve()
    if path == PROJECT_ROOT or PROJECT_ROOT in path.parents:
        raise RestrictedKeyError(
            f"{KEY_FILE_ENV} points inside the repository ({path.name}); keep the key file outside it"
        )
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise RestrictedKeyError(
            f"cannot read key file named by {KEY_FILE_ENV}: {type(exc).__name__}"
        ) from None
    return _decode_key(text, f"key file {path}")


def key_forms(key: RestrictedKey) -> list[str]:
    """Every text form the key could take in a message (base64 variants, hex)."""
    b64u = base64.urlsafe_b64encode(key.raw).decode()
    return [b64u, b64u.rstrip("="), base64.b64encode(key.raw).decode(), key.raw.hex()]


def redact(text: str, key: RestrictedKey | None = None) -> str:
    """Remove the key (base64, urlsafe base64 and hex forms) from a text, e.g. an error message."""
    try:
        key = key or load_key()
    except RestrictedKeyError:
        return text
    for form in key_forms(key):
        text = text.replace(form, "[REDACTED]")
    return text


class KeyRedactingFilter(logging.Filter):
    """A logging filter that scrubs the zone key from records (defence in depth; the code never logs it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = redact(msg)
        if clean != msg:
            record.msg, record.args = clean, ()
        return True
