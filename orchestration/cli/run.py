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
    areas = m.get("custom_areas") or {}
    if areas.get("status") == "failed":
        typer.echo("")
        typer.echo("custom areas: REJECTED, the previous list stays in use")
        typer.echo("    " + (areas.get("message") or "").replace("\n", "\n    "))
    for a in areas.get("without_rows") or []:
        typer.echo(f"custom area {a['custom_area']!r} has no row in custom_area_indicators: {a['reason']}")
    fresh_release = cur.name != release_before
    typer.echo("")
    typer.echo(f"Release: {cur}  ({'new' if fresh_release else 'unchanged: this run published nothing'})")
    typer.echo(f"Quality report: {cur / 'quality_report.html'}")
    failed_feeds = [f for f, v in m["feeds"].items() if v["last_ingest_status"] == "failed"]
    if areas.get("status") == "failed":
        failed_feeds.append("custom-areas")
    held = [n for n, v in m["marts"].items() if v["status"] in ("carried_over", "withheld")]
    if not run_ok or failed_feeds or held or not fresh_release:
        typer.echo(f"Attention: run_ok={run_ok} failed_feeds={failed_feeds} held_back_marts={held}", err=True)
        return 1
    return 0


def _selection(defs, plan):
    """The changed feeds' raw assets (and custom areas / the restricted zone) with everything downstream."""
    from dagster import AssetKey, AssetSelection

    from orchestration.assets.feeds import CUSTOM_AREAS_KEY
    from orchestration.assets.restricted import RESTRICTED_INGEST_KEY

    keys = [AssetKey(["raw", f]) for f in plan.changed_feeds]
    if plan.changed_feeds:  # provenance reads every feed's version metadata (a dbt source of its own)
        keys += [
            AssetKey(["staging", "stg_raw_meta__feed_versions"]),
            AssetKey(["staging", "stg_raw_meta__current_versions"]),
        ]
    if plan.custom_areas_changed:
        keys.append(CUSTOM_AREAS_KEY)
    if plan.restricted_pending:
        keys.append(RESTRICTED_INGEST_KEY)
    return sorted(AssetSelection.assets(*keys).downstream().resolve(defs.resolve_asset_graph()))


@app.command()
def run(
    job: str = typer.Option("full_refresh", help="Dagster job to execute (noop: the framework floor)"),
    force: bool = typer.Option(False, "--force", help="rebuild everything even if nothing changed"),
) -> None:
    """Refresh and publish: ingest what changed, rebuild its lineage, check, publish. Prints the release and a
    summary. When nothing changed since the current release it says so and exits 0 (no dbt work, no release)."""
    from core.registry import RegistryError, load_registry
    from core.runlock import RunLockHeld, run_lock
    from orchestration.plan import SourcesUnreachable, plan_refresh, preflight

    started = time.time()
    settings = prepare_environment()
    try:
        registry = load_registry()
    except RegistryError as exc:  # names the feed and field to fix; nothing was run or written
        typer.echo(f"{exc}\nFix the registry (or overlay) and run again: nothing was run.", err=True)
        raise typer.Exit(2) from None
    if job == "full_refresh":
        try:  # before any work (dbt parse, Dagster): no source readable means one message, exit 2
            preflight(registry, settings)
        except SourcesUnreachable as exc:
            typer.echo(f"[run] {exc}", err=True)
            raise typer.Exit(2) from None
    try:
        lock = run_lock(settings, command=f"levelup run --job {job}")
        lock.__enter__()
    except RunLockHeld as exc:
        typer.echo(f"[run] refused: {exc}", err=True)
        raise typer.Exit(3) from None
    try:
        sync_dbt_files(quiet=True)
        typer.echo(f"[run] data dir {settings.data_dir}; mirror {settings.mirror or '(network)'}")
        plan = None
        if job == "full_refresh":
            plan = plan_refresh(registry, settings, force=force, checked=True)
            for fid, err in plan.source_errors.items():
                typer.echo(f"[run] could not check source of {fid}: {err.splitlines()[0]}", err=True)
            if plan.nothing_changed:
                typer.echo(
                    f"[run] nothing changed since release {plan.previous_release}: no source, code or registry "
                    f"change; no dbt work and no new release ({time.time() - started:.1f}s)"
                )
                raise typer.Exit(0)
            for reason in plan.reasons:
                typer.echo(f"[run] {reason}")
        code = _execute(job, plan, started)
    finally:
        lock.__exit__(None, None, None)
    raise typer.Exit(code)


def _execute(job: str, plan, started: float) -> int:
    from dagster import DagsterInstance, execute_job, reconstructable

    from orchestration import definitions
    from orchestration.assets.warehouse import FULL_REFRESH_TAG, PROJECT_UNCHANGED_TAG
    from orchestration.events import step_failures_from_events
    from orchestration.recovery import process_tags, recover_stuck_runs

    release_before = current_release_id()
    target = definitions.full_refresh_job if job == "full_refresh" else definitions.noop_job
    with DagsterInstance.get() as instance:
        recover_stuck_runs(instance, echo=typer.echo)
        selection = None if plan is None or plan.everything else _selection(definitions.defs, plan)
        result = execute_job(
            reconstructable(target),
            instance=instance,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            tags={
                **process_tags(),
                "levelup/trigger": "cli_run",
                **({PROJECT_UNCHANGED_TAG: "1"} if selection else {}),
                **(
                    {FULL_REFRESH_TAG: "0"}
                    if selection and not plan.reference_changed(definitions.REGISTRY)
                    else {}
                ),
            },
            asset_selection=selection,
        )
        typer.echo(
            f"[run] Dagster run {result.run_id}: {'success' if result.success else 'FAILURE'}"
            f" in {time.time() - started:.1f}s"
            + (f" ({len(selection)} assets of the changed lineage)" if selection else "")
        )
        for failure in step_failures_from_events(result.all_events):
            typer.echo(f"[run] step {failure['step']} failed: {failure['message']}", err=True)
    if job != "full_refresh":
        return 0 if result.success else 1
    return _summary(result.success, release_before)


@app.command()
def ingest(feeds: list[str] = typer.Argument(None, help="feed ids (default: all open feeds)")) -> None:
    """Ingest feeds into the raw zone only (no dbt, no publish)."""
    from core.registry import load_registry
    from ingest.pipeline import ingest_feed
    from quality.feed_checks import check_version

    reg = load_registry()
    selected = [reg.get(f) for f in feeds] if feeds else reg.open_feeds
    failed = 0
    for feed in selected:
        res = ingest_feed(feed, raise_on_failure=False, accept=check_version)
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
