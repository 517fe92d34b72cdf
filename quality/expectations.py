"""Great Expectations suites run on a staged release's marts, before it is promoted.

Belongs here: the suites (expected columns, row counts within tolerance of the previous release, key columns
complete, per-indicator drift for the `indicators` mart) and running them on pandas batches (GX's
SQLAlchemy/DuckDB path silently fails, see STACK-NOTES). Results come back as `quality.gate.CheckResult`s.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import pandas as pd

from core.checks import CheckResult
from core.settings import get_settings

ROW_TOLERANCE = get_settings().row_tolerance  # ±25% vs previous release
DRIFT_TOLERANCE = 0.5  # indicator mean may move ±50%
COMPLETENESS_DROP = get_settings().completeness_drop  # share of rows with a value

# Marts that are legitimately empty (no analyst has dropped a custom area yet).
MAY_BE_EMPTY = {"custom_area_indicators", "custom_area_lads"}

KEY_COLUMNS = {
    "indicators": ["area_code", "indicator", "period_start", "feed_id", "status"],
}


def _context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return ctx


def _suite_for(mart: str, df: pd.DataFrame, previous: pd.DataFrame | None):
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=f"{mart}_release")
    if mart not in MAY_BE_EMPTY:
        suite.add_expectation(gx.expectations.ExpectTableRowCountToBeBetween(min_value=1))
    if previous is not None and len(previous):
        n = len(previous)
        suite.add_expectation(
            gx.expectations.ExpectTableRowCountToBeBetween(
                min_value=int(n * (1 - ROW_TOLERANCE)), max_value=int(n * (1 + ROW_TOLERANCE)) + 1
            )
        )
        suite.add_expectation(gx.expectations.ExpectTableColumnsToMatchSet(column_set=list(previous.columns)))
    for col in KEY_COLUMNS.get(mart, []):
        suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column=col))
    if mart == "indicators" and previous is not None and len(previous):
        # Completeness per geography level: the share of rows with a value may not fall by more than
        # COMPLETENESS_DROP against the previous release. Reported as a warning: suppression rates do move.
        prev_share = previous.groupby("geography_level")["value"].apply(lambda v: v.notna().mean())
        for level, share in prev_share.items():
            if level in set(df["geography_level"].dropna()):
                suite.add_expectation(
                    gx.expectations.ExpectColumnValuesToNotBeNull(
                        column="value",
                        mostly=max(0.0, round(float(share) - COMPLETENESS_DROP, 4)),
                        row_condition=f'geography_level=="{level}"',
                        condition_parser="pandas",
                        meta={"severity": "warn", "geography_level": level},
                    )
                )
    return suite


def _drift(df: pd.DataFrame, previous: pd.DataFrame | None) -> list[CheckResult]:
    """Per (feed, indicator): the mean of published values must stay within DRIFT_TOLERANCE of the previous
    release's mean (catches a silently rescaled column: pounds become pence, % becomes a fraction)."""
    if previous is None or not {"feed_id", "indicator", "value"} <= set(df.columns) <= set(df.columns):
        return []
    cur = df.groupby(["feed_id", "indicator"])["value"].mean()
    old = previous.groupby(["feed_id", "indicator"])["value"].mean()
    both = pd.concat({"current": cur, "previous": old}, axis=1).dropna()
    both = both[both["previous"].abs() > 0]
    ratio = both["current"] / both["previous"]
    bad = both[(ratio < 1 - DRIFT_TOLERANCE) | (ratio > 1 + DRIFT_TOLERANCE)]
    samples = [
        {"feed_id": f, "indicator": i, "mean_now": round(r.current, 4), "mean_before": round(r.previous, 4)}
        for (f, i), r in bad.iterrows()
    ]
    return [
        CheckResult(
            name="indicator_mean_drift",
            level="great_expectations",
            target="indicators",
            passed=not samples,
            message=(
                f"{len(samples)} indicator(s) moved more than ±{DRIFT_TOLERANCE:.0%} in mean vs the previous release"
                if samples
                else f"{len(both)} indicators within ±{DRIFT_TOLERANCE:.0%} of the previous mean"
            ),
            failing_samples=samples,
        )
    ]


def validate_release(
    staged_db: Path, previous_db: Path | None, marts: list[str]
) -> dict[str, list[CheckResult]]:
    ctx = _context()
    ds = ctx.data_sources.add_pandas("release")
    out: dict[str, list[CheckResult]] = {}
    with duckdb.connect(str(staged_db), read_only=True) as con:
        prev_con = (
            duckdb.connect(str(previous_db), read_only=True) if previous_db and previous_db.exists() else None
        )
        try:
            prev_tables = (
                {
                    r[0]
                    for r in prev_con.execute("select table_name from information_schema.tables").fetchall()
                }
                if prev_con
                else set()
            )
            for mart in marts:
                df = con.execute(f'select * from "{mart}"').df()
                previous = prev_con.execute(f'select * from "{mart}"').df() if mart in prev_tables else None
                asset = ds.add_dataframe_asset(name=mart)
                batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
                    batch_parameters={"dataframe": df}
                )
                result = batch.validate(_suite_for(mart, df, previous))
                checks = []
                for r in result.results:
                    cfg = r.expectation_config
                    kwargs = {k: v for k, v in cfg.kwargs.items() if k not in ("batch_id",)}
                    observed = r.result.get("observed_value", r.result.get("unexpected_count"))
                    shown = {
                        k: v
                        for k, v in kwargs.items()
                        if k not in ("column_set", "condition_parser", "row_condition")
                    }
                    if (cfg.meta or {}).get("geography_level"):
                        shown["geography_level"] = cfg.meta["geography_level"]
                    checks.append(
                        CheckResult(
                            name=f"{cfg.type}({', '.join(f'{k}={v}' for k, v in shown.items())})",
                            level="great_expectations",
                            target=mart,
                            passed=bool(r.success),
                            severity=(cfg.meta or {}).get("severity", "error"),
                            message=f"observed {observed}",
                            failing_samples=[
                                {"value": v} for v in (r.result.get("partial_unexpected_list") or [])[:5]
                            ],
                        )
                    )
                if mart == "indicators":
                    checks += _drift(df, previous)
                out[mart] = checks
        finally:
            if prev_con:
                prev_con.close()
    return out
