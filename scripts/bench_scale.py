"""Benchmark: a national small-area feed through the production path, against its peers, in one run.

`make bench-scale` (default 50M rows; `--rows` to change). A synthetic ESS-format small-area feed
(scripts/bench/generate_small_area_feed.py: every LSOA 2011 / data zone / NI SOA of the registered small-area
lookup x years x 20 industries, ~2% of cells suppressed) is registered through a benchmark-only registry overlay
(scripts/bench/small_area_overlay.yaml) in a copy of the dbt project, and run through the real path:

  1. ingest     `levelup ingest bench-small-area-gva` (fetch from the mirror, sha256, strict typed read, the pandera
                contract in one scan, land), against DuckDB's plain `read_csv` + a group-by of the same file
                                                                                   target: ratio <= 3
  2. full run   `levelup run`: every other feed ingested, dbt (staging -> harmonise to 2025 LADs -> roll up to
                every level -> marts), tests, gate, release; peak RSS of the process tree, per phase
                                                                                   target: <= 4 GB
  3. harmonise  the production models that take small areas to every level (int_geography_small_areas,
                int_geography_rollups, indicators_harmonised; dbt's own run_results timings, full refresh),
                against hand-written DuckDB SQL for the same logic on the same warehouse   target: ratio <= 1.5
                (the two results are compared: same rows, same sums)
  4. pandas     a straightforward pandas implementation (read_csv, merge, groupby) of the same harmonise +
                roll-up, on the first --pandas-rows rows (pandas holds every cell as a Python object: the
                whole file does not fit in this machine's memory), timed in two parts: the read (read_csv and
                typing) and the harmonise + roll-up (merge, groupby). The target compares the harmonise +
                roll-up per row: the production models (stage 3) against pandas' merge + groupby, each from
                its rows in memory                                  target: ours >= 20x faster
                For context, the whole path from the file is compared too (ours: ingest + staging +
                observation table + harmonise; pandas: read + harmonise).
Every timing is the median of --repeats runs, peers measured side by side (alternating) in the same run. The
figures are printed and written to <work>/bench_scale.json.

    LEVELUP_MIRROR=../shared/data .venv/bin/python scripts/bench_scale.py [--rows N] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "scripts"))

from bench.generate_small_area_feed import generate  # noqa: E402
from bench.measure import median, run_measured, spread, table  # noqa: E402

FEED = "bench-small-area-gva"
TABLE = "bench_small_area_gva"
OVERLAY = PROJECT / "scripts" / "bench" / "small_area_overlay.yaml"
HARMONISE_MODELS = ["int_geography_small_areas", "int_geography_rollups", "indicators_harmonised"]
OBSERVATIONS_MODEL = "int_geography_source_observations"  # the table every staging view is read into
GB = 1024.0


def bin_path(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def prepare(work: Path, rows: int, mirror: Path) -> tuple[dict[str, str], Path, int]:
    """The benchmark's mirror (the real one plus the generated file), a fresh data dir and dbt project copy."""
    bench_mirror = work / "mirror"
    (bench_mirror / "bench").mkdir(parents=True, exist_ok=True)
    for part in ("ess", "reference"):
        link = bench_mirror / part
        if not link.exists():
            link.symlink_to((mirror / part).resolve(), target_is_directory=True)
    csv = bench_mirror / "bench" / "small-area-gva.csv"
    meta = csv.with_suffix(".json")
    if not (csv.exists() and meta.exists() and json.loads(meta.read_text()).get("requested_rows") == rows):
        print(f"generating {rows:,} rows ...", flush=True)
        os.environ["LEVELUP_MIRROR"] = str(mirror)
        info = generate(rows, csv) | {"requested_rows": rows}  # whole years: a few more rows than asked
        meta.write_text(json.dumps(info))
    info = json.loads(meta.read_text())
    print(f"feed file: {info['rows']:,} rows, {info['bytes'] / 1e9:.2f} GB ({info['areas']:,} small areas x "
          f"{info['years']} years x {info['industries']} industries)", flush=True)  # fmt: skip
    data = work / "data"
    if data.exists():
        shutil.rmtree(data)
    project = work / "dbt_project"
    if project.exists():
        shutil.rmtree(project)
    shutil.copytree(
        PROJECT / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    (project / "models" / "staging" / "ess" / f"stg_ess__{TABLE}.sql").write_text(
        f"-- benchmark only (scripts/bench_scale.py)\n{{{{ stage_ess_feed(source('ess', '{TABLE}')) }}}}\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env.update(
        LEVELUP_MIRROR=str(bench_mirror),
        LEVELUP_DATA_DIR=str(data),
        LEVELUP_REGISTRY_OVERLAYS=str(OVERLAY),
        LEVELUP_DBT_PROJECT_DIR=str(project),
        PYTHONPATH=str(PROJECT),
    )
    run_measured([bin_path("levelup"), "sync-dbt"], env)
    return env, csv, info["rows"]


PEER_READ_CSV = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    print(con.execute("select indicator, count(*), sum(observation) from read_csv(?) group by indicator",
                      [sys.argv[1]]).fetchall()[:1])
    """
)


def stage_ingest(env: dict[str, str], csv: Path, repeats: int) -> dict:
    data = Path(env["LEVELUP_DATA_DIR"])
    ours, peer, rss = [], [], []
    for i in range(repeats):
        order = ("ours", "peer") if i % 2 == 0 else ("peer", "ours")
        for who in order:
            if who == "ours":
                shutil.rmtree(data / "raw" / FEED, ignore_errors=True)
                m = run_measured([bin_path("levelup"), "ingest", FEED], env)
                if " landed " not in m.stdout:
                    raise SystemExit(f"the benchmark feed did not land:\n{m.stdout}\n{m.stderr}")
                ours.append(m.seconds)
                rss.append(m.peak_rss_mb)
            else:
                m = run_measured([sys.executable, "-c", PEER_READ_CSV, str(csv)], env)
                peer.append(m.seconds)
        print(
            f"  ingest repeat {i + 1}: ours {ours[-1]:.1f} s, read_csv + group by {peer[-1]:.1f} s",
            flush=True,
        )
    return {"ours_s": ours, "peer_s": peer, "ratio": median(ours) / median(peer), "peak_rss_mb": max(rss)}


def stage_full_run(env: dict[str, str]) -> dict:
    seen_dbt = {"yes": False}

    def phase(lines: list[str]) -> str:
        if any("/dbt " in f" {x} " or x.split(" ")[0].endswith("/dbt") for x in lines):
            seen_dbt["yes"] = True
            return "dbt"
        return "gate + release" if seen_dbt["yes"] else "plan + ingest"

    m = run_measured([bin_path("levelup"), "run"], env, phase_of=phase)
    data = Path(env["LEVELUP_DATA_DIR"])
    results = json.loads((data / "warehouse" / "last_build" / "run_results.json").read_text())
    models = {
        r["unique_id"].split(".")[-1]: r["execution_time"]
        for r in results["results"]
        if r["unique_id"].startswith("model.")
    }
    manifest = json.loads((data / "releases" / "current" / "manifest.json").read_text())
    statuses = {name: mart["status"] for name, mart in manifest["marts"].items()}
    return {"seconds": m.seconds, "peak_rss_mb": m.peak_rss_mb, "phase_peak_rss_mb": m.phase_peaks_mb,
            "phase_seconds": m.phase_seconds, "model_seconds": models, "mart_status": statuses}  # fmt: skip


HAND_WRITTEN = textwrap.dedent(
    """
    -- small areas -> target-vintage LADs -> every standard level, counts summed, complete areas only. Reads the
    -- rows the production roll-up reads: the one materialised observation table (the staging views over the
    -- landed file are parsed once, when that table is built, on both sides).
    create or replace table hw.small_areas as
    with lookup as (select * from wh.staging.stg_reference__mysociety_lsoa_to_registry),
         councils as (select registry_code, gss_code from wh.staging.stg_reference__mysociety_uk_local_authorities),
         changes as (select old_code, new_code from wh.intermediate.int_geography_lad_code_changes)
    select l.small_area_code,
           case when l.small_area_code like 'E01%' or l.small_area_code like 'W01%' then 'LSOA11'
                when l.small_area_code like 'S01%' then 'DZ11' else 'NISOA' end as small_area_type,
           coalesce(ch.new_code, c.gss_code) as lad_code
    from lookup as l
    left join councils as c on c.registry_code = l.registry_code
    left join changes as ch on ch.old_code = c.gss_code;

    create or replace table hw.rollups as
    with required as (select lad_code, small_area_type, count(*) as n from hw.small_areas group by all),
    lad as (
        select o.feed_id, o.indicator, o.period_start, o.period_end, s.lad_code,
               sum(o.value) as value, count(o.value) as n_present, any_value(q.n) as n_required
        from wh.intermediate.int_geography_source_observations as o
        join hw.small_areas as s on s.small_area_code = o.area_code
        join required as q on q.lad_code = s.lad_code and q.small_area_type = s.small_area_type
        where o.feed_id = '{feed}' and o.source_level = 'SMALL_AREA'
        group by o.feed_id, o.indicator, o.period_start, o.period_end, s.lad_code, s.small_area_type
        having count(o.value) = any_value(q.n)
    ),
    members as (
        select b.area_level, b.area_code, b.lad_code, a.n_lads
        from wh.intermediate.int_geography_lad_to_area as b
        join wh.intermediate.int_geography_areas as a using (area_level, area_code)
        where b.area_level <> 'LAD' and b.area_code <> b.lad_code and not a.has_partial_lad
    ),
    up as (
        select l.feed_id, l.indicator, l.period_start, l.period_end, m.area_level, m.area_code,
               sum(l.value) as value
        from lad as l join members as m using (lad_code)
        group by all
        having count(*) = any_value(m.n_lads)
    )
    select feed_id, indicator, period_start, period_end, 'LAD' as area_level, lad_code as area_code, value from lad
    union all
    select * from up;
    """
)

RUN_HAND_WRITTEN = textwrap.dedent(
    """
    import sys, duckdb
    warehouse, scratch, sql, memory = sys.argv[1:5]
    con = duckdb.connect(config={"memory_limit": memory})
    con.execute("SET enable_progress_bar = false")
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    con.execute(f"attach '{scratch}' as hw")
    con.execute(open(sql).read())
    con.execute("checkpoint hw")
    """
)


def stage_harmonise(env: dict[str, str], work: Path, repeats: int, first_run_models: dict) -> dict:
    data = Path(env["LEVELUP_DATA_DIR"])
    warehouse = data / "warehouse" / "warehouse.duckdb"
    project = Path(env["LEVELUP_DBT_PROJECT_DIR"])
    sql = work / "hand_written.sql"
    sql.write_text(HAND_WRITTEN.format(feed=FEED))
    scratch = work / "hand_written.duckdb"
    ours = [sum(first_run_models.get(m, 0.0) for m in HARMONISE_MODELS)]
    hand, hand_rss, dbt_rss = [], [], []
    memory = env.get("LEVELUP_DUCKDB_MEMORY_LIMIT", "2GB")
    for i in range(repeats):
        scratch.unlink(missing_ok=True)
        m = run_measured(
            [sys.executable, "-c", RUN_HAND_WRITTEN, str(warehouse), str(scratch), str(sql), memory], env
        )
        hand.append(m.seconds)
        hand_rss.append(m.peak_rss_mb)
        if i < repeats - 1:  # the full run gave the first dbt timing
            target = work / "dbt_target"
            m = run_measured(
                [bin_path("dbt"), "run", "--select", *HARMONISE_MODELS, "--full-refresh", "--project-dir",
                 str(project), "--profiles-dir", str(project), "--target-path", str(target)],
                {**env, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
            )  # fmt: skip
            dbt_rss.append(m.peak_rss_mb)
            results = json.loads((target / "run_results.json").read_text())["results"]
            ours.append(
                sum(r["execution_time"] for r in results if r["unique_id"].split(".")[-1] in HARMONISE_MODELS)
            )
        print(
            f"  harmonise repeat {i + 1}: dbt models {ours[-1]:.1f} s, hand-written SQL {hand[-1]:.1f} s",
            flush=True,
        )
    import duckdb

    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        con.execute(f"attach '{scratch}' as hw (read_only)")
        check = con.execute(
            f"""
            with dbt as (
                select area_level, count(*) as n, sum(value) as total
                from wh.marts.indicators_harmonised where feed_id = '{FEED}' and is_derived group by 1
            ), hw as (select area_level, count(*) as n, sum(value) as total from hw.rollups group by 1)
            select coalesce(d.area_level, h.area_level), d.n, h.n, d.total, h.total
            from dbt as d full join hw as h using (area_level) order by 1
            """
        ).fetchall()
    same = all(
        r[1] == r[2] and abs((r[3] or 0) - (r[4] or 0)) <= 1e-6 * max(1.0, abs(r[3] or 0)) for r in check
    )
    return {"dbt_s": ours, "hand_written_s": hand, "ratio": median(ours) / median(hand), "same_result": same,
            "by_level": [list(r) for r in check], "hand_written_rss_mb": max(hand_rss),
            "dbt_rss_mb": max(dbt_rss) if dbt_rss else None}  # fmt: skip


PANDAS_PEER = textwrap.dedent(
    """
    import sys, time, duckdb, pandas as pd
    csv, warehouse, nrows = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with duckdb.connect(warehouse, read_only=True) as con:  # the reference tables, as a pandas user would have
        small = con.execute("select small_area_code, small_area_type, lad_code from intermediate.int_geography_small_areas").df()
        members = con.execute(
            "select b.area_level, b.area_code, b.lad_code, a.n_lads from intermediate.int_geography_lad_to_area b "
            "join intermediate.int_geography_areas a using (area_level, area_code) "
            "where b.area_level <> 'LAD' and b.area_code <> b.lad_code and not a.has_partial_lad").df()
    t0 = time.perf_counter()
    df = pd.read_csv(csv, nrows=nrows)
    df = df[df["indicator"].notna() & df["areacd"].notna()]
    df["observation"] = pd.to_numeric(df["observation"], errors="coerce")
    t1 = time.perf_counter()  # the rows in memory, typed: what the harmonise + roll-up starts from
    required = small.groupby(["lad_code", "small_area_type"]).size().rename("n_required").reset_index()
    rows = df.merge(small, left_on="areacd", right_on="small_area_code").merge(required, on=["lad_code", "small_area_type"])
    lad = rows.groupby(["indicator", "period", "lad_code", "small_area_type"]).agg(
        value=("observation", "sum"), n_present=("observation", "count"), n_required=("n_required", "first")).reset_index()
    lad = lad[lad["n_present"] == lad["n_required"]]
    up = lad.merge(members, on="lad_code").groupby(["indicator", "period", "area_level", "area_code"]).agg(
        value=("value", "sum"), n=("value", "size"), n_lads=("n_lads", "first")).reset_index()
    up = up[up["n"] == up["n_lads"]]
    t2 = time.perf_counter()
    print(t1 - t0, t2 - t1, len(df), len(lad), len(up))
    """
)


def stage_pandas(env: dict[str, str], csv: Path, rows: int, repeats: int) -> dict:
    """The pandas peer, timed in two parts: reading and typing the rows, then the harmonise + roll-up."""
    warehouse = Path(env["LEVELUP_DATA_DIR"]) / "warehouse" / "warehouse.duckdb"
    read, harmonise, rss = [], [], []
    for i in range(repeats):
        m = run_measured([sys.executable, "-c", PANDAS_PEER, str(csv), str(warehouse), str(rows)], env)
        read_s, harmonise_s = map(float, m.stdout.split()[:2])
        read.append(read_s)
        harmonise.append(harmonise_s)
        rss.append(m.peak_rss_mb)
        print(
            f"  pandas repeat {i + 1}: read {read_s:.1f} s + harmonise {harmonise_s:.1f} s for {rows:,} rows, "
            f"peak {rss[-1]:,.0f} MiB",
            flush=True,
        )
    return {
        "rows": rows, "read_s": read, "harmonise_s": harmonise,
        "seconds": [a + b for a, b in zip(read, harmonise, strict=True)], "peak_rss_mb": max(rss),
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=50_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--pandas-rows", type=int, default=5_000_000)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "levelup-bench-scale",
                    help="working folder (the generated file is kept there between runs)")  # fmt: skip
    args = ap.parse_args()
    mirror = os.environ.get("LEVELUP_MIRROR")
    if not mirror:
        raise SystemExit("set LEVELUP_MIRROR (the real sources; the synthetic feed is added beside them)")
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    env, csv, rows = prepare(work, args.rows, Path(mirror).resolve())  # rows: as generated
    print("1. ingest vs DuckDB read_csv + group by", flush=True)
    ingest = stage_ingest(env, csv, args.repeats)
    print("2. full levelup run (every feed, dbt, gate, release)", flush=True)
    full = stage_full_run(env)
    print("3. harmonise + roll-up: production dbt models vs hand-written DuckDB SQL", flush=True)
    harmonise = stage_harmonise(env, work, args.repeats, full["model_seconds"])
    print("4. pandas peer", flush=True)
    pandas_rows = min(args.pandas_rows, rows)
    pandas = stage_pandas(env, csv, pandas_rows, args.repeats)

    # the staging model is a view over the landed file: the file is parsed when the one observation table that
    # reads every staging view is built, so that model's time is part of ours
    staging = sum(full["model_seconds"].get(m, 0.0) for m in (f"stg_ess__{TABLE}", OBSERVATIONS_MODEL))
    ours_total = median(ingest["ours_s"]) + staging + median(harmonise["dbt_s"])
    # the issue's figure: harmonise + roll-up, ours (the production models) against pandas' same logic, each from
    # its rows in memory (the observation table; a typed DataFrame), per row
    pandas_per_row = median(pandas["harmonise_s"]) / pandas_rows
    speedup = pandas_per_row / (median(harmonise["dbt_s"]) / rows)
    # the same for the hand-written SQL: how far any SQL on this machine gets ahead of pandas
    ceiling = pandas_per_row / (median(harmonise["hand_written_s"]) / rows)
    # context: the whole path from the file (ours: ingest + staging + observation table + harmonise; pandas:
    # read_csv + harmonise)
    speedup_end_to_end = (median(pandas["seconds"]) / pandas_rows) / (ours_total / rows)
    run_peak = max(full["peak_rss_mb"], ingest["peak_rss_mb"])
    figures = {
        "rows": rows, "ingest": ingest, "full_run": full, "harmonise": harmonise, "pandas": pandas,
        "ours_seconds_ingest_staging_harmonise": ours_total, "pandas_speedup_per_row": speedup,
        "pandas_speedup_per_row_end_to_end": speedup_end_to_end, "hand_written_speedup_per_row": ceiling,
        "pandas_rss_extrapolated_mb": pandas["peak_rss_mb"] * rows / pandas_rows,
    }  # fmt: skip
    (work / "bench_scale.json").write_text(json.dumps(figures, indent=2, default=str))

    ok = {True: "met", False: "MISSED"}
    print()
    print(f"national small-area benchmark: {rows:,} rows, medians of {args.repeats} (min-max)")
    print(table([
        ["ingest (levelup ingest)", spread(ingest["ours_s"]), "s", ""],
        ["  peer: DuckDB read_csv + group by", spread(ingest["peer_s"]), "s", ""],
        ["  ratio ours / read_csv", f"{ingest['ratio']:.2f}", "x", f"<= 3: {ok[ingest['ratio'] <= 3]}"],
        ["harmonise + roll-up (dbt models)", spread(harmonise["dbt_s"]), "s", ", ".join(HARMONISE_MODELS)],
        ["  peer: hand-written DuckDB SQL", spread(harmonise["hand_written_s"]), "s",
         "same rows and sums" if harmonise["same_result"] else "RESULTS DIFFER"],
        ["  ratio dbt / hand-written", f"{harmonise['ratio']:.2f}", "x", f"<= 1.5: {ok[harmonise['ratio'] <= 1.5]}"],
        [f"  peer: pandas merge + groupby, {pandas_rows:,} rows", spread(pandas["harmonise_s"]), "s",
         "the same logic, from a typed DataFrame"],
        ["  speed-up per row, dbt models vs pandas", f"{speedup:.1f}", "x", f">= 20: {ok[speedup >= 20]}"],
        ["  speed-up per row, hand-written SQL vs pandas", f"{ceiling:.1f}", "x", "the same logic in plain DuckDB"],
        ["ours: ingest + staging + harmonise", f"{ours_total:.1f}", "s", f"staging + {OBSERVATIONS_MODEL} {staging:.1f} s"],
        [f"  peer: pandas read_csv + harmonise, {pandas_rows:,} rows", spread(pandas["seconds"]), "s",
         f"peak {pandas['peak_rss_mb']:,.0f} MiB (x{rows / pandas_rows:.0f} rows: "
         f"~{figures['pandas_rss_extrapolated_mb'] / GB:,.0f} GB)"],
        ["  speed-up per row, end to end", f"{speedup_end_to_end:.1f}", "x", "context: from the file"],
        ["full levelup run (cold)", f"{full['seconds']:.1f}", "s", ""],
        ["peak RSS, ingest of the feed", f"{ingest['peak_rss_mb'] / GB:.2f}", "GB", f"<= 2: {ok[ingest['peak_rss_mb'] <= 2 * GB]}"],
        *[[f"peak RSS, run: {k}", f"{v / GB:.2f}", "GB", f"{full['phase_seconds'].get(k, 0):.0f} s"]
          for k, v in full["phase_peak_rss_mb"].items()],
        ["peak RSS, whole run", f"{run_peak / GB:.2f}", "GB", f"<= 4: {ok[run_peak <= 4 * GB]}"],
    ], ["figure", "value", "unit", "note"]))  # fmt: skip
    held = {k: v for k, v in full["mart_status"].items() if v not in ("fresh", "unchanged", "identical")}
    if held:
        print(f"note: marts not fresh in the benchmark release: {held}")
    print(f"figures: {work / 'bench_scale.json'}")


if __name__ == "__main__":
    main()
