"""The mission report: one static, self-contained HTML page per release (issue 8).

Belongs here: turning the release's `mission_metrics` and `mission_gaps` marts plus the mission metric catalogue
into `report/mission_report.html`. For each mission: its headline metrics over time for the UK, nations and
regions; each gap over time against its baseline; a ranked bar chart of areas for the latest period (no map);
the definition, caveats, sources and method beside the charts; metrics the open sources lack, with the reason.
Charts are inline SVG drawn here: no JavaScript, no web fonts, nothing fetched, so the page opens offline.
"""

from __future__ import annotations

import csv
import html
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from core.settings import PROJECT_ROOT

CATALOGUE = PROJECT_ROOT / "dbt_project" / "seeds" / "reference" / "mission_metric_catalogue.csv"

# The Statement of Levelling Up Missions (25 January 2024), paraphrased as in MISSIONS.md.
MISSION_AIMS = {
    1: "Pay, employment and productivity rise in every area, each with a globally competitive city; the gap between "
    "the top performing and other areas closes.",
    2: "Domestic public investment in R&D outside the Greater South East rises by at least 40% by 2030.",
    3: "Local public transport connectivity across the country is significantly closer to London's standards.",
    4: "Nationwide gigabit-capable broadband and 4G coverage, with 5G coverage for the majority of the population.",
    5: "90% of primary school children in England reach the expected standard in reading, writing and maths; in "
    "the worst performing areas the percentage rises by over a third.",
    6: "The number of people successfully completing high-quality skills training rises in every area of the UK.",
    7: "The gap in healthy life expectancy between the local areas where it is highest and lowest narrows; "
    "healthy life expectancy rises by five years by 2035.",
    8: "Well-being improves in every area of the UK; the gap between top performing and other areas closes.",
    9: "Pride in place rises in every area of the UK; the gap between top performing and other areas closes.",
    10: "Renters have a secure path to ownership with first-time buyers increasing in every area; the number of "
    "non-decent rented homes falls by 50%.",
    11: "Homicide, serious violence and neighbourhood crime fall, focused on the worst-affected areas.",
    12: "Every part of England that wants one has a devolution deal with powers at or approaching the highest "
    "level of devolution.",
}

CHARTED_LEVELS = ("country", "nation", "region", "itl1")  # "UK / nations / regions" lines
UK, ENGLAND = "K02000001", "E92000001"
PALETTE = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
    "#ff7f0e", "#7f7f7f", "#393b79", "#637939", "#843c39", "#7b4173", "#3182bd", "#e6550d",
]  # fmt: skip


@dataclass
class Series:
    label: str
    points: list[tuple[date, float]]
    colour: str
    width: float = 1.6
    dash: str | None = None


