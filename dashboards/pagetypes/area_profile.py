"""The area profile: one page per area (`/area?area=<code>`) for every LAD, county/unitary, combined authority,
region and nation.

Belongs here: for one area, each indicator's latest value against its parent and England/the UK at the same
period, its rank among the areas of each level it belongs to (1 = highest), a trend line per indicator (small
multiples: the area, its parent, England/the UK), and the area's similar areas and cluster when the release has
the similar-areas marts. Values are target-vintage (`indicators_harmonised where is_target_vintage`).
"""

from __future__ import annotations

import math

import pandas as pd

from dashboards.blocks import AXIS, FONT, Chart, Column, Facts, Links, Section, Table, Text
from dashboards.catalogue import ENGLAND, LEVELS, UK, fmt_value
from dashboards.pagetypes.base import Filter, Option, Page, PageContext, QueryCheck
from dashboards.pagetypes.common import period_label

LEVEL_ORDER = list(LEVELS)

LATEST_SQL = """
with me as (select distinct level from dash_areas where area_code = $area),
latest as (
    select feed_id, indicator, period_start, period_end, value, unit, status, is_derived, harmonisation_method
    from indicators_harmonised
    where is_target_vintage and area_code = $area and value is not null
    qualify row_number() over (partition by feed_id, indicator order by period_start desc, period_end desc) = 1
),
peers as (
    select h.feed_id, h.indicator, d.level, h.area_code, h.value
    from indicators_harmonised h
    join latest l using (feed_id, indicator, period_start, period_end)
    join dash_areas d on d.area_code = h.area_code and d.level in (select level from me)
    where h.is_target_vintage and h.value is not null
),
ranks as (
    select feed_id, indicator, level, area_code,
           rank() over (partition by feed_id, indicator, level order by value desc) as rank,
           count(*) over (partition by feed_id, indicator, level) as n_ranked
    from peers
)
select l.feed_id, l.indicator, l.period_start, l.period_end, l.value, l.unit, l.status, l.is_derived,
       l.harmonisation_method, r.level, r.rank, r.n_ranked
from latest l left join ranks r on r.feed_id = l.feed_id and r.indicator = l.indicator and r.area_code = $area
order by l.indicator, r.level
"""

COMPARATORS_SQL = """
with latest as (
    select feed_id, indicator, period_start, period_end
    from indicators_harmonised
    where is_target_vintage and area_code = $area and value is not null
    qualify row_number() over (partition by feed_id, indicator order by period_start desc, period_end desc) = 1
)
select h.feed_id, h.indicator, h.area_code, h.value
from indicators_harmonised h join latest l using (feed_id, indicator, period_start, period_end)
where h.is_target_vintage and h.value is not null and list_contains($codes, h.area_code)
"""

TREND_SQL = """
select feed_id, indicator, area_code, any_value(area_name) as area_name, period_start, period_end,
       any_value(value) as value
from indicators_harmonised
where is_target_vintage and value is not null and list_contains($codes, area_code)
group by feed_id, indicator, area_code, period_start, period_end
order by feed_id, indicator, area_code, period_start
"""

AREA_SQL = "select * from dash_areas where area_code = $area"

SIMILAR_SQL = """
select model, rank, neighbour_code, neighbour_name, distance
from similar_areas where area_code = $area order by model, rank
"""
CLUSTER_SQL = (
    "select model, cluster, distance_to_centroid from area_clusters where area_code = $area order by model"
)

SERIES_COLOURS = {"area": "#12436D", "parent": "#F46A25", "england": "#28A197", "uk": "#3D3D3D"}


