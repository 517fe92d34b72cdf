"""In-memory DuckDB for record-level rows: a connection that can never write them to disk.

Belongs here: `memory_only_connection()`, the one way the restricted zone opens DuckDB in Python. DuckDB's
in-memory databases spill to a `.tmp` folder in the working directory when a query outgrows memory; here spilling
is switched off (`temp_directory = ''`), so a query too large for memory fails instead of leaving decrypted rows in
a temp file. The restricted dbt profile (`dbt_restricted/profiles.yml`) sets the same.
"""

from __future__ import annotations

import duckdb


def memory_only_connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:", config={"temp_directory": ""})
    con.execute("SET enable_progress_bar = false")
    return con
