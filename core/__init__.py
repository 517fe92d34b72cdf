"""Core: the shared kernel every layer may use (settings, the feed registry, crash-safe file primitives, release
directory mechanics, running dbt, check results, the run lock). It imports nothing else of the platform."""
