"""area_clusters: each local authority's cluster in every similar-areas model (the chosen k), with its distance to
the cluster centre. Grain: one row per (model, area_code)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from analysis import marts

    return marts.area_clusters(
        dbt.ref("int_similar_areas__kmeans").df(), dbt.ref("int_similar_areas__inputs").df()
    )
