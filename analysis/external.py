"""External long tables for `levelup similar-areas --from FILE`: ONS's input layout, read into the method's shape.

Belongs here: reading a long-format table laid out as ONS's own clustering input (`AREACD, AREANM, Indicator,
Period, Value`, possibly with other columns and other geography levels mixed in), from CSV or Parquet, and
resolving the analyst's `--indicators "NAME,NAME"` against the labels the table carries (labels may themselves
contain commas).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.similar_areas import SimilarAreasError, period_start

REQUIRED = ["AREACD", "AREANM", "Indicator", "Period", "Value"]


def read_long_table(path: Path) -> pd.DataFrame:
    """The table at `path` as observations (indicator, area_code, area_name, period, period_start, value, unit).
    Column names are matched case-insensitively; any other column is ignored."""
    path = Path(path)
    if not path.exists():
        raise SimilarAreasError(f"{path} does not exist")
    if path.suffix.lower() == ".parquet":
        raw = pd.read_parquet(path)
    else:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    by_lower = {str(c).strip().lower(): c for c in raw.columns}
    missing = [c for c in REQUIRED if c.lower() not in by_lower]
    if missing:
        raise SimilarAreasError(
            f"{path}: missing column(s) {missing}; the table needs {REQUIRED} (ONS's clustering input layout), "
            f"found {list(raw.columns)}"
        )
    col = {c: by_lower[c.lower()] for c in REQUIRED}
    unit = by_lower.get("unit")
    df = pd.DataFrame(
        {
            "feed_id": None,
            "indicator": raw[col["Indicator"]].astype("string").str.strip(),
            "area_code": raw[col["AREACD"]].astype("string").str.strip(),
            "area_name": raw[col["AREANM"]].astype("string").str.strip(),
            "period": raw[col["Period"]].astype("string").str.strip(),
            "value": pd.to_numeric(raw[col["Value"]], errors="coerce"),
            "unit": raw[unit].astype("string") if unit is not None else None,
        }
    )
    df["period_start"] = period_start(df["period"])
    bad = df[df["period_start"].isna() & df["period"].notna()]
    if len(bad):
        raise SimilarAreasError(
            f"{path}: {len(bad)} row(s) with a Period that is not an ISO 8601 date, date/duration or year, "
            f"e.g. {bad['period'].iloc[0]!r}"
        )
    return df


def resolve_indicators(arg: str, available: list[str]) -> list[str]:
    """Split "A,B,C" into indicator labels of the table; a label that itself contains commas is recognised by
    joining consecutive pieces until they name a label. Unknown names are an error that lists the labels."""
    known = {a.strip().lower(): a for a in available if isinstance(a, str)}
    pieces = [p.strip() for p in arg.split(",")]
    out, i = [], 0
    while i < len(pieces):
        match = None
        for j in range(len(pieces), i, -1):  # longest match first
            candidate = ",".join(pieces[i:j]).lower()
            candidate_spaced = ", ".join(pieces[i:j]).lower()
            for c in (candidate, candidate_spaced):
                if c in known:
                    match = (known[c], j)
                    break
            if match:
                break
        if match is None:
            unknown = pieces[i]
            raise SimilarAreasError(
                f"indicator {unknown!r} is not in the table; its indicators are: {sorted(known.values())}"
            )
        if match[0] in out:
            raise SimilarAreasError(f"indicator {match[0]!r} is listed twice")
        out.append(match[0])
        i = match[1]
    if not out:
        raise SimilarAreasError("--indicators names no indicator")
    return out
