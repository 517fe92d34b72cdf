"""Pieces the built-in page types share: period labels, the three chart shapes, and their summaries.

Belongs here: `period_label`, `line_chart` (values over time, one line per series, optional baseline),
`ranked_chart` (areas ranked by value, chosen areas highlighted, a reference line), `distribution_chart`; each
returns a `blocks.Chart` whose table is exactly what it plots. No SQL here.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from dashboards.blocks import PALETTE, Chart, Column, Table, base_layout
from dashboards.catalogue import fmt_value


def _floats(values) -> list:
    out = []
    for v in values:
        out.append(None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else float(v))
    return out


def _dates(values) -> list[str]:
    return [pd.Timestamp(v).date().isoformat() if v is not None and not pd.isna(v) else None for v in values]


def hline(y: float, colour: str, dash: str | None = None) -> dict:
    return {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": float(y), "y1": float(y),
            "line": {"color": colour, "width": 2, **({"dash": dash} if dash else {})}}  # fmt: skip


def vline(x: float, colour: str) -> dict:
    return {"type": "line", "yref": "paper", "y0": 0, "y1": 1, "xref": "x", "x0": float(x), "x1": float(x),
            "line": {"color": colour, "width": 2}}  # fmt: skip


def _mark(text: str, *, x: float, y: float, color: str) -> dict:
    return {"text": text, "x": float(x), "xref": "x", "y": y, "yref": "paper", "yanchor": "bottom",
            "showarrow": False, "font": {"color": color}, "bgcolor": "rgba(255,255,255,0.8)"}  # fmt: skip


def period_label(start, end=None) -> str:
    """'2022', '2016-2018', '2021/22', an ISO date for an instant, else 'start to end'."""
    if start is None or start is pd.NaT or (isinstance(start, float) and pd.isna(start)):
        return "no period"
    start = pd.Timestamp(start).date()
    end = start if end is None or end is pd.NaT or pd.isna(end) else pd.Timestamp(end).date()
    if end == start:
        return start.isoformat()
    days = (end - start).days
    if start.month == 1 and start.day == 1 and end.month == 12 and end.day == 31:
        return str(start.year) if start.year == end.year else f"{start.year}-{end.year}"
    if start.day == 1 and 360 <= days <= 370:
        return f"{start.year}/{str(end.year)[2:]}"
    return f"{start.isoformat()} to {end.isoformat()}"


def baseline_label(start) -> str:
    """A baseline is named by its first period's start: the year when it starts on 1 January ('2017')."""
    d = pd.Timestamp(start).date()
    return str(d.year) if (d.month, d.day) == (1, 1) else d.isoformat()


def _num(fmt_args):
    dp, unit = fmt_args

    def f(v, _row):
        return fmt_value(v, dp, unit)

    return f


def line_chart(
    key: str,
    title: str,
    data: pd.DataFrame,
    *,
    series: str,
    x: str = "period_start",
    y: str = "value",
    unit: str | None = None,
    decimal_places: int | None = None,
    baseline: tuple[date, float] | None = None,
    emphasis: dict[str, dict] | None = None,
    height: int = 340,
    extra_columns: list[Column] | None = None,
) -> Chart:
    """Values over time, one line per `series` value; an optional dashed baseline level."""
    emphasis = emphasis or {}
    order = list(dict.fromkeys(data[series])) if len(data) else []
    traces = []
    for i, name in enumerate(order):
        d = data[data[series] == name].sort_values(x)
        look = emphasis.get(name, {})
        traces.append(
            {"type": "scatter", "mode": "lines+markers", "name": str(name), "x": _dates(d[x]), "y": _floats(d[y]),
             "line": {"width": look.get("width", 2), "color": look.get("color", PALETTE[i % len(PALETTE)]),
                      **({"dash": look["dash"]} if look.get("dash") else {})},
             "marker": {"size": 5},
             "hovertemplate": "%{x}: %{y}<extra>" + str(name).replace("<", "&lt;") + "</extra>"}
        )  # fmt: skip
    layout = base_layout(height=height, y_title=unit or "")
    if baseline is not None:
        layout["shapes"].append(hline(baseline[1], "#505a5f", dash="dash"))
        layout["annotations"].append(
            {"text": f"baseline ({baseline_label(baseline[0])}): {fmt_value(baseline[1], decimal_places, unit)}",
             "xref": "paper", "x": 0, "xanchor": "left", "yref": "y", "y": baseline[1], "yanchor": "bottom",
             "showarrow": False, "font": {"color": "#505a5f"}}
        )  # fmt: skip
    if len(data) and data[x].nunique() == 1:  # one period: a date axis would tick in sub-seconds
        layout["xaxis"]["type"] = "category"
    fig = {"data": traces, "layout": layout}
    cols = [
        Column(series, "Series"),
        Column("period", "Period"),
        Column(y, f"Value ({unit})" if unit else "Value", fmt=_num((decimal_places, unit)), numeric=True),
        *(extra_columns or []),
    ]
    table_df = data.copy()
    if "period" not in table_df.columns:
        table_df["period"] = [
            period_label(s, e)
            for s, e in zip(table_df[x], table_df.get("period_end", table_df[x]), strict=False)
        ]
    summary = line_summary(table_df, series=series, x=x, y=y, unit=unit, decimal_places=decimal_places)
    if baseline is not None:
        summary += (
            f" Baseline ({baseline_label(baseline[0])}): {fmt_value(baseline[1], decimal_places, unit)}."
        )
    return Chart(key, title, fig, Table(key, title, table_df, cols), summary)


