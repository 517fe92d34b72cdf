"""Benchmark: harmonise a synthetic small-area feed and roll it up to every level, three ways in one run.

    LEVELUP_MIRROR=../shared/data python scripts/bench_harmonise.py [--rows 10000000] [--data-dir DIR]

1. Builds the geography lookups (reference feeds only) into DIR with the real ingest + dbt.
2. Generates a synthetic feed: every small area in the lookup (42,619 LSOA11 / data zones / NI SOAs) x years x
   10 indicators (5 counts, 5 rates with numerator and denominator), at least --rows rows, as Parquet.
3. Times, each in its own process (so peak RSS is per path):
     dbt     `dbt run` of int_geography_bench_small_area_rollup (disabled unless var geo_bench_path is set)
     sql     the same logic as hand-written DuckDB SQL on the same warehouse lookups
     pandas  a straightforward pandas implementation (read_parquet, merge, groupby)
   The logic: small area -> April 2025 LAD (a LAD needs all its small areas), then LAD -> CTYUA, CA, region,
   country, ITL1/2/3, PFA (an area needs all its LADs; areas with a partial LAD are skipped). Counts sum;
   rates are recomputed as 1000 * sum(numerator) / sum(denominator).
4. Prints rows/s, peak RSS, the output size and checksum (all three must agree), and the two ratios
   dbt/sql and pandas/sql (wall time).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_DIR = PROJECT_ROOT / "dbt_project"
MODEL = "int_geography_bench_small_area_rollup"
N_INDICATORS = 10  # ind_00..04 counts, ind_05..09 rates

HAND_SQL = """
create or replace temp table bench_sql_result as
with feed as (select * from read_parquet('{parquet}')),
small_areas as (select small_area_code, lad_code from intermediate.int_geography_small_areas),
small_areas_per_lad as (select lad_code, count(*) as n_required from small_areas group by lad_code),
lad as (
    select s.lad_code, f.year, f.indicator, f.measure_type, sum(f.value) as value_sum,
           sum(f.numerator) as numerator, sum(f.denominator) as denominator, count(*) as n_present
    from feed f join small_areas s on s.small_area_code = f.small_area_code
    group by s.lad_code, f.year, f.indicator, f.measure_type),
lad_complete as (
    select l.* from lad l join small_areas_per_lad r on r.lad_code = l.lad_code
    where l.n_present = r.n_required),
members as (
    select b.area_level, b.area_code, b.lad_code, a.n_lads
    from intermediate.int_geography_lad_to_area b
    join intermediate.int_geography_areas a on a.area_level = b.area_level and a.area_code = b.area_code
    where not a.has_partial_lad),
rolled as (
    select m.area_level, m.area_code, l.year, l.indicator, l.measure_type,
           case when l.measure_type = 'count' then sum(l.value_sum)
                else 1000.0 * sum(l.numerator) / sum(l.denominator) end as value,
           count(*) as n_present, any_value(m.n_lads) as n_required
    from lad_complete l join members m on m.lad_code = l.lad_code
    group by m.area_level, m.area_code, l.year, l.indicator, l.measure_type)
