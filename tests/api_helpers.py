"""Helpers for the data API tests: a data directory with a cleared release and API tokens, release variants
made from a real release, a local OIDC issuer, and a real uvicorn server on 127.0.0.1 (port 0) in a thread."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass
class ApiData:
    data: Path
    env: dict
    tokens: dict[str, str] = field(default_factory=dict)  # name -> token (as printed once by the CLI)

    @property
    def tokens_file(self) -> Path:
        return Path(self.env["LEVELUP_API_TOKENS_FILE"])

    @property
    def release(self) -> Path:
        return (self.data / "releases" / "current").resolve()

    @property
    def cleared_release(self) -> Path:
        return (self.data / "restricted" / "releases" / "current").resolve()


def levelup(env: dict, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(BIN / "levelup"), *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, f"levelup {' '.join(args)}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def build_api_data(published, dest: Path, mirror: Path) -> ApiData:
    """A private copy of the published data directory, plus the restricted zone's cleared release (built from a
    synthetic APS delivery through the real `levelup restricted` commands) and API tokens made by
    `levelup api-token create`."""
    from restricted.keys import generate_key

    data = published.copy_to(dest)
    secrets_dir = dest.parent / "secrets"
    secrets_dir.mkdir()
    env = {
        **os.environ,
        "LEVELUP_DATA_DIR": str(data),
        "LEVELUP_MIRROR": str(mirror),
        "LEVELUP_RESTRICTED_KEY": generate_key(),
        "LEVELUP_API_TOKENS_FILE": str(secrets_dir / "api_tokens.json"),
    }
    env.pop("DAGSTER_HOME", None)
    gen = subprocess.run(
        [str(BIN / "python"), str(ROOT / "scripts" / "generate_synthetic_aps.py"), "--years", "2022"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert gen.returncode == 0, gen.stdout[-2000:] + gen.stderr[-2000:]
    for step in ("ingest", "export", "publish-cleared"):
        levelup(env, "restricted", step)
    out = ApiData(data, env)
    for name, roles in (
        ("open-analyst", ["open"]),
        ("cleared-analyst", ["cleared"]),
        ("to-revoke", ["cleared"]),
    ):
        args = ["api-token", "create", name, "--subject", f"{name}@example.gov.uk"]
        for r in roles:
            args += ["--role", r]
        out.tokens[name] = levelup(env, *args).stdout.strip()
    out.tokens["expired"] = levelup(
        env, "api-token", "create", "expired", "--role", "cleared", "--expires-days", "0.00001"
    ).stdout.strip()
    levelup(env, "api-token", "revoke", "to-revoke")
    time.sleep(1.0)  # the `expired` token's 0.86 s are over
    return out


def variant_release(data_dir: Path, source: Path, release_id: str, sql: list[str] = ()) -> Path:
    """A new release folder `release_id` made from `source`'s marts.duckdb and manifest, changed by `sql`."""
    dest = Path(data_dir) / "releases" / release_id
    dest.mkdir(parents=True)
    shutil.copy2(source / "marts.duckdb", dest / "marts.duckdb")
    manifest = json.loads((source / "manifest.json").read_text())
    manifest.update(release_id=release_id, previous_release=source.name)
    (dest / "manifest.json").write_text(json.dumps(manifest))
    con = duckdb.connect(str(dest / "marts.duckdb"))
    try:
        con.execute("update release_info set release_id = ?", [release_id])
        for stmt in sql:
            con.execute(stmt)
        con.execute("checkpoint")
    finally:
        con.close()
    return dest


def point_current(data_dir: Path, release_id: str) -> None:
    from core.fsio import swap_symlink

    swap_symlink(Path(data_dir) / "releases" / "current", release_id)


# -- a local OIDC issuer ------------------------------------------------------------------------------------
def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class LocalIssuer:
    """An OIDC issuer on 127.0.0.1: discovery document + JWKS over HTTP, and `mint()` for signed tokens."""

    def __init__(self, audience: str = "levelup-api"):
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-key-1"
        self.audience = audience
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": issuer.url + "/jwks.json"}
                elif self.path == "/jwks.json":
                    body = issuer.jwks()
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def jwks(self) -> dict:
        pub = self.key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "kid": self.kid,
                    "use": "sig",
                    "alg": "RS256",
                    "n": _b64(pub.n),
                    "e": _b64(pub.e),
                }
            ]
        }

    def mint(self, roles=("cleared",), *, key=None, alg="RS256", **overrides) -> str:
        import jwt

        now = datetime.now(UTC)
        claims = {
            "iss": self.url,
            "aud": self.audience,
            "sub": "oidc-analyst@example.gov.uk",
            "iat": now,
            "exp": now + timedelta(minutes=5),
            "jti": "jti-" + str(time.monotonic_ns()),
            "roles": list(roles) if roles is not None else None,
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, key or self.key, algorithm=alg, headers={"kid": self.kid})

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# -- a real server ----------------------------------------------------------------------------------------------
@contextlib.contextmanager
def running_server(app):
    """uvicorn serving `app` on 127.0.0.1 (a free port) in a thread; yields the base URL; stops it after."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
