"""Custom areas (`/custom-areas?custom_area=<name>&indicator=<id>`): the analyst-defined areas and their additive
indicators (the `custom_area_indicators` mart).

Belongs here: for one custom area, how its member list matched (listed, matched, not matched and which codes),
the latest value of each additive indicator with its status (`incomplete` when a member has no value), the chosen
indicator over time, and every custom area compared on it; with an explanation of how to define an area when the
release has none.
"""

from __future__ import annotations

import pandas as pd

from dashboards.blocks import Column, Facts, Section, Text
from dashboards.catalogue import fmt_value, slug
from dashboards.pagetypes.base import Filter, Option, Page, PageContext, QueryCheck
from dashboards.pagetypes.common import line_chart, period_label, ranked_chart

AREAS_SQL = """
select custom_area, any_value(description) as description, any_value(member_kind) as member_kind,
       max(members_listed) as members_listed, max(members_matched) as members_matched,
       max(members_not_matched) as members_not_matched, any_value(unmatched_codes) as unmatched_codes
from custom_area_indicators group by custom_area order by custom_area
"""
INDICATORS_SQL = """
select feed_id, indicator, any_value(unit) as unit, count(*) filter (where value is not null) as n_values
from custom_area_indicators group by feed_id, indicator order by indicator
"""
VALUES_SQL = """
select custom_area, feed_id, indicator, period_start, period_end, value, unit, status, method,
       members_matched, members_with_value, uses_derived_values
from custom_area_indicators where custom_area = $custom_area order by indicator, period_start
"""
COMPARE_SQL = """
with v as (
    select custom_area, period_start, period_end, value, status from custom_area_indicators
    where feed_id = $feed_id and indicator = $indicator and value is not null
)
select custom_area as area_code, custom_area as area_name, period_start, period_end, value, status from v
qualify dense_rank() over (order by period_start desc, period_end desc) = 1
"""


