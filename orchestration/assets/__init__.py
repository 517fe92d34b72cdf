"""Dagster asset definitions, one module per zone: feeds (raw), restricted, warehouse (dbt), release."""
