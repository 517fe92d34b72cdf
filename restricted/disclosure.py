"""Mission 8's disclosure-controlled outputs, from the restricted zone's pre-SDC cells.

Belongs here: `build_m8_outputs`, which applies statistical disclosure control (`restricted.sdc`) over the
whole cell table at once (LAD / nation / UK x all / sex / age band), so both audiences see one consistent
suppression pattern, and splits the result into the open tier (the 'all' rows) and the cleared tier (every
row). It runs inside the restricted dbt project (the Python model `m8_wellbeing_outputs`), in memory, on cells
that never leave the zone. Pure: DataFrames in, DataFrames out.
"""

from __future__ import annotations

import pandas as pd

from restricted import sdc

PUBLISHED_COLUMNS = [
    "metric_id",
    "area_level",
    "area_code",
    "parent_code",
    "survey_year",
    "period_start",
    "period_end",
    "breakdown",
    "breakdown_value",
    "share_pct",
    "lci_95",
    "uci_95",
    "unweighted_count",
    "status",
    "sdc_code",
]


def build_m8_outputs(cells: pd.DataFrame, *, min_count: int, min_numerator: int | None = None) -> dict:
    """SDC over the whole cell table (LAD/nation/UK x all/sex/age band), so both audiences see one consistent
    suppression pattern (a cleared analyst holding both releases can't undo a suppression with the open one).

    Relations protected: nation = its LADs and UK = its nations (per year, metric, breakdown value); an area's
    'all' cell = its female + male cells, and = its age-band cells. Published columns drop the numerators,
    weighted totals and effective sample size. Open tier: the 'all' rows. Cleared tier: every row.
    """

    cells = cells.sort_values(
        ["survey_year", "metric_id", "breakdown", "breakdown_value", "area_level", "area_code"]
    ).reset_index(drop=True)
    rels = sdc.hierarchy_relations(
        cells,
        by=["survey_year", "metric_id", "breakdown", "breakdown_value"],
        code_col="area_code",
        parent_col="parent_code",
    )
    for dim in ("sex", "age_band"):
        sub = cells[cells["breakdown"].isin(["all", dim])]
        rels += sdc.breakdown_relations(
            sub,
            by=["area_code", "survey_year", "metric_id"],
            dimension_col="breakdown_value",
            total_label="all",
        )
    out, stats = sdc.disclosure_control(
        cells.assign(status="ok"),
        relations=rels,
        count_col="unweighted_count",
        numerator_col="unweighted_numerator",
        value_cols=["share_pct", "lci_95", "uci_95"],
        min_count=min_count,
        min_numerator=min_numerator,
    )
    out = out[PUBLISHED_COLUMNS]
    open_tier = (
        out[out["breakdown"] == "all"].drop(columns=["breakdown", "breakdown_value"]).reset_index(drop=True)
    )
    by_tier = {
        "open": {
            "cells": len(open_tier),
            "primary": int((open_tier["sdc_code"] == sdc.PRIMARY).sum()),
            "secondary": int((open_tier["sdc_code"] == sdc.SECONDARY).sum()),
            "lad_cells_suppressed": int(
                ((open_tier["area_level"] == "lad") & (open_tier["status"] == sdc.SUPPRESSED)).sum()
            ),
        },
        "cleared": stats,
    }
    return {
        "tiers": {
            "open": {"m8_wellbeing_shares": open_tier},
            "cleared": {
                "m8_wellbeing_shares": open_tier,
                "m8_wellbeing_shares_detail": out.reset_index(drop=True),
            },
        },
        "suppression": by_tier,
        "relations": len(rels),
    }
