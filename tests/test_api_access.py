"""Issue 16, access tiers: the open release is anonymous; the cleared release (restricted zone) is served only to
an authenticated caller with the `cleared` role (a hashed API token, or an OIDC JWT from a local test issuer);
every cleared request is written to the append-only audit log; an anonymous or open-role caller never gets a
restricted row, through any route or parameter.

The cleared release is real: a synthetic APS delivery through `levelup restricted ingest/export/publish-cleared`
(the `api_data` fixture). "A restricted row" is recognised by its values: every share and confidence limit of
`m8_wellbeing_shares_detail` in a sex or age-band breakdown (the cells only the cleared tier has), less any
number that also occurs in the open release or the open tier."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import stat
import warnings
from datetime import UTC, datetime, timedelta

import duckdb
import jwt
import pytest

from core.settings import Settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api_helpers import LocalIssuer, levelup

from serve.app import create_app
from serve.auth import hash_token

pytestmark = [pytest.mark.mirror, pytest.mark.slow, pytest.mark.xdist_group("api")]
DETAIL = "m8_wellbeing_shares_detail"
NUMBER = re.compile(rb"-?\d+\.\d+(?:[eE][-+]?\d+)?")


@pytest.fixture(scope="module")
def issuer():
    iss = LocalIssuer()
    yield iss
    iss.close()


@pytest.fixture(scope="module")
def settings(api_data, issuer, tmp_path_factory):
    return Settings(
        data_dir=api_data.data,
        api_tokens_file=api_data.tokens_file,
        api_oidc_issuer=issuer.url,
        api_oidc_audience=issuer.audience,
        api_audit_log=tmp_path_factory.mktemp("audit") / "restricted" / "api_audit.jsonl",
    )


@pytest.fixture(scope="module")
def api(settings):
    with TestClient(create_app(settings, watch=False)) as client:
        yield client


@pytest.fixture(scope="module")
def fingerprints(api_data) -> set[float]:
    return restricted_fingerprints(api_data)


def restricted_fingerprints(api_data) -> set[float]:
    parquet = api_data.cleared_release / "parquet"
    con = duckdb.connect()
    detail = {
        v
        for (v,) in con.execute(
            f"""select unnest([share_pct, lci_95, uci_95]) from read_parquet('{parquet / (DETAIL + ".parquet")}')
                where breakdown <> 'all'"""
        ).fetchall()
        if v is not None
    }
    open_values = {
        v
        for (v,) in con.execute(
            f"""select unnest([share_pct, lci_95, uci_95]) from read_parquet('{parquet / "m8_wellbeing_shares.parquet"}')"""
        ).fetchall()
    }
    con.close()
    with duckdb.connect(str(api_data.release / "marts.duckdb"), read_only=True) as db:
        for table, cols in db.execute(
            """select table_name, list(column_name) from information_schema.columns
               where data_type in ('DOUBLE', 'FLOAT', 'DECIMAL') group by 1"""
        ).fetchall():
            for col in cols:
                open_values |= {
                    v for (v,) in db.execute(f'select distinct "{col}" from "{table}"').fetchall()
                }
    prints = {v for v in detail - open_values if len(repr(v)) >= 8}  # values with >= 6 significant digits
    assert len(prints) > 1000, len(prints)
    return prints


def leaked(body: bytes, prints: set[float]) -> set[float]:
    return {float(m) for m in NUMBER.findall(body)} & prints


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def hs256_with_public_key(issuer: LocalIssuer) -> str:
    """The algorithm-confusion forgery: an HS256 token whose 'secret' is the issuer's public key."""
    from cryptography.hazmat.primitives import serialization

    pem = issuer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(datetime.now(UTC).timestamp())
    claims = {
        "iss": issuer.url,
        "aud": issuer.audience,
        "sub": "forger",
        "exp": now + 300,
        "roles": ["cleared"],
    }

    def enc(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=")

    signing = enc({"alg": "HS256", "typ": "JWT", "kid": issuer.kid}) + b"." + enc(claims)
    sig = base64.urlsafe_b64encode(hmac.new(pem, signing, hashlib.sha256).digest()).rstrip(b"=")
    return (signing + b"." + sig).decode()


def tampered(issuer: LocalIssuer) -> str:
    """A validly signed open-role token whose payload was edited to say `cleared` (signature kept)."""
    head, payload, sig = issuer.mint(roles=["open"]).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["roles"] = ["cleared"]
    edited = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{edited}.{sig}"


def refused_credentials(api_data, issuer) -> dict[str, tuple[dict, int]]:
    now = datetime.now(UTC)
    t = api_data.tokens
    return {
        "anonymous": ({}, 401),
        "garbage bearer": (bearer("not-a-token"), 401),
        "basic auth": ({"Authorization": "Basic dXNlcjpwYXNz"}, 401),
        "empty bearer": ({"Authorization": "Bearer "}, 401),
        "open-role API token": (bearer(t["open-analyst"]), 403),
        "revoked cleared token": (bearer(t["to-revoke"]), 401),
        "expired cleared token": (bearer(t["expired"]), 401),
        "cleared token, one character changed": (
            bearer(t["cleared-analyst"][:-1] + ("A" if t["cleared-analyst"][-1] != "A" else "B")),
            401,
        ),
        "the cleared token's hash": (bearer(hash_token(t["cleared-analyst"], None)), 401),
        "OIDC open role": (bearer(issuer.mint(roles=["open"])), 403),
        "OIDC no roles": (bearer(issuer.mint(roles=None)), 403),
        "OIDC expired": (
            bearer(issuer.mint(iat=now - timedelta(hours=2), exp=now - timedelta(hours=1))),
            401,
        ),
        "OIDC wrong audience": (bearer(issuer.mint(aud="another-api")), 401),
        "OIDC wrong issuer": (bearer(issuer.mint(iss="http://127.0.0.1:9/not-the-issuer")), 401),
        "OIDC signed by another key": (bearer(issuer.mint(key=issuer.other_key)), 401),
        "OIDC alg none": (
            bearer(
                jwt.encode(
                    {
                        "iss": issuer.url,
                        "aud": issuer.audience,
                        "sub": "x",
                        "exp": now + timedelta(minutes=5),
                        "roles": ["cleared"],
                    },
                    key=None,
                    algorithm="none",
                )
            ),
            401,
        ),
        "OIDC HS256 with the public key": (bearer(hs256_with_public_key(issuer)), 401),
        "OIDC payload edited to cleared": (bearer(tampered(issuer)), 401),
        "OIDC without exp": (bearer(issuer.mint(exp=None)), 401),
        "OIDC without sub": (bearer(issuer.mint(sub=None)), 401),
    }


def cleared_urls(api_data) -> list[str]:
    rid = api_data.cleared_release.name
    return [
        "/api/v1/cleared/releases",
        "/api/v1/cleared/tables",
        f"/api/v1/cleared/data/{DETAIL}.json",
        f"/api/v1/cleared/data/{DETAIL}.csv",
        f"/api/v1/cleared/data/{DETAIL}.json?breakdown=sex&geo=E06000001&release={rid}",
        "/api/v1/cleared/data/m8_wellbeing_shares.json?limit=5",
        "/api/v1/cleared/data/nope.json",
    ]


def test_every_cleared_route_refuses_every_caller_without_the_cleared_role(
    api, api_data, issuer, fingerprints, settings
):
    before = len(api.app.state.audit.entries())
    n = 0
    for who, (headers, status) in refused_credentials(api_data, issuer).items():
        for url in cleared_urls(api_data):
            r = api.get(url, headers=headers)
            n += 1
            assert r.status_code == status, f"{who} {url}: {r.status_code} {r.text[:300]}"
            assert r.headers["content-type"] == "application/problem+json", (who, url)
            body = r.json()
            assert "data" not in body and "tables" not in body and "releases" not in body
            assert not leaked(r.content, fingerprints), (who, url)
            if status == 401:
                assert r.headers["www-authenticate"].startswith("Bearer")
    entries = api.app.state.audit.entries()[before:]
    assert len(entries) == n
    assert all(
        e["rows"] == 0 and e["status"] in (401, 403) and e["outcome"].startswith("refused") for e in entries
    )
    assert {e["who"]["subject"] for e in entries} >= {
        "anonymous",
        "invalid-credentials",
        "open-analyst@example.gov.uk",
    }


def test_cleared_callers_get_the_cleared_release_and_every_request_is_audited(
    api, api_data, issuer, settings, fingerprints
):
    parquet = api_data.cleared_release / "parquet" / f"{DETAIL}.parquet"
    with duckdb.connect() as con:
        want = con.execute(
            f"""select area_code, breakdown_value, share_pct from read_parquet('{parquet}')
                where metric_id = 'm8_low_life_satisfaction' and breakdown = 'sex' and area_code = 'E08000039'
                order by all"""
        ).fetchall()
        total = con.execute(f"select count(*) from read_parquet('{parquet}')").fetchone()[0]
    log = settings.api_audit_path
    before = log.read_bytes() if log.exists() else b""
    url = f"/api/v1/cleared/data/{DETAIL}.json?metric=m8_low_life_satisfaction&breakdown=sex&geo=E08000039"
    for who, token in (
        ("cleared-analyst@example.gov.uk", api_data.tokens["cleared-analyst"]),
        ("oidc-analyst@example.gov.uk", issuer.mint(roles=["cleared", "open"])),
    ):
        r = api.get(url, headers=bearer(token))
        assert r.status_code == 200, r.text[:500]
        body = r.json()
        assert body["release"] == r.headers["x-release-id"] == api_data.cleared_release.name
        got = sorted((d["area_code"], d["breakdown_value"], d["share_pct"]) for d in body["data"])
        assert got == sorted(want) and len(want) == 2
        assert r.headers["cache-control"].startswith("private") and r.headers["vary"] == "Authorization"
        entry = api.app.state.audit.entries()[-1]
        assert entry["who"]["subject"] == who and entry["status"] == 200 and entry["rows"] == 2
        assert entry["table"] == DETAIL and entry["cleared_release"] == api_data.cleared_release.name
        assert "breakdown=sex" in entry["query"] and entry["outcome"] == "granted"
        assert datetime.fromisoformat(entry["at"]) > datetime.now(UTC) - timedelta(minutes=1)
        assert token not in log.read_text()  # never a token in the log
    # the whole table, paged; the CSV; the table list; a conditional GET (304, audited with 0 rows)
    t = bearer(api_data.tokens["cleared-analyst"])
    page_r = api.get(f"/api/v1/cleared/data/{DETAIL}.json?limit=1000", headers=t)
    assert len(leaked(page_r.content, fingerprints)) > 100  # the detector the open-route tests rely on works
    page = page_r.json()
    assert page["total"] == total and len(page["data"]) == 1000 and "release=" in page["next"]
    csv_r = api.get(f"/api/v1/cleared/data/{DETAIL}.csv?geo=E08000039", headers=t)
    assert csv_r.status_code == 200 and csv_r.text.splitlines()[0].startswith("release,metric_id")
    tables = {x["table"]: x["rows"] for x in api.get("/api/v1/cleared/tables", headers=t).json()["tables"]}
    assert tables[DETAIL] == total and "m8_wellbeing_shares" in tables
    etag = api.get(url, headers=t).headers["etag"]
    assert api.get(url, headers={**t, "If-None-Match": etag}).status_code == 304
    assert api.app.state.audit.entries()[-1]["status"] == 304
    # append-only: what was there is still there, byte for byte; one line per request; 0600
    after = log.read_bytes()
    assert after.startswith(before) and after.count(b"\n") - before.count(b"\n") == 7
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600


def test_open_routes_never_read_the_restricted_zone(api, api_data, issuer, fingerprints):
    """Every open route, with anonymous, open-role and even cleared credentials, and parameters aimed at the
    restricted zone: no restricted value in any answer, and the open store never opens a restricted path."""
    cleared_id = api_data.cleared_release.name
    nasty = [
        f"/api/v1/data.json?release={cleared_id}",
        "/api/v1/data.json?release=../restricted/releases/current",
        "/api/v1/data.json?release=..%2Frestricted%2Freleases%2Fcurrent",
        f"/api/v1/data.json?mart={DETAIL}",
        "/api/v1/data.json?indicator=m8_low_life_satisfaction,m8_wellbeing_shares_detail",
        "/api/v1/data.json?time=all&limit=50000&indicator=satisfaction,happiness,worthwhile,anxiety",
        "/api/v1/data.csv?time=all&limit=50000&indicator=satisfaction,happiness,worthwhile,anxiety",
        "/api/v1/missions/8?limit=50000",
        "/api/v1/missions/8/gaps?includeGroups=true",
        f"/api/v1/releases/{cleared_id}",
        "/api/v1/releases/..%2Frestricted%2Freleases",
        f"/api/v1/metadata/indicators/{DETAIL}",
        "/api/v1/provenance?indicator=satisfaction&time=all&limit=50000",
        "/api/v1/geo/search/m8",
        "/api/v1/cleared/../data.json",
        f"/api/v1/cleared/data/..%2F..%2F{DETAIL}.json",
    ]
    callers = {
        "anonymous": {},
        "open token": bearer(api_data.tokens["open-analyst"]),
        "OIDC open": bearer(issuer.mint(roles=["open"])),
        "cleared token": bearer(api_data.tokens["cleared-analyst"]),
    }
    for who, headers in callers.items():
        for url in nasty:
            r = api.get(url, headers=headers)
            assert r.status_code < 500, (who, url, r.text[:300])
            assert not leaked(r.content, fingerprints), (who, url)
            if r.status_code == 200 and r.request.url.path.startswith("/api/v1/cleared"):
                assert who == "cleared token", (who, url)
    restricted = str(api_data.data / "restricted")
    assert all(
        not str(api.app.state.releases.releases_dir / rid).startswith(restricted)
        for rid in api.app.state.releases.open_ids()
    )
    assert api.app.state.releases.open_ids() == [api_data.release.name]


def test_token_file_holds_only_hashes_and_changes_take_effect_at_once(api, api_data):
    text = api_data.tokens_file.read_text()
    for token in api_data.tokens.values():
        assert token.startswith("lvl_") and token not in text
    assert stat.S_IMODE(os.stat(api_data.tokens_file).st_mode) == 0o600
    listed = json.loads(levelup(api_data.env, "api-token", "list").stdout)
    assert {t["id"] for t in listed} == {"open-analyst", "cleared-analyst", "to-revoke", "expired"}
    assert all("hash" not in t for t in listed)
    # a token created now works on the next request without a restart; a revocation likewise
    token = levelup(api_data.env, "api-token", "create", "late-joiner", "--role", "cleared").stdout.strip()
    assert api.get("/api/v1/cleared/tables", headers=bearer(token)).status_code == 200
    levelup(api_data.env, "api-token", "revoke", "late-joiner")
    assert api.get("/api/v1/cleared/tables", headers=bearer(token)).status_code == 401


def test_peppered_hashes_need_the_pepper(tmp_path):
    from serve.auth import TokenFile, create_token

    path = tmp_path / "tokens.json"
    token = create_token(path, "p", ["cleared"], pepper="s3cret-pepper")
    assert json.loads(path.read_text())["tokens"][0]["hash"].startswith("hmac-sha256:")
    assert TokenFile(path, "s3cret-pepper").verify(token).cleared
    assert TokenFile(path, None).verify(token) is None
    assert TokenFile(path, "another").verify(token) is None


def test_no_cleared_data_without_its_audit_record(api_data, tmp_path):
    """If the audit log cannot be written, a cleared caller gets 503 and no row."""
    blocked = tmp_path / "ro"
    blocked.mkdir()
    (blocked / "restricted").write_text("a file where the log's folder should be")
    s = Settings(
        data_dir=api_data.data,
        api_tokens_file=api_data.tokens_file,
        api_audit_log=blocked / "restricted" / "api_audit.jsonl",
    )
    with TestClient(create_app(s, watch=False)) as c:
        r = c.get(f"/api/v1/cleared/data/{DETAIL}.json", headers=bearer(api_data.tokens["cleared-analyst"]))
    assert r.status_code == 503 and "data" not in r.json() and r.json()["type"].endswith("/audit-unavailable")


def test_oidc_keys_from_a_jwks_file_and_a_configured_roles_claim(api_data, issuer, tmp_path):
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(issuer.jwks()))
    s = Settings(
        data_dir=api_data.data,
        api_oidc_issuer=issuer.url,
        api_oidc_audience=issuer.audience,
        api_oidc_jwks_file=jwks,
        api_oidc_roles_claim="realm_access.roles",
        api_audit_log=tmp_path / "audit.jsonl",
    )
    with TestClient(create_app(s, watch=False)) as c:
        nested = issuer.mint(roles=None, realm_access={"roles": ["cleared"]})
        assert c.get("/api/v1/cleared/tables", headers=bearer(nested)).status_code == 200
        flat = issuer.mint(roles=["cleared"])  # the roles are not where this server looks
        assert c.get("/api/v1/cleared/tables", headers=bearer(flat)).status_code == 403
        assert c.get("/api/v1/data.json?geo=E06000001", headers=bearer(flat)).status_code == 200


def test_open_routes_are_anonymous_and_refuse_bad_credentials(api, api_data, issuer):
    url = "/api/v1/data.json?indicator=employment-rate&geo=E06000001"
    assert api.get(url).status_code == 200
    assert api.get(url, headers=bearer(api_data.tokens["open-analyst"])).status_code == 200
    assert api.get(url, headers=bearer(issuer.mint(roles=["open"]))).status_code == 200
    r = api.get(url, headers=bearer("lvl_made-up"))
    assert r.status_code == 401 and "not valid" in r.json()["detail"]
    assert api.get(url, headers=bearer(issuer.mint(aud="x"))).json()["detail"].endswith("wrong audience")
