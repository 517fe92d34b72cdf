"""The restricted zone: encrypted landing of record-level feeds, the zone's own DuckDB, and its only exit.

Belongs here: everything that touches record-level (restricted) data outside dbt:
  - the key: read from `LEVELUP_RESTRICTED_KEY` (urlsafe base64 of 32 bytes) or from the file named by
    `LEVELUP_RESTRICTED_KEY_FILE` (which must lie outside the repository). No message, log line, manifest or
    repr ever contains the key; `key_id` (a truncated SHA-256 of the key) names it instead;
  - AES-256-GCM encryption of files at rest (`LVLUPRZ1` header + 12-byte nonce + ciphertext/tag);
  - pickup of deliveries dropped into `<data>/landing/restricted/` matching the registry's `landing_pattern`:
    decrypt in memory, pandera contract (`ingest.contract.validate`) + answer-range checks, land the validated
    table as an encrypted Parquet version under `<data>/restricted/raw/<feed>/`, log the attempt;
  - building `<data>/restricted/restricted.duckdb` (the only place decrypted rows exist; DuckDB's own encryption
    is unavailable on these machines, so the file is kept 0600 in a 0700 zone and can be purged after a build);
  - `build_restricted_aggregates`: run the restricted dbt project (dbt_restricted/, every record-level model
    `access: private`), then export only the statistically disclosure-controlled aggregates, after the
    disclosure scanner has passed them, to `<data>/restricted/export/{open,cleared}/`;
  - `publish_cleared_release`: the cleared analysts' release (finer, still disclosure-controlled detail).
The open (shared) dbt project reads `export/open/*.parquet` only; see docs/restricted.md.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fnmatch
import hashlib
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ingest.contract import ContractError, validate
from ingest.registry import FeedSpec, Registry, load_registry
from ingest.settings import PROJECT_ROOT, Settings, get_settings

log = logging.getLogger(__name__)

KEY_ENV = "LEVELUP_RESTRICTED_KEY"
KEY_FILE_ENV = "LEVELUP_RESTRICTED_KEY_FILE"
MAGIC = b"LVLUPRZ1"
NONCE_BYTES = 12
ONS4 = ("life_satisfaction", "worthwhile", "happiness", "anxiety")
DBT_RESTRICTED_DIR = PROJECT_ROOT / "dbt_restricted"
RESPONDENT_TABLE = "landed.aps_personal_wellbeing_microdata"


# ---------------------------------------------------------------------------------------------- errors
class RestrictedError(RuntimeError):
    """Base class. Messages name files and feeds, never key material or record-level values."""


class RestrictedKeyError(RestrictedError):
    """The key is missing, malformed, stored inside the repository, or wrong for a file."""


class RestrictedDecryptError(RestrictedKeyError):
    """A file could not be decrypted (wrong key, truncated or tampered)."""


# ---------------------------------------------------------------------------------------------- the key
@dataclass(frozen=True)
class RestrictedKey:
    """32 key bytes. repr/str never show them."""

    _raw: bytes
    source: str  # "env:LEVELUP_RESTRICTED_KEY" | "file:<path>"

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
            f"restricted key from {source} is not urlsafe base64 (generate one with "
            "`python -m ingest.restricted new-key`)"
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


def redact(text: str, key: RestrictedKey | None = None) -> str:
    """Remove the key (raw-as-latin1, base64 and urlsafe base64 forms) from a text, e.g. an error message."""
    try:
        key = key or load_key()
    except RestrictedKeyError:
        return text
    for form in (
        base64.urlsafe_b64encode(key.raw).decode(),
        base64.urlsafe_b64encode(key.raw).decode().rstrip("="),
        base64.b64encode(key.raw).decode(),
        key.raw.hex(),
    ):
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


# ---------------------------------------------------------------------------------------------- crypto
def encrypt_bytes(plain: bytes, key: RestrictedKey) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(NONCE_BYTES)
    return MAGIC + nonce + AESGCM(key.raw).encrypt(nonce, plain, MAGIC)


def decrypt_bytes(blob: bytes, key: RestrictedKey, where: str = "<bytes>") -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + NONCE_BYTES + 16:
        raise RestrictedDecryptError(f"{where} is not a levelup restricted-zone encrypted file")
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


def _secure_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o700)
    return path


def write_encrypted(path: Path, plain: bytes, key: RestrictedKey) -> Path:
    _secure_dir(path.parent)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(encrypt_bytes(plain, key))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


# ---------------------------------------------------------------------------------------------- zone layout
@dataclass(frozen=True)
class Zone:
    settings: Settings

    @property
    def root(self) -> Path:
        return self.settings.restricted_dir

    @property
    def landing(self) -> Path:
        return self.settings.landing_dir / "restricted"

    def feed_dir(self, feed_id: str) -> Path:
        return self.root / "raw" / feed_id

    @property
    def database(self) -> Path:
        return self.root / "restricted.duckdb"

    @property
    def export_dir(self) -> Path:
        return self.root / "export"

    @property
    def open_export(self) -> Path:
        return self.export_dir / "open"

    @property
    def cleared_export(self) -> Path:
        return self.export_dir / "cleared"

    @property
    def cleared_releases(self) -> Path:
        return self.root / "releases"

    @property
    def dbt_target(self) -> Path:
        return self.root / "dbt" / "target"

    @property
    def dbt_logs(self) -> Path:
        return self.root / "dbt" / "logs"


def pending_deliveries(settings: Settings, feed: FeedSpec) -> list[Path]:
    zone = Zone(settings)
    if not zone.landing.is_dir():
        return []
    return sorted(
        p
        for p in zone.landing.iterdir()
        if p.is_file() and fnmatch.fnmatch(p.name, feed.landing_pattern or "")
    )


def _log_attempt(feed_dir: Path, entry: dict) -> None:
    _secure_dir(feed_dir)
    with open(feed_dir / "ingest_log.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, default=str) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_log(settings: Settings, feed_id: str) -> list[dict]:
    path = Zone(settings).feed_dir(feed_id) / "ingest_log.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _check_answers(feed: FeedSpec, df: pd.DataFrame, where: str) -> None:
    """Checks the registry contract cannot express: ONS4 answers are integers 0-10, weights positive."""
    problems = []
    for col in ONS4:
        if col in df.columns:
            bad = df[col].notna() & ~df[col].between(0, 10)
            if bad.any():
                problems.append(f"column {col!r} outside 0-10 in {int(bad.sum())} row(s)")
    if "person_weight" in df.columns:
        bad = ~(df["person_weight"] > 0)
        if bad.any():
            problems.append(f"column 'person_weight' not positive in {int(bad.sum())} row(s)")
    if problems:
        # counts only: never echo record-level values out of the zone
        raise ContractError(
            f"feed {feed.id!r}: {where} broke its contract; nothing landed:\n  - " + "\n  - ".join(problems),
            problems,
        )


def _ingest_file(settings: Settings, feed: FeedSpec, path: Path, key: RestrictedKey) -> dict:
    zone = Zone(settings)
    fdir = _secure_dir(zone.feed_dir(feed.id))
    blob = path.read_bytes()
    sha = hashlib.sha256(blob).hexdigest()
    started = time.monotonic()
    entry = {
        "feed_id": feed.id,
        "delivery": path.name,
        "sha256": sha,
        "bytes": len(blob),
        "key_id": key.key_id,
        "started_at": datetime.now(UTC).isoformat(),
    }
    done = {e["sha256"] for e in read_log(settings, feed.id) if e.get("status") == "landed"}
    if sha in done:
        return {**entry, "status": "unchanged", "message": "delivery already landed (same sha256)"}
    try:
        plain = decrypt_bytes(blob, key, where=path.name)
        df = pd.read_csv(
            io.BytesIO(plain), dtype={"respondent_id": str, "lad_code": str, "age_band": str, "sex": str}
        )
        del plain
        df = validate(feed, df, path.name)
        _check_answers(feed, df, path.name)
    except (RestrictedKeyError, ContractError, ValueError) as exc:
        # pandera's sample rows could carry respondent values: keep only the summary lines of a contract error
        msg = str(exc) if not isinstance(exc, ContractError) else exc.args[0].split("; rows ")[0]
        msg = redact(re.sub(r"line \d+: \{[^}]*\}", "line <redacted>", msg), key)
        entry.update(status="failed", message=msg, finished_at=datetime.now(UTC).isoformat())
        _log_attempt(fdir, entry)
        return entry
    for col in ONS4:
        df[col] = df[col].astype("Int64")
    df["survey_year"] = df["survey_year"].astype("int64")
    buf = io.BytesIO()
    df.assign(_delivery=path.name, _delivery_sha256=sha).to_parquet(buf, index=False)
    versions = _secure_dir(fdir / "versions")
    target = write_encrypted(versions / f"{sha[:16]}.parquet.enc", buf.getvalue(), key)
    current = fdir / "current.parquet.enc"
    tmp = fdir / f".current.tmp-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(os.path.relpath(target, fdir))
    os.replace(tmp, current)
    entry.update(
        status="landed",
        rows=len(df),
        survey_years=sorted(int(y) for y in df["survey_year"].unique()),
        n_areas=int(df["lad_code"].nunique()),
        raw_file=str(target.relative_to(zone.root)),
        contract_result="passed",
        seconds=round(time.monotonic() - started, 3),
        message=f"landed {len(df)} respondent rows (encrypted at rest)",
        finished_at=datetime.now(UTC).isoformat(),
    )
    _log_attempt(fdir, entry)
    return entry


def load_current(settings: Settings, feed_id: str, key: RestrictedKey | None = None) -> pd.DataFrame | None:
    """The current landed version of a restricted feed, decrypted in memory (None when nothing landed)."""
    current = Zone(settings).feed_dir(feed_id) / "current.parquet.enc"
    if not current.exists():
        return None
    return pd.read_parquet(io.BytesIO(read_encrypted(current.resolve(), key)))


def build_restricted_database(settings: Settings, df: pd.DataFrame) -> Path:
    """(Re)build restricted.duckdb with the record-level table; written to a temp file then renamed."""
    import duckdb

    zone = Zone(settings)
    _secure_dir(zone.root)
    tmp = zone.root / f".restricted.duckdb.tmp-{os.getpid()}"
    for p in (tmp, tmp.with_name(tmp.name + ".wal")):
        if p.exists():
            p.unlink()
    con = duckdb.connect(str(tmp))
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("CREATE SCHEMA landed")
        con.register("df_in", df)
        con.execute(f"CREATE TABLE {RESPONDENT_TABLE} AS SELECT * FROM df_in")
        con.unregister("df_in")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.chmod(tmp, 0o600)
    os.replace(tmp, zone.database)
    wal = zone.database.with_name(zone.database.name + ".wal")
    if wal.exists():
        wal.unlink()
    return zone.database


def purge_restricted_database(settings: Settings) -> bool:
    """Delete the plaintext zone database (e.g. after aggregates are exported). Landed versions stay encrypted."""
    db = Zone(settings).database
    existed = db.exists()
    for p in (db, db.with_name(db.name + ".wal")):
        if p.exists():
            p.unlink()
    return existed


def ingest_restricted(settings: Settings | None = None, registry: Registry | None = None) -> dict:
    """Pick up every restricted delivery in the landing zone; land it encrypted; rebuild the zone database.

    Returns a JSON-safe summary (no key, no record-level values): per feed, the attempts and the current version.
    Raises RestrictedKeyError when there are deliveries but no usable key. With no delivery at all it returns
    status 'no_delivery' for each feed and does nothing (the open release keeps m8_low_* not_available).
    """
    settings = settings or get_settings()
    registry = registry or load_registry(settings.registry_path)
    out: dict = {"feeds": {}}
    feeds = [f for f in registry.feeds if f.sensitivity == "restricted"]
    key: RestrictedKey | None = None
    for feed in feeds:
        deliveries = pending_deliveries(settings, feed)
        attempts = []
        if deliveries:
            key = key or load_key()
            for path in deliveries:
                attempts.append(_ingest_file(settings, feed, path, key))
        cur = Zone(settings).feed_dir(feed.id) / "current.parquet.enc"
        out["feeds"][feed.id] = {
            "status": "no_delivery" if not deliveries and not cur.exists() else "ok",
            "attempts": attempts,
            "failed": [a["delivery"] for a in attempts if a["status"] == "failed"],
            "current_version": cur.resolve().name if cur.exists() else None,
        }
    micro = registry.by_id.get("aps-personal-wellbeing-microdata")
    if micro is not None and out["feeds"][micro.id]["current_version"]:
        key = key or load_key()
        df = load_current(settings, micro.id, key)
        build_restricted_database(settings, df)
        out["database"] = str(Zone(settings).database)
        out["respondents"] = len(df)
        out["key_id"] = key.key_id
    return out


# ---------------------------------------------------------------------------------------------- aggregates
def _dbt_executable() -> str:
    cand = Path(sys.executable).with_name("dbt")
    return str(cand) if cand.exists() else (shutil.which("dbt") or "dbt")


def run_restricted_dbt(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    """Run the restricted dbt project against restricted.duckdb (its own profile, target and log paths)."""
    zone = Zone(settings)
    env = {
        **os.environ,
        "LEVELUP_DATA_DIR": str(settings.data_dir),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    for name in (KEY_ENV, KEY_FILE_ENV):  # dbt never needs the key: the zone database is already decrypted
        env.pop(name, None)
    cmd = [
        _dbt_executable(),
        *args,
        "--project-dir",
        str(DBT_RESTRICTED_DIR),
        "--profiles-dir",
        str(DBT_RESTRICTED_DIR),
        "--target-path",
        str(zone.dbt_target),
        "--log-path",
        str(zone.dbt_logs),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=DBT_RESTRICTED_DIR)


PUBLISHED_COLUMNS = [
    "metric_id",
    "area_level",
    "area_code",
    "parent_code",
    "survey_year",
    "period_start",
    "period_end",
    "breakdown",
    "breakdown_value",
    "share_pct",
    "lci_95",
    "uci_95",
    "unweighted_count",
    "status",
    "sdc_code",
]


def build_m8_outputs(cells: pd.DataFrame, *, min_count: int, min_numerator: int | None = None) -> dict:
    """SDC over the whole cell table (LAD/nation/UK x all/sex/age band), so both audiences see one consistent
    suppression pattern (a cleared analyst holding both releases can't undo a suppression with the open one).

    Relations protected: nation = its LADs and UK = its nations (per year, metric, breakdown value); an area's
    'all' cell = its female + male cells, and = its age-band cells. Published columns drop the numerators,
    weighted totals and effective sample size. Open tier: the 'all' rows. Cleared tier: every row.
    """
    from quality import sdc

    cells = cells.sort_values(
        ["survey_year", "metric_id", "breakdown", "breakdown_value", "area_level", "area_code"]
    ).reset_index(drop=True)
    rels = sdc.hierarchy_relations(
        cells,
        by=["survey_year", "metric_id", "breakdown", "breakdown_value"],
        code_col="area_code",
        parent_col="parent_code",
    )
    for dim in ("sex", "age_band"):
        sub = cells[cells["breakdown"].isin(["all", dim])]
        rels += sdc.breakdown_relations(
            sub,
            by=["area_code", "survey_year", "metric_id"],
            dimension_col="breakdown_value",
            total_label="all",
        )
    out, stats = sdc.disclosure_control(
        cells.assign(status="ok"),
        relations=rels,
        count_col="unweighted_count",
        numerator_col="unweighted_numerator",
        value_cols=["share_pct", "lci_95", "uci_95"],
        min_count=min_count,
        min_numerator=min_numerator,
    )
    out = out[PUBLISHED_COLUMNS]
    open_tier = (
        out[out["breakdown"] == "all"].drop(columns=["breakdown", "breakdown_value"]).reset_index(drop=True)
    )
    by_tier = {
        "open": {
            "cells": len(open_tier),
            "primary": int((open_tier["sdc_code"] == sdc.PRIMARY).sum()),
            "secondary": int((open_tier["sdc_code"] == sdc.SECONDARY).sum()),
            "lad_cells_suppressed": int(
                ((open_tier["area_level"] == "lad") & (open_tier["status"] == sdc.SUPPRESSED)).sum()
            ),
        },
        "cleared": stats,
    }
    return {
        "tiers": {
            "open": {"m8_wellbeing_shares": open_tier},
            "cleared": {
                "m8_wellbeing_shares": open_tier,
                "m8_wellbeing_shares_detail": out.reset_index(drop=True),
            },
        },
        "suppression": by_tier,
        "relations": len(rels),
    }


def build_restricted_aggregates(settings: Settings | None = None, *, min_count: int | None = None) -> dict:
    """Restricted dbt build → SDC (primary + secondary) → gaps → disclosure scan → export, atomically.

    Writes `<zone>/export/open/` (what the shared dbt project reads: m8 shares per LAD/nation/UK and year, the
    gaps and gap groups) and `<zone>/export/cleared/` (adds sex and age-band breakdowns) only when the scanner
    passes every file. Returns a JSON-safe summary. With no zone database (no delivery) it returns
    {'status': 'no_delivery'} and leaves any previous export untouched.
    """
    import duckdb

    from quality import scanner, sdc

    settings = settings or get_settings()
    zone = Zone(settings)
    if not zone.database.exists():
        return {"status": "no_delivery"}
    min_count = min_count or sdc.min_count_from_env()
    res = run_restricted_dbt(settings, "build", "--threads", "1")
    if res.returncode != 0:
        tail = "\n".join((res.stdout or "").splitlines()[-15:])
        raise RestrictedError(f"restricted dbt build failed:\n{redact(tail)}")
    with duckdb.connect(str(zone.database), read_only=True) as con:
        cells = con.execute("select * from cells.int_aps_wellbeing_cells").df()
    outputs = build_m8_outputs(cells, min_count=min_count)
    staging = zone.export_dir / f".staging-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    for tier, tables in outputs["tiers"].items():
        d = _secure_dir(staging / tier)
        for name, frame in tables.items():
            frame.to_parquet(d / f"{name}.parquet", index=False)
    checks = scanner.scan_directory(staging, min_count=min_count)
    failed = [c for c in checks if not c.passed]
    if failed:
        shutil.rmtree(staging, ignore_errors=True)
        raise RestrictedError(
            "disclosure scanner blocked the restricted export: "
            + "; ".join(f"{c.target}: {c.message}" for c in failed[:5])
        )
    summary = {
        "status": "exported",
        "min_count": min_count,
        "exported_at": datetime.now(UTC).isoformat(),
        "files": {
            tier: {name: len(frame) for name, frame in tables.items()}
            for tier, tables in outputs["tiers"].items()
        },
        "suppression": outputs["suppression"],
        "scanner": [c.as_dict() for c in checks],
    }
    (staging / "export_manifest.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    # swap: the previous export is moved aside, then the new one moved in (readers open files by name)
    old = zone.root / f".export-old-{os.getpid()}"
    shutil.rmtree(old, ignore_errors=True)
    old.mkdir(parents=True)
    for p in list(zone.export_dir.iterdir()):
        if p.name.startswith(".staging-"):
            if p != staging:
                shutil.rmtree(p, ignore_errors=True)
        else:
            os.replace(p, old / p.name)
    for p in list(staging.iterdir()):
        os.replace(p, zone.export_dir / p.name)
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    return summary


def publish_cleared_release(settings: Settings | None = None) -> Path:
    """The cleared analysts' release: the `cleared` export copied to `<zone>/releases/<id>/` + manifest,
    re-scanned, then `<zone>/releases/current` swapped atomically. The open release never contains these files."""
    from publish.release import new_release_id
    from quality import scanner, sdc

    settings = settings or get_settings()
    zone = Zone(settings)
    src = zone.cleared_export
    if not src.is_dir():
        raise RestrictedError("no cleared export to publish (run build_restricted_aggregates first)")
    rid = new_release_id()
    _secure_dir(zone.cleared_releases)
    build = zone.cleared_releases / f".building-{rid}"
    shutil.copytree(src, build / "parquet")
    checks = scanner.scan_directory(build, min_count=sdc.min_count_from_env())
    if any(not c.passed for c in checks):
        shutil.rmtree(build, ignore_errors=True)
        raise RestrictedError("disclosure scanner blocked the cleared release")
    export_manifest = json.loads((zone.export_dir / "export_manifest.json").read_text())
    manifest = {
        "release_id": rid,
        "audience": "cleared analysts (restricted release; see docs/restricted.md)",
        "created_at": datetime.now(UTC).isoformat(),
        "source_feed": "aps-personal-wellbeing-microdata",
        "min_count": export_manifest.get("min_count"),
        "suppression": export_manifest.get("suppression"),
        "files": {p.name: len(pd.read_parquet(p)) for p in sorted((build / "parquet").glob("*.parquet"))},
        "checks": [c.as_dict() for c in checks],
    }
    (build / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    final = zone.cleared_releases / rid
    os.replace(build, final)
    tmp = zone.cleared_releases / f".current.tmp-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(final.name)
    os.replace(tmp, zone.cleared_releases / "current")
    return final


def _main(argv: list[str]) -> int:
    if argv[:1] == ["new-key"]:
        print(generate_key())
        return 0
    settings = get_settings()
    if argv[:1] == ["ingest"]:
        print(json.dumps(ingest_restricted(settings), indent=2, default=str))
        return 0
    if argv[:1] == ["aggregate"]:
        print(json.dumps(build_restricted_aggregates(settings), indent=2, default=str))
        return 0
    if argv[:1] == ["publish-cleared"]:
        print(publish_cleared_release(settings))
        return 0
    print(
        "usage: python -m ingest.restricted new-key | ingest | aggregate | publish-cleared", file=sys.stderr
    )
    return 2


if __name__ == "__main__":
    try:
        raise SystemExit(_main(sys.argv[1:]))
    except RestrictedError as exc:  # one clean line, never a traceback with locals
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        raise SystemExit(1) from None
