"""The release asset: write-audit-publish of the marts the run built, gated per mart.

Belongs here: the `release/current` asset and its `gate_<mart>` checks. The work is
`publish.publisher.publish_release`.
"""

import json
from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_dbt import DbtCliResource

from core.registry import load_registry
from core.runlock import run_lock
from core.settings import get_settings
from ingest.land import FeedStore
from orchestration.assets.warehouse import LOCK_WAIT_S, dbt_target_dir, last_build_dir
from publish.publisher import publish_release

RELEASE_KEY = AssetKey(["release", "current"])


def rebuild_without(context, dbt: DbtCliResource, feeds: list[str], reasons: list[str]) -> Path | None:
    """The consistency rule's second half: reject the current versions of `feeds` (a check on the marts traced a
    failure back to them), restore their previous versions and rebuild their lineage with dbt. Returns the results
    of that build (None when no feed had an earlier version to go back to)."""
    settings, registry = get_settings(), load_registry()
    models = []
    for fid in feeds:
        restored = FeedStore(settings.feed_dir(fid), fid).restore_previous(reasons)
        if restored is not None:
            context.log.warning(
                f"feed {fid}: new version rejected ({reasons[:1]}); restored {restored.sha256[:12]}"
            )
            models.append(registry.get(fid).staging_model)
    if not models:
        return None
    target = dbt_target_dir()
    selected = [f"{m}+" for m in models]
    results: dict[str, dict] = {}
    # `build` re-runs the lineage's models (seeds did not change); excluding the seeds also drops, in dbt's eager
    # indirect selection, every test with a seed among its parents (e.g. the mission catalogue's plausible-range
    # test), so `test` then re-runs every test of the lineage: each failure that caused the rejection is judged
    # again on the restored version, never left standing from the first build.
    for args in (
        ["build", "--select", *selected, "--exclude", "resource_type:seed"],
        ["test", "--select", *selected],
    ):
        (target / "run_results.json").unlink(missing_ok=True)
        inv = dbt.cli(
            args, manifest=last_build_dir() / "manifest.json", raise_on_error=False, target_path=target
        )
        inv.wait()
        if (target / "run_results.json").exists():
            results.update(
                {r["unique_id"]: r for r in json.loads((target / "run_results.json").read_text())["results"]}
            )
    out = last_build_dir() / "run_results.rebuild.json"
    out.write_text(json.dumps({"results": list(results.values())}))
    return out


def release_asset(marts: list[AssetKey], exporters: dict | None = None) -> AssetsDefinition:
    """`exporters`: extra parts of a release written by downstream layers (see publish.publisher.Exporter)."""
    release_key = RELEASE_KEY
    gate_specs = [
        AssetCheckSpec(
            f"gate_{k.path[-1]}",
            asset=release_key,
            description=f"mart {k.path[-1]} is fresh in the new release (fails when held back by a check)",
        )
        for k in marts
    ]

    @asset(
        key=release_key,
        group_name="release",
        deps=marts,
        check_specs=gate_specs,
        kinds={"duckdb", "parquet"},
        description="Write-audit-publish: stage the marts into a new release, run the gate (dbt results + Great "
        "Expectations), carry over held-back marts from the previous release, promote atomically.",
    )
    def release(context: AssetExecutionContext, dbt: DbtCliResource):
        build = last_build_dir()
        settings = get_settings()
        with run_lock(settings, wait_s=LOCK_WAIT_S, command=f"dagster run {context.run_id} (publish)"):
            outcome = publish_release(
                settings,
                dbt_manifest=build / "manifest.json",
                dbt_run_results=build / "run_results.json",
                exporters=exporters,
                rebuild=lambda feeds, reasons: rebuild_without(context, dbt, feeds, reasons),
            )
        marts_meta = outcome.manifest["marts"]
        for key in marts:
            m = marts_meta.get(key.path[-1])
            if m is None:
                continue
            yield AssetCheckResult(
                check_name=f"gate_{key.path[-1]}",
                passed=m["status"] in ("fresh", "unchanged"),
                severity=AssetCheckSeverity.ERROR,
                metadata={"status": m["status"], "reasons": MetadataValue.json(m["reasons"])},
            )
        print(f"[publish] release {outcome.release_id} -> {outcome.release_dir}", flush=True)
        yield MaterializeResult(
            metadata={
                "release_id": outcome.release_id,
                "path": MetadataValue.path(str(outcome.release_dir)),
                "held_back": MetadataValue.json(outcome.held_back),
                "quality_report": MetadataValue.path(str(outcome.release_dir / "quality_report.html")),
            }
        )

    return release
