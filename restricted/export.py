"""The restricted zone's only exit: restricted dbt build -> disclosure control -> scanner -> export swap.

Belongs here: `build_restricted_aggregates`, which runs the restricted dbt project (dbt_restricted/: record-level
models in group `restricted`, `access: private`) on an in-memory DuckDB fed by `restricted.dbt_plugin`, lets its
Python model apply SDC (`restricted.disclosure`) and its external models write only the disclosure-controlled
tables into a staging folder, runs the disclosure scanner over that folder, and only then swaps it in as
`<zone>/export/{open,cleared}/`. The previous export stays when anything fails. The shared warehouse reads
`export/open/*.parquet` and nothing else of the zone.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime

import pyarrow.parquet as pq

from core.dbt import run_dbt
from core.fsio import atomic_write_text
from core.settings import PROJECT_ROOT, Settings, get_settings
from restricted import scanner, sdc
from restricted.crypto import secure_dir
from restricted.keys import KEY_ENV, KEY_FILE_ENV, RestrictedError, redact
from restricted.zone import Zone, log_export

DBT_RESTRICTED_DIR = PROJECT_ROOT / "dbt_restricted"
MICRODATA_FEED = "aps-personal-wellbeing-microdata"


def run_restricted_dbt(settings: Settings, staging: os.PathLike, *args: str, min_count: int):
    """The restricted dbt project, in memory. It is the one child process that may read the zone key (its
    plugin decrypts the landed version); the shared project never sees it."""
    zone = Zone(settings)
    keep = {k: os.environ[k] for k in (KEY_ENV, KEY_FILE_ENV) if os.environ.get(k)}
    variables = json.dumps({"export_dir": str(staging), "min_count": min_count})
    return run_dbt(
        DBT_RESTRICTED_DIR,
        [*args, "--vars", variables],
        target_path=zone.dbt_target,
        log_path=zone.dbt_logs,
        env=keep,
    )


def _tail(text: str, n: int = 15) -> str:
    return "\n".join((text or "").splitlines()[-n:])


def build_restricted_aggregates(settings: Settings | None = None, *, min_count: int | None = None) -> dict:
    """Build, disclosure-control, scan and export the zone's aggregates. Returns a JSON-safe summary.

    With nothing landed it returns {'status': 'no_delivery'} and leaves any previous export untouched. Any
    failure (wrong key, contract, dbt test, scanner) raises RestrictedError and also leaves it untouched.
    """
    settings = settings or get_settings()
    zone = Zone(settings)
    zone.database.unlink(missing_ok=True)  # a plaintext database from an earlier version: never kept
    if not zone.current_version(MICRODATA_FEED).exists():
        return {"status": "no_delivery"}
    started = datetime.now(UTC).isoformat()
    try:
        summary = _build_and_export(settings, zone, min_count)
    except RestrictedError as exc:
        log_export(settings, {"feed_id": MICRODATA_FEED, "status": "failed", "message": redact(str(exc)),
                              "started_at": started, "finished_at": datetime.now(UTC).isoformat()})  # fmt: skip
        raise
    log_export(settings, {"feed_id": MICRODATA_FEED, "status": "exported", "files": summary["files"],
                          "started_at": started, "finished_at": summary["exported_at"]})  # fmt: skip
    return summary


def _build_and_export(settings: Settings, zone: Zone, min_count: int | None) -> dict:
    min_count = min_count or sdc.min_count_from_env()
    secure_dir(zone.export_dir)
    staging = zone.export_dir / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    secure_dir(staging / "open")
    secure_dir(staging / "cleared")
    try:
        res = run_restricted_dbt(settings, staging, "build", "--threads", "1", min_count=min_count)
        if res.returncode != 0:
            raise RestrictedError(f"restricted dbt build failed:\n{redact(_tail(res.stdout))}")
        checks = scanner.scan_directory(staging, min_count=min_count)
        failed = [c for c in checks if not c.passed]
        if failed:
            raise RestrictedError(
                "disclosure scanner blocked the restricted export: "
                + "; ".join(f"{c.target}: {c.message}" for c in failed[:5])
            )
        files = {
            tier: {p.stem: pq.read_metadata(p).num_rows for p in sorted((staging / tier).glob("*.parquet"))}
            for tier in ("open", "cleared")
        }
        summary = {
            "status": "exported",
            "min_count": min_count,
            "exported_at": datetime.now(UTC).isoformat(),
            "files": files,
            "suppression": {tier: suppression_counts(staging / tier) for tier in ("open", "cleared")},
            "scanner": [c.as_dict() for c in checks],
        }
        atomic_write_text(staging / "export_manifest.json", json.dumps(summary, indent=2, default=str) + "\n")
        _swap_in(zone, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return summary


def suppression_counts(folder) -> dict:
    """Cells and suppressions per exported table (counts only)."""
    import duckdb

    out = {}
    with duckdb.connect() as con:
        for p in sorted(folder.glob("*.parquet")):
            cells, primary, secondary, lad = con.execute(
                "select count(*), count(*) filter (where sdc_code = 'primary'), "
                "count(*) filter (where sdc_code = 'secondary'), "
                "count(*) filter (where area_level = 'lad' and status = 'suppressed') from read_parquet(?)",
                [str(p)],
            ).fetchone()
            out[p.stem] = {
                "cells": cells,
                "primary": primary,
                "secondary": secondary,
                "lad_cells_suppressed": lad,
            }
    return out


def _swap_in(zone: Zone, staging) -> None:
    """The previous export is moved aside, then the new one moved in (readers open files by name)."""
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
    shutil.rmtree(old, ignore_errors=True)
