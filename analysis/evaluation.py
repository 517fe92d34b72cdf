"""Policy evaluation of a treated area against its similar areas: inputs from a release, and the result folder.

Belongs here: reading what `levelup evaluate` needs from a release's marts.duckdb (read-only: the indicator's series
from indicators_harmonised or custom_area_indicators, the donor pool from similar_areas, custom areas'
authorities from custom_area_lads), running analysis.synthetic_control, and writing the small release-style folder
it is given: Parquet tables, SVG charts, summary.json and an HTML summary. Nothing is fetched; nothing else is
written.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from analysis.synthetic_control import Result, Scale, SyntheticControlError, estimate

ADDITIVE = "count"  # the measure type a custom area can be evaluated on (custom_area_indicators sums counts)


class EvaluationError(ValueError):
    """The evaluation cannot be set up as asked; the message says what to change."""


@dataclass
class Setup:
    treated: str
    treated_name: str
    treated_kind: str  # area | custom_area
    feed_id: str
    indicator: str
    unit: str | None
    measure_type: str | None
    treatment_start: date
    donors: list[str]
    donor_names: dict[str, str]
    donor_ranks: dict[str, int]
    excluded: list[str]
    panel: pd.DataFrame  # index period_start, columns units (treated first)
    scale: Scale
    model: str | None
    release_id: str | None
    notes: list[str] = field(default_factory=list)


def parse_period(text: str) -> date:
    """'2019' -> 2019-01-01, '2019-04' -> 2019-04-01, '2019-04-06' as is, '2019-04-01/P1Y' -> its start."""
    t = text.strip().split("/", 1)[0]
    for pattern, fmt_ in ((r"\d{4}", "%Y"), (r"\d{4}-\d{2}", "%Y-%m"), (r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d")):
        if re.fullmatch(pattern, t):
            return datetime.strptime(t, fmt_).date()
    raise EvaluationError(f"--from {text!r} is not a year (2019), a month (2019-04) or a date (2019-04-01)")


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}


def resolve_indicator(con: duckdb.DuckDBPyConnection, text: str, source: str) -> tuple[str, str]:
    """(feed_id, indicator) from 'feed-id' (a feed with one indicator), 'feed-id:Indicator label' or a label
    unique across feeds (case-insensitive)."""
    pairs = con.execute(f"select distinct feed_id, indicator from {source} order by 1, 2").fetchall()
    feeds = {f for f, _ in pairs}
    feed, _, label = text.partition(":")
    if label and feed.strip() in feeds:
        hits = [(f, i) for f, i in pairs if f == feed.strip() and i.lower() == label.strip().lower()]
    elif text.strip() in feeds:
        hits = [(f, i) for f, i in pairs if f == text.strip()]
        if len(hits) > 1:
            raise EvaluationError(
                f"feed {text!r} has {len(hits)} indicators; name one as '{text}:<indicator>': "
                f"{[i for _, i in hits]}"
            )
    else:
        hits = [(f, i) for f, i in pairs if i.lower() == text.strip().lower()]
        if len(hits) > 1:
            raise EvaluationError(
                f"indicator {text!r} is published by several feeds; use 'feed-id:{text}': {hits}"
            )
    if not hits:
        shown = "; ".join(f"{f}:{i}" for f, i in pairs[:60])
        raise EvaluationError(f"indicator {text!r} is not in the release's {source}; available: {shown}")
    return hits[0]


def additive_indicators(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(feed_id, indicator) of every count indicator in the release: what a custom area can be evaluated on."""
    return con.execute(
        "select distinct feed_id, indicator from indicators_harmonised where measure_type = ? order by 1, 2",
        [ADDITIVE],
    ).fetchall()


