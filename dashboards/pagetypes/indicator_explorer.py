"""The indicator explorer (`/indicator?indicator=<id>&level=<level>&areas=<code>...`).

Belongs here: for one indicator and one geography level, the areas ranked for the latest period the level has,
how their values are distributed (England and the UK marked), and the time series of the areas the analyst
picks (default: the highest and lowest ranked areas and England/the UK). Target-vintage values only.
"""

from __future__ import annotations

import pandas as pd

from dashboards.blocks import Column, Facts, Links, Section, Text
from dashboards.catalogue import ENGLAND, LEVELS, UK
from dashboards.pagetypes.base import Filter, Option, Page, PageContext, QueryCheck
from dashboards.pagetypes.common import distribution_chart, line_chart, period_label, ranked_chart

EXTRA_LEVELS = {
    "ITL1": ("ITL1 region", "ITL1 regions"),
    "ITL2": ("ITL2 area", "ITL2 areas"),
    "ITL3": ("ITL3 area", "ITL3 areas"),
    "PFA": ("police force area", "police force areas"),
}
ALL_LEVELS = {**LEVELS, **EXTRA_LEVELS}

LEVEL_VALUES_SQL = """
with members as (
    select area_code, area_name from dash_areas where level = $level
    union all
    select distinct area_code, area_name from indicators_harmonised
    where is_target_vintage and area_level = $level and $level not in ('LAD', 'CTYUA', 'CA', 'RGN', 'CTRY')
),
v as (
    select h.area_code, m.area_name, h.period_start, h.period_end, h.value, h.status, h.is_derived,
           h.harmonisation_method
    from indicators_harmonised h join members m using (area_code)
    where h.is_target_vintage and h.feed_id = $feed_id and h.indicator = $indicator and h.value is not null
)
select * from v
qualify dense_rank() over (order by period_start desc, period_end desc) = 1
order by value desc, area_name
"""

REFERENCE_SQL = """
select area_code, area_name, value from indicators_harmonised
where is_target_vintage and feed_id = $feed_id and indicator = $indicator and period_start = $period_start
  and period_end = $period_end and area_code in ('E92000001', 'K02000001') and value is not null
"""

SERIES_SQL = """
select area_code, any_value(area_name) as area_name, period_start, period_end, any_value(value) as value
from indicators_harmonised
where is_target_vintage and feed_id = $feed_id and indicator = $indicator and value is not null
  and list_contains($codes, area_code)
group by area_code, period_start, period_end order by area_code, period_start
"""


