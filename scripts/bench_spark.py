"""Benchmark: the synthetic national small-area feed through staging -> harmonise -> roll-up on DuckDB and on Spark.

`make bench-spark` (ROWS=..., default 2M and 8M rows: minutes, not hours, on 2 cores). For each size, the feed of
`make bench-scale` (scripts/bench/generate_small_area_feed.py, registered by the benchmark-only overlay
scripts/bench/small_area_overlay.yaml in a copy of the dbt project, prepared by scripts/bench_scale.py's
`prepare`) is landed with every other feed by one real `levelup run`; then the same dbt models
(`+indicators_harmonised`: the feed's staging, int_geography_source_observations, the small-area harmonisation,
the roll-ups to every level, the mart) are built with --full-refresh on each engine, alternating, --repeats
times:

  duckdb   dbt-duckdb, the production target (memory limit LEVELUP_DUCKDB_MEMORY_LIMIT, spilling beyond it)
  spark    dbt-spark, `method: session`: local[2] pyspark in the dbt process (seeds loaded once beforehand)

Printed per engine: median wall time of the dbt invocation and peak RSS of its process tree (dbt + JVM;
scripts/bench/measure.py samples the tree). From the two sizes, a straight line per engine (time = fixed +
rows x per-row cost) gives the crossover row count where local Spark would overtake DuckDB on this machine,
if its per-row cost is lower; else the measured statement that it does not, and whether DuckDB's extrapolated
peak memory stays within 24 GB. Figures are also written to <work>/bench_spark.json.

    LEVELUP_MIRROR=../shared/data .venv/bin/python scripts/bench_spark.py [--rows 2000000 8000000] [--repeats 2]
    .venv/bin/python scripts/bench_spark.py --report <work>/bench_spark.json    # print a saved run again
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
sys.path.insert(0, str(PROJECT))

from bench.measure import median, run_measured, table  # noqa: E402
from bench_scale import bin_path, prepare  # noqa: E402

SELECT = ["--select", "+indicators_harmonised", "--exclude", "path:models/intermediate/analysis"]
MEMORY_CAP_GB = 24.0


def dbt_cmd(project: Path, target: str, verb: list[str], target_path: Path) -> list[str]:
    return [bin_path("dbt"), *verb, "--target", target, "--project-dir", str(project), "--profiles-dir",
            str(project), "--target-path", str(target_path)]  # fmt: skip


def spark_env(env: dict[str, str]) -> dict[str, str]:
    """What warehouse.spark.spark_environment sets, for a dbt run measured here (same settings)."""
    from warehouse.spark import spark_environment

    return {
        **env,
        **spark_environment(Path(env["LEVELUP_DATA_DIR"])),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def measure_size(work: Path, rows: int, mirror: Path, repeats: int) -> tuple[int, dict]:
    """(rows as generated, figures per engine)."""
    env, _, rows = prepare(work, rows, mirror)  # rows: as generated (whole years)
    project = Path(env["LEVELUP_DBT_PROJECT_DIR"])
    data = Path(env["LEVELUP_DATA_DIR"])
    print(f"  landing every feed ({rows:,} small-area rows) with one levelup run ...", flush=True)
    m = run_measured([bin_path("levelup"), "run"], env)
    if m.returncode not in (0, 1):
        raise SystemExit(f"levelup run failed:\n{m.stdout[-3000:]}\n{m.stderr[-3000:]}")
    senv = spark_env(env)
    (data / "warehouse" / "spark").mkdir(parents=True, exist_ok=True)
    seed = run_measured(dbt_cmd(project, "spark", ["seed"], work / "spark_target"), senv)
    if seed.returncode != 0:
        raise SystemExit(f"dbt seed on Spark failed:\n{seed.stdout[-3000:]}")
    out: dict[str, dict] = {"duckdb": {"s": [], "rss_mb": []}, "spark": {"s": [], "rss_mb": []}}
    for i in range(repeats):
        for engine in ("duckdb", "spark") if i % 2 == 0 else ("spark", "duckdb"):
            cmd = dbt_cmd(
                project,
                "warehouse" if engine == "duckdb" else "spark",
                ["run", *SELECT, "--full-refresh"],
                work / f"{engine}_target",
            )
            m = run_measured(
                cmd, senv if engine == "spark" else {**env, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
            )
            if m.returncode != 0:
                raise SystemExit(f"dbt on {engine} failed:\n{m.stdout[-4000:]}")
            out[engine]["s"].append(m.seconds)
            out[engine]["rss_mb"].append(m.peak_rss_mb)
            print(f"  {rows:,} rows, {engine}: {m.seconds:.1f} s, peak {m.peak_rss_mb:,.0f} MiB", flush=True)
    shutil.rmtree(data / "warehouse" / "spark", ignore_errors=True)
    return rows, {
        e: {"median_s": median(v["s"]), "peak_rss_mb": max(v["rss_mb"]), **v} for e, v in out.items()
    }


def crossover(sizes: list[int], res: dict[int, dict]) -> tuple[str, dict]:
    lo, hi = sizes[0], sizes[-1]
    fit = {}
    for e in ("duckdb", "spark"):
        b = (res[hi][e]["median_s"] - res[lo][e]["median_s"]) / (hi - lo)  # seconds per row
        a = res[lo][e]["median_s"] - b * lo
        m = (res[hi][e]["peak_rss_mb"] - res[lo][e]["peak_rss_mb"]) / (hi - lo)
        fit[e] = {"fixed_s": a, "s_per_million_rows": b * 1e6, "rss_mb_per_million_rows": m * 1e6}
    d, s = fit["duckdb"], fit["spark"]
    if s["s_per_million_rows"] < d["s_per_million_rows"]:
        n = (s["fixed_s"] - d["fixed_s"]) / ((d["s_per_million_rows"] - s["s_per_million_rows"]) / 1e6)
        return (
            f"local Spark would overtake DuckDB at about {n:,.0f} rows (linear fit of {lo:,} and {hi:,})",
            fit,
        )
    growth = d["rss_mb_per_million_rows"]
    if growth <= 0:
        memory = (
            f"DuckDB's peak memory did not grow with rows ({res[lo]['duckdb']['peak_rss_mb']:,.0f} MiB at {lo:,}, "
            f"{res[hi]['duckdb']['peak_rss_mb']:,.0f} MiB at {hi:,}): it is bounded by its memory limit and "
            "spills beyond it, so 24 GB does not bound the rows it can take"
        )
    else:
        cap_rows = (MEMORY_CAP_GB * 1024 - res[hi]["duckdb"]["peak_rss_mb"]) / growth * 1e6
        memory = (
            f"DuckDB's peak memory grows {growth:.0f} MiB per million rows, i.e. within {MEMORY_CAP_GB:.0f} GB up "
            f"to ~{hi + cap_rows:,.0f} rows"
        )
    return (
        f"local Spark does not overtake DuckDB: its cost per million rows ({s['s_per_million_rows']:.2f} s) is not "
        f"below DuckDB's ({d['s_per_million_rows']:.2f} s) on this machine, so there is no crossover; {memory}",
        fit,
    )


def report(res: dict[int, dict]) -> tuple[str, dict]:
    """Print the table, the ratios and the verdict of the figures per size; return (verdict, fit)."""
    sizes = sorted(res)
    rows_out = [
        [f"{n:,}", e, f"{res[n][e]['median_s']:.1f}", f"{res[n][e]['peak_rss_mb']:,.0f}"]
        for n in sizes
        for e in ("duckdb", "spark")
    ]
    print(table(rows_out, ["rows", "engine", "median s", "peak RSS MiB"]))
    for n in sizes:
        print(
            f"{n:,} rows: Spark / DuckDB time ratio {res[n]['spark']['median_s'] / res[n]['duckdb']['median_s']:.1f}"
        )
    verdict, fit = crossover(sizes, res) if len(sizes) > 1 else ("one size only: no crossover estimate", {})
    print(verdict)
    return verdict, fit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[2_000_000, 8_000_000])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "levelup-bench-spark")
    ap.add_argument(
        "--report", type=Path, help="print the figures of a saved bench_spark.json; measure nothing"
    )
    args = ap.parse_args()
    if args.report:
        saved = json.loads(args.report.read_text())
        report({int(k): v for k, v in saved["results"].items()})
        return
    mirror = os.environ.get("LEVELUP_MIRROR")
    if not mirror:
        raise SystemExit("set LEVELUP_MIRROR (the real sources; the synthetic feed is added beside them)")
    res = {}
    for asked in sorted(args.rows):
        work = (args.work / str(asked)).resolve()
        work.mkdir(parents=True, exist_ok=True)
        print(f"{asked:,} rows asked", flush=True)
        got, figures = measure_size(work, asked, Path(mirror).resolve(), args.repeats)
        res[got] = figures
    sizes = sorted(res)
    verdict, fit = report(res)
    (args.work / "bench_spark.json").write_text(
        json.dumps(
            {"sizes": sizes, "results": {str(k): v for k, v in res.items()}, "fit": fit, "verdict": verdict},
            indent=2,
        )  # fmt: skip
    )


if __name__ == "__main__":
    main()
