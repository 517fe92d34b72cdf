"""Mission dashboards, one per mission (`/mission?mission=<n>`); they replace the old static mission report.

Belongs here: for one mission, each headline metric over time (UK, nations, regions), the areas ranked for
the latest period at the metric's most detailed geography (UK/England as the reference line), each gap over
time against its baseline with the change since the baseline and the ranked groups behind it, the definition,
caveats and sources beside the charts, and the metrics the open sources lack with the reason. The same blocks
render live (Dash) and as the static snapshots in a release (`dashboards.static`).
"""

from __future__ import annotations

import pandas as pd

from dashboards.blocks import Column, Facts, Links, Section, Table, Text
from dashboards.catalogue import ENGLAND, MISSION_AIMS, UK, fmt_value, mission_catalogue
from dashboards.pagetypes.base import Filter, Option, Page, PageContext, QueryCheck
from dashboards.pagetypes.common import baseline_label, line_chart, period_label, ranked_chart

TREND_LEVELS = ("country", "nation", "region", "itl1")

PRESENT_SQL = """
select metric_id, bool_and(status = 'not_available') as not_available, any_value(status_reason) as reason
from mission_metrics where mission = $mission group by metric_id
"""

TREND_SQL = """
select area_code, any_value(area_name) as area_name, any_value(geography_level) as geography_level,
       period_start, any_value(period_end) as period_end, any_value(value) as value
from mission_metrics
where metric_id = $metric_id and status in ('ok', 'low_reliability') and value is not null
  and geography_level in ('country', 'nation', 'region', 'itl1')
group by area_code, period_start order by area_code, period_start
"""

RANKED_SQL = """
with lv as (
    select geography_level, count(distinct area_code) as n from mission_metrics
    where metric_id = $metric_id and value is not null group by 1
), pick as (
    select geography_level from lv
    order by case geography_level when 'country' then 0 when 'nation' then 1 else 2 end desc, n desc limit 1
), latest as (
    select max(period_start) as p from mission_metrics
    where metric_id = $metric_id and value is not null and geography_level = (select geography_level from pick)
)
select area_code, area_name, geography_level, period_start, period_end, value, status
from mission_metrics
where metric_id = $metric_id and value is not null
  and geography_level = (select geography_level from pick) and period_start = (select p from latest)
"""

REFERENCE_SQL = """
select area_name, value from mission_metrics
where metric_id = $metric_id and period_start = $period_start and area_code in ('K02000001', 'E92000001')
  and value is not null
order by area_code = 'K02000001' desc limit 1
"""

GAP_SQL = """
select period_start, period_end, value, unit, baseline_period_start, baseline_value, change_since_baseline,
       method, grouping, n_areas, top_group_name, n_top_group, top_group_value, bottom_group_name,
       n_bottom_group, bottom_group_value, top_area_name
from mission_gaps where metric_id = $metric_id and status = 'ok' and value is not null order by period_start
"""

GROUPS_SQL = """
select area_code, area_name, group_name, rank, value, ranking_value, period_start, period_end
from mission_gap_groups
where metric_id = $metric_id
  and period_start = (select max(period_start) from mission_gap_groups where metric_id = $metric_id)
order by rank
"""


