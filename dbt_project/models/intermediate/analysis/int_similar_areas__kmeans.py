"""Similar-areas k-means fits: every model's clustering for every k in its range (scikit-learn KMeans, fixed seed),
with the silhouette of each k and the chosen k flagged. Grain: one row per (model, k, area_code)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from analysis import marts

    return marts.kmeans(dbt.ref("int_similar_areas__inputs").df())
