"""What one open release offers the API, derived once per release: its indicators and the area codes it knows.

Belongs here: the API's indicator identifiers (ONS-style slugs of the indicator labels, e.g.
`employment-rate`), the indicator metadata (from the `indicator_catalogue` mart when the release has it, or
from the release's own marts plus the feed registry until then), the set of area codes the release knows, and
the mapping between the ONS geography labels of the source marts and the API's level codes. Everything is
computed from the snapshot it is given and memoised on that release's handle, so two releases never share
facts.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from serve.snapshot import Snapshot

log = logging.getLogger("levelup.serve")

HARMONISED = "indicators_harmonised"
SOURCE = "indicators"

# The ONS `geography` labels of the source marts -> the level codes `indicators_harmonised.area_level` uses.
SOURCE_LEVELS = {
    "Country": "CTRY",
    "Nation": "CTRY",
    "Region": "RGN",
    "Combined Authority or City Region": "CA",
    "County or Unitary Authority": "CTYUA",
    "Local Authority District": "LAD",
    "ITL Level 1": "ITL1",
    "ITL Level 2": "ITL2",
    "ITL Level 3": "ITL3",
    "Police Force Area": "PFA",
}
SOURCE_LEVEL_SQL = (
    "case geography_level "
    + " ".join(f"when '{k}' then '{v}'" for k, v in SOURCE_LEVELS.items())
    + " else 'SMALL_AREA' end"
)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "indicator"


@dataclass(frozen=True)
class Indicator:
    id: str
    feed_id: str
    label: str
    measure_type: str | None
    unit: str | None
    facts: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class IndicatorIndex:
    items: tuple[Indicator, ...]
    by_id: dict
    by_key: dict  # (feed_id, label) -> Indicator

    def resolve(self, ids: list[str]) -> tuple[list[Indicator], list[str]]:
        found, unknown = [], []
        for i in ids:
            ind = self.by_id.get(i.lower())
            (found if ind else unknown).append(ind or i)
        return found, unknown


@lru_cache(maxsize=4)
def _registry(path: str, mtime: float):
    from core.registry import load_registry

    return load_registry(Path(path))


def registry_or_none():
    """The feed registry the server was started with, or None when it cannot be read (metadata then has
    only what the release itself says)."""
    from core.settings import get_settings

    path = get_settings().registry_path
    try:
        return _registry(str(path), path.stat().st_mtime)
    except Exception as exc:  # the API still serves data without the registry's descriptions
        log.warning("registry %s unreadable (%s): indicator metadata comes from the release only", path, exc)
        return None


def _catalogue_rows(snap: Snapshot) -> dict[tuple[str, str], dict]:
    if not snap.has("indicator_catalogue"):
        return {}
    cols = snap.columns("indicator_catalogue")
    rows = snap.sql("select * from indicator_catalogue")
    out = {}
    for r in rows:
        d = dict(zip(cols, r, strict=True))
        if d.get("feed_id") is not None and d.get("indicator") is not None:
            out[(d["feed_id"], d["indicator"])] = d
    return out


def _compute_indicators(snap: Snapshot) -> IndicatorIndex:
    stats: dict[tuple[str, str], dict] = {}
    for mart, level_sql in ((HARMONISED, "area_level"), (SOURCE, SOURCE_LEVEL_SQL)):
        if not snap.has(mart):
            continue
        rows = snap.sql(
            f"""select feed_id, indicator, any_value(measure_type), any_value(unit), count(*),
                       cast(min(period_start) as varchar), cast(max(period_start) as varchar),
                       list(distinct {level_sql} order by {level_sql})
                from {mart} group by feed_id, indicator"""
        )
        for feed_id, label, mtype, unit, n, first, last, levels in rows:
            s = stats.setdefault((feed_id, label), {"measure_type": mtype, "unit": unit})
            s[f"{mart}_rows"] = n
            s.setdefault("first_period", first)
            s.setdefault("last_period", last)
            s[f"{mart}_levels"] = levels
    catalogue = _catalogue_rows(snap)
    for key in catalogue:
        stats.setdefault(key, {})
    registry = registry_or_none()

    # ids: the slug of the label; when two feeds share a label, each id is prefixed with its feed.
    slugs: dict[str, list[tuple[str, str]]] = {}
    for key in stats:
        cat = catalogue.get(key, {})
        slug = cat.get("slug") or cat.get("indicator_id") or slugify(key[1])
        slugs.setdefault(slug, []).append(key)
    items = []
    for slug, keys in sorted(slugs.items()):
        for key in sorted(keys):
            ind_id = slug if len(keys) == 1 else f"{slugify(key[0])}--{slug}"
            items.append(_indicator(ind_id, key, stats[key], catalogue.get(key), registry, snap))
    return IndicatorIndex(
        items=tuple(items),
        by_id={i.id: i for i in items},
        by_key={(i.feed_id, i.label): i for i in items},
    )


def _indicator(ind_id, key, stat, cat, registry, snap) -> Indicator:
    from core.registry import AGGREGATABLE, AGGREGATION_RULE

    feed_id, label = key
    feed = registry.by_id.get(feed_id) if registry is not None else None
    spec = feed.indicator(label) if feed is not None else None
    source = (snap.manifest.get("feeds") or {}).get(feed_id) or {}
    mtype = (
        (cat or {}).get("measure_type") or stat.get("measure_type") or (spec.measure_type if spec else None)
    )
    file_url = source.get("url") or (feed.url if feed else None)  # the file this release read
    facts = {
        "label": label,
        "feed_id": feed_id,
        "feed_title": feed.title if feed else source.get("title"),
        "measure_type": mtype,
        "unit": (cat or {}).get("unit") or stat.get("unit") or (spec.unit if spec else None),
        "aggregation_rule": AGGREGATION_RULE.get(mtype) if mtype else None,
        "is_aggregatable": (mtype in AGGREGATABLE) if mtype else None,
        "description": spec.description if spec else None,
        "valid_range": list(spec.valid_range) if spec and spec.valid_range else None,
        "missions": (spec.missions if spec and spec.missions else (feed.missions if feed else [])) or [],
        "source_org": feed.publisher if feed else None,
        "source_url": file_url,  # the publisher's page replaces it below when the catalogue has one
        "file_url": file_url,
        "licence": source.get("licence") or (feed.licence if feed else None),
        "first_period": stat.get("first_period"),
        "last_period": stat.get("last_period"),
        "row_count": stat.get(f"{HARMONISED}_rows"),
        "source_row_count": stat.get(f"{SOURCE}_rows"),
        "geography_levels": stat.get(f"{HARMONISED}_levels") or [],
        "source_geography_levels": stat.get(f"{SOURCE}_levels") or [],
        "metadata_source": "indicator_catalogue" if cat else ("registry" if feed else "release"),
    }
    if cat:
        for name in (
            "subtitle",
            "long_description",
            "caveats",
            "source_org",
            "source_url",
            "source_date",
            "is_experimental",
            "decimal_places",
            "aggregation_rule",
            "is_aggregatable",
            "missions",
        ):  # the text and the rules; periods, row counts and levels stay measured on this release's rows
            if cat.get(name) is not None:
                value = cat[name]
                facts[name] = str(value) if name in ("source_date", "first_period", "last_period") else value
        facts["label"] = cat.get("label") or label
    for name in ("missions", "geography_levels"):
        facts[name] = list(facts.get(name) or [])
    return Indicator(ind_id, feed_id, label, mtype, facts["unit"], facts)


def indicators(snap: Snapshot) -> IndicatorIndex:
    return snap.fact("indicators", _compute_indicators)


def _compute_codes(snap: Snapshot) -> dict[str, tuple[str | None, str | None]]:
    """Every area code the release knows -> (name, level code)."""
    out: dict[str, tuple[str | None, str | None]] = {}
    if snap.has(SOURCE):
        for code, name, level in snap.sql(
            f"select area_code, any_value(area_name), any_value({SOURCE_LEVEL_SQL}) from {SOURCE} group by 1"
        ):
            out[code] = (name, level)
    if snap.has(HARMONISED):
        for code, name, level in snap.sql(
            f"select area_code, any_value(area_name), any_value(area_level) from {HARMONISED} group by 1"
        ):
            out[code] = (name, level)
    if snap.has("mission_metrics"):
        for code, name in snap.sql(
            "select area_code, any_value(area_name) from mission_metrics where area_code is not null group by 1"
        ):
            out.setdefault(code, (name, None))
    return out


def known_codes(snap: Snapshot) -> dict[str, tuple[str | None, str | None]]:
    return snap.fact("codes", _compute_codes)