class MissionDashboard(Page):
    id = "missions"
    path = "/mission"
    title = "Mission dashboards"
    kind = "mission"
    description = (
        "One dashboard per Levelling Up mission: headline metrics over time, each gap against its baseline, "
        "areas ranked, with definitions and caveats beside the charts."
    )
    reads = frozenset({"mission_metrics"})

    def __init__(self, catalogue: list[dict] | None = None):
        self._catalogue = catalogue

    @property
    def catalogue(self) -> list[dict]:
        if self._catalogue is None:
            self._catalogue = mission_catalogue()
        return self._catalogue

    def missions(self) -> dict[int, str]:
        return {int(c["mission"]): c["mission_name"] for c in self.catalogue}

    def filters(self, ctx: PageContext) -> list[Filter]:
        options = [Option(str(m), f"Mission {m}: {name}") for m, name in sorted(self.missions().items())]
        return [Filter("mission", "Mission", options, options[0].value if options else None)]

    def title_for(self, ctx: PageContext, values: dict) -> str:
        m = int(values.get("mission") or 1)
        return f"Mission {m}: {self.missions().get(m, '')}"

    def checks(self) -> list[QueryCheck]:
        mid = {"metric_id": "m7_hle_male"}
        return [
            QueryCheck(self.id, "present", PRESENT_SQL, {"mission": 7},
                       {"metric list": ["metric_id", "not_available", "reason"]}, reads={"mission_metrics"}),
            QueryCheck(self.id, "trend", TREND_SQL, mid,
                       {"over time": ["area_code", "area_name", "period_start", "value"]}, reads={"mission_metrics"}),
            QueryCheck(self.id, "ranked", RANKED_SQL, mid,
                       {"areas ranked": ["area_code", "area_name", "geography_level", "period_start", "value"]},
                       reads={"mission_metrics"}),
            QueryCheck(self.id, "reference", REFERENCE_SQL, {**mid, "period_start": "2020-01-01"},
                       {"reference line": ["area_name", "value"]}, reads={"mission_metrics"}),
            QueryCheck(self.id, "gap", GAP_SQL, mid,
                       {"gap over time": ["period_start", "value", "baseline_period_start", "baseline_value",
                                          "change_since_baseline", "n_areas"]}, reads={"mission_gaps"}),
            QueryCheck(self.id, "groups", GROUPS_SQL, mid,
                       {"gap groups": ["area_code", "area_name", "group_name", "rank", "value"]},
                       reads={"mission_gap_groups"}, optional=True),
        ]  # fmt: skip

    # -- content --------------------------------------------------------------------------------------------
    def content(self, ctx: PageContext, values: dict) -> list:
        mission = int(values.get("mission") or 1)
        cats = [c for c in self.catalogue if int(c["mission"]) == mission]
        present = {r[0]: (r[1], r[2]) for r in ctx.rows(PRESENT_SQL, {"mission": mission})}
        from publish.exports.catalog import feeds_table

        feeds = feeds_table(ctx.con, ctx.tables)
        profiles = (
            {r[0] for r in ctx.rows("select distinct area_code from dash_areas")}
            if "geography" in ctx.tables
            else set()
        )
        blocks: list = []
        shown, unavailable = [], []
        for cat in cats:
            mid = cat["metric_id"]
            if mid not in present:
                continue
            na, reason = present[mid]
            if na:
                unavailable.append({"metric_name": cat["metric_name"], "metric_id": mid,
                                    "reason": reason or cat.get("reason") or ""})  # fmt: skip
                continue
            if cat["kind"] == "gap":
                body = self._gap(ctx, cat, profiles) if "mission_gaps" in ctx.tables else []
                if not body:
                    unavailable.append({"metric_name": cat["metric_name"], "metric_id": mid,
                                        "reason": "no gap values in this release"})  # fmt: skip
                    continue
            else:
                body = self._headline(ctx, cat, profiles)
            shown.append(cat)
            blocks.append(
                Section(
                    cat["metric_name"], body, key=mid, aside=self._aside(cat, feeds, ctx.catalogue), level=3
                )
            )
        head: list = [Text(MISSION_AIMS.get(mission, ""), "aim")]
        head.append(
            Facts(
                [
                    ("Metrics charted", str(len(shown))),
                    ("Not available in the open sources", str(len(unavailable))),
                    ("Release", ctx.release_id),
                ],
                key="mission",
            )  # fmt: skip
        )
        head.append(
            Text(
                "Headline metrics are shown for the UK, nations and regions over time, then the areas ranked for "
                "the latest period (the red line is the UK or England value). Each gap is shown over time against "
                "its baseline (dashed line). Proxies are labelled and never the headline.",
                "note",
            )
        )
        out = [Section(None, head, key="intro"), *blocks]
        if unavailable:
            out.append(
                Section(
                    "Not available in the open sources",
                    [
                        Table(
                            "not-available",
                            "Metrics not available",
                            pd.DataFrame(unavailable),
                            [
                                Column("metric_name", "Metric"),
                                Column("metric_id", "metric_id"),
                                Column("reason", "Reason"),
                            ],
                        )
                    ],  # fmt: skip
                    key="not-available",
                )
            )
        others = [
            (f"Mission {m}: {n}", ctx.href("/mission", mission=m)) for m, n in sorted(self.missions().items())
        ]
        out.append(Links("Other missions", others, key="missions"))
        return out

    def _headline(self, ctx, cat: dict, profiles: set[str]) -> list:
        mid, unit = cat["metric_id"], cat["unit"]
        out: list = []
        trend = ctx.df(TREND_SQL, {"metric_id": mid})
        if not trend.empty:
            order = sorted(
                trend["area_code"].unique(),
                key=lambda c: (c != UK, c != ENGLAND, c[3:5] != "92", c),
            )
            names = trend.drop_duplicates("area_code").set_index("area_code")["area_name"]
            trend = trend.assign(o=trend["area_code"].map({c: i for i, c in enumerate(order)}))
            trend = trend.sort_values(["o", "period_start"]).drop(columns="o")
            emphasis = {names.get(UK, "United Kingdom"): {"color": "#0b0c0c", "width": 3},
                        names.get(ENGLAND, "England"): {"color": "#505a5f", "width": 3}}  # fmt: skip
            out.append(
                line_chart(
                    f"{mid}-trend",
                    f"{cat['metric_name']} over time: UK, nations and regions",
                    trend,
                    series="area_name",
                    unit=unit,
                    emphasis=emphasis,
                    extra_columns=[Column("area_code", "Code"), Column("geography_level", "Level")],
                )  # fmt: skip
            )
        ranked = ctx.df(RANKED_SQL, {"metric_id": mid})
        if len(ranked) > 1:
            start, end = ranked["period_start"].iloc[0], ranked["period_end"].iloc[0]
            level = str(ranked["geography_level"].iloc[0]).replace("_", " ")
            ref = ctx.rows(REFERENCE_SQL, {"metric_id": mid, "period_start": start})
            out.append(
                ranked_chart(
                    f"{mid}-ranked",
                    f"{cat['metric_name']}: areas ranked ({level}, {period_label(start, end)})",
                    ranked,
                    unit=unit,
                    reference=(ref[0][0], ref[0][1]) if ref else None,
                    href=lambda r: (
                        ctx.href("/area", area=r["area_code"]) if r["area_code"] in profiles else None
                    ),
                    extra_columns=[Column("status", "Status")],
                )  # fmt: skip
            )
        if not out:
            out.append(Text("No values to chart for this metric in this release.", "note"))
        return out

    def _gap(self, ctx, cat: dict, profiles: set[str]) -> list:
        mid, unit = cat["metric_id"], cat["unit"]
        gap = ctx.df(GAP_SQL, {"metric_id": mid})
        if gap.empty:
            return []
        base = gap.dropna(subset=["baseline_period_start", "baseline_value"])
        baseline = (
            (base["baseline_period_start"].iloc[0], float(base["baseline_value"].iloc[0]))
            if len(base)
            else None
        )
        data = gap.assign(series="gap")
        chart = line_chart(
            f"{mid}-gap", f"{cat['metric_name']}: the gap over time against its baseline", data, series="series",
            unit=unit, baseline=baseline, emphasis={"gap": {"color": "#d4351c", "width": 3}},
        )  # fmt: skip
        data["period"] = [
            period_label(s, e) for s, e in zip(data["period_start"], data["period_end"], strict=True)
        ]

        def num(v, _r):
            return fmt_value(v, None, unit)

        def signed(v, _r):
            return "–" if v is None or pd.isna(v) else ("+" if v > 0 else "") + fmt_value(v, None, unit)

        chart.table = Table(
            f"{mid}-gap", chart.title, data.drop(columns=["series"]),
            [Column("period", "Period"), Column("value", f"Gap ({unit})", fmt=num, numeric=True),
             Column("baseline_value", "Baseline", fmt=num, numeric=True),
             Column("change_since_baseline", "Change since the baseline", fmt=signed, numeric=True),
             Column("n_areas", "Areas", numeric=True),
             Column("top_group_name", "Top group"), Column("n_top_group", "n", numeric=True),
             Column("bottom_group_name", "Compared with"), Column("n_bottom_group", "n", numeric=True)],
        )  # fmt: skip
        last = gap.iloc[-1]
        facts = [
            (
                f"Latest gap ({period_label(last['period_start'], last['period_end'])})",
                num(last["value"], None),
            )
        ]
        if baseline is not None and not pd.isna(last["change_since_baseline"]):
            facts.append((f"Change since the baseline ({baseline_label(baseline[0])})",
                          signed(last["change_since_baseline"], None)))  # fmt: skip
        facts.append(("Groups", f"{last['top_group_name']} ({last['n_top_group']}) vs {last['bottom_group_name']} "
                                f"({last['n_bottom_group']}) of {last['n_areas']} areas"))  # fmt: skip
        facts.append(("Method", str(last["method"])))
        out: list = [Facts(facts, key=f"{mid}-gap"), chart]
        if "mission_gap_groups" in ctx.tables:
            groups = ctx.df(GROUPS_SQL, {"metric_id": mid})
            if len(groups) > 1:
                start, end = groups["period_start"].iloc[0], groups["period_end"].iloc[0]
                out.append(
                    ranked_chart(
                        f"{mid}-groups",
                        f"{cat['metric_name']}: the ranked areas behind the gap ({period_label(start, end)})",
                        groups,
                        unit=unit,
                        group="group_name",
                        href=lambda r: (
                            ctx.href("/area", area=r["area_code"]) if r["area_code"] in profiles else None
                        ),
                    )  # fmt: skip
                )
        return out

    def _aside(self, cat: dict, feeds: dict, indicators=None) -> list:
        facts = [("Kind", cat["kind"]), ("Unit", cat["unit"]), ("Coverage", cat["coverage"]),
                 ("Geography", cat["geography_level"].replace("|", ", ").replace("_", " "))]  # fmt: skip
        if cat.get("baseline_period_start"):
            facts.append(("Baseline", cat["baseline_period_start"]))
        facts.append(("metric_id", cat["metric_id"]))
        out: list = []
        if str(cat.get("is_proxy")).lower() == "true":
            out.append(Text("Proxy: not the Statement's headline metric.", "warning"))
        out += [Text("Definition", "h4"), Text(cat["definition"]), Facts(facts)]
        if cat.get("caveats"):
            out += [Text("Caveats", "h4"), Text(cat["caveats"])]
        sources = []
        for f in filter(None, (cat.get("source_feeds") or "").split("|")):
            info = feeds.get(f, {})
            sources.append((f"{info.get('title') or f} ({f})", info.get("url") or "#"))
        if sources:
            out.append(Links("Sources", sources))
        # the source feeds' indicators as their publisher describes them (indicator_catalogue, else the registry)
        described = [
            i for i in (indicators.indicators if indicators is not None else [])
            if i.feed_id in (cat.get("source_feeds") or "").split("|")
        ]  # fmt: skip
        if described:
            out.append(Text("Source indicators", "h4"))
            for i in described:
                rule = f"{i.measure_type}: {i.aggregation_rule}" if i.aggregation_rule else i.measure_type
                by = f" Source: {i.source_org}." if i.source_org else ""
                out.append(Text(f"{i.label} ({rule}). {i.description or ''}{by}".strip()))
        return out