def _custom_indicator(con, text: str, area: str) -> tuple[str, str]:
    """Resolve the indicator for a custom area: it must be additive (a count) and summed for the area."""
    feed_id, label = resolve_indicator(con, text, "indicators_harmonised")
    measure = con.execute(
        "select any_value(measure_type) from indicators_harmonised where feed_id = ? and indicator = ?",
        [feed_id, label],
    ).fetchone()[0]
    if measure != ADDITIVE:
        qualifying = "; ".join(f"{f}:{i}" for f, i in additive_indicators(con)) or "none in this release"
        raise EvaluationError(
            f"{feed_id}:{label} is a {measure}, not additive: a custom area is the sum of its members, so it can "
            f"be evaluated on count indicators only ({qualifying}); see docs/similar-areas.md"
        )
    n = con.execute(
        "select count(*) from custom_area_indicators where custom_area = ? and feed_id = ? and indicator = ? "
        "and status = 'ok'",
        [area, feed_id, label],
    ).fetchone()[0]
    if not n:
        raise EvaluationError(
            f"custom area {area!r} has no complete {feed_id}:{label} values in custom_area_indicators (every "
            "member needs a value; see its members_with_value)"
        )
    return feed_id, label


def _custom_areas(con, tables) -> set[str]:
    if "custom_area_indicators" not in tables:
        return set()
    return {r[0] for r in con.execute("select distinct custom_area from custom_area_indicators").fetchall()}


def _neighbours(con, model: str, codes: list[str]) -> pd.DataFrame:
    return con.execute(
        "select area_code, rank, neighbour_code, neighbour_name, distance from similar_areas "
        "where model = ? and area_code in (select unnest(?::varchar[])) order by area_code, rank",
        [model, codes],
    ).df()


def _nested(con, codes: list[str]) -> set[str]:
    """Counties of these districts and districts of these counties (never donors to each other)."""
    rows = con.execute(
        "select lad_code, ctyua_code from geography where ctyua_code <> lad_code "
        "and (lad_code in (select unnest(?::varchar[])) or ctyua_code in (select unnest(?::varchar[])))",
        [codes, codes],
    ).fetchall()
    return {c for pair in rows for c in pair} - set(codes)


def _series(
    con, feed_id: str, indicator: str, units: list[str]
) -> tuple[pd.DataFrame, str | None, str | None]:
    df = con.execute(
        "select area_code, area_name, period_start, period_duration, value, unit, measure_type "
        "from indicators_harmonised where feed_id = ? and indicator = ? and is_target_vintage "
        "and area_code in (select unnest(?::varchar[]))",
        [feed_id, indicator, units],
    ).df()
    return (
        df,
        (df["unit"].dropna().iloc[0] if df["unit"].notna().any() else None),
        (df["measure_type"].dropna().iloc[0] if df["measure_type"].notna().any() else None),
    )


def _units_with_series(con, feed_id: str, indicator: str, units: list[str]) -> set[str]:
    rows = con.execute(
        "select distinct area_code from indicators_harmonised where feed_id = ? and indicator = ? "
        "and is_target_vintage and value is not null and area_code in (select unnest(?::varchar[]))",
        [feed_id, indicator, units],
    ).fetchall()
    return {r[0] for r in rows}


def _panel(df: pd.DataFrame, unit_col: str) -> pd.DataFrame:
    """Periods x units; one duration per indicator (the most common), the mean of any duplicate."""
    if df.empty:
        return pd.DataFrame()
    if "period_duration" in df and df["period_duration"].notna().any():
        common = df["period_duration"].mode(dropna=True)
        df = df[df["period_duration"] == common.iloc[0]] if len(common) else df
    p = df.pivot_table(index="period_start", columns=unit_col, values="value", aggfunc="mean")
    p.index = pd.to_datetime(p.index)
    return p.sort_index()


