"""Mission 8's disclosure-controlled cells (PRIVATE): SDC over the whole pre-SDC cell table, in memory.

One row per (area, survey year, metric, breakdown, breakdown value), with status 'suppressed' and sdc_code
primary/secondary where disclosure control withheld the cell (restricted/disclosure.py). The export models
split it into the open tier (breakdown 'all') and the cleared tier (every breakdown).
"""

from restricted.disclosure import build_m8_outputs


def model(dbt, session):
    dbt.config(materialized="table")
    cells = dbt.ref("int_aps_wellbeing_cells").df()
    outputs = build_m8_outputs(cells, min_count=int(dbt.config.get("min_count") or 10))
    return outputs["tiers"]["cleared"]["m8_wellbeing_shares_detail"]
