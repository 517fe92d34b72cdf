"""Analysis methods over the published marts: similar areas (clusters, nearest neighbours) and policy evaluation
(synthetic control).

Belongs here: pure methods on DataFrames (no I/O beyond the paths a function is given), their one model
configuration file (`models.yml`) and writing an evaluation's release-style folder. The dbt Python models in
`dbt_project/models/*/analysis/` and the `levelup similar-areas` / `levelup evaluate` commands call these.
"""
