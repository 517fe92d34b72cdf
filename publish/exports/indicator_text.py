"""The indicator text a release's documents show (data dictionary, Excel notes sheet): one row per (feed_id,
indicator) from the release's `indicator_catalogue` mart, or from the registry when a release lacks the mart.

Belongs here: `indicator_texts` and its column list; the documents decide how to lay the text out.
"""

from __future__ import annotations

import duckdb

TEXT_COLUMNS = [
    "feed_id", "indicator", "label", "subtitle", "long_description", "caveats", "source_org", "source_url",
    "source_date", "is_experimental", "unit", "measure_type", "aggregation_rule", "is_aggregatable",
    "first_period", "last_period", "row_count", "missions",
]  # fmt: skip


def indicator_texts(con: duckdb.DuckDBPyConnection, marts: list[str] | set[str]) -> tuple[list[dict], str]:
    """(rows, where the text came from: 'indicator_catalogue' or 'registry')."""
    if "indicator_catalogue" in marts:
        have = {r[0] for r in con.execute("describe indicator_catalogue").fetchall()}
        cols = [c for c in TEXT_COLUMNS if c in have]
        rows = con.execute(
            f"select {', '.join(cols)} from indicator_catalogue order by feed_id, indicator"
        ).fetchall()
        return [dict(zip(cols, r, strict=True)) for r in rows], "indicator_catalogue"
    from core.registry import AGGREGATABLE, AGGREGATION_RULE, load_registry
    from core.settings import get_settings

    reg = load_registry(get_settings().registry_path)
    out = []
    for f in reg.feeds:
        if f.family != "ess" or not f.enabled or f.sensitivity != "open":
            continue
        for i in f.indicators:
            out.append(
                {
                    "feed_id": f.id,
                    "indicator": i.name,
                    "label": i.label or i.name,
                    "subtitle": i.subtitle,
                    "long_description": i.long_description or i.description,
                    "caveats": i.caveats,
                    "source_org": f.source_org or f.publisher,
                    "source_url": f.source_url or f.url,
                    "source_date": f.source_date,
                    "is_experimental": f.experimental,
                    "unit": i.unit,
                    "measure_type": i.measure_type,
                    "aggregation_rule": AGGREGATION_RULE[i.measure_type],
                    "is_aggregatable": i.measure_type in AGGREGATABLE,
                    "first_period": None,
                    "last_period": None,
                    "row_count": None,
                    "missions": list(i.missions if i.missions is not None else f.missions),
                }
            )
    return sorted(out, key=lambda r: (r["feed_id"], r["indicator"])), "registry"
