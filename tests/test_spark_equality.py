"""The same dbt project on Spark gives the same marts as on DuckDB (issue 18).

The inputs are the real mirror's feeds landed by the project's own ingest: the raw zone of the `published` fixture
(one real `levelup run`). DuckDB's side is that run's release (`marts.duckdb`); Spark's side is `dbt build
--target spark --selector portable` over the same raw zone, in a local pyspark session started and stopped by
the dbt process (local[2], 2 shuffle partitions, no UI, bound to 127.0.0.1; the whole process group is killed
after the timeout). The harmonisation and mission marts are then compared row by row, in DuckDB, reading the
Parquet files Spark wrote: the keys (each mart's grain) must match exactly, every other column must be equal,
floating-point columns within a relative tolerance of 1e-9 (|a - b| <= 1e-9 * max(1, |a|, |b|)): the two
engines add and multiply doubles in different orders.

The build runs with Spark's whole-stage code generation and adaptive execution off (settings spark_codegen,
spark_adaptive): on the mirror's small inputs, generating and JIT-compiling code per query costs about as much as
it saves (machine CPU of the same build, four runs each: 378-406 s with both on, median 400; 334-420 s with both
off, median 366). The driver's JIT compiles fewer methods (spark_java_options -XX:CompileThresholdScaling=5: a
method is compiled after 5x the calls): with both off, 347 and 349 s without it, 315, 295 and 275 s with it (20
would be 320 s). The build is one dbt process, so its tables need no metastore that outlives the session: the
catalog is Spark's in-memory one (spark_catalog), not Hive's Derby metastore (with both of the above, alternating:
Hive 311 and 303 s, in-memory 297 and 261 s; earlier one run each, 284 against 252 s). They change how Spark
executes a plan and where it keeps the table names, not what it computes; the Parquet files compared are the same.

Run alone: `pytest -m spark`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import pytest

from warehouse.spark import run_dbt_spark, spark_warehouse

pytestmark = [
    pytest.mark.spark,
    pytest.mark.mirror,
    pytest.mark.xdist_group("spark"),
    pytest.mark.skipif(
        importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("dbt.adapters.spark") is None,
        reason="pyspark / dbt-spark are not installed (pip install '.[spark]')",
    ),
]

# mart -> its grain (the columns that identify a row)
MARTS = {
    "indicators_harmonised": ["feed_id", "area_code", "indicator", "period_start", "period_end"],
    "geography": ["lad_code"],
    "custom_area_indicators": ["custom_area", "feed_id", "indicator", "period_start", "period_end"],
    "mission_metrics": ["metric_id", "area_code", "period_start", "period_end"],
    "mission_gaps": ["metric_id", "period_start", "period_end"],
    "mission_gap_groups": ["metric_id", "period_start", "period_end", "area_code"],
}
REL_TOL = 1e-9
SPARK_TIMEOUT_S = 900


@pytest.fixture(scope="module")
def spark_build(published, tmp_path_factory):
    """dbt build of the portable selection on Spark over the published raw zone (and its restricted export)."""
    assert published.returncode == 0, published.stderr[-2000:]
    from core.settings import get_settings

    data = tmp_path_factory.mktemp("spark") / "data"
    data.mkdir()
    if (published.data / "restricted").exists():
        (data / "restricted").symlink_to(published.data / "restricted")  # read only: the open export
    with pytest.MonkeyPatch.context() as env:  # small inputs: interpreted expressions, fixed plans
        env.setenv("LEVELUP_SPARK_CODEGEN", "false")
        env.setenv("LEVELUP_SPARK_ADAPTIVE", "false")
        env.setenv("LEVELUP_SPARK_JAVA_OPTIONS", "-XX:CompileThresholdScaling=5")
        env.setenv("LEVELUP_SPARK_CATALOG", "in-memory")  # one build in one session: no metastore to keep
        proc = run_dbt_spark(
            get_settings().dbt_project_dir,
            [
                "build",
                "--selector",
                "portable",
                "--indirect-selection",
                "cautious",
                "--exclude-resource-type",
                "unit_test",
            ],
            data,
            target_path=data / "dbt_target",
            log_path=data / "dbt_logs",
            timeout=SPARK_TIMEOUT_S,
            raw_location=str(published.data / "raw"),
        )
    return data, proc


def test_dbt_build_on_spark_passes(spark_build):
    """Every model of the portable selection builds on Spark and every dbt data test on it passes (the dbt
    unit tests are written against DuckDB's literal syntax and stay DuckDB-only)."""
    _, proc = spark_build
    assert proc.ok, (
        f"dbt build on Spark failed (exit {proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}"
    )
    assert "ERROR=0" in proc.stdout, proc.stdout[-3000:]


def mart_differences(duck_db: Path, folder: Path, mart: str) -> list[str]:
    """What differs between the mart in DuckDB's `duck_db` and the Parquet table Spark wrote in `folder`."""
    keys = MARTS[mart]
    con = duckdb.connect()
    con.execute(f"attach '{duck_db}' as duck (read_only)")
    if any(folder.rglob("*.parquet")):
        con.execute(
            f"create view spark as select * from read_parquet('{folder}/**/*.parquet', hive_partitioning = true)"
        )
    else:  # an empty table: Spark writes no data file; take the columns from DuckDB's side
        con.execute(f"create view spark as select * from duck.main.{mart} where false")
    rel = con.sql(f"select * from duck.main.{mart} limit 0")
    types = dict(zip(rel.columns, rel.types, strict=True))
    spark_cols = con.sql("select * from spark limit 0").columns
    if sorted(types) != sorted(spark_cols):
        return [f"columns differ: {set(types) ^ set(spark_cols)}"]
    n_duck = con.execute(f"select count(*) from duck.main.{mart}").fetchall()[0][0]
    n_spark = con.execute("select count(*) from spark").fetchall()[0][0]
    if n_duck != n_spark:
        return [f"{n_duck} rows on DuckDB, {n_spark} on Spark"]
    dups = con.execute(
        f"select count(*) from (select {', '.join(keys)} from spark group by all having count(*) > 1)"
    )
    if dups.fetchall()[0][0]:
        return [f"Spark's rows are not unique on {keys}"]
    on = " and ".join(f"d.{k} is not distinct from s.{k}" for k in keys)
    dk, sk = ", ".join("d." + k for k in keys), ", ".join("s." + k for k in keys)
    missing = con.sql(f"select {dk} from duck.main.{mart} d anti join spark s on {on} limit 5").fetchall()
    extra = con.sql(f"select {sk} from spark s anti join duck.main.{mart} d on {on} limit 5").fetchall()
    if missing or extra:
        return [f"keys only on DuckDB {missing}; only on Spark {extra}"]
    problems = []
    numeric = ("DOUBLE", "FLOAT", "REAL", "INTEGER", "BIGINT", "SMALLINT", "HUGEINT")
    for c, t in types.items():
        if c in keys:
            continue
        t = str(t).upper()
        if t in numeric or t.startswith("DECIMAL"):
            a, b = f"cast(d.{c} as double)", f"cast(s.{c} as double)"
            differs = (
                f"not ((d.{c} is null and s.{c} is null) "
                f"or abs({a} - {b}) <= {REL_TOL} * greatest(1, abs({a}), abs({b})))"
            )
        else:
            differs = f"cast(d.{c} as varchar) is distinct from cast(s.{c} as varchar)"
        n = con.sql(
            f"select count(*) from duck.main.{mart} d join spark s on {on} where {differs}"
        ).fetchall()[0][0]
        if n:
            rows = con.sql(
                f"select {dk}, d.{c}, s.{c} from duck.main.{mart} d join spark s on {on} where {differs} limit 3"
            ).fetchall()
            problems.append(f"{c}: {n} rows differ, e.g. (key..., DuckDB, Spark) {rows}")
    return problems


@pytest.mark.parametrize("mart", list(MARTS))
def test_mart_equal_on_both_engines(spark_build, published, mart):
    data, proc = spark_build
    folder = spark_warehouse(data) / "marts.db" / mart
    assert folder.is_dir(), f"Spark did not write marts.{mart} ({folder}); dbt said:\n{proc.stdout[-3000:]}"
    problems = mart_differences(published.release / "marts.duckdb", folder, mart)
    assert not problems, f"{mart}: DuckDB and Spark differ:\n" + "\n".join(problems)
