"""The release scanner reads list-of-text columns (indicator_catalogue.geography_levels) element by element, so a
respondent id hidden in a list is caught and a clean list passes (issue 14 adds the first list columns)."""

from __future__ import annotations

import duckdb

from restricted.scanner import scan_table


def _rows_check(con):
    return next(c for c in scan_table(con, "t", "t", 10) if c.name == "no_respondent_level_rows")


def test_a_clean_list_column_passes():
    con = duckdb.connect()
    con.execute(
        "create table t as select ['Region', 'Local Authority District'] as levels, [1, 7] as missions"
    )
    assert _rows_check(con).passed


def test_a_respondent_id_inside_a_list_is_caught():
    con = duckdb.connect()
    con.execute(
        "create table t as select ['Region', 'R2024ABCDEFGHIJ'] as levels, [1] as missions "
        "union all select ['Region'], []"
    )
    check = _rows_check(con)
    assert not check.passed and check.failing_samples == [{"column": "levels", "rows": 1}]
