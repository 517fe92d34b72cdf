"""Checks a new version of a feed must pass, against the feed's own history, before it becomes current.

Belongs here: `check_version(candidate)`, the `accept` hook that orchestration gives `ingest.pipeline.ingest_feed`.
A version that passed its contract can still be wrong as a whole: a column rescaled (pounds -> pence, % ->
fraction), every value shifted (+10 years of healthy life expectancy), an indicator silently dropped, half the
areas missing. Such a version is rejected at ingest: it is kept in the raw zone but never made current, so the
previous version is used throughout the release and every mart stays consistent with the others (the platform's
consistency rule: one set of feed versions per release; a rejected version reaches no mart).

The facts are computed in DuckDB SQL over the two versions (typed views over the landed files, never loaded into
Python: one full outer join on the unique key gives coverage, presence and drift), one small summary row per
(feed, indicator), and judged by a Great Expectations suite on that summary:
  coverage      share of the current version's keys (the contract's unique key) still present   >= 1 - LEVELUP_ROW_TOLERANCE
  presence      every indicator the current version has is still there
  drift         mean of the cells present in both versions, new / old, within the indicator's tolerance
The drift tolerance is calibrated per indicator from its own history, and reported:
  - from past releases: 3 x the largest change between consecutive accepted versions (3+ versions needed), else
  - from the data: 2 x the 95th percentile of the indicator's typical period-to-period change in the current
    version (the median over areas of |x_t / x_t-1 - 1|), else LEVELUP_DRIFT_DEFAULT;
  never tighter than LEVELUP_DRIFT_FLOOR.
Feeds without an indicator and value column (reference lookups) get the coverage check only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from core.registry import FeedSpec
from core.settings import get_settings
from ingest.land import FeedStore
from ingest.pipeline import Candidate, Verdict

log = logging.getLogger(__name__)
HISTORY = 5  # versions looked back at for the calibration


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


@dataclass
class Tolerance:
    value: float
    source: str  # how it was calibrated, for the message and the log


def _accepted_history(candidate: Candidate, store: FeedStore) -> list[str]:
    """Accepted versions of the feed, oldest first (rejected ones never count), as typed views on the candidate's
    connection."""
    from ingest.pipeline import version_view

    views = []
    for i, info in enumerate(store.accepted_versions()[-HISTORY:]):
        views.append(version_view(candidate.feed, info, candidate.con, f"history_{i}"))
    return views


def compare(con, old: str, new: str, keys: list[str], ind: str | None, val: str | None):
    """Two versions (typed relations) joined on the unique key, in one pass over each: the share of the old
    version's keys still present (NULL keys match each other), and per indicator the rows before and after, the
    cells present in both and the ratio of their means. Returns (coverage, DataFrame)."""
    on = " and ".join(f"o.{_q(k)} is not distinct from n.{_q(k)}" for k in keys)
    k = ", ".join(_q(c) for c in keys)
    pick = (f", {_q(ind)} as _ind" if ind else ", null as _ind") + (
        f", {_q(val)} as _v" if val else ", null as _v"
    )
    df = con.execute(
        f"""
        with o as (select {k}{pick}, true as _o from {old}),
             n as (select {k}{pick}, true as _n from {new}),
             j as (select coalesce(o._ind, n._ind) as indicator, o._o, n._n, o._v as ov, n._v as nv
                   from o full outer join n on {on})
        select indicator,
               count(*) filter (where _o) as before,
               count(*) filter (where _n) as after,
               count(*) filter (where _o and _n) as kept,
               count(*) filter (where ov is not null and nv is not null) as cells,
               avg(nv) filter (where ov is not null and nv is not null)
                 / nullif(avg(ov) filter (where ov is not null and nv is not null), 0) as ratio
        from j group by indicator
        """
    ).df()
    before = int(df["before"].sum())
    coverage = 1.0 if before == 0 else float(df["kept"].sum()) / before
    return coverage, df


def _period_change(con, version: str, ind: str, val: str, area: str, level: str | None, period: str) -> dict:
    part = ", ".join(_q(c) for c in (ind, area, level) if c)
    rows = con.execute(
        f"""
        with s as (
            select {_q(ind)} as indicator, {_q(period)} as period, {_q(val)} as v,
                   lag({_q(val)}) over (partition by {part} order by {_q(period)}) as prev
            from {version} where {_q(val)} is not null
        ),
        per_period as (
            select indicator, period, median(abs(v / prev - 1)) as typical
            from s where prev is not null and prev <> 0 group by indicator, period
        )
        select indicator, quantile_cont(typical, 0.95) as p95, count(*) as periods from per_period group by indicator
        """
    ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def calibrate(feed: FeedSpec, candidate: Candidate, store: FeedStore) -> dict[str, Tolerance]:
    """A drift tolerance per indicator, and how it was obtained."""
    settings = get_settings()
    c = feed.contract
    ind, val, keys = c.indicator_column, c.value_column, c.unique or []
    floor, default = settings.drift_floor, settings.drift_default
    out: dict[str, Tolerance] = {}
    history = _accepted_history(candidate, store)
    if len(history) >= 3:
        changes: dict[str, float] = {}
        for a, b in zip(history, history[1:], strict=False):
            for r in compare(candidate.con, a, b, keys, ind, val)[1].itertuples():
                if r.ratio is not None and not pd.isna(r.ratio):
                    changes[r.indicator] = max(changes.get(r.indicator, 0.0), abs(r.ratio - 1))
        for name, change in changes.items():
            out[name] = Tolerance(
                max(floor, 3 * change),
                f"3 x the largest change between the feed's last {len(history)} accepted versions "
                f"({change:.2%}), floor {floor:.0%}",
            )
    area = next((x for x in ("areacd", "area_code") if x in {col.name for col in c.columns}), None)
    level = "geography" if "geography" in {col.name for col in c.columns} else None
    if area and c.period_column and candidate.current_relation is not None:
        yoy = _period_change(
            candidate.con, candidate.current_relation, ind, val, area, level, c.period_column
        )
        for name, (p95, periods) in yoy.items():
            if name in out or p95 is None or periods < 2:
                continue
            out[name] = Tolerance(
                min(default, max(floor, 2 * p95)),
                f"2 x the 95th percentile of the indicator's typical period-to-period change ({p95:.2%} over "
                f"{periods} periods of the current version), floor {floor:.0%}, cap {default:.0%}",
            )
    for i in feed.indicators:
        out.setdefault(
            i.name,
            Tolerance(
                default, f"default: too little history to calibrate (LEVELUP_DRIFT_DEFAULT {default:.0%})"
            ),
        )
    return out


def summary(candidate: Candidate) -> pd.DataFrame:
    """One row per indicator (or one row for a feed without indicators): coverage, presence, drift, tolerance."""
    feed, con = candidate.feed, candidate.con
    c = feed.contract
    keys = c.unique or []
    with_indicators = bool(c.indicator_column and c.value_column and keys)
    if not keys:
        coverage, table = 1.0, pd.DataFrame()
    else:
        ind, val = (c.indicator_column, c.value_column) if with_indicators else (None, None)
        coverage, table = compare(con, candidate.current_relation, candidate.relation, keys, ind, val)
    if not with_indicators:
        return pd.DataFrame([{"indicator": feed.id, "coverage": coverage, "present": True, "cells": None,
                              "ratio": None, "abs_change": 0.0, "tolerance": 1.0, "tolerance_source": "n/a"}])  # fmt: skip
    tolerances = calibrate(feed, candidate, FeedStore(get_settings().feed_dir(feed.id), feed.id))
    rows = []
    for r in table.sort_values("indicator").itertuples():
        ratio = None if r.ratio is None or pd.isna(r.ratio) else float(r.ratio)
        tol = tolerances.get(r.indicator, Tolerance(get_settings().drift_default, "default"))
        rows.append(
            {
                "indicator": r.indicator,
                "coverage": coverage,
                "present": bool(r.after > 0 or r.before == 0),
                "cells": int(r.cells or 0),
                "ratio": ratio,
                "abs_change": abs(ratio - 1) if ratio is not None else 0.0,
                "tolerance": tol.value,
                "tolerance_source": tol.source,
            }
        )
    return pd.DataFrame(rows)


def _gx_failures(table: pd.DataFrame, min_coverage: float) -> set[str]:
    """Run the feed-version suite with Great Expectations on the summary; the failing expectation types."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    batch = (
        ctx.data_sources.add_pandas("feed_version")
        .add_dataframe_asset(name="summary")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": table})
    )
    suite = gx.ExpectationSuite(name="feed_version")
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeBetween(column="coverage", min_value=min_coverage)
    )
    suite.add_expectation(gx.expectations.ExpectColumnValuesToBeInSet(column="present", value_set=[True]))
    suite.add_expectation(
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="tolerance", column_B="abs_change", or_equal=True
        )
    )
    result = batch.validate(suite)
    return {r.expectation_config.type for r in result.results if not r.success}