def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def fmt(value: float | None, unit: str | None = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    a = abs(value)
    if a >= 1000:
        s = f"{value:,.0f}"
    elif a >= 100:
        s = f"{value:,.1f}"
    elif a >= 1:
        s = f"{value:,.2f}".rstrip("0").rstrip(".")
    else:
        s = f"{value:.3g}"
    if unit in ("%",):
        return s + "%"
    if unit == "GBP":
        return "£" + s
    return s


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi == lo:
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    start = math.floor(lo / step) * step
    ticks = []
    t = start
    while not ticks or ticks[-1] < hi - 1e-12 * max(1.0, abs(hi)):
        ticks.append(round(t, 10))
        t += step
    return ticks


def _svg_open(width: int, height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{esc(label)}" font-family="Arial, Helvetica, sans-serif" font-size="11">'
        f"<title>{esc(label)}</title>"
    )


def line_chart(
    series: list[Series],
    *,
    title: str,
    unit: str | None,
    baseline: tuple[date, float] | None = None,
    width: int = 620,
    height: int = 280,
    legend_width: int = 170,
) -> str:
    """Values over time, one line per series; an optional dashed baseline with its period marked."""
    pts = [p for s in series for p in s.points if p[1] is not None]
    if not pts:
        return '<p class="nodata">No values to chart.</p>'
    left, right, top, bottom = 58, legend_width + 12, 14, 34
    pw, ph = width - left - right, height - top - bottom
    xs = [p[0].toordinal() for p in pts]
    ys = [p[1] for p in pts] + ([baseline[1]] if baseline else [])
    x0, x1 = min(xs), max(xs)
    if x0 == x1:
        x0, x1 = x0 - 365, x1 + 365
    ticks = _nice_ticks(min(ys), max(ys))
    y0, y1 = ticks[0], ticks[-1]

    def sx(d: date) -> float:
        return left + (d.toordinal() - x0) / (x1 - x0) * pw

    def sy(v: float) -> float:
        return top + ph - (v - y0) / ((y1 - y0) or 1) * ph

    out = [_svg_open(width, height, title)]
    for t in ticks:
        y = sy(t)
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#444">{esc(fmt(t, unit))}</text>'
        )
    years = sorted({date.fromordinal(x).year for x in xs})
    step = max(1, math.ceil(len(years) / 8))
    for yr in years[::step]:
        x = sx(date(yr, 1, 1)) if date(yr, 1, 1).toordinal() >= x0 else sx(date.fromordinal(x0))
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + ph}" y2="{top + ph + 4}" stroke="#444"/>')
        out.append(f'<text x="{x:.1f}" y="{top + ph + 16}" text-anchor="middle" fill="#444">{yr}</text>')
    out.append(f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" stroke="#444"/>')
    if baseline:
        by = sy(baseline[1])
        bx = sx(baseline[0])
        out.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{by:.1f}" y2="{by:.1f}" stroke="#555" stroke-dasharray="5 4"/>'
        )
        out.append(
            f'<circle cx="{bx:.1f}" cy="{by:.1f}" r="4.5" fill="none" stroke="#000" stroke-width="1.5"/>'
        )
    for s in series:
        p = [(sx(d), sy(v)) for d, v in sorted(s.points) if v is not None]
        if not p:
            continue
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        if len(p) > 1:
            path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(p))
            out.append(f'<path d="{path}" fill="none" stroke="{s.colour}" stroke-width="{s.width}"{dash}/>')
        for x, y in p if len(p) <= 30 else p[-1:]:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.4" fill="{s.colour}"/>')
    # legend, ordered by the latest value (highest first) so it reads like the lines' right-hand ends
    lx = width - legend_width + 4
    ordered = sorted(series, key=lambda s: -(max(s.points)[1] if s.points else -math.inf))
    if baseline:
        ordered = [*ordered, Series(f"baseline ({baseline[0].year})", [], "#555", dash="5 4")]
    for i, s in enumerate(ordered[:18]):
        y = top + 6 + i * 14
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        out.append(
            f'<line x1="{lx}" x2="{lx + 16}" y1="{y}" y2="{y}" stroke="{s.colour}" stroke-width="{max(s.width, 2)}"{dash}/>'
        )
        label = s.label if len(s.label) <= 26 else s.label[:25] + "…"
        out.append(f'<text x="{lx + 21}" y="{y + 4}" fill="#222">{esc(label)}</text>')
    if len(ordered) > 18:
        out.append(f'<text x="{lx}" y="{top + 6 + 18 * 14}" fill="#666">+{len(ordered) - 18} more</text>')
    out.append("</svg>")
    return "".join(out)


