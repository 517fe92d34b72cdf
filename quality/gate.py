"""The publishing gate: which marts may be published fresh, from every blocking check's result.

Belongs here: reading dbt's artifacts (manifest + run_results) into per-mart verdicts, combining them with
the Great Expectations results on the staged release, and the verdict type itself. A failing check holds
back only the marts downstream of the node it tests. The gate is evaluated in Python from the artifacts, so
it holds even though a failing dbt test does not by itself stop downstream Python assets in Dagster
(dagster issues #25112, #18472).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from core.checks import CheckResult

FAILED_STATUSES = {"error", "fail", "runtime error", "skipped"}


@dataclass
class MartVerdict:
    mart: str
    checks: list[CheckResult] = field(default_factory=list)
    model_status: str = "success"

    @property
    def blocking_failures(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed and c.severity == "error"]

    @property
    def passed(self) -> bool:
        return self.model_status == "success" and not self.blocking_failures

    def reasons(self) -> list[str]:
        out = (
            []
            if self.model_status == "success"
            else [f"model {self.mart} did not build ({self.model_status})"]
        )
        out += [f"{c.level} check {c.name} on {c.target} failed: {c.message}" for c in self.blocking_failures]
        return out


def _descendants(child_map: dict[str, list[str]], start: str) -> set[str]:
    seen, stack = set(), [start]
    while stack:
        node = stack.pop()
        for child in child_map.get(node, []):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def _tested_nodes(manifest: dict, test: dict) -> list[str]:
    """The node(s) a test is about: a generic test's attached model; for a singular test, the models it refs
    (seeds and sources it reads are reference data, not what it tests)."""
    if test.get("attached_node"):
        return [test["attached_node"]]
    deps = test["depends_on"]["nodes"]
    named = ((test.get("config", {}).get("meta") or {}).get("dagster") or {}).get("ref", {}).get("name")
    if named:  # a singular test that declares what it tests (meta.dagster.ref, as dagster-dbt reads it)
        return [d for d in deps if d.split(".")[-1] == named] or deps
    return [d for d in deps if d.startswith("model.")] or deps


def mart_nodes(manifest: dict, schema: str = "marts") -> dict[str, str]:
    """unique_id -> mart name, for every model published from the given schema."""
    return {
        uid: node["name"]
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node.get("schema") == schema
    }


def dbt_verdicts(manifest_path: Path, run_results_path: Path) -> dict[str, MartVerdict]:
    """Per-mart verdicts from one `dbt build`: a mart fails when it, or a model upstream of it, failed to
    build, or when an error-severity test on it or on anything upstream of it failed."""
    manifest = json.loads(manifest_path.read_text())
    results = json.loads(run_results_path.read_text())["results"]
    marts = mart_nodes(manifest)
    verdicts = {name: MartVerdict(mart=name) for name in marts.values()}
    child_map = manifest.get("child_map", {})
    by_id = {r["unique_id"]: r for r in results}
    affected: dict[str, list[CheckResult]] = defaultdict(list)
    for uid, res in by_id.items():
        node = manifest["nodes"].get(uid)
        if node is None or res["status"] not in FAILED_STATUSES:
            continue
        if node["resource_type"] == "test":
            severity = (node.get("config", {}).get("severity") or "error").lower()
            tested = _tested_nodes(manifest, node)
            check = CheckResult(
                name=node["name"],
                level="dbt",
                target=", ".join(manifest["nodes"].get(t, {}).get("name", t) for t in tested),
                passed=False,
                severity=severity,
                message=(res.get("message") or res["status"])
                + (f" ({res.get('failures')} failing rows)" if res.get("failures") else ""),
            )
            for target in set(tested).union(*(_descendants(child_map, t) for t in tested)):
                if target in marts:
                    affected[marts[target]].append(check)
        elif node["resource_type"] in ("model", "seed", "snapshot"):
            for target in {uid} | _descendants(child_map, uid):
                if target in marts:
                    v = verdicts[marts[target]]
                    if target == uid:
                        v.model_status = res["status"]
                    else:
                        v.checks.append(
                            CheckResult(
                                name=f"upstream {node['name']} built",
                                level="dbt",
                                target=node["name"],
                                passed=False,
                                message=res.get("message") or res["status"],
                            )
                        )
    for mart, checks in affected.items():
        verdicts[mart].checks.extend(checks)
    for uid, name in marts.items():
        if uid not in by_id:
            verdicts[name].model_status = "not_run"
    # Passed tests are recorded too, for the quality report.
    for uid, res in by_id.items():
        node = manifest["nodes"].get(uid)
        if node and node["resource_type"] == "test" and res["status"] == "pass":
            for tested in _tested_nodes(manifest, node):
                if tested in marts:
                    verdicts[marts[tested]].checks.append(
                        CheckResult(name=node["name"], level="dbt", target=marts[tested], passed=True)
                    )
    return verdicts


def upstream_feeds(manifest: dict, unique_id: str) -> set[str]:
    """The registry feed ids of every dbt source upstream of a node (sources carry `meta.feed_id`)."""
    parents = manifest.get("parent_map") or {}
    sources = manifest.get("sources", {})
    seen, stack, feeds = set(), [unique_id], set()
    while stack:
        for parent in parents.get(stack.pop(), []):
            if parent in seen:
                continue
            seen.add(parent)
            if parent in sources:
                fid = (sources[parent].get("meta") or {}).get("feed_id")
                if fid:
                    feeds.add(fid)
            else:
                stack.append(parent)
    return feeds