def check_version(candidate: Candidate) -> Verdict:
    """The reasons to reject the candidate version (none: accept) and the per-indicator figures with the tolerance
    used (kept in the ingest log and the manifest). The first version of a feed has nothing to be compared with
    and is accepted on its contract."""
    if candidate.current_relation is None:
        return Verdict(
            [], [{"check": "history", "note": "first version of the feed: nothing to compare with"}]
        )
    settings = get_settings()
    table = summary(candidate)
    failed = _gx_failures(table, 1 - settings.row_tolerance)
    reasons = []
    if "expect_column_values_to_be_between" in failed:
        cov = float(table["coverage"].iloc[0])
        reasons.append(
            f"only {cov:.1%} of the current version's rows (by {candidate.feed.contract.unique}) are still in the new "
            f"version; at least {1 - settings.row_tolerance:.0%} must be (LEVELUP_ROW_TOLERANCE)"
        )
    if "expect_column_values_to_be_in_set" in failed:
        gone = table.loc[~table["present"], "indicator"].tolist()
        reasons.append(f"indicator(s) {gone} are in the current version but missing from the new one")
    if "expect_column_pair_values_a_to_be_greater_than_b" in failed:
        for r in table[table["abs_change"] > table["tolerance"]].itertuples():
            hint = ""
            for factor in (100, 1000, 1_000_000):
                for f, label in ((factor, f"x{factor:,}"), (1 / factor, f"/{factor:,}")):
                    if abs(r.ratio / f - 1) < 0.05:
                        hint = f"; looks rescaled ({label}: a unit change, e.g. % vs fraction or pounds vs pence?)"
            reasons.append(
                f"indicator {r.indicator!r}: the mean of the {r.cells:,} cells present in both versions moved "
                f"x{r.ratio:.3f} ({r.ratio - 1:+.1%}), beyond its tolerance ±{r.tolerance:.1%} "
                f"[{r.tolerance_source}]{hint}"
            )
    records = [
        {k: (None if isinstance(v, float) and pd.isna(v) else (round(v, 6) if isinstance(v, float) else v))
         for k, v in rec.items()}
        for rec in table.to_dict("records")
    ]  # fmt: skip
    log.info("feed %s version %s: %s", candidate.feed.id, candidate.sha256[:12], records)
    return Verdict(reasons, records)
