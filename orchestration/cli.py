"""The `levelup` command: what `make run` and data engineers call.

Belongs here: command-line entry points (typer) that run Dagster jobs headless, manage releases and keep
dbt in step with the registry. Each command prints a short human summary; details live in the Dagster
event log under `$DAGSTER_HOME` (default `<data dir>/dagster_home`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import typer

from ingest.settings import PROJECT_ROOT, get_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Levelling Up data platform")


def _mount_subcommands() -> None:
    from orchestration.cli_scaffold import app as scaffold_app  # scaffold-feed, refresh-feeds, sensor-tick

    app.add_typer(scaffold_app)


DAGSTER_YAML = """# Written by `levelup`: local instance for this data directory. Telemetry off (air-gapped machines).
telemetry:
  enabled: false
# DuckDB allows one writer: never run two jobs that write the warehouse at the same time.
concurrency:
  runs:
    tag_concurrency_limits:
      - key: levelup/writes
        value: warehouse
        limit: 1
"""


def prepare_environment() -> Path:
    """Absolute data dir for dbt subprocesses, a Dagster home with telemetry off, no dbt usage stats."""
    settings = get_settings()
    os.environ["LEVELUP_DATA_DIR"] = str(settings.data_dir)
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    home = Path(os.environ.get("DAGSTER_HOME") or settings.data_dir / "dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    yml = home / "dagster.yaml"
    if not yml.exists():
        yml.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _sync_dbt() -> None:
    from ingest.dbt_sync import check, sync

    for p in sync():
        typer.echo(f"[registry] regenerated {p.relative_to(PROJECT_ROOT)}")
    problems = check()
    if problems:
        typer.echo("\n".join(problems), err=True)
        raise typer.Exit(2)


def _current_release_id() -> str | None:
    from publish.release import current_release_dir

    cur = current_release_dir(get_settings())
    return cur.name if cur else None


def _summary(run_ok: bool, release_before: str | None) -> int:
    settings = get_settings()
    from publish.release import current_release_dir, read_manifest

    cur = current_release_dir(settings)
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
    _sync_dbt()
    from dagster import DagsterInstance, execute_job, reconstructable

    from orchestration import definitions

    started = time.time()
    release_before = _current_release_id()
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
        if not result.success:
            for ev in result.all_events:
                if ev.event_type_value == "STEP_FAILURE":
                    err = ev.event_specific_data.error
                    typer.echo(
                        f"[run] step {ev.step_key} failed: {err.message.strip() if err else ''}", err=True
                    )
    raise typer.Exit(_summary(result.success, release_before))


@app.command()
def ingest(feeds: list[str] = typer.Argument(None, help="feed ids (default: all open feeds)")) -> None:
    """Ingest feeds into the raw zone only (no dbt, no publish)."""
    from ingest.pipeline import ingest_feed
    from ingest.registry import load_registry

    reg = load_registry()
    selected = [reg.get(f) for f in feeds] if feeds else [f for f in reg.feeds if f.sensitivity == "open"]
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
    _sync_dbt()
    typer.echo("dbt project is in step with the registry")


@app.command("validate-registry")
def validate_registry(path: Path = typer.Argument(None)) -> None:
    """Validate a registry file; errors name the feed and the field."""
    from ingest.registry import RegistryError, load_registry

    try:
        reg = load_registry(path)
    except RegistryError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{reg.source_path}: {len(reg.feeds)} feeds OK")


@app.command()
def releases() -> None:
    """List releases, marking the current one."""
    from publish.release import current_release_dir, list_releases, read_manifest

    settings = get_settings()
    cur = current_release_dir(settings)
    for r in list_releases(settings):
        m = read_manifest(r)
        held = [n for n, v in m["marts"].items() if v["status"] in ("carried_over", "withheld")]
        typer.echo(f"{'*' if r == cur else ' '} {r.name}  code={m['code_version']}  held_back={held}")


@app.command()
def rollback(
    release_id: str = typer.Argument(None, help="release to serve (default: the one before current)"),
) -> None:
    """Re-point releases/current to an earlier release (atomic)."""
    from publish.release import rollback as do_rollback

    target = do_rollback(get_settings(), release_id)
    typer.echo(f"current -> {target}")


@app.command("dagster-dev")
def dagster_dev(port: int = 3000) -> None:
    """Start the Dagster UI (offline, telemetry off) on 127.0.0.1."""
    prepare_environment()
    exe = Path(sys.executable).parent / "dagster"
    proc = subprocess.Popen(
        [str(exe), "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_ROOT,
    )
    try:
        proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        proc.wait()


@app.command()
def manifest() -> None:
    """Print the current release's manifest."""
    from publish.release import current_release_dir, read_manifest

    cur = current_release_dir(get_settings())
    if cur is None:
        raise typer.Exit(1)
    typer.echo(json.dumps(read_manifest(cur), indent=2))


_mount_subcommands()

if __name__ == "__main__":
    app()
