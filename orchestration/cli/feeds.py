"""`levelup scaffold-feed`, `refresh-feeds`, `sensor-tick`: onboarding feeds and running automation by hand.

    scaffold-feed SAMPLE --id ID [--url URL] [--mirror-path P] [--run]
        registry stanza + staging model + docs stub from an ESS-format sample (and the metadata JSON beside it),
        validated; with --run, ingest that feed, rebuild its dbt lineage (and the registry seeds) and publish.
    refresh-feeds FEED... [--with-seeds] [--no-publish]
        ingest the given feeds and rebuild only what is downstream of them, then publish.
    sensor-tick NAME [--run] [--json]
        evaluate one sensor now (cursor kept in <data dir>/automation/), optionally executing its runs.
Belongs here: these commands only; the work is `onboarding.scaffold` and the Dagster definitions.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from core.settings import get_settings
from orchestration.cli.common import execute_selection, prepare_environment, print_outcome, sync_dbt

app = typer.Typer(add_completion=False)


def _defs():
    from orchestration.definitions import defs

    return defs


def _seed_keys(defs):
    from dagster import AssetKey

    from warehouse.project import manifest_path

    manifest = json.loads(manifest_path().read_text())
    keys = {
        AssetKey([n.get("schema") or "dbt", n["name"]])
        for n in manifest["nodes"].values()
        if n["resource_type"] == "seed"
    }
    return keys & set(defs.resolve_asset_graph().get_all_asset_keys())


@app.command("refresh-feeds")
def refresh_feeds(
    feeds: list[str] = typer.Argument(None, help="feed ids to refresh"),
    all_assets: bool = typer.Option(
        False, "--all", help="every asset (a full build) instead of FEEDS' lineage"
    ),
    with_seeds: bool = typer.Option(False, help="also reload the dbt seeds (registry changed)"),
    publish: bool = typer.Option(True, help="publish a release at the end"),
    as_json: bool = typer.Option(False, "--json", help="print the outcome as JSON"),
) -> None:
    """Ingest FEEDS and rebuild only their downstream lineage (dbt nodes selected by Dagster), then publish."""
    prepare_environment()
    from dagster import AssetKey, AssetSelection

    sync_dbt(quiet=True)
    defs = _defs()
    graph = defs.resolve_asset_graph()
    feeds = list(feeds or [])
    unknown = [f for f in feeds if AssetKey(["raw", f]) not in graph.get_all_asset_keys()]
    if unknown:
        typer.echo(f"unknown (or not open) feed(s): {unknown}", err=True)
        raise typer.Exit(2)
    if all_assets:
        keys = set(graph.get_all_asset_keys()) - {
            k for k in graph.get_all_asset_keys() if graph.get(k).is_external
        }
    elif feeds:
        keys = set(AssetSelection.assets(*[AssetKey(["raw", f]) for f in feeds]).downstream().resolve(graph))
    else:
        typer.echo("give feed ids, or --all", err=True)
        raise typer.Exit(2)
    if with_seeds:
        keys |= _seed_keys(defs)
    if not publish:
        keys.discard(AssetKey(["release", "current"]))
    out = execute_selection(
        defs, keys, {"levelup/trigger": "cli_refresh_feeds", "levelup/feeds": ",".join(feeds)}
    )
    print_outcome(out, as_json)
    raise typer.Exit(0 if out["success"] else 1)


@app.command("sensor-tick")
def sensor_tick(
    name: str = typer.Argument(..., help="sensor name, e.g. landing_zone_sensor or source_change_sensor"),
    run: bool = typer.Option(False, "--run", help="execute the requested runs in this process"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Evaluate one sensor now, as the daemon would (cursor kept under <data dir>/automation/)."""
    prepare_environment()
    from dagster import DagsterInstance, build_sensor_context

    defs = _defs()
    sensor_def = defs.get_sensor_def(name)
    cursor_file = get_settings().data_dir / "automation" / f"{name}.cursor"
    cursor = cursor_file.read_text() if cursor_file.exists() else None
    with DagsterInstance.get() as instance:
        ctx = build_sensor_context(instance=instance, definitions=defs, cursor=cursor, sensor_name=name)
        data = sensor_def.evaluate_tick(ctx)
        for ev in data.asset_events or []:
            instance.report_runless_asset_event(ev)
    if data.cursor is not None:
        cursor_file.parent.mkdir(parents=True, exist_ok=True)
        cursor_file.write_text(data.cursor)
    out: dict = {
        "sensor": name,
        "skip_message": data.skip_message,
        "asset_events": [
            {
                "type": type(e).__name__,
                "asset": e.asset_key.to_user_string(),
                "passed": getattr(e, "passed", None),
            }
            for e in data.asset_events or []
        ],
        "run_requests": [
            {
                "job": r.job_name,
                "run_key": r.run_key,
                "tags": dict(r.tags),
                "asset_selection": [k.to_user_string() for k in r.asset_selection or []],
            }
            for r in data.run_requests or []
        ],
        "runs": [],
    }
    ok = True
    if run:
        for r in data.run_requests or []:
            if r.asset_selection is None:
                typer.echo(
                    f"run request for job {r.job_name} has no asset selection; launch it from the UI",
                    err=True,
                )
                continue
            res = execute_selection(defs, r.asset_selection, dict(r.tags))
            ok = ok and res["success"]
            out["runs"].append(res)
    print_outcome(out, as_json)
    raise typer.Exit(0 if ok else 1)