def setup(
    release_dir: Path,
    *,
    treated: str,
    indicator: str,
    treatment_from: str,
    model: str = "global",
    exclude: list[str] = (),
    donors: list[str] | None = None,
    n_donors: int = 20,
    scale: Scale | None = None,
) -> Setup:
    """Everything the estimate needs, from the release at `release_dir` (opened read-only)."""
    db = Path(release_dir) / "marts.duckdb"
    if not db.exists():
        raise EvaluationError(f"{release_dir} is not a release (no marts.duckdb)")
    start = parse_period(treatment_from)
    notes: list[str] = []
    with duckdb.connect(str(db), read_only=True) as con:
        tables = _tables(con)
        release_id = (
            con.execute("select release_id from release_info").fetchone()[0]
            if "release_info" in tables
            else None
        )
        is_custom = treated in _custom_areas(con, tables) and not re.fullmatch(r"[A-Z]\d{8}", treated)
        source = "custom_area_indicators" if is_custom else "indicators_harmonised"
        if is_custom:
            feed_id, label = _custom_indicator(con, indicator, treated)
        else:
            feed_id, label = resolve_indicator(con, indicator, source)
        exclude = [e for e in exclude if e]
        ranks: dict[str, int] = {}
        if donors is None:
            if "similar_areas" not in tables:
                raise EvaluationError(
                    f"release {release_id or release_dir} has no similar_areas mart; build a newer release or "
                    "name the donors with --donors"
                )
            if is_custom:
                if "custom_area_lads" not in tables:
                    raise EvaluationError(
                        "the release has no custom_area_lads mart to find the custom area's authorities; "
                        "name the donors with --donors"
                    )
                members = [
                    r[0]
                    for r in con.execute(
                        "select lad_code from custom_area_lads where custom_area = ? order by 1", [treated]
                    ).fetchall()
                ]
                near = _neighbours(con, model, members)
                blocked = set(members) | _nested(con, members)
                near = near[~near["neighbour_code"].isin(blocked)]
                best = near.sort_values(["distance", "neighbour_code"]).drop_duplicates("neighbour_code")
                pool = best["neighbour_code"].tolist()
                notes.append(
                    f"donors: the nearest similar areas ({model}) of the {len(members)} authorities the area "
                    "covers, never one of them or a county nesting with them"
                )
            else:
                near = _neighbours(con, model, [treated])
                if near.empty:
                    models = [
                        r[0]
                        for r in con.execute("select distinct model from similar_areas order by 1").fetchall()
                    ]
                    raise EvaluationError(
                        f"{treated} has no similar areas in model {model!r} (models: {models}); it may have been "
                        "left out for missing data (cluster_model_fit.areas_excluded): name the donors with --donors"
                    )
                pool = near["neighbour_code"].tolist()
                ranks = dict(zip(near["neighbour_code"], near["rank"], strict=True))
                notes.append(f"donors: {treated}'s similar areas in model {model!r}")
            candidates = [d for d in pool if d not in set(exclude)]
            have = _units_with_series(con, feed_id, label, candidates)
            pool = [d for d in candidates if d in have][:n_donors]
            lacking = [d for d in candidates if d not in have]
            if lacking:
                notes.append(
                    f"{len(lacking)} similar area(s) publish no {label} series and were passed over: "
                    + ", ".join(lacking[:10])
                    + ("…" if len(lacking) > 10 else "")
                )
        else:
            pool = [d for d in donors if d not in set(exclude) and d != treated]
            notes.append("donors: named with --donors")
        if is_custom:
            cdf = con.execute(
                "select custom_area as area_code, custom_area as area_name, period_start, period_duration, value, "
                "unit, measure_type from custom_area_indicators where custom_area = ? and feed_id = ? "
                "and indicator = ? and status = 'ok'",
                [treated, feed_id, label],
            ).df()
            measure = ADDITIVE
            ddf, unit, _ = _series(con, feed_id, label, pool)
            unit = unit or (cdf["unit"].dropna().iloc[0] if cdf["unit"].notna().any() else None)
            panel = pd.concat([_panel(cdf, "area_code"), _panel(ddf, "area_code")], axis=1)
            treated_name = treated
        else:
            df, unit, measure = _series(con, feed_id, label, [treated, *pool])
            if df[df["area_code"] == treated].empty:
                raise EvaluationError(f"{treated} has no {feed_id}:{label} series in the release")
            panel = _panel(df, "area_code")
            treated_name = df.loc[df["area_code"] == treated, "area_name"].dropna().iloc[-1]
        names = (
            dict(
                con.execute(
                    "select lad_code, lad_name from geography union all "
                    "select distinct ctyua_code, ctyua_name from geography"
                ).fetchall()
            )
            if "geography" in tables
            else {}
        )
    if "similar_areas" in tables and donors is None:
        names.update(dict(zip(near["neighbour_code"], near["neighbour_name"], strict=True)))
    return Setup(
        treated=treated,
        treated_name=str(treated_name),
        treated_kind="custom_area" if is_custom else "area",
        feed_id=feed_id,
        indicator=label,
        unit=unit,
        measure_type=measure,
        treatment_start=start,
        donors=pool,
        donor_names={d: names.get(d, d) for d in pool},
        donor_ranks=ranks,
        excluded=list(exclude),
        panel=panel,
        scale=scale or ("index" if is_custom else "level"),
        model=model if donors is None else None,
        release_id=release_id,
        notes=notes,
    )