select area_level, area_code, year, indicator, measure_type, value from rolled where n_present = n_required
"""


def _peak_rss_mb() -> float:
    """Peak RSS of this process. VmHWM is per address space (reset by exec); ru_maxrss would carry the
    parent's high-water mark over fork + exec on Linux."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _env(data_dir: Path) -> dict:
    env = dict(os.environ)
    env.update(LEVELUP_DATA_DIR=str(data_dir), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    return env


def _dbt_args(data_dir: Path) -> list[str]:
    return [
        "--profiles-dir",
        str(DBT_DIR),
        "--project-dir",
        str(DBT_DIR),
        "--target-path",
        str(data_dir / "dbt-target"),
        "--log-path",
        str(data_dir / "dbt-logs"),
    ]


# ----------------------------------------------------------------------------- setup (parent process)
def build_lookups(data_dir: Path) -> None:
    code = (
        "from core.registry import load_registry; from ingest.pipeline import ingest_feed; "
        "[ingest_feed(f) for f in load_registry().feeds if f.family == 'reference']"
    )
    subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=_env(data_dir), check=True)
    (data_dir / "warehouse").mkdir(parents=True, exist_ok=True)
    dbt = Path(sys.executable).parent / "dbt"
    subprocess.run(
        [
            str(dbt),
            "run",
            *_dbt_args(data_dir),
            "--select",
            "+int_geography_small_areas",
            "+int_geography_lad_to_area",
            "+int_geography_areas",
        ],
        cwd=DBT_DIR,
        env=_env(data_dir),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def generate_feed(data_dir: Path, rows: int) -> tuple[Path, int]:
    import duckdb
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    con = duckdb.connect(str(data_dir / "warehouse" / "warehouse.duckdb"), read_only=True)
    codes = [
        r[0]
        for r in con.execute(
            "select small_area_code from intermediate.int_geography_small_areas order by 1"
        ).fetchall()
    ]
    con.close()
    n_sa = len(codes)
    years = max(1, -(-rows // (n_sa * N_INDICATORS)))  # ceil: at least `rows`
    n = n_sa * years * N_INDICATORS
    rng = np.random.default_rng(2025)
    sa_idx = np.tile(np.arange(n_sa, dtype=np.int32), years * N_INDICATORS)
    year = np.repeat(np.arange(2000, 2000 + years, dtype=np.int16), n_sa * N_INDICATORS)
    ind_idx = np.tile(np.repeat(np.arange(N_INDICATORS, dtype=np.int8), n_sa), years)
    is_rate = ind_idx >= N_INDICATORS // 2
    denominator = rng.integers(500, 3000, n).astype(np.float64)
    numerator = np.floor(denominator * rng.uniform(0.0, 0.2, n))
    count_value = rng.integers(0, 1000, n).astype(np.float64)
    table = pa.table(
        {
            "small_area_code": pa.DictionaryArray.from_arrays(pa.array(sa_idx), pa.array(codes)),
            "year": pa.array(year),
            "indicator": pa.DictionaryArray.from_arrays(
                pa.array(ind_idx), pa.array([f"ind_{i:02d}" for i in range(N_INDICATORS)])
            ),
            "measure_type": pa.array(np.where(is_rate, "rate", "count")).dictionary_encode(),
            "value": pa.array(np.where(is_rate, 1000.0 * numerator / denominator, count_value)),
            "numerator": pa.array(np.where(is_rate, numerator, np.nan)),
            "denominator": pa.array(np.where(is_rate, denominator, np.nan)),
        }
    )
    path = data_dir / "bench_small_area_feed.parquet"
    pq.write_table(table, path, row_group_size=1_000_000)
    return path, n


# ------------------------------------------------------------------------ the three paths (child processes)
def run_dbt(data_dir: Path, parquet: Path) -> dict:
    from dbt.cli.main import dbtRunner

    started = time.perf_counter()
    res = dbtRunner().invoke(
        [
            "run",
            *_dbt_args(data_dir),
            "--select",
            MODEL,
            "--vars",
            json.dumps({"geo_bench_path": str(parquet)}),
            "--quiet",
        ]
    )
    seconds = time.perf_counter() - started
    if not res.success:
        raise SystemExit(f"dbt run failed: {res.exception}")
    # dbt-duckdb keeps its connection in this process: the parent reads the output table afterwards
    return {"seconds": seconds}


def run_sql(data_dir: Path, parquet: Path) -> dict:
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect(str(data_dir / "warehouse" / "warehouse.duckdb"), read_only=True)
    con.execute(HAND_SQL.format(parquet=parquet))
    seconds = time.perf_counter() - started
    out = con.execute("select count(*), sum(value) from bench_sql_result").fetchall()[0]
    con.close()
    return {"seconds": seconds, "out_rows": out[0], "checksum": out[1]}


def run_pandas(data_dir: Path, parquet: Path) -> dict:
    import duckdb
    import pandas as pd

    con = duckdb.connect(str(data_dir / "warehouse" / "warehouse.duckdb"), read_only=True)
    small_areas = con.execute(
        "select small_area_code, lad_code from intermediate.int_geography_small_areas"
    ).df()
    members = con.execute("""select b.area_level, b.area_code, b.lad_code, a.n_lads
        from intermediate.int_geography_lad_to_area b
        join intermediate.int_geography_areas a using (area_level, area_code)
        where not a.has_partial_lad""").df()
    con.close()

    started = time.perf_counter()
    feed = pd.read_parquet(parquet)
    feed["small_area_code"] = feed["small_area_code"].astype(str)
    keys = ["lad_code", "year", "indicator", "measure_type"]
    lad = (
        feed.merge(small_areas, on="small_area_code", how="inner")
        .groupby(keys, observed=True)
        .agg(
            value_sum=("value", "sum"),
            numerator=("numerator", "sum"),
            denominator=("denominator", "sum"),
            n_present=("value", "size"),
        )
        .reset_index()
    )
    required = small_areas.groupby("lad_code").size().rename("n_required").reset_index()
    lad = lad.merge(required, on="lad_code")
    lad = lad[lad["n_present"] == lad["n_required"]].drop(columns=["n_present", "n_required"])
    rolled = (
        lad.merge(members, on="lad_code")
        .groupby(["area_level", "area_code", "year", "indicator", "measure_type"], observed=True)
        .agg(
            value_sum=("value_sum", "sum"),
            numerator=("numerator", "sum"),
            denominator=("denominator", "sum"),
            n_present=("lad_code", "size"),
            n_required=("n_lads", "first"),
        )
        .reset_index()
    )
    rolled = rolled[rolled["n_present"] == rolled["n_required"]]
    rolled["value"] = rolled["value_sum"].where(
        rolled["measure_type"] == "count", 1000.0 * rolled["numerator"] / rolled["denominator"]
    )
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "out_rows": len(rolled), "checksum": float(rolled["value"].sum())}


def child(mode: str, data_dir: Path, parquet: Path) -> None:
    result = {"dbt": run_dbt, "sql": run_sql, "pandas": run_pandas}[mode](data_dir, parquet)
    result["peak_rss_mb"] = _peak_rss_mb()
    print(json.dumps(result))


# ----------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--child", choices=["dbt", "sql", "pandas"], help=argparse.SUPPRESS)
    ap.add_argument("--parquet", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.data_dir, args.parquet)
        return
    if not os.environ.get("LEVELUP_MIRROR"):
        raise SystemExit(
            "LEVELUP_MIRROR must point at the data mirror (the small-area lookup is a reference feed)"
        )
    data_dir = (args.data_dir or Path(tempfile.mkdtemp(prefix="bench-geo-"))).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)

    t = time.perf_counter()
    build_lookups(data_dir)
    print(f"lookups built in {time.perf_counter() - t:.1f}s ({data_dir})")
    t = time.perf_counter()
    parquet, n = generate_feed(data_dir, args.rows)
    print(
        f"synthetic feed: {n:,} rows ({parquet.stat().st_size / 1e6:.0f} MB) "
        f"in {time.perf_counter() - t:.1f}s"
    )

    results = {}
    for mode in ("dbt", "sql", "pandas"):
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                mode,
                "--data-dir",
                str(data_dir),
                "--parquet",
                str(parquet),
            ],
            env=_env(data_dir),
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise SystemExit(f"{mode} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        results[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    import duckdb

    con = duckdb.connect(str(data_dir / "warehouse" / "warehouse.duckdb"), read_only=True)
    out_rows, checksum = con.execute(f"select count(*), sum(value) from intermediate.{MODEL}").fetchall()[0]
    con.close()
    results["dbt"].update(out_rows=out_rows, checksum=checksum)

    print(
        f"\n{'path':<8} {'seconds':>9} {'rows/s':>14} {'peak RSS MB':>12} {'out rows':>10} {'checksum':>20}"
    )
    for mode, r in results.items():
        print(
            f"{mode:<8} {r['seconds']:>9.2f} {n / r['seconds']:>14,.0f} {r['peak_rss_mb']:>12,.0f} "
            f"{r['out_rows']:>10,} {r['checksum']:>20,.2f}"
        )
    sql = results["sql"]["seconds"]
    print(
        f"\nratio dbt/sql    = {results['dbt']['seconds'] / sql:.2f}x  "
        "(dbt adds process start, parse, materialise)"
    )
    print(f"ratio pandas/sql = {results['pandas']['seconds'] / sql:.2f}x")
    rows = {r["out_rows"] for r in results.values()}
    sums = [r["checksum"] for r in results.values()]
    agree = len(rows) == 1 and max(sums) - min(sums) <= 1e-6 * max(abs(s) for s in sums)
    print("outputs agree" if agree else f"OUTPUTS DIFFER: {results}")
    if not agree:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