def line_summary(df: pd.DataFrame, *, series: str, x: str, y: str, unit=None, decimal_places=None) -> str:
    if df.empty:
        return "No values to chart."
    parts = []
    for name, d in list(df.sort_values(x).groupby(series, sort=False))[:4]:
        d = d.dropna(subset=[y])
        if d.empty:
            continue
        first, last = d.iloc[0], d.iloc[-1]

        def when(r):
            if "period" in r.index and r["period"]:
                return str(r["period"])
            v = r[x]
            return period_label(v) if isinstance(v, (date, pd.Timestamp)) else str(v)

        if len(d) == 1:
            parts.append(f"{name}: {fmt_value(last[y], decimal_places, unit)} in {when(last)}")
        else:
            parts.append(
                f"{name}: {fmt_value(first[y], decimal_places, unit)} in {when(first)} to "
                f"{fmt_value(last[y], decimal_places, unit)} in {when(last)}"
            )
    more = df[series].nunique() - 4
    return "; ".join(parts) + (f"; and {more} more series (see the data table)." if more > 0 else ".")


def ranked_chart(
    key: str,
    title: str,
    data: pd.DataFrame,
    *,
    name: str = "area_name",
    value: str = "value",
    unit: str | None = None,
    decimal_places: int | None = None,
    highlight: set[str] | None = None,
    code: str = "area_code",
    reference: tuple[str, float] | None = None,
    group: str | None = None,
    href=None,
    extra_columns: list[Column] | None = None,
) -> Chart:
    """Areas ranked by value, highest first (rank 1 = highest; a `rank` column in `data` is kept). Up to 40 areas: labelled horizontal bars; more:
    a compact column per area (names on hover), the highlighted areas in orange."""
    if "rank" in data.columns:  # the mart's own ranking (e.g. a gap's ranked set) is kept
        d = data.dropna(subset=[value]).sort_values(["rank", name]).reset_index(drop=True)
        d = d[["rank", *[c for c in d.columns if c != "rank"]]]
    else:
        d = (
            data.dropna(subset=[value])
            .sort_values([value, name], ascending=[False, True])
            .reset_index(drop=True)
        )
        d.insert(0, "rank", d[value].rank(method="min", ascending=False).astype(int))
    highlight = highlight or set()
    colours = ["#F46A25" if str(c) in highlight else "#12436D" for c in d[code]]
    if group is not None:
        groups = list(dict.fromkeys(d[group]))
        palette = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}
        colours = [
            "#F46A25" if str(c) in highlight else palette[g] for c, g in zip(d[code], d[group], strict=True)
        ]
    hover = "%{customdata[0]}: %{customdata[1]} (rank %{customdata[2]})<extra></extra>"
    custom = [
        [str(n), fmt_value(v, decimal_places, unit), int(r)]
        for n, v, r in zip(d[name], d[value], d["rank"], strict=True)
    ]
    if len(d) <= 40:
        trace = {"type": "bar", "orientation": "h", "x": _floats(d[value]), "y": [str(v) for v in d[name]],
                 "marker": {"color": colours}, "customdata": custom, "hovertemplate": hover}  # fmt: skip
        layout = base_layout(height=max(260, 22 * len(d) + 90), x_title=unit or "")
        layout["yaxis"].update(autorange="reversed", type="category")
        if reference:
            layout["shapes"].append(vline(reference[1], "#d4351c"))
            layout["annotations"].append(_mark(f"{reference[0]} {fmt_value(reference[1], decimal_places, unit)}",
                                               x=reference[1], y=1, color="#d4351c"))  # fmt: skip
    else:
        trace = {"type": "bar", "x": list(range(1, len(d) + 1)), "y": _floats(d[value]),
                 "marker": {"color": colours}, "customdata": custom, "hovertemplate": hover}  # fmt: skip
        layout = base_layout(height=380, y_title=unit or "", x_title="rank (1 = highest)")
        for _, r in d[d[code].astype(str).isin(highlight)].iterrows():
            layout["annotations"].append(
                {
                    "x": int(r["rank"]),
                    "y": float(r[value]),
                    "text": str(r[name]),
                    "showarrow": True,
                    "arrowhead": 2,
                }
            )
        if reference:
            layout["shapes"].append(hline(reference[1], "#d4351c"))
            layout["annotations"].append(
                {"text": f"{reference[0]} {fmt_value(reference[1], decimal_places, unit)}", "xref": "paper", "x": 1,
                 "xanchor": "right", "yref": "y", "y": reference[1], "yanchor": "bottom", "showarrow": False,
                 "font": {"color": "#d4351c"}}
            )  # fmt: skip
    layout.update(showlegend=False, bargap=0.15)
    fig = {"data": [trace], "layout": layout}
    cols = [
        Column("rank", "Rank", numeric=True),
        Column(name, "Area", href=href),
        Column(code, "Code"),
        Column(value, f"Value ({unit})" if unit else "Value", fmt=_num((decimal_places, unit)), numeric=True),
        *([Column(group, "Group")] if group else []),
        *(extra_columns or []),
    ]
    n = len(d)
    if n:
        top, bottom = d.iloc[0], d.iloc[-1]
        med = d[value].median()
        summary = (
            f"{n} areas ranked highest first. Highest: {top[name]} ({fmt_value(top[value], decimal_places, unit)}); "
            f"lowest: {bottom[name]} ({fmt_value(bottom[value], decimal_places, unit)}); median "
            f"{fmt_value(med, decimal_places, unit)}."
        )
        for c in sorted(highlight):
            hit = d[d[code].astype(str) == c]
            if len(hit):
                summary += f" {hit.iloc[0][name]} ranks {int(hit.iloc[0]['rank'])} of {n}."
    else:
        summary = "No area has a value."
    return Chart(key, title, fig, Table(key, title, d, cols), summary)


