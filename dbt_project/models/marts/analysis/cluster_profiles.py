"""cluster_profiles: median and mean of every indicator in every cluster of every model.
Grain: one row per (model, cluster, indicator)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from analysis import marts

    return marts.cluster_profiles(
        dbt.ref("int_similar_areas__kmeans").df(), dbt.ref("int_similar_areas__inputs").df()
    )
