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
from core.settings import get_settings
from orchestration.dbt import LevelupDbtTranslator, dbt_project


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
        get_settings().warehouse_dir.mkdir(parents=True, exist_ok=True)
        target = dbt_target_dir()
        invocations, results = [], []
        # seeds only when the run selected one (a sensor-launched run for one feed's lineage selects none)
        steps = [["seed"]] if any(k.path[0] == "registry" for k in context.selected_asset_keys) else []
        for step in (*steps, ["run"], ["test"]):
            inv = dbt.cli(step, context=context, raise_on_error=False, target_path=target)
            yield from inv.stream()
            invocations.append(inv)
            run_results = target / "run_results.json"
            if run_results.exists():  # each invocation overwrites it: collect as we go
                results += json.loads(run_results.read_text())["results"]
            if step == ["seed"]:
                crashpoint("dbt")  # the warehouse has been written to; models not yet built
            print(f"[dbt] {step[0]:<5} {'ok' if inv.is_successful() else 'with failures'}", flush=True)
        # The data dictionary's dbt site (lineage, SQL), built while dbt is still the warehouse's only user.
        docs = dbt.cli(
            ["docs", "generate", "--static"], manifest=manifest, raise_on_error=False, target_path=target
        )
        docs.wait()
        print(
            f"[dbt] docs  {'ok' if docs.is_successful() else 'failed (the release keeps its own dictionary)'}",
            flush=True,
        )
        _save_artifacts(target, results)
        # seed/run failures stop the run here; test failures are the publish gate's to judge, per mart
        broken = [inv for inv in invocations[:-1] if not inv.is_successful()]
        if broken:
            raise RuntimeError(
                "dbt seed/run failed: the warehouse is incomplete, so nothing is published this "
                "run; the current release keeps serving. See the dbt logs above."
            )

    return warehouse_dbt


def mart_keys(manifest: Path) -> list[AssetKey]:
    data = json.loads(manifest.read_text())
    return [
        AssetKey(["marts", n["name"]])
        for n in data["nodes"].values()
        if n["resource_type"] == "model" and n.get("schema") == "marts"
    ]