def run(s: Setup) -> Result:
    try:
        return estimate(s.panel, s.treated, s.donors, s.treatment_start, scale=s.scale)
    except SyntheticControlError as exc:
        raise EvaluationError(str(exc)) from None


# ---------------------------------------------------------------------------------------------------------------
# The result folder


def summary(s: Setup, r: Result) -> dict:
    t = r.treated
    post = t.series[t.series["is_post"]]
    return {
        "created_at": datetime.now(UTC).isoformat(),
        "release_id": s.release_id,
        "method": "synthetic control: non-negative donor weights summing to 1, fitted on the pre-period "
        f"outcomes ({r.scale} scale); in-space placebos",
        "treated": {"code": s.treated, "name": s.treated_name, "kind": s.treated_kind},
        "indicator": {
            "feed_id": s.feed_id,
            "indicator": s.indicator,
            "unit": s.unit,
            "measure_type": s.measure_type,
        },
        "treatment_from": s.treatment_start.isoformat(),
        "similar_areas_model": s.model,
        "periods": {
            "pre": [d.date().isoformat() for d in t.series.index[~t.series["is_post"]]],
            "post": [d.date().isoformat() for d in post.index],
        },
        "donor_pool": s.donors,
        "donors_excluded": s.excluded,
        "donors_dropped": r.dropped_donors,
        "weights": {
            d: round(float(w), 6) for d, w in t.weights.sort_values(ascending=False).items() if w > 1e-6
        },
        "pre_rmspe": t.pre_rmspe,
        "post_rmspe": t.post_rmspe,
        "rmspe_ratio": t.ratio,
        "effect_mean_post_gap": t.effect,
        "effect_pct_of_synthetic": float(post["gap"].sum() / post["synthetic"].sum() * 100)
        if post["synthetic"].sum()
        else None,
        "placebo_rank": r.rank,
        "placebo_units": len(r.units),
        "p_value": r.p_value,
        "notes": s.notes,
    }


TREATED, SYNTHETIC, PLACEBO = "#d4351c", "#1d70b8", "#b8b8b8"  # GOV.UK red, blue, mid grey


def fmt(value: float | None, unit: str | None = None) -> str:
    """A number for the page: whole numbers from 1,000, one decimal from 100, up to two from 1, three significant
    figures below; `%` and `GBP` shown as such."""
    if value is None or pd.isna(value):
        return "–"
    a = abs(value)
    if a >= 1000:
        text = f"{value:,.0f}"
    elif a >= 100:
        text = f"{value:,.1f}"
    elif a >= 1:
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    else:
        text = f"{value:.3g}"
    return text + "%" if unit == "%" else "£" + text if unit == "GBP" else text


def _svg_chart(series: list[dict], title: str, unit: str | None, treatment_start) -> str:
    """A line chart as an SVG document (matplotlib's SVG backend: no browser, nothing fetched). Each series:
    name, points [(date, value)], colour, width, dashed; the treatment start is marked."""
    import io

    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.2))
    for one in series:
        xs, ys = zip(*one["points"], strict=True) if one["points"] else ((), ())
        ax.plot(xs, ys, color=one["colour"], linewidth=one.get("width", 1.5),
                linestyle="--" if one.get("dashed") else "-", label=one.get("label"))  # fmt: skip
    ax.axvline(pd.Timestamp(treatment_start), color="#505a5f", linewidth=1, linestyle=":")
    ax.set_title(title, fontsize=10, loc="left", wrap=True)
    ax.set_ylabel(unit or "")
    ax.grid(axis="y", color="#e5e5e5")
    ax.spines[["top", "right"]].set_visible(False)
    if any(one.get("label") for one in series):
        ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(
        buf, format="svg", metadata={"Date": None}
    )  # no timestamp: the same inputs give the same file
    plt.close(fig)
    text = buf.getvalue()
    # the RDF block names its vocabularies by URL; nothing in the page should point outside it
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)
    return text[text.index("<svg") :]