class CustomAreas(Page):
    id = "custom-areas"
    path = "/custom-areas"
    title = "Custom areas"
    kind = "custom-areas"
    description = "Analyst-defined areas (lists of districts or small areas) and their additive indicators."
    reads = frozenset({"custom_area_indicators"})

    def _indicator_ids(self, ctx) -> dict[str, tuple[str, str, str | None]]:
        out = {}
        for feed_id, indicator, unit, _n in ctx.rows(INDICATORS_SQL):
            ind = ctx.catalogue.by_key(feed_id, indicator)
            out[ind.id if ind else slug(f"{feed_id}-{indicator}")] = (feed_id, indicator, unit)
        return out

    def filters(self, ctx: PageContext) -> list[Filter]:
        areas = [Option(r[0], r[0]) for r in ctx.rows(AREAS_SQL)]
        inds = [Option(k, f"{v[1]} ({v[2]})" if v[2] else v[1]) for k, v in self._indicator_ids(ctx).items()]
        return [
            Filter("custom_area", "Custom area", areas, areas[0].value if areas else None),
            Filter("indicator", "Indicator", inds, inds[0].value if inds else None),
        ]

    def checks(self) -> list[QueryCheck]:
        r = {"custom_area_indicators"}
        return [
            QueryCheck(self.id, "areas", AREAS_SQL, {}, {"coverage": ["custom_area", "members_listed",
                       "members_matched", "members_not_matched", "unmatched_codes"]}, reads=r),
            QueryCheck(self.id, "indicators", INDICATORS_SQL, {}, {"indicator list": ["feed_id", "indicator", "unit"]},
                       reads=r),
            QueryCheck(self.id, "values", VALUES_SQL, {"custom_area": "x"},
                       {"values": ["indicator", "period_start", "period_end", "value", "status"]}, reads=r),
            QueryCheck(self.id, "compare", COMPARE_SQL, {"feed_id": "x", "indicator": "x"},
                       {"comparison": ["area_code", "area_name", "value"]}, reads=r),
        ]  # fmt: skip

    def content(self, ctx: PageContext, values: dict) -> list:
        areas = ctx.df(AREAS_SQL)
        how = Text(
            "To define an area, drop a CSV (custom_area, member_code, description) or YAML file into "
            "<data dir>/custom_areas/ and refresh (`levelup refresh-feeds custom-areas`). Members are LAD codes of "
            "any vintage or small areas (LSOA 2011, data zones, NI SOAs). Only additive (count) indicators are "
            "summed over the members; a value is given only when every matched member has one (see "
            "docs/geography.md).",
            "note",
        )
        if areas.empty:
            return [Text("This release has no custom areas.", "warning"), how]
        name = values.get("custom_area") or areas["custom_area"].iloc[0]
        row = areas[areas["custom_area"] == name]
        if row.empty:
            return [Text(f"No custom area named {name!r} in this release.", "warning"), how]
        info = row.iloc[0]
        facts = [
            ("Description", info["description"] or "–"),
            ("Members are", str(info["member_kind"])),
            ("Members listed", str(info["members_listed"])),
            ("Matched", str(info["members_matched"])),
            ("Not matched", str(info["members_not_matched"])),
        ]
        if info["unmatched_codes"]:
            facts.append(("Codes not matched", str(info["unmatched_codes"])))
        vals = ctx.df(VALUES_SQL, {"custom_area": name})
        latest = (
            vals.sort_values(["indicator", "period_start", "period_end"])
            .groupby(["feed_id", "indicator"], as_index=False)
            .tail(1)
            .reset_index(drop=True)
        )
        latest["period"] = [
            period_label(s, e) for s, e in zip(latest["period_start"], latest["period_end"], strict=True)
        ]
        ids = {v[:2]: k for k, v in self._indicator_ids(ctx).items()}
        latest["indicator_id"] = [
            ids.get((f, i)) for f, i in zip(latest["feed_id"], latest["indicator"], strict=True)
        ]
        table = Section(
            "Latest value of each indicator",
            [
                _table(ctx, latest, name),
            ],
            key="latest",
        )
        blocks: list = [Section(name, [Facts(facts, key="custom-area")], key="coverage"), table]
        chosen = self._indicator_ids(ctx).get(values.get("indicator") or "")
        if chosen:
            feed_id, indicator, unit = chosen
            series = vals[(vals["feed_id"] == feed_id) & (vals["indicator"] == indicator)].assign(series=name)
            series = series.dropna(subset=["value"])
            ind = ctx.catalogue.by_key(feed_id, indicator)
            dp = ind.decimal_places if ind else None
            charts = []
            if not series.empty:
                charts.append(
                    line_chart(
                        "over-time",
                        f"{indicator}: {name} over time",
                        series,
                        series="series",
                        unit=unit,
                        decimal_places=dp,
                        extra_columns=[
                            Column("status", "Status"),
                            Column("members_with_value", "Members with a value", numeric=True),
                        ],
                    )  # fmt: skip
                )
            compare = ctx.df(COMPARE_SQL, {"feed_id": feed_id, "indicator": indicator})
            if len(compare):
                period = period_label(compare["period_start"].iloc[0], compare["period_end"].iloc[0])
                charts.append(
                    ranked_chart(
                        "compare",
                        f"{indicator}: every custom area, {period}",
                        compare,
                        unit=unit,
                        decimal_places=dp,
                        highlight={name},
                        href=lambda r: ctx.href(
                            "/custom-areas", custom_area=r["area_code"], indicator=values.get("indicator")
                        ),
                    )  # fmt: skip
                )
            if not charts:
                charts.append(Text(f"No complete value of {indicator} for {name}.", "note"))
            blocks.append(Section(indicator, charts, key="indicator"))
        blocks.append(how)
        return blocks


def _table(ctx, latest: pd.DataFrame, name: str):
    from dashboards.blocks import Table

    def value_fmt(v, row):
        ind = ctx.catalogue.by_key(row["feed_id"], row["indicator"])
        return fmt_value(v, ind.decimal_places if ind else None, row.get("unit"))

    def status_fmt(v, row):
        if v == "incomplete":
            return f"incomplete: {row['members_with_value']} of {row['members_matched']} members have a value"
        return str(v)

    cols = [
        Column(
            "indicator",
            "Indicator",
            href=lambda r: (
                ctx.href("/custom-areas", custom_area=name, indicator=r["indicator_id"])
                if r.get("indicator_id")
                else None
            ),
        ),  # fmt: skip
        Column("period", "Period"),
        Column("value", "Value", fmt=value_fmt, numeric=True),
        Column("unit", "Unit"),
        Column("status", "Status", fmt=status_fmt),
        Column("method", "Method"),
    ]
    return Table(
        "latest", f"Latest values: {name}", latest, cols, row_key=lambda r: f"{r['feed_id']}|{r['indicator']}"
    )
