"""The warehouse asset: every dbt model and seed of the shared project, built by dagster-dbt.

Belongs here: `warehouse_assets` (seed when the run selected a seed, run, test, docs, in one stable target folder
per data directory), saving the artefacts the publish step reads (`<warehouse>/last_build/`), and `mart_keys`.
seed/run failures stop the run; test failures are the publish gate's to judge, per mart.
"""

import json
import shutil
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition
from dagster_dbt import DbtCliResource, dbt_assets

from core.crashpoint import crashpoint
from core.runlock import run_lock
from core.settings import get_settings
from orchestration.dbt import LevelupDbtTranslator, dbt_project

FULL_REFRESH_TAG = (
    "levelup/dbt_full_refresh"  # "0": only feeds changed; by-feed incremental models update in place
)
# "1": the dbt project did not change since the current release: keep the last build's docs site, and skip the
# dbt unit tests (they test the SQL on fixed fixtures, so they passed for this code when that release was built)
PROJECT_UNCHANGED_TAG = "levelup/dbt_project_unchanged"
LOCK_WAIT_S = 3600  # a run launched by the daemon queues behind a `levelup run` writing the same data dir


def last_build_dir() -> Path:
    return get_settings().warehouse_dir / "last_build"


def dbt_target_dir() -> Path:
    """One stable dbt target folder per data directory, so every invocation after the first parses partially."""
    return get_settings().warehouse_dir / "dbt_target"


def _save_artifacts(target: Path, results: list[dict]) -> None:
    """Keep the manifest, every invocation's results and the static docs page where publish reads them."""
    out = last_build_dir()
    out.mkdir(parents=True, exist_ok=True)
    for name in ("manifest.json", "catalog.json", "static_index.html"):
        if (target / name).exists():
            shutil.copyfile(target / name, out / name)
        else:
            (out / name).unlink(missing_ok=True)
    (out / "run_results.json").write_text(json.dumps({"results": results}))


def warehouse_assets(manifest: Path, exclude: str | None = None) -> AssetsDefinition:
    @dbt_assets(
        manifest=manifest,
        project=dbt_project(),
        dagster_dbt_translator=LevelupDbtTranslator(),
        exclude=exclude,
        name="warehouse_dbt",
        op_tags={"levelup/kind": "dbt"},
    )
    def warehouse_dbt(context: AssetExecutionContext, dbt: DbtCliResource):
        settings = get_settings()
        settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
        with run_lock(settings, wait_s=LOCK_WAIT_S, command=f"dagster run {context.run_id} (dbt)"):
            yield from _build(context, dbt, manifest)

    return warehouse_dbt


def _build(context: AssetExecutionContext, dbt: DbtCliResource, manifest: Path):
    """Two dbt invocations over the selected nodes: `build` of the seeds (only when the run selected one: a run
    for one feed's lineage selects none) and models, then `test` (data tests, and the unit tests unless the run
    says the project did not change: as dbt advises, unit tests run when the code changes, not on every data
    refresh). Models are never skipped because a test failed: the warehouse is the write zone of
    write-audit-publish, and judging the tests, per mart, is the publish gate's job. Docs are regenerated unless
    the run says the project did not change."""
    target = dbt_target_dir()
    project_unchanged = context.run.tags.get(PROJECT_UNCHANGED_TAG) == "1"
    exclude = ["resource_type:test", "resource_type:unit_test"]
    if not any(k.path[0] == "registry" for k in context.selected_asset_keys):
        exclude.append("resource_type:seed")
    crashpoint("dbt")  # about to write the warehouse
    results = []
    run_results = target / "run_results.json"
    build = ["build", "--exclude", " ".join(exclude)]
    if context.run.tags.get(FULL_REFRESH_TAG) != "0":
        build.append(
            "--full-refresh"
        )  # incremental models rebuilt from scratch (code or reference data changed)
    test = ["test", *(["--exclude-resource-type", "unit_test"] if project_unchanged else [])]
    for args in (build, test):
        run_results.unlink(missing_ok=True)
        inv = dbt.cli(args, context=context, raise_on_error=False, target_path=target)
        yield from inv.stream()
        if run_results.exists():  # each invocation overwrites it: collect as we go
            results += json.loads(run_results.read_text())["results"]
        print(f"[dbt] {args[0]:<5} {'ok' if inv.is_successful() else 'with failures'}", flush=True)
        if args[0] == "build" and not inv.is_successful() and not run_results.exists():
            raise RuntimeError(f"dbt build could not start: {inv.get_error()}; nothing is published this run")
    errored = [
        r
        for r in results
        if r["status"] == "error" and not r["unique_id"].startswith(("test.", "unit_test."))
    ]
    if not project_unchanged or not (last_build_dir() / "static_index.html").exists():
        # The data dictionary's dbt site (lineage, SQL), built while dbt is still the warehouse's only user.
        docs = dbt.cli(
            ["docs", "generate", "--static"], manifest=manifest, raise_on_error=False, target_path=target
        )
        docs.wait()
        print(
            f"[dbt] docs  {'ok' if docs.is_successful() else 'failed (the release keeps its own dictionary)'}",
            flush=True,
        )
    else:
        shutil.copyfile(last_build_dir() / "static_index.html", target / "static_index.html")
        print("[dbt] docs  unchanged project: last build's docs site reused", flush=True)
    _save_artifacts(target, results)
    # a model that errored leaves the warehouse incomplete: stop; test failures are the publish gate's to judge
    if errored:
        raise RuntimeError(
            f"dbt could not build {', '.join(r['unique_id'] for r in errored[:5])}: the warehouse is incomplete, "
            "so nothing is published this run; the current release keeps serving. See the dbt logs above."
        )


def mart_keys(manifest: Path) -> list[AssetKey]:
    data = json.loads(manifest.read_text())
    return [
        AssetKey(["marts", n["name"]])
        for n in data["nodes"].values()
        if n["resource_type"] == "model" and n.get("schema") == "marts"
    ]
