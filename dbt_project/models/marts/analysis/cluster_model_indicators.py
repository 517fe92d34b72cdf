"""cluster_model_indicators: every indicator configured for every similar-areas model, whether this release carries
it (used, or why not), the period and sources used, and the winsorising, imputation and standardisation applied.
Grain: one row per (model, indicator)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from analysis import marts

    harmonised = dbt.ref("indicators_harmonised").filter(marts.HARMONISED_FILTER)
    harmonised = harmonised.project(marts.HARMONISED_COLUMNS).df()
    return marts.indicators(harmonised, dbt.ref("geography").df())