class IndicatorExplorer(Page):
    id = "indicator-explorer"
    path = "/indicator"
    title = "Indicator explorer"
    kind = "indicator-explorer"
    description = (
        "Choose an indicator and a geography level: the areas ranked, the distribution, and the time series of "
        "the areas you pick."
    )
    reads = frozenset({"indicators_harmonised", "geography"})

    def filters(self, ctx: PageContext) -> list[Filter]:
        inds = ctx.catalogue.indicators
        options = [Option(i.id, f"{i.label} ({i.unit})" if i.unit else i.label) for i in inds]
        levels = [Option(code, names[1][0].upper() + names[1][1:]) for code, names in ALL_LEVELS.items()]
        areas = ctx.rows(
            "select area_code, any_value(area_name), min(level) from dash_areas group by area_code order by 2, 1"
        )
        area_options = [Option(c, f"{n} ({c})") for c, n, _ in areas]

        # default: the longest series among the indicators every profile level has (a series worth exploring)
        def span(i) -> tuple[bool, int]:
            years = (
                int(i.last_period[:4]) - int(i.first_period[:4]) if i.first_period and i.last_period else -1
            )
            return ({"LAD", "CTYUA", "RGN", "CTRY"} <= set(i.levels), years)

        longest = max(inds, key=span, default=None)
        return [
            Filter("indicator", "Indicator", options, longest.id if longest else None),
            Filter("level", "Geography level", levels, "LAD", kind="radio"),
            Filter("areas", "Areas to compare over time", area_options, [], kind="multi",
                   help="Default: the highest and lowest ranked areas, and England / the UK"),
        ]  # fmt: skip

    def title_for(self, ctx: PageContext, values: dict) -> str:
        ind = ctx.catalogue.get(values.get("indicator"))
        return f"Indicator explorer: {ind.label}" if ind else self.title

    def checks(self) -> list[QueryCheck]:
        p = {"feed_id": "x", "indicator": "x", "level": "LAD"}
        return [
            QueryCheck(self.id, "level_values", LEVEL_VALUES_SQL, p,
                       {"ranked areas": ["area_code", "area_name", "period_start", "period_end", "value"]},
                       reads={"indicators_harmonised", "geography"}),
            QueryCheck(self.id, "reference", REFERENCE_SQL,
                       {"feed_id": "x", "indicator": "x", "period_start": "2020-01-01", "period_end": "2020-12-31"},
                       {"reference lines": ["area_code", "area_name", "value"]}, reads={"indicators_harmonised"}),
            QueryCheck(self.id, "series", SERIES_SQL, {"feed_id": "x", "indicator": "x", "codes": [UK]},
                       {"time series": ["area_code", "area_name", "period_start", "value"]},
                       reads={"indicators_harmonised"}),
        ]  # fmt: skip

    def content(self, ctx: PageContext, values: dict) -> list:
        ind = ctx.catalogue.get(values.get("indicator"))
        if ind is None:
            return [Text("This release has no indicator values (indicators_harmonised is empty).", "warning")]
        level = values.get("level") or "LAD"
        chosen = list(values.get("areas") or [])
        key = {"feed_id": ind.feed_id, "indicator": ind.indicator}
        blocks: list = [self._about(ctx, ind)]
        ranked = ctx.df(LEVEL_VALUES_SQL, {**key, "level": level})
        if ranked.empty:
            held = (
                ", ".join(ALL_LEVELS.get(lv, (lv, lv))[1] for lv in ind.levels if lv in ALL_LEVELS) or "none"
            )
            blocks.append(
                Text(
                    f"{ind.label} has no values for {ALL_LEVELS[level][1]} in this release. Levels with values: "
                    f"{held}.",
                    "warning",
                )
            )
        else:
            start, end = ranked["period_start"].iloc[0], ranked["period_end"].iloc[0]
            period = period_label(start, end)
            refs = ctx.df(REFERENCE_SQL, {**key, "period_start": start, "period_end": end})
            marks = {r["area_name"]: r["value"] for r in refs.to_dict("records")}
            ref = next(
                ((r["area_name"], r["value"]) for r in refs.to_dict("records") if r["area_code"] == UK), None
            )
            ref = next(
                ((r["area_name"], r["value"]) for r in refs.to_dict("records") if r["area_code"] == ENGLAND),
                ref,
            )
            for c in chosen:
                hit = ranked[ranked["area_code"] == c]
                if len(hit):
                    marks[str(hit.iloc[0]["area_name"])] = hit.iloc[0]["value"]
            how = Column(
                "harmonisation_method", "How", fmt=lambda v, r: v if r.get("is_derived") else "published"
            )
            blocks.append(
                Section(
                    f"{ALL_LEVELS[level][1][0].upper() + ALL_LEVELS[level][1][1:]} ranked, {period}",
                    [
                        ranked_chart(
                            "ranked",
                            f"{ind.label}: {ALL_LEVELS[level][1]} ranked, {period}",
                            ranked,
                            unit=ind.unit,
                            decimal_places=ind.decimal_places,
                            highlight=set(chosen),
                            reference=ref,
                            href=lambda r: ctx.href("/area", area=r["area_code"]),
                            extra_columns=[how],
                        ),
                        distribution_chart(
                            "distribution",
                            f"{ind.label}: distribution across {ALL_LEVELS[level][1]}, {period}",
                            ranked,
                            unit=ind.unit,
                            decimal_places=ind.decimal_places,
                            marks=marks,
                        ),
                    ],  # fmt: skip
                    key="ranking",
                )
            )
            if not chosen:
                chosen = [ranked["area_code"].iloc[0], ranked["area_code"].iloc[-1]]
                chosen += [c for c in (ENGLAND, UK) if c in set(refs["area_code"])]
        series = ctx.df(SERIES_SQL, {**key, "codes": chosen or [""]}) if chosen else pd.DataFrame()
        if not series.empty:
            order = {c: i for i, c in enumerate(chosen)}
            series = (
                series.assign(o=series["area_code"].map(order))
                .sort_values(["o", "period_start"])
                .drop(columns="o")
            )
            blocks.append(
                Section(
                    "Over time",
                    [
                        line_chart(
                            "series",
                            f"{ind.label} over time",
                            series,
                            series="area_name",
                            unit=ind.unit,
                            decimal_places=ind.decimal_places,
                            emphasis={
                                "England": {"color": "#28A197", "dash": "dot"},
                                "United Kingdom": {"color": "#3D3D3D", "dash": "dot"},
                            },
                            extra_columns=[Column("area_code", "Code")],
                        )
                    ],  # fmt: skip
                    key="over-time",
                )
            )
        return blocks

    def _about(self, ctx, ind) -> Section:
        facts = [("Unit", ind.unit or "–"), ("Measure", ind.measure_type or "–")]
        if ind.first_period and ind.last_period:
            facts.append(("Periods", f"{ind.first_period} to {ind.last_period}"))
        if ind.missions:
            facts.append(("Missions", ", ".join(str(m) for m in ind.missions)))
        if ind.aggregation_rule:
            facts.append(("Aggregation", ind.aggregation_rule))
        if ind.source_org:
            facts.append(("Source", ind.source_org))
        facts.append(("Feed", ind.feed_id))
        children: list = []
        if ind.description:
            children.append(Text(ind.description))
        children.append(Facts(facts, key="indicator"))
        if ind.caveats:
            children.append(Text(f"Caveats: {ind.caveats}", "note"))
        if ind.is_experimental:
            children.append(Text("Experimental statistics.", "note"))
        if ind.source_url:
            children.append(Links(None, [("Source data", ind.source_url)]))
        return Section(ind.label, children, key="about")
