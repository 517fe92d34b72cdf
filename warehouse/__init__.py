"""Warehouse: the Python side of the dbt project (the only writer of the warehouse DuckDB).

Belongs here: the files generated from the registry into dbt_project/ (`dbt_sync`) and the dbt project as
Dagster and the CLI see it (`project`: the manifest, the translator, the CLI resource). The SQL itself lives in
dbt_project/.
"""