def _chart_series(s: Setup, r: Result) -> tuple[str, str]:
    t = r.treated
    pts = lambda col: [(d.date(), float(v)) for d, v in t.series[col].items()]  # noqa: E731
    level = _svg_chart(
        [
            {"label": s.treated_name, "points": pts("treated"), "colour": TREATED, "width": 2.4},
            {"label": "synthetic control", "points": pts("synthetic"), "colour": SYNTHETIC, "width": 2.0,
             "dashed": True},
        ],
        f"{s.indicator}: {s.treated_name} and its synthetic control (treated from {s.treatment_start})",
        s.unit,
        s.treatment_start,
    )  # fmt: skip
    gaps = [
        {
            "label": f"{s.treated_name} (treated)" if p is t else None,
            "points": [(d.date(), float(v)) for d, v in p.series["gap"].items()],
            "colour": TREATED if p is t else PLACEBO,
            "width": 2.4 if p is t else 1.0,
        }
        for p in [*r.placebos, t]
    ]
    gap = _svg_chart(
        gaps,
        f"Gap (treated minus synthetic) for {s.treated_name} and each placebo (treated from {s.treatment_start})",
        s.unit,
        s.treatment_start,
    )
    return level, gap


def _svg_file(fragment: str) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + fragment + "\n"


