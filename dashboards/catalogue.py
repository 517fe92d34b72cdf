"""What the dashboards describe: indicators, mission metrics, geography levels and areas.

Belongs here: the indicator catalogue of a release (the `indicator_catalogue` mart when the release has it,
else the registry plus what `indicators_harmonised` holds), each indicator's URL id; the mission metric
catalogue (the dbt seed, through publish) and the missions' aims; the geography levels an analyst picks from and
the SQL of the area dimension `dash_areas` (every LAD, county/unitary, combined authority, region and nation with
its parent), built from the `geography` mart; number formatting. Read-only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from core.registry import AGGREGATION_RULE, load_registry
from core.settings import get_settings
from publish.exports.catalog import load_catalogue

UK, ENGLAND, GB, EW = "K02000001", "E92000001", "K03000001", "K04000001"

# the levels an area profile exists for, finest first: code -> (singular, plural)
LEVELS: dict[str, tuple[str, str]] = {
    "LAD": ("local authority district", "local authority districts"),
    "CTYUA": ("county or unitary authority", "counties and unitary authorities"),
    "CA": ("combined authority", "combined authorities (and the Greater London Authority)"),
    "RGN": ("region", "regions of England"),
    "CTRY": ("nation", "nations of the UK"),
}

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


def areas_sql() -> str:
    """The area dimension over the `geography` mart: one row per (level, area_code) with its parent (the county
    for a district in a two-tier county, else the region in England or the nation), region and nation. A
    combined authority spanning two regions (Greater Lincolnshire) has England as its parent."""
    parent_of_la = (
        "case when country_code = 'E92000001' then region_code else country_code end",
        "case when country_code = 'E92000001' then region_name else country_name end",
    )
    return f"""
    with g as (select * from geography),
    lad as (
        select 'LAD' as level, lad_code as area_code, lad_name as area_name,
               case when ctyua_code <> lad_code then ctyua_code else {parent_of_la[0]} end as parent_code,
               case when ctyua_code <> lad_code then ctyua_name else {parent_of_la[1]} end as parent_name,
               region_code, region_name, country_code, country_name
        from g
    ),
    ctyua as (
        select distinct 'CTYUA', ctyua_code, ctyua_name, {parent_of_la[0]}, {parent_of_la[1]},
               region_code, region_name, country_code, country_name
        from g
    ),
    ca as (
        select 'CA', cauth_or_gla_code, any_value(cauth_or_gla_name),
               case when count(distinct region_code) = 1 then any_value(region_code) else 'E92000001' end,
               case when count(distinct region_code) = 1 then any_value(region_name) else 'England' end,
               case when count(distinct region_code) = 1 then any_value(region_code) end,
               case when count(distinct region_code) = 1 then any_value(region_name) end,
               any_value(country_code), any_value(country_name)
        from g where cauth_or_gla_code is not null group by cauth_or_gla_code
    ),
    rgn as (
        select distinct 'RGN', region_code, region_name, country_code, country_name,
               region_code, region_name, country_code, country_name
        from g where region_code is not null
    ),
    ctry as (
        select distinct 'CTRY', country_code, country_name, '{UK}', 'United Kingdom',
               null, null, country_code, country_name
        from g
    )
    select * from lad union all select * from ctyua union all select * from ca
    union all select * from rgn union all select * from ctry
    """


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(frozen=True)
class Indicator:
    id: str
    feed_id: str
    indicator: str
    label: str
    unit: str | None
    measure_type: str | None
    description: str | None = None
    caveats: str | None = None
    source_org: str | None = None
    source_url: str | None = None
    is_experimental: bool = False
    decimal_places: int | None = None
    aggregation_rule: str | None = None
    missions: tuple[int, ...] = ()
    first_period: str | None = None
    last_period: str | None = None
    levels: tuple[str, ...] = ()

    def fmt(self, value) -> str:
        return fmt_value(value, self.decimal_places, self.unit)


@dataclass
class IndicatorCatalogue:
    indicators: list[Indicator]
    source: str
    by_id: dict[str, Indicator] = field(init=False)

    _by_key: dict[tuple[str, str], Indicator] = field(init=False, repr=False)

    def __post_init__(self):
        self.by_id = {i.id: i for i in self.indicators}
        self._by_key = {(i.feed_id, i.indicator): i for i in self.indicators}

    def get(self, indicator_id: str | None) -> Indicator | None:
        return self.by_id.get(indicator_id or "")

    def by_key(self, feed_id: str, indicator: str) -> Indicator | None:
        return self._by_key.get((feed_id, indicator))

    def frame(self) -> pd.DataFrame:
        cols = ["id", "feed_id", "indicator", "label", "unit", "measure_type", "decimal_places"]
        return pd.DataFrame([[getattr(i, c) for c in cols] for i in self.indicators], columns=cols).astype(
            {"decimal_places": "Int64"}
        )

    @classmethod
    def from_release(cls, con: duckdb.DuckDBPyConnection, tables: set[str]) -> IndicatorCatalogue:
        """Every indicator with target-vintage values in the release, described by the `indicator_catalogue`
        mart when the release has one, else by the registry."""
        if "indicators_harmonised" not in tables:
            return cls([], "none: the release has no indicators_harmonised")
        held = con.execute(
            """
            select feed_id, indicator, any_value(unit), any_value(measure_type),
                   cast(min(period_start) as varchar), cast(max(period_start) as varchar),
                   list(distinct area_level order by area_level)
            from indicators_harmonised where is_target_vintage and value is not null
            group by feed_id, indicator order by indicator
            """
        ).fetchall()
        mart: dict[tuple[str, str], dict] = {}
        if "indicator_catalogue" in tables:
            df = con.execute("select * from indicator_catalogue").df()
            mart = {(r["feed_id"], r["indicator"]): r for r in df.to_dict("records")}
        registry = None if mart else load_registry(get_settings().registry_path)
        labels = [r[1] for r in held]
        out = []
        for feed_id, name, unit, mtype, first, last, levels in held:
            ident = slug(name) if labels.count(name) == 1 else slug(f"{feed_id}-{name}")
            if mart:
                row = mart.get((feed_id, name), {})
                missions = row.get("missions")
                out.append(
                    Indicator(
                        id=ident,
                        feed_id=feed_id,
                        indicator=name,
                        label=_text(row.get("label")) or name,
                        unit=_text(row.get("unit")) or unit,
                        measure_type=_text(row.get("measure_type")) or mtype,
                        description=_text(row.get("long_description")) or _text(row.get("subtitle")),
                        caveats=_text(row.get("caveats")),
                        source_org=_text(row.get("source_org")),
                        source_url=_text(row.get("source_url")),
                        is_experimental=bool(row.get("is_experimental") or False),
                        decimal_places=_int(row.get("decimal_places")),
                        aggregation_rule=_text(row.get("aggregation_rule")),
                        missions=tuple(int(m) for m in (missions if missions is not None else [])),
                        first_period=first,
                        last_period=last,
                        levels=tuple(levels),
                    )  # fmt: skip
                )
                continue
            feed = registry.by_id.get(feed_id) if registry else None
            spec = feed.indicator(name) if feed else None
            missions = (spec.missions if spec and spec.missions else None) or (feed.missions if feed else [])
            out.append(
                Indicator(
                    id=ident,
                    feed_id=feed_id,
                    indicator=name,
                    label=name,
                    unit=unit,
                    measure_type=mtype,
                    description=(spec.description if spec else None) or (feed.title if feed else None),
                    source_org=feed.publisher if feed else None,
                    source_url=feed.url if feed else None,
                    aggregation_rule=AGGREGATION_RULE.get(mtype or ""),
                    missions=tuple(missions),
                    first_period=first,
                    last_period=last,
                    levels=tuple(levels),
                )  # fmt: skip
            )
        source = "the indicator_catalogue mart" if mart else "the registry (no indicator_catalogue mart)"
        return cls(out, source)


def _text(v) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    s = str(v).strip()
    return s or None


def _int(v) -> int | None:
    try:
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else int(v)
    except (TypeError, ValueError):
        return None


def mission_catalogue() -> list[dict]:
    """The mission metric catalogue (dbt seed): metric_id, mission, names, unit, definition, caveats, ..."""
    return load_catalogue()


def fmt_value(value, decimal_places: int | None = None, unit: str | None = None) -> str:
    """A value as the pages show it: the catalogue's decimal places, else by magnitude; '%' and '£' marked."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    value = float(value)
    if decimal_places is not None:
        s = f"{value:,.{decimal_places}f}"
    else:
        a = abs(value)
        s = (
            f"{value:,.0f}"
            if a >= 1000
            else f"{value:,.1f}"
            if a >= 100
            else f"{value:,.2f}"
            if a >= 1
            else f"{value:.3g}"
        )
    if unit == "%":
        return s + "%"
    if unit in ("£", "GBP"):
        return ("-£" + s[1:]) if s.startswith("-") else "£" + s
    return s
