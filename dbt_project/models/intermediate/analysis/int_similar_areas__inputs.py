"""Similar-areas inputs: for every model in analysis/models.yml, each area's latest value per indicator, where it
came from (published, filled from its county, imputed median), winsorised and standardised (analysis.similar_areas).
Grain: one row per (model, area_code, indicator)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from analysis import marts

    harmonised = dbt.ref("indicators_harmonised").filter(marts.HARMONISED_FILTER)
    harmonised = harmonised.project(marts.HARMONISED_COLUMNS).df()
    return marts.inputs(harmonised, dbt.ref("geography").df())