def write_folder(out: Path, s: Setup, r: Result) -> dict[str, str]:
    """Write the evaluation into `out` (created; files inside it overwritten). Returns the files written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t = r.treated
    files = {}
    series = t.series.reset_index(names="period_start").rename(
        columns={"treated": "treated_value", "synthetic": "synthetic_value"}
    )
    series.insert(0, "treated_code", s.treated)
    files["series"] = "series.parquet"
    series.to_parquet(out / files["series"], index=False)
    weights = pd.DataFrame(
        {
            "donor_code": t.weights.index,
            "donor_name": [s.donor_names.get(d, d) for d in t.weights.index],
            "similar_area_rank": pd.array([s.donor_ranks.get(d) for d in t.weights.index], dtype="Int64"),
            "weight": t.weights.to_numpy(),
        }
    ).sort_values(["weight", "donor_code"], ascending=[False, True])
    files["weights"] = "weights.parquet"
    weights.to_parquet(out / files["weights"], index=False)
    placebos = r.placebo_table()
    placebos.insert(
        1,
        "unit_name",
        [s.treated_name if c == s.treated else s.donor_names.get(c, c) for c in placebos["unit"]],
    )
    placebos = placebos.rename(columns={"unit": "unit_code"})
    files["placebos"] = "placebos.parquet"
    placebos.to_parquet(out / files["placebos"], index=False)
    gaps = pd.concat(
        [
            p.series.reset_index(names="period_start")[["period_start", "gap", "is_post"]].assign(
                unit_code=p.unit, is_treated=p is t
            )
            for p in r.units
        ],
        ignore_index=True,
    )[["unit_code", "is_treated", "period_start", "gap", "is_post"]]
    files["placebo_gaps"] = "placebo_gaps.parquet"
    gaps.to_parquet(out / files["placebo_gaps"], index=False)
    level_svg, gap_svg = _chart_series(s, r)
    files["chart"] = "chart.svg"
    (out / files["chart"]).write_text(_svg_file(level_svg), encoding="utf-8")
    files["placebo_chart"] = "placebo_gaps.svg"
    (out / files["placebo_chart"]).write_text(_svg_file(gap_svg), encoding="utf-8")
    summ = summary(s, r) | {"files": {**files, "summary": "summary.json", "html": "index.html"}}
    (out / "summary.json").write_text(json.dumps(summ, indent=2, default=str) + "\n", encoding="utf-8")
    files["summary"] = "summary.json"
    (out / "index.html").write_text(
        _html(s, r, summ, weights, placebos, level_svg, gap_svg), encoding="utf-8"
    )
    files["html"] = "index.html"
    return files


def _html(s, r, summ, weights, placebos, level_svg, gap_svg) -> str:
    e = lambda v: html.escape("" if v is None else str(v))  # noqa: E731
    unit = s.unit
    sig = "significant at the 10% level" if r.p_value <= 0.1 else "not significant at the 10% level"
    w_rows = "".join(
        f"<tr><td>{e(w.donor_code)}</td><td>{e(w.donor_name)}</td><td class=n>{w.weight:.3f}</td></tr>"
        for w in weights.itertuples()
        if w.weight > 0.0005
    )
    p_rows = "".join(
        f"<tr{' class=treated' if p.is_treated else ''}><td class=n>{p.rank}</td><td>{e(p.unit_code)}</td>"
        f"<td>{e(p.unit_name)}</td><td class=n>{fmt(p.pre_rmspe)}</td><td class=n>{fmt(p.post_rmspe)}</td>"
        f"<td class=n>{p.rmspe_ratio:.2f}</td><td class=n>{fmt(p.effect)}</td></tr>"
        for p in placebos.itertuples()
    )
    dropped = "".join(f"<li>{e(k)}: {e(v)}</li>" for k, v in r.dropped_donors.items()) or "<li>none</li>"
    notes = "".join(f"<li>{e(n)}</li>" for n in s.notes)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Evaluation: {e(s.treated_name)}, {e(s.indicator)}</title>
<style>
body{{font-family:Arial,Helvetica,sans-serif;max-width:980px;margin:24px auto;padding:0 16px;color:#222}}
table{{border-collapse:collapse;margin:8px 0 20px}}td,th{{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left}}
td.n{{text-align:right;font-variant-numeric:tabular-nums}}tr.treated td{{font-weight:bold;background:#fdeaea}}
.headline{{font-size:1.15em;background:#f4f6f8;padding:10px 14px;border-left:4px solid #1f77b4}}
</style></head><body>
<h1>{e(s.treated_name)} ({e(s.treated)}): {e(s.indicator)}</h1>
<p>Feed <code>{e(s.feed_id)}</code>, unit {e(unit)}. Treated from {e(s.treatment_start)}; release {e(s.release_id)}.
Method: synthetic control ({e(r.scale)} scale), donor weights non-negative and summing to 1, fitted on the
{len(summ["periods"]["pre"])} pre-period values; {len(summ["periods"]["post"])} post-period(s).</p>
<p class="headline">Estimated effect: mean post-period gap <b>{fmt(r.treated.effect, unit)}</b>
({fmt(summ["effect_pct_of_synthetic"])}% of the synthetic control).
Placebo rank {r.rank} of {len(r.units)}: p = {r.p_value:.3f}, {sig}.
Pre-period RMSPE {fmt(r.treated.pre_rmspe)}, post/pre RMSPE ratio {r.treated.ratio:.2f}.</p>
<figure>{level_svg}</figure>
<figure>{gap_svg}</figure>
<h2>Donor weights</h2>
<table><tr><th>code</th><th>name</th><th>weight</th></tr>{w_rows}</table>
<h2>In-space placebos</h2>
<p>Each donor taken as if treated, with the other donors as its pool; units ranked by post/pre RMSPE ratio.
The p-value is the share of units whose ratio is at least the treated area's.</p>
<table><tr><th>rank</th><th>code</th><th>name</th><th>pre RMSPE</th><th>post RMSPE</th><th>ratio</th>
<th>mean post gap</th></tr>{p_rows}</table>
<h2>Donor pool</h2><ul>{notes}</ul>
<p>Dropped (incomplete series):</p><ul>{dropped}</ul>
<p>Files: series.parquet, weights.parquet, placebos.parquet, placebo_gaps.parquet, chart.svg,
placebo_gaps.svg, summary.json. Reading the result: docs/similar-areas.md.</p>
</body></html>
"""
