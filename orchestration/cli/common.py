"""Start-up shared by every `levelup` command, and running a selection of the platform headless.

Belongs here: `prepare_environment()` (settings resolved once and exported, a Dagster home with telemetry off
and the one-warehouse-writer limit), `sync_dbt()` (generated dbt files in step with the registry, manifest
current), `execute_selection()` (a subset of the platform in this process against the persistent instance) and
the small summaries commands print.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

import typer

from core.releases import current_dir, read_manifest
from core.settings import PROJECT_ROOT, Settings, init_settings

DAGSTER_YAML = """# Written by `levelup`: local instance for this data directory. Telemetry off (air-gapped machines).
telemetry:
  enabled: false
# Dagster's run-sharded SQLite event log, with its connections kept open (orchestration/event_storage.py).
event_log_storage:
  module: orchestration.event_storage
  class: LocalEventLogStorage
# DuckDB allows one writer: never run two jobs that write the warehouse at the same time.
concurrency:
  runs:
    tag_concurrency_limits:
      - key: levelup/writes
        value: warehouse
        limit: 1
# A run whose worker died (killed) is marked failed instead of blocking the queue forever (daemon / dagster dev;
# `levelup run` also recovers its own killed runs at start-up: orchestration/recovery.py).
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  max_resume_run_attempts: 0
  poll_interval_seconds: 60
"""


def prepare_environment() -> Settings:
    """Absolute paths for child processes, a Dagster home with telemetry off and run monitoring on."""
    settings = init_settings()
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    yml = home / "dagster.yaml"
    if not yml.exists() or (
        yml.read_text().startswith("# Written by `levelup`") and yml.read_text() != DAGSTER_YAML
    ):
        yml.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return settings


def sync_dbt(quiet: bool = False) -> Path:
    """Regenerate the dbt files the registry implies, check every feed has its staging model, and make sure the
    manifest is current (dbt parse only if something changed). Exits 2 with the problems otherwise."""
    from core.registry import RegistryError
    from warehouse.dbt_sync import check, sync
    from warehouse.project import ensure_manifest

    try:
        changed = sync()
    except RegistryError as exc:  # names the feed and field to fix; nothing was run or written
        typer.echo(f"{exc}\nFix the registry (or overlay) and run again: nothing was run.", err=True)
        raise typer.Exit(2) from None
    for p in changed:
        if not quiet:
            typer.echo(f"[registry] regenerated {_shown(p)}")
    problems = check()
    if problems:
        typer.echo("\n".join(problems), err=True)
        raise typer.Exit(2)
    return ensure_manifest()


def _shown(p: Path) -> str:
    try:
        return str(p.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(p)


def current_release_id() -> str | None:
    from core.settings import get_settings

    cur = current_dir(get_settings().releases_dir)
    return cur.name if cur else None


def dbt_summary() -> dict:
    from orchestration.assets.warehouse import last_build_dir

    rr = last_build_dir() / "run_results.json"
    if not rr.exists():
        return {}
    results = json.loads(rr.read_text())["results"]
    kinds = Counter(r["unique_id"].split(".")[0] for r in results)
    return {
        "nodes": len(results),
        "by_type": dict(kinds),
        "models": sorted(
            r["unique_id"].split(".")[-1] for r in results if r["unique_id"].startswith("model.")
        ),
        "failed": sorted(
            r["unique_id"] for r in results if r["status"] in ("error", "fail", "runtime error", "skipped")
        ),
    }


def release_summary() -> dict:
    from core.settings import get_settings

    cur = current_dir(get_settings().releases_dir)
    if cur is None:
        return {}
    m = read_manifest(cur)
    return {
        "release": str(cur),
        "marts": {k: v["status"] for k, v in m["marts"].items()},
        "quality_report": str(cur / m.get("quality_report", "quality_report.html")),
    }


def execute_selection(defs, asset_keys, tags: dict | None = None) -> dict:
    """Run a subset of the platform in this process against the persistent Dagster instance."""
    from dagster import DagsterInstance

    from orchestration.events import step_failures_from_events

    job = defs.resolve_job_def("full_refresh")
    started = time.time()
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance, asset_selection=list(asset_keys), tags=tags or {}, raise_on_error=False
        )
        failures = step_failures_from_events(result.all_events)
    return {
        "run_id": result.run_id,
        "success": result.success,
        "seconds": round(time.time() - started, 1),
        "assets": len(list(asset_keys)),
        "failed_steps": failures,
        "dbt": dbt_summary(),
        **release_summary(),
    }


def print_outcome(out: dict, as_json: bool) -> None:
    if as_json:
        typer.echo("LEVELUP_JSON " + json.dumps(out, default=str))
        return
    for k, v in out.items():
        typer.echo(f"{k:<16} {v}")
