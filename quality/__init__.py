"""Quality: the checks that gate publishing (dbt results, Great Expectations suites, scanners)."""
