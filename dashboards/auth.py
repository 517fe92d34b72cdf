"""The cleared role for restricted dashboard pages: hashed tokens, and which role a request has.

Belongs here: the tokens file (`LEVELUP_DASHBOARDS_TOKENS_FILE`, JSON: `{"tokens": [{"name", "sha256", "role",
"created_at"}]}`, only the SHA-256 of each token is stored), creating a token (returned once, never stored),
and `role_for(token)`: `cleared` for a token whose hash is listed with that role, else `public` (open pages are
anonymous: the public read-only role). A browser presents its token once at /login and then carries it in an
HttpOnly, SameSite=Strict cookie; scripts send `Authorization: Bearer <token>`. The same style as the data API's
tokens (hash stored, token shown once); the two could share one file once both settle on its format.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from core.fsio import atomic_write_text

ROLES = ("public", "cleared")
COOKIE = "levelup_dashboards_token"


class TokenError(ValueError):
    """The tokens file is unreadable or malformed; the message names the file (never a token)."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _read(path: Path) -> list[dict]:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, json.JSONDecodeError) as exc:
        raise TokenError(f"cannot read the dashboards tokens file {path}: {exc.__class__.__name__}") from None
    tokens = doc.get("tokens") if isinstance(doc, dict) else None
    if not isinstance(tokens, list):
        raise TokenError(f'{path}: expected {{"tokens": [...]}}')
    return tokens


_cache: dict[Path, tuple[tuple, dict[str, str]]] = {}


def _hashes(path: Path) -> dict[str, str]:
    """sha256 -> role, re-read when the file changes."""
    try:
        st = Path(path).stat()
        sig = (st.st_mtime_ns, st.st_size)
    except FileNotFoundError:
        return {}
    hit = _cache.get(Path(path))
    if hit and hit[0] == sig:
        return hit[1]
    table = {
        t["sha256"]: t.get("role", "public") for t in _read(path) if isinstance(t, dict) and "sha256" in t
    }
    _cache[Path(path)] = (sig, table)
    return table


def role_for(token: str | None, tokens_file: Path | None) -> str:
    if not token or tokens_file is None:
        return "public"
    digest = hash_token(token)
    for known, role in _hashes(tokens_file).items():
        if hmac.compare_digest(known, digest):
            return role if role in ROLES else "public"
    return "public"


def add_token(tokens_file: Path, name: str, role: str = "cleared") -> str:
    """Create a token for `name` with `role`, store its hash, and return the token (shown once)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    tokens = _read(tokens_file)
    token = secrets.token_urlsafe(32)
    tokens.append(
        {"name": name, "sha256": hash_token(token), "role": role, "created_at": datetime.now(UTC).isoformat()}
    )
    Path(tokens_file).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(Path(tokens_file), json.dumps({"tokens": tokens}, indent=2) + "\n", mode=0o600)
    os.chmod(tokens_file, 0o600)
    return token
