"""The ingest contract: a pandera schema generated from a feed's registry stanza, and its verdict.

Belongs here: building the `DataFrameSchema` (columns, types, nullability, allowed values, patterns,
uniqueness, registered indicators with their unit, plausible value ranges, periods not in the future) and
turning pandera's failure cases into one message that names the feed, the column, the check and a sample of
offending rows. A version that fails its contract does not land.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from core.registry import ColumnSpec, FeedSpec

PANDAS_TYPES = {"str": str, "float": float, "int": "Int64", "date": "datetime64[ns]"}
SAMPLE = 5


class ContractError(ValueError):
    """A feed version broke its contract. `failures` holds one summary line per failed check."""

    def __init__(self, message: str, failures: list[str]):
        super().__init__(message)
        self.failures = failures


@dataclass(frozen=True)
class ContractResult:
    rows: int
    checks: int


def _column(spec: ColumnSpec) -> pa.Column:
    checks = []
    if spec.allowed is not None:
        checks.append(pa.Check.isin(spec.allowed, name=f"allowed values {spec.allowed}"))
    if spec.pattern is not None:
        checks.append(pa.Check.str_matches(spec.pattern, name=f"matches {spec.pattern}"))
    return pa.Column(
        PANDAS_TYPES[spec.type],
        nullable=spec.nullable,
        checks=checks,
        coerce=spec.type != "str",
        regex=spec.regex,
        required=True,
        name=spec.name,
    )


def _period_start_year(period: pd.Series) -> pd.Series:
    return pd.to_numeric(period.astype("str").str.slice(0, 4), errors="coerce")


def build_schema(feed: FeedSpec, today: date | None = None) -> pa.DataFrameSchema:
    c = feed.contract
    today = today or date.today()
    df_checks: list[pa.Check] = []
    if c.indicator_column and feed.indicators:
        units = {i.name: i.unit for i in feed.indicators}
        ind, unit = c.indicator_column, c.unit_column
        df_checks.append(
            pa.Check(
                lambda df, units=units, ind=ind: df[ind].isin(list(units)),
                name=f"{ind} is a registered indicator {sorted(units)}",
                element_wise=False,
            )
        )
        if unit:
            df_checks.append(
                pa.Check(
                    lambda df, units=units, ind=ind, unit=unit: (
                        df[ind].map(units).isna() | (df[unit] == df[ind].map(units))
                    ),
                    name=f"{unit} equals the registered unit of its indicator {units}",
                )
            )
        ranges = {i.name: i.valid_range for i in feed.indicators if i.valid_range}
        if ranges and c.value_column:
            lo = {k: v[0] for k, v in ranges.items()}
            hi = {k: v[1] for k, v in ranges.items()}
            val = c.value_column
            df_checks.append(
                pa.Check(
                    lambda df, lo=lo, hi=hi, ind=ind, val=val: (
                        df[val].isna()
                        | df[ind].map(lo).isna()
                        | df[val].between(df[ind].map(lo), df[ind].map(hi))
                    ),
                    name=f"{val} within the indicator's registered valid_range {ranges}",
                )
            )
    if c.period_column:
        per = c.period_column
        df_checks.append(
            pa.Check(
                lambda df, per=per: ~(_period_start_year(df[per]) > today.year) | df[per].isna(),
                name=f"{per} does not start after {today.year} (a future period is a typo or a wrong column)",
            )
        )
    return pa.DataFrameSchema(
        columns={spec.name: _column(spec) for spec in c.columns},
        checks=df_checks,
        unique=c.unique,
        report_duplicates="all",
        strict=False,
        name=feed.id,
    )


def _summarise(feed: FeedSpec, where: str, err: SchemaErrors, df: pd.DataFrame) -> ContractError:
    fc = err.failure_cases.copy()
    if feed.contract.unique:
        uniq = fc["check"] == "multiple_fields_uniqueness"
        fc.loc[uniq, "column"] = "+".join(feed.contract.unique)
        fc.loc[uniq, "check"] = f"unique on {feed.contract.unique}"
        fc = fc[~uniq | ~fc.duplicated(["column", "check", "index"])]
    lines = []
    for (column, check), grp in fc.groupby(["column", "check"], dropna=False, sort=False):
        idx = [
            i for i in grp["index"].tolist() if i is not None and not (isinstance(i, float) and pd.isna(i))
        ]
        n = len(grp)
        col = column if isinstance(column, str) else feed.id
        sample_rows = ""
        if idx:
            sample_idx = list(dict.fromkeys(idx))[:SAMPLE]
            present = [i for i in sample_idx if i in df.index]
            if present:
                cols = [
                    x
                    for x in (col, feed.contract.indicator_column, feed.contract.value_column)
                    if x in df.columns
                ]
                cols = list(dict.fromkeys(cols)) or list(df.columns[:4])
                shown = df.loc[present, cols].to_dict(orient="index")
                sample_rows = "; rows " + "; ".join(f"line {k}: {v}" for k, v in shown.items())
        else:
            vals = [str(v) for v in grp["failure_case"].head(SAMPLE).tolist()]
            sample_rows = f"; failure cases {vals}"
        lines.append(f"column {col!r} failed check {check!r} in {n} case(s){sample_rows}")
    msg = (
        f"feed {feed.id!r}: {where} broke its contract ({len(lines)} check(s) failed); nothing landed:\n  - "
        + "\n  - ".join(lines)
    )
    return ContractError(msg, lines)


def validate(feed: FeedSpec, df: pd.DataFrame, where: str, today: date | None = None) -> pd.DataFrame:
    """Validate (and coerce) a parsed table; raise ContractError naming feed, column and rows on failure."""
    if len(df) < feed.contract.min_rows:
        raise ContractError(
            f"feed {feed.id!r}: {where} has {len(df)} data row(s); the contract needs at least {feed.contract.min_rows}",
            [f"min_rows {feed.contract.min_rows}"],
        )
    missing = [
        s.name
        for s in feed.contract.columns
        if (not s.regex and s.name not in df.columns)
        or (s.regex and not any(re.fullmatch(s.name, c) for c in df.columns))
    ]
    if missing:
        raise ContractError(
            f"feed {feed.id!r}: {where} lacks contract column(s) {missing}; it has {list(df.columns)} "
            f"(renamed, missing or shifted header?)",
            [f"missing columns {missing}"],
        )
    schema = build_schema(feed, today)
    try:
        return schema.validate(df, lazy=True)
    except SchemaErrors as err:
        raise _summarise(feed, where, err, df) from None
