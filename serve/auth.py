"""Who is calling the data API, and with which role: hashed API tokens and OIDC access tokens.

Belongs here: the two ways a caller proves who they are, both presented as `Authorization: Bearer <token>`:

  - **API tokens** from the tokens file (`LEVELUP_API_TOKENS_FILE`, JSON). The file stores only a hash of each
    token (SHA-256, or HMAC-SHA256 with `LEVELUP_API_TOKEN_PEPPER` when it is set), its id, subject, roles,
    creation and optional expiry and revocation. `create_token()` makes a token (returned once, never stored);
    the file is re-read when it changes, so a revocation takes effect on the next request.
  - **OIDC JWTs** signed by the configured issuer (`LEVELUP_API_OIDC_ISSUER`, `..._AUDIENCE`, keys from
    `..._JWKS_URL`, the issuer's discovery document, or `..._JWKS_FILE`). `iss`, `aud`, `exp` and `sub` are
    required; only asymmetric algorithms are accepted (never `none` or HS*); roles come from the claim
    `LEVELUP_API_OIDC_ROLES_CLAIM` (dotted path, default `roles`).

Roles: `open` (the same as anonymous) and `cleared` (may read the cleared release). No credentials is the
anonymous open caller. Credentials that are presented but not valid are refused (401), never downgraded.
Nothing here logs or returns a token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
from fastapi import Request

from core.fsio import atomic_write_text
from core.settings import Settings
from serve.problems import Problem

log = logging.getLogger("levelup.serve")

ROLES = ("open", "cleared")
TOKEN_PREFIX = "lvl_"
ASYMMETRIC = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str]
    method: str  # anonymous | token | oidc
    token_id: str | None = None
    claims: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def cleared(self) -> bool:
        return "cleared" in self.roles

    def who(self) -> dict:
        return {
            "subject": self.subject,
            "method": self.method,
            "token_id": self.token_id,
            "roles": sorted(self.roles),
        }


ANONYMOUS = Principal("anonymous", frozenset({"open"}), "anonymous")


# -- hashed API tokens -----------------------------------------------------------------------------------
def hash_token(token: str, pepper: str | None) -> str:
    if pepper:
        return "hmac-sha256:" + hmac.new(pepper.encode(), token.encode(), hashlib.sha256).hexdigest()
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def _read_tokens_file(path: Path) -> dict:
    if not path.exists():
        return {"tokens": []}
    doc = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or not isinstance(doc.get("tokens"), list):
        raise ValueError(f"{path} is not a tokens file (expected {{'tokens': [...]}})")
    return doc


def create_token(
    path: Path,
    token_id: str,
    roles: list[str],
    *,
    subject: str | None = None,
    expires_days: float | None = None,
    pepper: str | None = None,
) -> str:
    """Add a new token to the tokens file (created 0600) and return it. Only its hash is stored."""
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise ValueError(f"roles must be among {', '.join(ROLES)}; got {roles}")
    doc = _read_tokens_file(path)
    if any(t.get("id") == token_id for t in doc["tokens"]):
        raise ValueError(
            f"a token with id {token_id!r} already exists in {path}: choose another id or revoke it"
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    doc["tokens"].append(
        {
            "id": token_id,
            "subject": subject or token_id,
            "roles": sorted(set(roles)),
            "hash": hash_token(token, pepper),
            "created_at": now.isoformat(timespec="seconds"),
            "expires_at": (now + timedelta(days=expires_days)).isoformat(timespec="seconds")
            if expires_days
            else None,
            "revoked_at": None,
        }
    )
    atomic_write_text(path, json.dumps(doc, indent=2) + "\n", mode=0o600)
    return token


def revoke_token(path: Path, token_id: str) -> None:
    doc = _read_tokens_file(path)
    for t in doc["tokens"]:
        if t.get("id") == token_id:
            t["revoked_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            atomic_write_text(path, json.dumps(doc, indent=2) + "\n", mode=0o600)
            return
    raise ValueError(f"no token with id {token_id!r} in {path}")


def list_tokens(path: Path) -> list[dict]:
    return [{k: v for k, v in t.items() if k != "hash"} for t in _read_tokens_file(path)["tokens"]]


class TokenFile:
    """The hashed tokens, re-read whenever the file changes."""

    def __init__(self, path: Path | None, pepper: str | None):
        self.path, self.pepper = path, pepper
        self._stamp = None
        self._by_hash: dict[str, dict] = {}
        self._lock = threading.Lock()

    def _load(self) -> None:
        if self.path is None:
            return
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            stamp = None
        if stamp == self._stamp:
            return
        with self._lock:
            by_hash = {}
            if stamp is not None:
                try:
                    for t in _read_tokens_file(self.path)["tokens"]:
                        if isinstance(t, dict) and isinstance(t.get("hash"), str):
                            by_hash[t["hash"]] = t
                except (OSError, ValueError) as exc:
                    log.error("API tokens file unreadable, no API token is accepted: %s", exc)
            self._by_hash, self._stamp = by_hash, stamp

    def verify(self, token: str) -> Principal | None:
        self._load()
        if not self._by_hash:
            return None
        digest = hash_token(token, self.pepper)
        entry = self._by_hash.get(digest)
        if entry is None or not hmac.compare_digest(entry["hash"], digest):
            return None
        if entry.get("revoked_at"):
            return None
        expires = entry.get("expires_at")
        if expires and datetime.fromisoformat(expires) <= datetime.now(UTC):
            return None
        roles = frozenset(r for r in entry.get("roles") or [] if r in ROLES) or frozenset({"open"})
        return Principal(
            str(entry.get("subject") or entry.get("id")), roles, "token", token_id=entry.get("id")
        )


# -- OIDC --------------------------------------------------------------------------------------------------
class OIDCVerifier:
    def __init__(self, settings: Settings):
        self.issuer = settings.api_oidc_issuer
        self.audience = settings.api_oidc_audience
        self.jwks_url = settings.api_oidc_jwks_url
        self.jwks_file = settings.api_oidc_jwks_file
        self.roles_claim = settings.api_oidc_roles_claim
        self.leeway = settings.api_oidc_leeway
        self.algorithms = [
            a.strip() for a in settings.api_oidc_algorithms.split(",") if a.strip() in ASYMMETRIC
        ]
        self._client: jwt.PyJWKClient | None = None
        self._file_keys: jwt.PyJWKSet | None = None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return bool(self.issuer and self.audience and (self.jwks_url or self.jwks_file or self.issuer))

    def _key(self, token: str):
        if self.jwks_file is not None:
            if self._file_keys is None:
                self._file_keys = jwt.PyJWKSet.from_json(self.jwks_file.read_text())
            kid = jwt.get_unverified_header(token).get("kid")
            keys = [k for k in self._file_keys.keys if kid is None or k.key_id == kid]
            if not keys:
                raise jwt.InvalidTokenError("no key in the JWKS file matches the token's kid")
            return keys[0].key
        with self._lock:
            if self._client is None:
                self._client = jwt.PyJWKClient(self.jwks_url or self._discover(), cache_keys=True, timeout=5)
        return self._client.get_signing_key_from_jwt(token).key

    def _discover(self) -> str:
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        with urllib.request.urlopen(url, timeout=5) as resp:  # the issuer is a configured, internal host
            doc = json.loads(resp.read())
        if doc.get("issuer") != self.issuer or not doc.get("jwks_uri"):
            raise jwt.InvalidTokenError(
                "the issuer's discovery document does not name it, or has no jwks_uri"
            )
        return doc["jwks_uri"]

    def verify(self, token: str) -> Principal:
        header = jwt.get_unverified_header(token)
        if header.get("alg") not in self.algorithms:
            raise jwt.InvalidAlgorithmError(f"algorithm {header.get('alg')!r} is not accepted")
        claims = jwt.decode(
            token,
            key=self._key(token),
            algorithms=self.algorithms,
            audience=self.audience,
            issuer=self.issuer,
            leeway=self.leeway,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
        value = claims
        for part in self.roles_claim.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str):
            value = value.split()
        roles = frozenset(r for r in (value or []) if r in ROLES) or frozenset({"open"})
        return Principal(str(claims["sub"]), roles, "oidc", token_id=claims.get("jti"), claims=claims)


class Authenticator:
    def __init__(self, settings: Settings):
        pepper = settings.api_token_pepper.get_secret_value() if settings.api_token_pepper else None
        self.tokens = TokenFile(settings.api_tokens_file, pepper)
        self.oidc = OIDCVerifier(settings)

    def principal(self, request: Request) -> Principal:
        header = request.headers.get("authorization")
        if not header:
            return ANONYMOUS
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise unauthenticated("the Authorization header must be `Bearer <token>`")
        if token.count(".") == 2 and not token.startswith(TOKEN_PREFIX):
            if not self.oidc.enabled:
                raise unauthenticated("OIDC tokens are not accepted by this server (no issuer configured)")
            try:
                return self.oidc.verify(token)
            except (jwt.PyJWTError, OSError, ValueError) as exc:
                raise unauthenticated(f"the access token is not valid: {_jwt_reason(exc)}") from None
        principal = self.tokens.verify(token)
        if principal is None:
            raise unauthenticated("the API token is not valid (unknown, revoked or expired)")
        return principal


def _jwt_reason(exc: Exception) -> str:
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "expired"
    if isinstance(exc, jwt.InvalidAudienceError):
        return "wrong audience"
    if isinstance(exc, jwt.InvalidIssuerError):
        return "wrong issuer"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"missing claim {exc.claim!r}"
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return "algorithm not accepted"
    if isinstance(exc, jwt.InvalidSignatureError):
        return "bad signature"
    if isinstance(exc, OSError | jwt.PyJWKClientError):
        return "the issuer's keys could not be fetched"
    return "malformed or not verifiable"


def unauthenticated(detail: str) -> Problem:
    return Problem(401, "unauthenticated", detail, headers={"WWW-Authenticate": 'Bearer realm="levelup"'})


def forbidden(principal: Principal) -> Problem:
    return Problem(
        403,
        "forbidden",
        f"{principal.subject} has role(s) {', '.join(sorted(principal.roles))}; this route needs the cleared role "
        "(see docs/restricted.md for how access is granted)",
    )