@app.command("scaffold-feed")
def scaffold_feed_cmd(
    sample_file: Path = typer.Argument(..., exists=True, dir_okay=False, help="an ESS-format CSV sample"),
    feed_id: str = typer.Option(..., "--id", help="kebab-case feed id, as the publisher names it"),
    url: str = typer.Option(None, help="public URL (default: the ESS repository address for --id)"),
    mirror_path: str = typer.Option(None, help="path under $LEVELUP_MIRROR (default: ess/<id>/<id>.csv)"),
    title: str = typer.Option(None, help="title (default: the label in the sample's metadata JSON)"),
    cadence: str = typer.Option("annual", help="daily|weekly|monthly|quarterly|annual|adhoc"),
    mission: list[int] = typer.Option(None, help="Levelling Up mission number(s) the feed informs"),
    run: bool = typer.Option(False, "--run", help="then ingest, build its lineage and publish"),
    force: bool = typer.Option(False, help="overwrite an existing staging model / docs stub"),
    as_json: bool = typer.Option(False, "--json", help="with --run: print the run's outcome as JSON"),
) -> None:
    """Scaffold a new feed from a sample file: registry stanza, staging model, docs stub; validate; optionally run."""
    from onboarding.scaffold import ScaffoldError, scaffold_feed

    settings = get_settings()
    try:
        res = scaffold_feed(
            sample_file,
            feed_id,
            url=url,
            mirror_path=mirror_path,
            title=title,
            cadence=cadence,
            missions=list(mission or []),
            registry_path=settings.registry_path,
            force=force,
        )
    except ScaffoldError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"[scaffold] appended feed {feed_id!r} to {settings.registry_path}:")
    typer.echo(res.stanza)
    for p in res.files_written[1:]:
        typer.echo(f"[scaffold] wrote {p}")
    for p in res.dbt_files_changed:
        typer.echo(f"[scaffold] regenerated {p}")
    for note in res.inference.disagreements:
        typer.echo(f"[scaffold] unit vs metadata: {note}")
    todo = res.stanza.count("TODO")
    typer.echo(
        f"[scaffold] valid: registry loads, dbt in step, the sample passes the contract ({res.contract_rows} rows). "
        f"{todo} TODO(s) to confirm in the stanza."
    )
    if not run:
        typer.echo(
            f"Next: review the TODOs, then `levelup scaffold-feed ... --run` or `levelup refresh-feeds {feed_id} --with-seeds`."
        )
        raise typer.Exit(0)
    # The definitions are built from the registry when first imported, which this process has not done yet:
    # the refresh below sees the new feed.
    typer.echo(f"[scaffold] running: refresh-feeds {feed_id} --with-seeds")
    refresh_feeds([feed_id], all_assets=False, with_seeds=True, publish=True, as_json=as_json)