class AreaProfile(Page):
    id = "area-profile"
    path = "/area"
    title = "Area profile"
    kind = "area-profile"
    description = (
        "One page per area (district, county or unitary, combined authority, region, nation): every indicator's "
        "latest value against its parent and England/the UK, its rank, and its trend."
    )
    reads = frozenset({"indicators_harmonised", "geography"})

    def filters(self, ctx: PageContext) -> list[Filter]:
        rows = ctx.rows(
            "select area_code, any_value(area_name), list(level) from dash_areas group by area_code "
            "order by any_value(area_name), area_code"
        )
        options = []
        for code, name, levels in rows:
            finest = min(levels, key=LEVEL_ORDER.index)
            options.append(Option(code, f"{name} ({LEVELS[finest][0]}, {code})"))
        default = next(
            (o.value for o in options if o.value == ENGLAND), options[0].value if options else None
        )
        return [
            Filter("area", "Area", options, default, help="Type to search by name or code"),
        ]

    def title_for(self, ctx: PageContext, values: dict) -> str:
        row = ctx.rows(
            "select any_value(area_name) from dash_areas where area_code = $area", {"area": values["area"]}
        )
        return f"Area profile: {row[0][0]}" if row and row[0][0] else self.title

    def checks(self) -> list[QueryCheck]:
        p = {"area": ENGLAND}
        cols = [
            "feed_id",
            "indicator",
            "period_start",
            "period_end",
            "value",
            "unit",
            "level",
            "rank",
            "n_ranked",
        ]
        return [
            QueryCheck(self.id, "area", AREA_SQL, p, {"area facts": ["level", "area_name", "parent_code"]},
                       reads={"geography"}),
            QueryCheck(self.id, "latest", LATEST_SQL, p, {"latest values table": cols},
                       reads={"indicators_harmonised", "geography"}),
            QueryCheck(self.id, "comparators", COMPARATORS_SQL, {**p, "codes": [UK]},
                       {"comparator columns": ["feed_id", "indicator", "area_code", "value"]},
                       reads={"indicators_harmonised"}),
            QueryCheck(self.id, "trend", TREND_SQL, {"codes": [UK]},
                       {"trend chart": ["feed_id", "indicator", "area_code", "period_start", "value"]},
                       reads={"indicators_harmonised"}),
            QueryCheck(self.id, "similar", SIMILAR_SQL, p,
                       {"similar areas": ["model", "rank", "neighbour_code", "neighbour_name", "distance"]},
                       reads={"similar_areas"}, optional=True),
            QueryCheck(self.id, "cluster", CLUSTER_SQL, p, {"cluster": ["model", "cluster"]},
                       reads={"area_clusters"}, optional=True),
        ]  # fmt: skip

    def content(self, ctx: PageContext, values: dict) -> list:
        area = values["area"]
        me = ctx.df(AREA_SQL, {"area": area})
        if me.empty:
            return [Text(f"No area with code {area} in this release.", "warning")]
        me["order"] = me["level"].map(LEVEL_ORDER.index)
        me = me.sort_values("order")
        primary = me.iloc[0]
        name, level = primary["area_name"], primary["level"]
        parent_code, parent_name = primary["parent_code"], primary["parent_name"]
        comparators: list[tuple[str, str, str]] = []  # (key, code, label)
        if parent_code and parent_code not in (area,):
            comparators.append(("parent", parent_code, f"{parent_name} (parent)"))
        if primary["country_code"] == ENGLAND and area != ENGLAND and parent_code != ENGLAND:
            comparators.append(("england", ENGLAND, "England"))
        if area != UK and parent_code != UK:
            comparators.append(("uk", UK, "United Kingdom"))
        codes = [c for _, c, _ in comparators]

        latest = ctx.df(LATEST_SQL, {"area": area})
        comp = ctx.df(COMPARATORS_SQL, {"area": area, "codes": codes or [""]}) if codes else pd.DataFrame()
        table = self._latest_table(ctx, latest, comp, comparators, level, area)

        facts = [("Code", area), ("Level", "; ".join(LEVELS[lv][0] for lv in me["level"]))]
        if parent_code:
            facts.append(("Parent", f"{parent_name} ({parent_code})"))
        if primary["region_name"] and primary["region_code"] != area:
            facts.append(("Region", str(primary["region_name"])))
        if primary["country_name"] and primary["country_code"] != area:
            facts.append(("Nation", str(primary["country_name"])))
        facts.append(("Indicators with a value", str(table.data["indicator_id"].nunique())))
        blocks: list = [
            Section(None, [Facts(facts, key="area")], key="facts"),
        ]
        links = [(f"{parent_name} profile", ctx.href("/area", area=parent_code))] if parent_code else []
        if level != "CTRY":
            links.append(("Every indicator for this area's level", ctx.href("/indicator", level=level)))
        blocks.append(Links("Related pages", links, key="related"))
        blocks.append(
            Section(
                "Latest values",
                [
                    Text(
                        "Each indicator's latest period with a value for this area, the same period for the "
                        "comparators, and the area's rank among the areas of its level with a value for that "
                        "period (1 = highest value; whether high is good depends on the indicator).",
                        "note",
                    ),
                    table,
                ],
                key="latest",
            )
        )
        trend = ctx.df(TREND_SQL, {"codes": [area, *codes]})
        if not trend.empty:
            blocks.append(
                Section("Trends", [self._trend_chart(ctx, trend, area, name, comparators)], key="trends")
            )
        blocks += self._similar(ctx, area)
        blocks.append(
            Text(
                f"Values: indicators_harmonised (April 2025 geography; derived values say how in 'how'). "
                f"Release {ctx.release_id}. Indicator descriptions: {ctx.catalogue.source}.",
                "note",
            )
        )
        return blocks

    def _latest_table(self, ctx, latest: pd.DataFrame, comp: pd.DataFrame, comparators, level, area) -> Table:
        cat = ctx.catalogue
        rows: dict[tuple[str, str], dict] = {}
        for r in latest.to_dict("records"):
            key = (r["feed_id"], r["indicator"])
            ind = cat.by_key(*key)
            row = rows.setdefault(
                key,
                {
                    "indicator_id": ind.id if ind else None,
                    "indicator": ind.label if ind else r["indicator"],
                    "indicator_name": r["indicator"],
                    "feed_id": r["feed_id"],
                    "period_start": r["period_start"],
                    "period_end": r["period_end"],
                    "period": period_label(r["period_start"], r["period_end"]),
                    "value": r["value"],
                    "unit": r["unit"],
                    "status": r["status"],
                    "how": r["harmonisation_method"] if r["is_derived"] else "published",
                    "_dp": ind.decimal_places if ind else None,
                },
            )
            lv = r["level"]
            if isinstance(lv, str):
                suffix = "" if lv == level else f"_{lv.lower()}"
                row[f"rank{suffix}"] = r["rank"]
                row[f"n_ranked{suffix}"] = r["n_ranked"]
        for key, code, _label in comparators:
            for r in rows.values():
                r.setdefault(f"{key}_value", None)
                r.setdefault(f"{key}_code", code)
            if not comp.empty:
                for c in comp[comp["area_code"] == code].to_dict("records"):
                    if (c["feed_id"], c["indicator"]) in rows:
                        rows[(c["feed_id"], c["indicator"])][f"{key}_value"] = c["value"]
        df = pd.DataFrame(list(rows.values()))
        if df.empty:
            df = pd.DataFrame(
                columns=["indicator_id", "indicator", "period", "value", "unit", "rank", "n_ranked"]
            )
        if "rank" not in df.columns:
            df["rank"], df["n_ranked"] = None, None

        def value_fmt(v, row):
            return fmt_value(v, row.get("_dp"), row.get("unit"))

        def rank_fmt(v, row):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                return "–"
            text = f"{int(v)} of {int(row['n_ranked'])}"
            for lv in LEVEL_ORDER:
                if row.get(f"rank_{lv.lower()}") is not None and not pd.isna(row.get(f"rank_{lv.lower()}")):
                    text += f"; {int(row[f'rank_{lv.lower()}'])} of {int(row[f'n_ranked_{lv.lower()}'])} {LEVELS[lv][1]}"
            return text

        cols = [
            Column(
                "indicator",
                "Indicator",
                href=lambda r: (
                    ctx.href("/indicator", indicator=r["indicator_id"], level=level, areas=area)
                    if r.get("indicator_id")
                    else None
                ),
            ),  # fmt: skip
            Column("period", "Period"),
            Column("value", "Value", fmt=value_fmt, numeric=True),
            *[Column(f"{key}_value", label, fmt=value_fmt, numeric=True) for key, _c, label in comparators],
            Column("rank", f"Rank among {LEVELS[level][1]}", fmt=rank_fmt, numeric=True),
            Column("unit", "Unit"),
            Column("how", "How"),
        ]
        csv = df.drop(columns=[c for c in df.columns if c.startswith("_")])
        return Table(
            "latest",
            "Latest values",
            df,
            cols,
            caption="Latest value of each indicator for this area",
            csv=csv,
            row_key=lambda r: f"{r['feed_id']}|{r['indicator_name']}",
        )

    def _trend_chart(self, ctx, trend: pd.DataFrame, area, name, comparators) -> Chart:
        cat = ctx.catalogue
        series_of = {area: ("area", name)} | {code: (key, label) for key, code, label in comparators}
        trend = trend.copy()
        trend["series"] = [series_of.get(c, ("", c))[1] for c in trend["area_code"]]
        trend["series_key"] = [series_of.get(c, ("", c))[0] for c in trend["area_code"]]
        own = trend[trend["area_code"] == area][["feed_id", "indicator"]].drop_duplicates()
        keys = [tuple(r) for r in own.itertuples(index=False)]
        keys.sort(key=lambda k: cat.by_key(*k).label if cat.by_key(*k) else k[1])
        n = len(keys)
        panels = []
        for k in keys:
            ind = cat.by_key(*k)
            label = ind.label if ind else k[1]
            title = (label[:42] + "…" if len(label) > 43 else label) + (
                f" ({ind.unit})" if ind and ind.unit else ""
            )
            d = trend[(trend["feed_id"] == k[0]) & (trend["indicator"] == k[1])]
            lines = []
            for skey, sd in d.groupby("series_key", sort=False):
                sd = sd.sort_values("period_start")
                lines.append((skey, sd["series"].iloc[0], sd["period_start"].tolist(), sd["value"].tolist()))
            panels.append((title, lines))
        fig = small_multiples(panels)
        table_df = trend.assign(
            indicator_label=[cat.by_key(f, i).label if cat.by_key(f, i) else i for f, i in zip(trend["feed_id"], trend["indicator"], strict=True)],
            period=[period_label(s, e) for s, e in zip(trend["period_start"], trend["period_end"], strict=True)],
        )[["indicator_label", "series", "area_code", "period", "period_start", "period_end", "value", "feed_id", "indicator"]]  # fmt: skip

        def value_fmt(v, row):
            ind = cat.by_key(row["feed_id"], row["indicator"])
            return fmt_value(v, ind.decimal_places if ind else None, ind.unit if ind else None)

        cols = [
            Column("indicator_label", "Indicator"),
            Column("series", "Series"),
            Column("period", "Period"),
            Column("value", "Value", fmt=value_fmt, numeric=True),
        ]
        rises = []
        for k in keys:
            d = trend[
                (trend["feed_id"] == k[0]) & (trend["indicator"] == k[1]) & (trend["area_code"] == area)
            ]
            d = d.sort_values("period_start")
            if len(d) >= 2:
                ind = cat.by_key(*k)
                label = ind.label if ind else k[1]
                direction = (
                    "rose"
                    if d["value"].iloc[-1] > d["value"].iloc[0]
                    else ("fell" if d["value"].iloc[-1] < d["value"].iloc[0] else "was unchanged")
                )
                rises.append(
                    f"{label} {direction} from {value_fmt(d['value'].iloc[0], d.iloc[0])} "
                    f"({period_label(d['period_start'].iloc[0])}) to {value_fmt(d['value'].iloc[-1], d.iloc[-1])} "
                    f"({period_label(d['period_start'].iloc[-1])})"
                )  # fmt: skip
        summary = (
            f"{n} indicators over time for {name}"
            + (f", with {', '.join(label for _, _, label in comparators)}" if comparators else "")
            + ". "
            + (
                "; ".join(rises[:6]) + ("; see the data table for the rest." if len(rises) > 6 else ".")
                if rises
                else ""
            )
        )
        return Chart(
            "trends", f"Trends: {name}", fig, Table("trends", f"Trends: {name}", table_df, cols), summary
        )

    def _similar(self, ctx, area) -> list:
        out: list = []
        if "similar_areas" not in ctx.tables:
            return [
                Section(
                    "Similar areas",
                    [Text("This release has no similar-areas marts (similar_areas, area_clusters).", "note")],
                    key="similar",
                )
            ]
        sim = ctx.df(SIMILAR_SQL, {"area": area})
        clusters = ctx.df(CLUSTER_SQL, {"area": area}) if "area_clusters" in ctx.tables else pd.DataFrame()
        if sim.empty:
            return [
                Section(
                    "Similar areas",
                    [Text("No similar areas are computed for this area.", "note")],
                    key="similar",
                )
            ]
        for model, d in sim.groupby("model", sort=True):
            cl = clusters[clusters["model"] == model] if not clusters.empty else pd.DataFrame()
            note = f"Model '{model}'" + (f": cluster {cl.iloc[0]['cluster']}." if len(cl) else ".")
            out.append(
                Section(
                    f"Similar areas ({model} model)",
                    [
                        Text(
                            note + " Nearest neighbours by distance on the model's standardised indicators.",
                            "note",
                        ),
                        Table(
                            f"similar-{model}",
                            f"Similar areas ({model})",
                            d.reset_index(drop=True),
                            [
                                Column("rank", "Rank", numeric=True),
                                Column(
                                    "neighbour_name",
                                    "Area",
                                    href=lambda r: ctx.href("/area", area=r["neighbour_code"]),
                                ),
                                Column("neighbour_code", "Code"),
                                Column("distance", "Distance", fmt=lambda v, _r: f"{v:.3f}", numeric=True),
                            ],
                        ),  # fmt: skip
                    ],
                    key=f"similar-{model}",
                )
            )
        return out


