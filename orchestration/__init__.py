"""Orchestration: the Dagster code location and the levelup command line."""