def distribution_chart(
    key: str, title: str, data: pd.DataFrame, *, value: str = "value", unit=None, decimal_places=None,
    marks: dict[str, float] | None = None,
) -> Chart:  # fmt: skip
    """How the areas' values are spread: a histogram, with reference values marked."""
    d = data.dropna(subset=[value])
    layout = base_layout(height=300, x_title=unit or "", y_title="areas")
    for i, (label, v) in enumerate((marks or {}).items()):
        colour = PALETTE[(i + 1) % len(PALETTE)]
        layout["shapes"].append(vline(v, colour))
        layout["annotations"].append(_mark(f"{label} {fmt_value(v, decimal_places, unit)}", x=v,
                                           y=1 - 0.08 * (i % 4), color=colour))  # fmt: skip
    fig = {"data": [{"type": "histogram", "x": _floats(d[value]), "nbinsx": min(30, max(5, len(d) // 8)),
                     "marker": {"color": "#12436D"}, "name": "areas"}], "layout": layout}  # fmt: skip
    q = d[value].quantile([0, 0.25, 0.5, 0.75, 1.0]) if len(d) else pd.Series(dtype=float)
    stats = pd.DataFrame(
        {
            "statistic": [
                "areas",
                "minimum",
                "lower quartile",
                "median",
                "upper quartile",
                "maximum",
                "mean",
            ],
            "value": [
                len(d),
                *([q.iloc[i] for i in range(5)] if len(d) else [None] * 5),
                d[value].mean() if len(d) else None,
            ],
        }  # fmt: skip
    )

    def fmt(v, row):
        return str(int(v)) if row["statistic"] == "areas" else fmt_value(v, decimal_places, unit)

    cols = [Column("statistic", "Statistic"), Column("value", "Value", fmt=fmt, numeric=True)]
    summary = (
        f"{len(d)} areas; median {fmt_value(q.iloc[2], decimal_places, unit)}, half of the areas between "
        f"{fmt_value(q.iloc[1], decimal_places, unit)} and {fmt_value(q.iloc[3], decimal_places, unit)}; range "
        f"{fmt_value(q.iloc[0], decimal_places, unit)} to {fmt_value(q.iloc[4], decimal_places, unit)}."
        if len(d)
        else "No area has a value."
    )
    return Chart(key, title, fig, Table(key, title, stats, cols), summary)
