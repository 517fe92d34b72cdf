"""Encryption at rest for the restricted zone: AES-256-GCM files, and private folders.

Belongs here: the file format (`LVLUPRZ1` magic + 12-byte nonce + ciphertext with its tag, the magic as
associated data), encrypting and decrypting bytes, writing an encrypted file atomically with mode 0600, and
creating zone folders with mode 0700. Decryption happens in memory only.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.fsio import atomic_write_bytes
from restricted.keys import RestrictedDecryptError, RestrictedKey, load_key

MAGIC = b"LVLUPRZ1"
NONCE_BYTES = 12


def encrypt_bytes(plain: bytes, key: RestrictedKey) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return MAGIC + nonce + AESGCM(key.raw).encrypt(nonce, plain, MAGIC)


def decrypt_bytes(blob: bytes, key: RestrictedKey, where: str = "<bytes>") -> bytes:
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + NONCE_BYTES + 16:
        raise RestrictedDecryptError(
            f"{where} is not a levelup restricted-zone encrypted file (truncated or not encrypted)"
        )
    nonce = blob[len(MAGIC) : len(MAGIC) + NONCE_BYTES]
    try:
        return AESGCM(key.raw).decrypt(nonce, blob[len(MAGIC) + NONCE_BYTES :], MAGIC)
    except InvalidTag:
        raise RestrictedDecryptError(
            f"cannot decrypt {where}: wrong key (key_id {key.key_id}) or the file is truncated or tampered"
        ) from None


def read_encrypted(path: Path, key: RestrictedKey | None = None) -> bytes:
    """Decrypt a file in memory. Without a usable key this raises RestrictedKeyError (never plaintext)."""
    key = key or load_key()
    return decrypt_bytes(Path(path).read_bytes(), key, where=Path(path).name)


def secure_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o700)
    return path


def write_encrypted(path: Path, plain: bytes, key: RestrictedKey) -> Path:
    secure_dir(path.parent)
    return atomic_write_bytes(path, encrypt_bytes(plain, key), mode=0o600)
