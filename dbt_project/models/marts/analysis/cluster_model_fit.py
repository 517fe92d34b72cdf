"""cluster_model_fit: the silhouette of every k tried for every model, and the chosen k, with the indicators used
and skipped and the areas excluded. Grain: one row per (model, k); one row with k null for a model not fitted."""


def model(dbt, session):
    dbt.config(materialized="table")
    from analysis import marts

    return marts.cluster_model_fit(
        dbt.ref("int_similar_areas__kmeans").df(),
        dbt.ref("cluster_model_indicators").df(),
        dbt.ref("int_similar_areas__inputs").df(),
    )
