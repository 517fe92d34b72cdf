"""similar_areas: each area's nearest statistical neighbours in every model, never a county with its own
districts. Grain: one row per (model, area_code, rank)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from analysis import marts

    return marts.similar_areas(dbt.ref("int_similar_areas__inputs").df(), dbt.ref("geography").df())