def ranked_bar_chart(
    items: list[tuple[str, float]],
    *,
    title: str,
    unit: str | None,
    reference: tuple[str, float] | None = None,
    width: int = 620,
    show: int = 12,
) -> str:
    """Areas ranked by value (highest first), one horizontal bar each. Long lists show the top and bottom
    `show` areas with the number and median of those in between; a reference (UK/England) value is a line."""
    items = sorted([(n, v) for n, v in items if v is not None], key=lambda t: -t[1])
    if not items:
        return '<p class="nodata">No area values for the latest period.</p>'
    n = len(items)
    values = sorted(v for _, v in items)
    median = values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2
    rows: list[tuple[int, str, float] | None] = []
    if n <= 2 * show + 4:
        rows = [(i + 1, name, v) for i, (name, v) in enumerate(items)]
    else:
        rows = [(i + 1, name, v) for i, (name, v) in enumerate(items[:show])]
        rows.append(None)
        rows += [(n - show + i + 1, name, v) for i, (name, v) in enumerate(items[-show:])]
    bar_h, gap, label_w, top = 13, 3, 210, 16
    left = label_w + 34
    pw = width - left - 70
    height = top + len(rows) * (bar_h + gap) + 30
    lo = min(0.0, min(values))
    hi = max(values + ([reference[1]] if reference else []))
    if hi == lo:
        hi = lo + 1

    def sx(v: float) -> float:
        return left + (v - lo) / (hi - lo) * pw

    out = [_svg_open(width, height, title)]
    out.append(
        f'<text x="{left}" y="10" fill="#666">{n} areas, highest first; median {esc(fmt(median, unit))}'
        f"{' ' + esc(unit) if unit and unit not in ('%', 'GBP') else ''}</text>"
    )
    y = top
    for row in rows:
        if row is None:
            out.append(
                f'<text x="{left}" y="{y + bar_h - 3}" fill="#666" font-style="italic">… {n - 2 * show} areas '
                f"between (ranks {show + 1}–{n - show}) …</text>"
            )
            y += bar_h + gap
            continue
        rank, name, v = row
        label = name if len(name) <= 34 else name[:33] + "…"
        out.append(
            f'<text x="{label_w + 28}" y="{y + bar_h - 3}" text-anchor="end" fill="#222">{esc(label)}</text>'
        )
        out.append(f'<text x="2" y="{y + bar_h - 3}" fill="#888">{rank}</text>')
        x0, x1 = sx(max(lo, 0.0) if lo >= 0 else 0.0), sx(v)
        out.append(
            f'<rect x="{min(x0, x1):.1f}" y="{y}" width="{abs(x1 - x0):.1f}" height="{bar_h}" fill="#3b6fb6"/>'
        )
        out.append(
            f'<text x="{max(x0, x1) + 4:.1f}" y="{y + bar_h - 3}" fill="#222">{esc(fmt(v, unit))}</text>'
        )
        y += bar_h + gap
    if reference:
        rx = sx(reference[1])
        out.append(
            f'<line x1="{rx:.1f}" x2="{rx:.1f}" y1="{top - 2}" y2="{y}" stroke="#d62728" stroke-width="1.5"/>'
        )
        out.append(
            f'<text x="{rx:.1f}" y="{y + 12}" text-anchor="middle" fill="#d62728">'
            f"{esc(reference[0])} {esc(fmt(reference[1], unit))}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def load_catalogue(path: Path = CATALOGUE) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _series_colours(codes: list[str]) -> dict[str, str]:
    out, i = {}, 0
    for c in codes:
        if c == UK:
            out[c] = "#000000"
        elif c == ENGLAND:
            out[c] = "#555555"
        else:
            out[c] = PALETTE[i % len(PALETTE)]
            i += 1
    return out


def _headline_block(con: duckdb.DuckDBPyConnection, cat: dict) -> str:
    mid = cat["metric_id"]
    unit = cat["unit"]
    rows = con.execute(
        """
        select area_code, any_value(area_name), period_start, any_value(value), any_value(geography_level)
        from mission_metrics
        where metric_id = ? and status in ('ok', 'low_reliability') and value is not null
          and geography_level in ('country', 'nation', 'region', 'itl1')
        group by area_code, period_start
        order by area_code, period_start
        """,
        [mid],
    ).fetchall()
    by_area: dict[str, tuple[str, list]] = {}
    for code, name, start, value, _lvl in rows:
        by_area.setdefault(code, (name, []))[1].append((start, float(value)))
    codes = sorted(
        by_area, key=lambda c: (c != UK, c != ENGLAND, not c.endswith("92000001") and c[3:5] == "92", c)
    )
    colours = _series_colours(codes)
    series = [
        Series(by_area[c][0] or c, by_area[c][1], colours[c], width=2.6 if c in (UK, ENGLAND) else 1.5)
        for c in codes
    ]
    parts = []
    if series:
        parts.append(
            f"<figure><figcaption>{esc(cat['metric_name'])} ({esc(unit)}): over time, UK / nations / regions</figcaption>"
            + line_chart(series, title=f"{cat['metric_name']} over time", unit=unit)
            + "</figure>"
        )
    else:
        parts.append(
            '<p class="nodata">No UK, nation or region series for this metric; see the ranked chart.</p>'
        )
    # ranked chart: the most detailed geography the metric has, latest period with values
    detail = con.execute(
        """
        with lv as (
            select geography_level, count(distinct area_code) as n
            from mission_metrics where metric_id = ? and value is not null group by 1
        ), pick as (
            select geography_level from lv
            order by case geography_level when 'country' then 0 when 'nation' then 1 else 2 end desc, n desc
            limit 1
        ), latest as (
            select max(period_start) as p from mission_metrics
            where metric_id = ? and value is not null and geography_level = (select geography_level from pick)
        )
        select area_name, area_code, value, period_start, period_end, geography_level
        from mission_metrics
        where metric_id = ? and value is not null
          and geography_level = (select geography_level from pick)
          and period_start = (select p from latest)
        """,
        [mid, mid, mid],
    ).fetchall()
    if detail:
        period = _period_label(detail[0][3], detail[0][4])
        level = detail[0][5].replace("_", " ")
        ref = con.execute(
            """
            select area_name, value from mission_metrics
            where metric_id = ? and period_start = ? and area_code in (?, ?) and value is not null
            order by area_code = ? desc limit 1
            """,
            [mid, detail[0][3], UK, ENGLAND, UK],
        ).fetchone()
        items = [(name or code, float(v)) for name, code, v, *_ in detail]
        parts.append(
            f"<figure><figcaption>{esc(cat['metric_name'])}: areas ranked, {esc(level)}, {esc(period)}"
            "</figcaption>"
            + ranked_bar_chart(
                items,
                title=f"{cat['metric_name']}, areas ranked, {period}",
                unit=unit,
                reference=(ref[0], float(ref[1])) if ref and len(items) > 1 else None,
            )
            + "</figure>"
        )
    return "".join(parts)


def _gap_block(con: duckdb.DuckDBPyConnection, cat: dict) -> str:
    rows = con.execute(
        """
        select period_start, period_end, value, baseline_period_start, baseline_value, change_since_baseline,
               method, n_areas, top_group_name, n_top_group, bottom_group_name, n_bottom_group
        from mission_gaps where metric_id = ? and status = 'ok' and value is not null order by period_start
        """,
        [cat["metric_id"]],
    ).fetchall()
    if not rows:
        return ""
    unit = cat["unit"]
    series = [Series("gap", [(r[0], float(r[2])) for r in rows], "#b2182b", width=2.4)]
    base = next(((r[3], float(r[4])) for r in rows if r[3] is not None and r[4] is not None), None)
    last = rows[-1]
    change = None if last[5] is None else float(last[5])
    summary = (
        f"Latest ({esc(_period_label(last[0], last[1]))}): <b>{esc(fmt(last[2]))} {esc(unit)}</b>"
        + (
            f"; change since the baseline ({esc(base[0].year)}): <b>{'+' if (change or 0) > 0 else ''}"
            f"{esc(fmt(change))}</b>"
            if base and change is not None
            else ""
        )
        + f". Groups: {esc(last[8])} ({last[9]}) vs {esc(last[10])} ({last[11]}) of {last[7]} areas."
    )
    return (
        f"<figure><figcaption>{esc(cat['metric_name'])} ({esc(unit)}): gap over time against the baseline</figcaption>"
        + line_chart(series, title=f"{cat['metric_name']} over time", unit=unit, baseline=base)
        + f'<p class="gapnote">{summary}</p></figure>'
    )


def _period_label(start: date | None, end: date | None) -> str:
    if start is None:
        return "no period"
    if end is None or end == start:
        return start.isoformat()
    if start.month == 1 and start.day == 1 and end.month == 12 and end.day == 31:
        return str(start.year) if start.year == end.year else f"{start.year}–{end.year}"
    return f"{start.isoformat()} to {end.isoformat()}"


def _aside(cat: dict, feeds: dict[str, dict]) -> str:
    src = []
    for f in filter(None, (cat.get("source_feeds") or "").split("|")):
        info = feeds.get(f, {})
        title = info.get("title") or f
        url = info.get("url")
        link = f'<a href="{esc(url)}">{esc(title)}</a>' if url else esc(title)
        src.append(f"<li>{link} <code>{esc(f)}</code></li>")
    badges = [f'<span class="badge">{esc(cat["kind"])}</span>']
    if str(cat.get("is_proxy")).lower() == "true":
        badges.append('<span class="badge proxy">proxy: not the headline</span>')
    badges.append(f'<span class="badge">coverage {esc(cat["coverage"])}</span>')
    return (
        '<aside class="defs">'
        + "".join(badges)
        + f"<h4>Definition</h4><p>{esc(cat['definition'])}</p>"
        + f"<p><b>Unit:</b> {esc(cat['unit'])} &nbsp; <b>Geography:</b> {esc(cat['geography_level'].replace('|', ', '))}"
        + (
            f" &nbsp; <b>Baseline:</b> {esc(cat['baseline_period_start'])}"
            if cat.get("baseline_period_start")
            else ""
        )
        + "</p>"
        + (f"<h4>Caveats</h4><p>{esc(cat['caveats'])}</p>" if cat.get("caveats") else "")
        + (f"<h4>Sources</h4><ul>{''.join(src)}</ul>" if src else "")
        + f'<p class="mid">metric_id <code>{esc(cat["metric_id"])}</code></p>'
        + "</aside>"
    )


CSS = """
body{font-family:Arial,Helvetica,sans-serif;margin:0;color:#1b1b1b;background:#fff;line-height:1.4}
header{background:#12436d;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:24px}
header p{margin:2px 0;font-size:13px}main{padding:8px 28px 40px;max-width:1240px}
nav{font-size:13px;margin:12px 0}nav a{margin-right:10px}
section.mission{border-top:3px solid #12436d;margin-top:28px}section.mission>h2{margin:12px 0 4px}
p.aim{font-style:italic;color:#333;margin:0 0 10px}
.metric{display:grid;grid-template-columns:minmax(0,640px) minmax(260px,1fr);gap:18px;margin:16px 0;
 padding:12px;border:1px solid #ddd;border-radius:4px}
.metric h3{grid-column:1/-1;margin:0;font-size:17px}
figure{margin:0 0 14px}figcaption{font-size:13px;font-weight:bold;color:#12436d;margin-bottom:4px}
aside.defs{font-size:13px;background:#f5f7fa;padding:10px 12px;border-left:4px solid #12436d;align-self:start}
aside.defs h4{margin:10px 0 2px;font-size:13px}aside.defs p{margin:2px 0}aside.defs ul{margin:2px 0;padding-left:18px}
.badge{display:inline-block;font-size:11px;background:#dde6f0;border-radius:3px;padding:1px 6px;margin:0 4px 4px 0}
.badge.proxy{background:#fde2c8}.nodata{color:#777;font-style:italic}.gapnote{font-size:13px;margin:4px 0}
table.na{border-collapse:collapse;font-size:13px;margin:8px 0}table.na td,table.na th{border:1px solid #ccc;
 padding:4px 8px;text-align:left;vertical-align:top}code{font-size:12px}.mid{color:#666;margin-top:8px}
footer{font-size:12px;color:#555;border-top:1px solid #ccc;margin-top:30px;padding-top:8px}
@media print{.metric{break-inside:avoid}}
"""


def render_report(
    marts_db: Path,
    out_path: Path,
    *,
    catalogue: list[dict] | None = None,
    feeds: dict[str, dict] | None = None,
    release_id: str | None = None,
) -> dict:
    """Write the mission report for the release whose marts are in `marts_db`. Returns counts for the manifest."""
    catalogue = catalogue if catalogue is not None else load_catalogue()
    feeds = feeds or {}
    con = duckdb.connect(str(marts_db), read_only=True)
    try:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        if "mission_metrics" not in tables:
            raise FileNotFoundError(f"{marts_db} has no mission_metrics table")
        has_gaps = "mission_gaps" in tables
        present = {r[0] for r in con.execute("select distinct metric_id from mission_metrics").fetchall()}
        na = {
            r[0]: r[1]
            for r in con.execute(
                "select metric_id, any_value(status_reason) from mission_metrics group by 1 "
                "having bool_and(status = 'not_available')"
            ).fetchall()
        }
        n_charts = 0
        sections = []
        for mission in range(1, 13):
            cats = [c for c in catalogue if int(c["mission"]) == mission and c["metric_id"] in present]
            if not cats:
                continue
            name = cats[0]["mission_name"]
            blocks = []
            unavailable = []
            for cat in cats:
                mid = cat["metric_id"]
                if mid in na:
                    unavailable.append((cat, na[mid] or cat.get("reason")))
                    continue
                if cat["kind"] == "gap":
                    body = _gap_block(con, cat) if has_gaps else ""
                    if not body:
                        unavailable.append((cat, "no gap values in this release"))
                        continue
                else:
                    body = _headline_block(con, cat)
                n_charts += body.count("<svg")
                blocks.append(
                    f'<div class="metric" id="{esc(mid)}"><h3>{esc(cat["metric_name"])}</h3>'
                    f"<div>{body}</div>{_aside(cat, feeds)}</div>"
                )
            na_html = ""
            if unavailable:
                na_html = (
                    "<h3>Not available in the open sources</h3><table class='na'><tr><th>metric</th><th>metric_id</th>"
                    "<th>reason</th></tr>"
                    + "".join(
                        f"<tr><td>{esc(c['metric_name'])}</td><td><code>{esc(c['metric_id'])}</code></td>"
                        f"<td>{esc(r)}</td></tr>"
                        for c, r in unavailable
                    )
                    + "</table>"
                )
            sections.append(
                f'<section class="mission" id="mission-{mission}"><h2>Mission {mission}: {esc(name)}</h2>'
                f'<p class="aim">{esc(MISSION_AIMS.get(mission, ""))}</p>{"".join(blocks)}{na_html}</section>'
            )
        nav = " ".join(
            f'<a href="#mission-{m}">{m}</a>'
            for m in range(1, 13)
            if f'id="mission-{m}"' in "".join(sections)
        )
        generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        page = (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Levelling Up missions report{' — release ' + esc(release_id) if release_id else ''}</title>"
            f"<style>{CSS}</style></head><body>"
            "<header><h1>Levelling Up missions: metrics report</h1>"
            f"<p>Release <b>{esc(release_id or 'unknown')}</b>, generated {generated}. Values from the release's "
            "<code>mission_metrics</code> and <code>mission_gaps</code> marts; definitions from the mission metric "
            "catalogue (<code>docs/missions.md</code>).</p></header><main>"
            "<p>For each mission: each metric over time for the UK, nations and regions; every gap over time "
            "against its baseline (dashed line; the circled point is the baseline period); and the areas ranked "
            "for the latest period (no map; the red line is the UK or England value). Proxies are labelled and "
            "are never the headline. Definitions, caveats and sources sit beside each chart.</p>"
            f"<nav>Missions: {nav}</nav>{''.join(sections)}"
            "<footer>Source: Office for National Statistics and the publishers named per metric, licensed under the "
            "Open Government Licence v3.0 unless stated. Contains public sector information licensed under the Open "
            "Government Licence v3.0. Per-value provenance: the <code>provenance</code> mart and the release "
            "manifest.</footer></main></body></html>"
        )
    finally:
        con.close()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(page, encoding="utf-8")
    return {"missions": len(sections), "charts": n_charts, "bytes": out_path.stat().st_size}