def small_multiples(panels: list[tuple[str, list[tuple[str, str, list, list]]]], ncols: int = 3) -> dict:
    """One small line chart per panel (title, [(series key, label, x, y)]), as a plain figure dict: plotly's
    validating objects take over a second for ~30 panels, a dict is built in milliseconds."""
    nrows = max(1, math.ceil(len(panels) / ncols))
    height = max(320, 230 * nrows + 60)
    top_px, gap_px = 70, 62
    row_h = (height - top_px - 30) / nrows
    layout: dict = {
        "height": height, "showlegend": True, "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff",
        "margin": {"l": 50, "r": 20, "t": top_px, "b": 30},
        "font": {"family": FONT, "size": 12, "color": "#0b0c0c"},
        "legend": {"orientation": "h", "x": 0, "y": 1, "yanchor": "bottom", "yref": "container"},
        "annotations": [], "hovermode": "closest",
    }  # fmt: skip
    data, shown = [], set()
    plot_h = height - top_px - 30
    for i, (title, lines) in enumerate(panels):
        r, c = divmod(i, ncols)
        ax = "" if i == 0 else str(i + 1)
        x0, x1 = c / ncols + 0.03, (c + 1) / ncols - 0.03
        y_top = 1 - (r * row_h) / plot_h - 30 / plot_h
        y_bottom = 1 - ((r + 1) * row_h) / plot_h + (gap_px - 30) / plot_h
        one_period = len({str(x) for _k, _l, xs, _y in lines for x in xs}) == 1
        layout[f"xaxis{ax}"] = {**AXIS, "domain": [x0, x1], "anchor": f"y{ax}", "tickfont": {"size": 10},
                                "type": "category" if one_period else "date"}  # fmt: skip
        layout[f"yaxis{ax}"] = {**AXIS, "domain": [max(0, y_bottom), y_top], "anchor": f"x{ax}",
                                "tickfont": {"size": 10}}  # fmt: skip
        layout["annotations"].append(
            {"text": title, "x": (x0 + x1) / 2, "y": y_top, "xref": "paper", "yref": "paper", "xanchor": "center",
             "yanchor": "bottom", "showarrow": False, "font": {"size": 12}}
        )  # fmt: skip
        for skey, label, xs, ys in lines:
            data.append(
                {"type": "scatter", "mode": "lines+markers", "name": label, "legendgroup": skey,
                 "showlegend": skey not in shown, "x": [pd.Timestamp(x).date().isoformat() for x in xs], "y": ys,
                 "xaxis": f"x{ax}", "yaxis": f"y{ax}", "marker": {"size": 4},
                 "line": {"color": SERIES_COLOURS.get(skey, "#505a5f"), "width": 2.5 if skey == "area" else 1.5},
                 "hovertemplate": "%{x}: %{y}<extra>" + str(label).replace("<", "&lt;") + "</extra>"}
            )  # fmt: skip
            shown.add(skey)
    return {"data": data, "layout": layout}
