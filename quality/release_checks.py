"""Great Expectations checks on the marts a refresh built, against the release now serving, before publishing.

Belongs here: `check_marts(...)`, the release-level audit of write-audit-publish. Per mart rebuilt this run:
  not_empty        at least one row (except marts that may legitimately be empty: no custom area dropped yet)
  columns          the same columns as the previous release's copy, unless the code changed this run
  keys_complete    the mart's key columns have no NULL
  rows_by_source   per source (a mart's `feed_id`, or its `source_feeds`), the rows kept from the previous
                   release: no source loses more than LEVELUP_ROW_TOLERANCE of its rows. Growth is never an error,
                   and a source absent from the previous release is new (e.g. a first restricted delivery adds the
                   m8 shares), never compared: a carried-over copy can never become the baseline that blocks its
                   own refresh, and a new or growing feed holds back nothing.
  completeness     (warning) share of `indicators` rows with a value, per geography level, may not fall by more
                   than LEVELUP_COMPLETENESS_DROP
The facts are computed in DuckDB SQL (one small summary per mart, however large the mart) and judged by a GX
suite on those summaries. Per-indicator drift is judged earlier, per feed version, at ingest
(`quality.feed_checks`), where the version can still be rejected without touching any mart.
Results come back as `core.checks.CheckResult`s.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import pandas as pd

from core.checks import CheckResult
from core.settings import get_settings

MAY_BE_EMPTY = {"custom_area_indicators", "custom_area_lads"}
KEY_COLUMNS = {
    "indicators": ["area_code", "indicator", "period_start", "feed_id", "status"],
    "indicators_harmonised": ["area_code", "indicator", "period_start", "feed_id", "harmonisation_method"],
    "mission_metrics": ["metric_id", "area_code", "status"],
}
SOURCE_COLUMNS = ("feed_id", "source_feeds")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return ctx


def _columns(con, ref: str) -> list[str]:
    return [r[0] for r in con.execute(f"describe select * from {ref}").fetchall()]


def _facts(con, ref: str, prev_ref: str | None, mart: str, code_changed: bool) -> dict:
    cols = _columns(con, ref)
    facts = {"rows": con.execute(f"select count(*) from {ref}").fetchone()[0], "columns": cols}
    keys = [c for c in KEY_COLUMNS.get(mart, []) if c in cols]
    facts["null_keys"] = (
        con.execute(
            f"select count(*) from {ref} where {' or '.join(f'{_q(k)} is null' for k in keys)}"
        ).fetchone()[0]
        if keys
        else 0
    )
    facts["prev_columns"] = _columns(con, prev_ref) if prev_ref else None
    source = next((c for c in SOURCE_COLUMNS if c in cols), None)
    if prev_ref and source and source in facts["prev_columns"]:
        facts["by_source"] = con.execute(
            f"with n as (select coalesce({_q(source)}, '(none)') as source, count(*) as rows from {ref} group by 1), "
            f"p as (select coalesce({_q(source)}, '(none)') as source, count(*) as rows from {prev_ref} group by 1) "
            "select p.source, p.rows as previous_rows, coalesce(n.rows, 0) as rows from p left join n using (source)"
        ).df()
        facts["source_column"] = source
    if mart == "indicators" and prev_ref:
        facts["completeness"] = con.execute(
            f"with n as (select geography_level, avg((value is not null)::int) as share from {ref} group by 1), "
            f"p as (select geography_level, avg((value is not null)::int) as share from {prev_ref} group by 1) "
            "select geography_level, p.share as previous_share, n.share as share from p join n using (geography_level)"
        ).df()
    return facts


def _validate(ctx, name: str, df: pd.DataFrame, expectations: list) -> list:
    import great_expectations as gx

    batch = (
        ctx.data_sources.add_pandas(f"release_{name}")
        .add_dataframe_asset(name=name)
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": df})
    )
    suite = gx.ExpectationSuite(name=name)
    for e in expectations:
        suite.add_expectation(e)
    return batch.validate(suite).results


def check_marts(
    con: duckdb.DuckDBPyConnection,
    marts: dict[str, str],
    previous: dict[str, str],
    *,
    code_changed: bool,
) -> dict[str, list[CheckResult]]:
    """`marts`: mart -> SQL reference of the new copy (e.g. a table of the attached warehouse); `previous`: mart ->
    reference of the copy the current release serves (absent for a new mart)."""
    import great_expectations as gx

    settings = get_settings()
    ctx = _context()
    out: dict[str, list[CheckResult]] = {}
    for mart, ref in marts.items():
        prev_ref = previous.get(mart)
        f = _facts(con, ref, prev_ref, mart, code_changed)
        checks: list[CheckResult] = []
        table = pd.DataFrame([{"rows": f["rows"], "null_keys": f["null_keys"]}])
        exps = [gx.expectations.ExpectColumnValuesToBeBetween(column="null_keys", max_value=0)]
        if mart not in MAY_BE_EMPTY:
            exps.append(gx.expectations.ExpectColumnValuesToBeBetween(column="rows", min_value=1))
        for r in _validate(ctx, f"{mart}_table", table, exps):
            col = r.expectation_config.kwargs["column"]
            checks.append(
                CheckResult(
                    name="keys_complete" if col == "null_keys" else "not_empty",
                    level="great_expectations",
                    target=mart,
                    passed=bool(r.success),
                    message=f"{f[col]} {'row(s) with a NULL key' if col == 'null_keys' else 'rows'}"
                    + (f" ({', '.join(KEY_COLUMNS.get(mart, []))})" if col == "null_keys" else ""),
                )
            )
        if f["prev_columns"] is not None and not code_changed:
            same = set(f["columns"]) == set(f["prev_columns"])
            checks.append(
                CheckResult(
                    name="columns",
                    level="great_expectations",
                    target=mart,
                    passed=same,
                    message="same columns as the previous release"
                    if same
                    else f"columns changed without a code change: added {sorted(set(f['columns']) - set(f['prev_columns']))}, "
                    f"removed {sorted(set(f['prev_columns']) - set(f['columns']))}",
                )
            )
        if "by_source" in f and len(f["by_source"]):
            bs = f["by_source"].copy()
            bs["kept"] = bs["rows"] / bs["previous_rows"]
            floor = 1 - settings.row_tolerance
            res = _validate(
                ctx,
                f"{mart}_sources",
                bs,
                [gx.expectations.ExpectColumnValuesToBeBetween(column="kept", min_value=floor)],
            )
            lost = bs[bs["kept"] < floor]
            checks.append(
                CheckResult(
                    name="rows_by_source",
                    level="great_expectations",
                    target=mart,
                    passed=bool(res[0].success),
                    message=(
                        f"{len(lost)} source(s) lost more than {settings.row_tolerance:.0%} of their rows"
                        if len(lost)
                        else f"{len(bs)} source(s) kept at least {floor:.0%} of their rows (new sources and growth allowed)"
                    ),
                    failing_samples=[
                        {
                            f["source_column"]: r.source,
                            "previous_rows": int(r.previous_rows),
                            "rows": int(r.rows),
                        }
                        for r in lost.itertuples()
                    ],
                    tolerance={"min_kept_share": floor, "by": f["source_column"]},
                )
            )
        if "completeness" in f and len(f["completeness"]):
            comp = f["completeness"].copy()
            comp["drop"] = comp["previous_share"] - comp["share"]
            res = _validate(
                ctx,
                f"{mart}_completeness",
                comp,
                [
                    gx.expectations.ExpectColumnValuesToBeBetween(
                        column="drop", max_value=settings.completeness_drop
                    )
                ],
            )
            worse = comp[comp["drop"] > settings.completeness_drop]
            checks.append(
                CheckResult(
                    name="completeness_by_geography_level",
                    level="great_expectations",
                    target=mart,
                    passed=bool(res[0].success),
                    severity="warn",
                    message=f"{len(worse)} geography level(s) lost more than {settings.completeness_drop:.0%} of "
                    "their values"
                    if len(worse)
                    else "completeness per geography level held",
                    failing_samples=worse.to_dict("records"),
                    tolerance={"max_drop": settings.completeness_drop},
                )
            )
        out[mart] = checks
    return out


def attach(con: duckdb.DuckDBPyConnection, path: Path, alias: str) -> None:
    con.execute(f"ATTACH '{path}' AS {alias} (READ_ONLY)")
