"""`levelup run`, `ingest`, `sync-dbt`, `validate-registry`: the refresh and the registry's commands.

Belongs here: the full refresh `make run` calls (a Dagster job executed headless, then a per-feed / per-mart
summary and an exit code that is non-zero when a feed failed or a mart was held back), ingest-only runs, and
keeping dbt in step with the registry.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from core.releases import current_dir, read_manifest
from core.settings import get_settings
from orchestration.cli.common import current_release_id, prepare_environment
from orchestration.cli.common import sync_dbt as sync_dbt_files

app = typer.Typer(add_completion=False)


def _summary(run_ok: bool, release_before: str | None) -> int:
    cur = current_dir(get_settings().releases_dir)
    if cur is None:
        typer.echo("No release has been published yet.")
        return 1
    m = read_manifest(cur)
    typer.echo("")
    typer.echo(f"{'feed':<55} {'last ingest':<12} {'rows':>8}  sha256")
    for fid, f in m["feeds"].items():
        typer.echo(f"{fid:<55} {f['last_ingest_status']:<12} {f['rows'] or 0:>8}  {(f['sha256'] or '')[:12]}")
        if f.get("last_ingest_message"):
            typer.echo("    " + f["last_ingest_message"].replace("\n", "\n    "))
    typer.echo("")
    typer.echo(f"{'mart':<40} {'status':<13} {'rows':>9}")
    for name, mart in m["marts"].items():
        typer.echo(f"{name:<40} {mart['status']:<13} {mart['rows'] or 0:>9}")
        for r in mart["reasons"]:
            typer.echo(f"    {r}")
    fresh_release = cur.name != release_before
    typer.echo("")
    typer.echo(f"Release: {cur}  ({'new' if fresh_release else 'unchanged: this run published nothing'})")
    typer.echo(f"Quality report: {cur / 'quality_report.html'}")
    failed_feeds = [f for f, v in m["feeds"].items() if v["last_ingest_status"] == "failed"]
    held = [n for n, v in m["marts"].items() if v["status"] in ("carried_over", "withheld")]
    if not run_ok or failed_feeds or held or not fresh_release:
        typer.echo(f"Attention: run_ok={run_ok} failed_feeds={failed_feeds} held_back_marts={held}", err=True)
        return 1
    return 0


@app.command()
def run(job: str = typer.Option("full_refresh", help="Dagster job to execute")) -> None:
    """Full refresh: ingest every feed, build the warehouse, check, publish. Prints the release and a summary."""
    prepare_environment()
    sync_dbt_files()
    from dagster import DagsterInstance, execute_job, reconstructable

    from orchestration import definitions
    from orchestration.events import step_failures_from_events

    started = time.time()
    release_before = current_release_id()
    typer.echo(f"[run] data dir {get_settings().data_dir}; mirror {get_settings().mirror or '(network)'}")
    with DagsterInstance.get() as instance:
        result = execute_job(
            reconstructable(definitions.full_refresh_job),
            instance=instance,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
        typer.echo(
            f"[run] Dagster run {result.run_id}: {'success' if result.success else 'FAILURE'}"
            f" in {time.time() - started:.1f}s"
        )
        for failure in step_failures_from_events(result.all_events):
            typer.echo(f"[run] step {failure['step']} failed: {failure['message']}", err=True)
    raise typer.Exit(_summary(result.success, release_before))


@app.command()
def ingest(feeds: list[str] = typer.Argument(None, help="feed ids (default: all open feeds)")) -> None:
    """Ingest feeds into the raw zone only (no dbt, no publish)."""
    from core.registry import load_registry
    from ingest.pipeline import ingest_feed

    reg = load_registry()
    selected = [reg.get(f) for f in feeds] if feeds else reg.open_feeds
    failed = 0
    for feed in selected:
        res = ingest_feed(feed, raise_on_failure=False)
        typer.echo(f"{feed.id:<55} {res.status:<9} rows={res.rows} {res.seconds:.2f}s")
        if res.status == "failed":
            failed += 1
            typer.echo("    " + res.message.replace("\n", "\n    "), err=True)
    raise typer.Exit(1 if failed else 0)


@app.command("sync-dbt")
def sync_dbt() -> None:
    """Regenerate the dbt sources and registry seeds from registry/feeds.yaml and check staging models exist."""
    prepare_environment()
    sync_dbt_files()
    typer.echo("dbt project is in step with the registry")


@app.command("validate-registry")
def validate_registry(path: Path = typer.Argument(None)) -> None:
    """Validate a registry file; errors name the feed and the field."""
    from core.registry import RegistryError, load_registry

    try:
        reg = load_registry(path)
    except RegistryError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{reg.source_path}: {len(reg.feeds)} feeds OK")
