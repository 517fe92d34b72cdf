"""Spreadsheet-formula neutralisation for the text cells of CSV and XLSX exports (CSV / formula injection).

Belongs here: the rule and its two forms. A text cell whose first character is one a spreadsheet reads as the start
of a formula (`=`, `+`, `-`, `@`, tab, carriage return; OWASP "CSV Injection") is written with a single quote
in front, so Excel / LibreOffice / Sheets show it as text and never evaluate it. `neutralise(value)` does it to a
Python value (the XLSX writer), `neutralise_sql(column)` to a VARCHAR column in the SELECT of a DuckDB COPY (the
CSV writer). Numbers, dates and booleans are never touched: a negative number is a number, not text.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SQL_CLASS = "^[=+@\\t\\r-]"  # the same characters as a regular expression class (DuckDB RE2)


def neutralise(value):
    """`'` + value when value is text starting like a formula; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralise_sql(quoted_column: str) -> str:
    """A SQL expression over a VARCHAR column (already quoted) applying `neutralise` to each value."""
    return (
        f"case when regexp_matches({quoted_column}, '{_SQL_CLASS}') then '''' || {quoted_column} "
        f"else {quoted_column} end"
    )
