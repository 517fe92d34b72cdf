"""Benchmark: what a refresh costs, from a cold data dir to nothing changed, against the framework floor.

`make bench` runs `levelup run` over the mirror in a temporary data dir (the real ./data is untouched):
  cold          empty data dir: every feed ingested, every model built, a release published
  no change     the same command again: nothing changed, so no dbt work and no new release  target: <= 10 s
  one feed      one feed's source revised (a copy of the mirror where one value of one ESS file moved):
                only that feed's lineage rebuilt, unchanged marts carried over
  full refresh  `levelup run --force`: every feed re-checked, every model rebuilt, every mart recomputed
  floor         `levelup run --job noop`: the same command running an empty Dagster job (process start,
                settings, lock, Dagster instance and run) - the framework floor
Each figure is the median of --repeats runs (min-max), with its peak RSS (whole process tree); ratios are taken
against the floor measured in the same run. Needs LEVELUP_MIRROR (the real sources).

    LEVELUP_MIRROR=../shared/data .venv/bin/python scripts/bench_refresh.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "scripts"))

from bench.measure import median, run_measured, spread, table  # noqa: E402
from bench.mirrors import revised_mirror  # noqa: E402

REVISED_FEED = "ess/gross-median-weekly-pay/gross-median-weekly-pay.csv"  # the feed whose source moves


def levelup(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "levelup"), *args]


def releases(data: Path) -> list[str]:
    folder = data / "releases"
    return (
        sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.is_symlink())
        if folder.is_dir()
        else []
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    mirror = os.environ.get("LEVELUP_MIRROR")
    if not mirror:
        raise SystemExit("set LEVELUP_MIRROR (e.g. LEVELUP_MIRROR=../shared/data)")
    mirror = Path(mirror).resolve()
    with tempfile.TemporaryDirectory(prefix="levelup-bench-refresh-") as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
        env.update(LEVELUP_DATA_DIR=str(data), LEVELUP_MIRROR=str(mirror), PYTHONPATH=str(PROJECT))
        figures: dict[str, list] = {}

        def record(name: str, m) -> None:
            figures.setdefault(name, []).append(m)

        print("cold run (empty data dir) ...", flush=True)
        record("cold", run_measured(levelup("run"), env))
        no_change_releases = 0
        for i in range(args.repeats):
            print(f"repeat {i + 1}: no change, floor, forced full refresh ...", flush=True)
            before = releases(data)
            record("no change", run_measured(levelup("run"), env))
            no_change_releases += len(releases(data)) - len(before)
            record("floor", run_measured(levelup("run", "--job", "noop"), env))
            record("full refresh", run_measured(levelup("run", "--force"), env))
        # one feed: each repeat revises the feed again relative to the real file (a new version every time)
        one_feed_models = []
        for i in range(args.repeats):
            print(f"repeat {i + 1}: one feed's source revised ...", flush=True)
            revised = tmp / f"mirror-{i}"
            revised_mirror(mirror, revised, REVISED_FEED)
            if i % 2 == 1:  # alternate between the revised and the real file, so each run sees a change
                shutil.rmtree(revised)
                revised = mirror
            m = run_measured(levelup("run"), {**env, "LEVELUP_MIRROR": str(revised)})
            record("one feed", m)
            run_results = json.loads((data / "warehouse" / "last_build" / "run_results.json").read_text())
            one_feed_models.append(
                sum(1 for r in run_results["results"] if r["unique_id"].startswith("model."))
            )
        total_models = sum(
            1
            for n in json.loads((data / "warehouse" / "last_build" / "manifest.json").read_text())[
                "nodes"
            ].values()
            if n["resource_type"] == "model"
        )

    floor = median([m.seconds for m in figures["floor"]])
    rows = []
    for name in ("cold", "no change", "one feed", "full refresh", "floor"):
        secs = [m.seconds for m in figures[name]]
        rss = max(m.peak_rss_mb for m in figures[name])
        note = {
            "no change": f"<= 10 s: {'met' if median(secs) <= 10 else 'MISSED'}; new releases: {no_change_releases}",
            "one feed": f"{median(one_feed_models):.0f} of {total_models} dbt models rebuilt",
            "full refresh": f"ratio to floor {median(secs) / floor:.1f}x (target <= 2)",
            "cold": f"ratio to floor {median(secs) / floor:.1f}x",
        }.get(name, "Dagster job with no op")
        rows.append([name, spread(secs), f"{rss:,.0f}", note])
    print()
    print(table(rows, ["run", "wall s, median (min-max)", "peak RSS MiB", "note"]))


if __name__ == "__main__":
    main()
