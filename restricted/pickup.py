"""Restricted deliveries: from an encrypted drop in the landing zone to an encrypted landed version.

Belongs here: decrypting a delivery in memory, checking it (the registry's pandera contract plus the answer
ranges the contract cannot express), landing the validated table as an encrypted Parquet version, switching the
feed's `current.parquet.enc` pointer, logging the attempt (counts only: never a record-level value, never the
key), and `load_current`, which decrypts the current version in memory for the zone's build.
"""

from __future__ import annotations

import hashlib
import io
import re
import time
from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from core.fsio import swap_symlink
from core.registry import FeedSpec, Registry, load_registry
from core.settings import Settings, get_settings
from ingest.contract import ContractError, validate
from ingest.parse import DATA_COLUMNS, register_frame
from restricted.crypto import decrypt_bytes, read_encrypted, secure_dir, write_encrypted
from restricted.keys import RestrictedKey, RestrictedKeyError, load_key, redact
from restricted.memory import memory_only_connection
from restricted.zone import Zone, log_attempt, pending_deliveries, read_log

ONS4 = ("life_satisfaction", "worthwhile", "happiness", "anxiety")


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


def _checked_frame(feed: FeedSpec, plain: bytes, where: str) -> pd.DataFrame:
    """The decrypted CSV, typed and checked against the registry contract, in memory only (an in-memory DuckDB;
    nothing record-level is written to disk)."""
    text = pacsv.read_csv(
        io.BytesIO(plain), convert_options=pacsv.ConvertOptions(column_types=None, strings_can_be_null=True),
        read_options=pacsv.ReadOptions(autogenerate_column_names=False),
    )  # fmt: skip
    text = text.cast(pa.schema([(n, pa.string()) for n in text.column_names]))
    del plain
    con = memory_only_connection()  # decrypted rows: never spilled to disk
    try:
        parsed = register_frame(feed, text, con, "delivery")
        validate(feed, con, "delivery", parsed.columns, parsed.rows, where)
        df = con.execute(f"select {DATA_COLUMNS} from delivery").df().drop(columns="_source_line")
    finally:
        con.close()
    _check_answers(feed, df, where)
    return df


def ingest_delivery(settings: Settings, feed: FeedSpec, path, key: RestrictedKey) -> dict:
    """One delivery: decrypt, check, land encrypted. Returns the attempt (also appended to the zone's log)."""
    zone = Zone(settings)
    fdir = secure_dir(zone.feed_dir(feed.id))
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
        df = _checked_frame(feed, decrypt_bytes(blob, key, where=path.name), path.name)
    except (RestrictedKeyError, ContractError, ValueError, pa.ArrowInvalid) as exc:
        # pandera's sample rows could carry respondent values: keep only the summary lines of a contract error
        msg = str(exc) if not isinstance(exc, ContractError) else exc.args[0].split("; rows ")[0]
        msg = redact(re.sub(r"line \d+: \{[^}]*\}", "line <redacted>", msg), key)
        entry.update(status="failed", message=msg, finished_at=datetime.now(UTC).isoformat())
        log_attempt(settings, feed.id, entry)
        return entry
    buf = io.BytesIO()
    df.assign(_delivery=path.name, _delivery_sha256=sha).to_parquet(buf, index=False)
    versions = secure_dir(fdir / "versions")
    target = write_encrypted(versions / f"{sha[:16]}.parquet.enc", buf.getvalue(), key)
    swap_symlink(zone.current_version(feed.id), target.relative_to(fdir))
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
    log_attempt(settings, feed.id, entry)
    return entry


def load_current(settings: Settings, feed_id: str, key: RestrictedKey | None = None) -> pd.DataFrame | None:
    """The current landed version of a restricted feed, decrypted in memory (None when nothing landed)."""
    current = Zone(settings).current_version(feed_id)
    if not current.exists():
        return None
    return pd.read_parquet(io.BytesIO(read_encrypted(current.resolve(), key)))


def ingest_restricted(settings: Settings | None = None, registry: Registry | None = None) -> dict:
    """Pick up every restricted delivery in the landing zone and land it encrypted.

    Returns a JSON-safe summary (no key, no record-level values): per feed, the attempts and the current version.
    Raises RestrictedKeyError when there are deliveries but no usable key. With no delivery at all each feed's
    status is 'no_delivery' (or 'ok' when an earlier delivery is current).
    """
    settings = settings or get_settings()
    registry = registry or load_registry(settings.registry_path)
    out: dict = {"feeds": {}}
    key: RestrictedKey | None = None
    for feed in registry.restricted_feeds:
        deliveries = pending_deliveries(settings, feed)
        attempts = []
        if deliveries:
            key = key or load_key()
            for path in deliveries:
                attempts.append(ingest_delivery(settings, feed, path, key))
        cur = Zone(settings).current_version(feed.id)
        out["feeds"][feed.id] = {
            "status": "no_delivery" if not deliveries and not cur.exists() else "ok",
            "attempts": attempts,
            "failed": [a["delivery"] for a in attempts if a["status"] == "failed"],
            "current_version": cur.resolve().name if cur.exists() else None,
        }
    if key is not None:
        out["key_id"] = key.key_id
    return out
