"""Every published mart as CSV, with CSV on the Web (W3C tabular) metadata beside it.

Belongs here: `write_csv` (UTF-8, header, ISO 8601 dates and UTC timestamps, `true`/`false`, empty for null,
spreadsheet-formula cells neutralised) and `csvw_metadata` (column names, XSD datatypes, descriptions, units,
grain, licence, sources with their sha256), as the ONS ESS data store publishes them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from publish.exports.catalog import grain
from publish.exports.cells import neutralise_sql

OGL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"

# DuckDB type -> CSV-W (XSD) datatype
_CSVW_TYPES = {
    "VARCHAR": "string",
    "BOOLEAN": "boolean",
    "TINYINT": "byte",
    "SMALLINT": "short",
    "INTEGER": "int",
    "BIGINT": "long",
    "HUGEINT": "integer",
    "UTINYINT": "unsignedByte",
    "USMALLINT": "unsignedShort",
    "UINTEGER": "unsignedInt",
    "UBIGINT": "unsignedLong",
    "FLOAT": "float",
    "DOUBLE": "double",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "dateTime",
    "TIMESTAMP WITH TIME ZONE": "dateTimeStamp",
    "UUID": "string",
    "INTERVAL": "duration",
}


def csvw_datatype(duckdb_type: str) -> str | dict:
    t = duckdb_type.upper()
    if t in _CSVW_TYPES:
        return _CSVW_TYPES[t]
    if t.startswith("DECIMAL"):
        return "decimal"
    if t.startswith("TIMESTAMP"):
        return "dateTime"
    return "string"  # lists, structs, enums: written as text


def mart_columns(con: duckdb.DuckDBPyConnection, mart: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns where table_name = ? "
        "and table_schema = 'main' order by ordinal_position",
        [mart],
    ).fetchall()


def write_csv(con: duckdb.DuckDBPyConnection, mart: str, out: Path) -> None:
    """CSV with ISO 8601 dates and UTC timestamps (…Z), `true`/`false`, empty for null, and text cells that start
    like a spreadsheet formula (= + - @ tab CR) prefixed with a single quote (publish.exports.cells)."""
    exprs = []
    for name, typ in mart_columns(con, mart):
        q = '"' + name.replace('"', '""') + '"'
        t = typ.upper()
        if t == "TIMESTAMP WITH TIME ZONE":
            exprs.append(f"strftime(timezone('UTC', {q}), '%Y-%m-%dT%H:%M:%S.%fZ') as {q}")
        elif t.startswith("TIMESTAMP"):
            exprs.append(f"strftime({q}, '%Y-%m-%dT%H:%M:%S.%f') as {q}")
        elif t == "VARCHAR":  # a text cell a spreadsheet would run as a formula gets a leading quote
            exprs.append(f"{neutralise_sql(q)} as {q}")
        else:
            exprs.append(q)
    con.execute(
        f"COPY (select {', '.join(exprs)} from \"{mart}\") TO '{out}' (FORMAT csv, HEADER true, DATEFORMAT '%Y-%m-%d')"
    )


def csvw_metadata(
    mart: str, columns: list[tuple[str, str]], doc: dict, feeds: dict[str, dict], rows: int, release_id: str
) -> dict:
    col_docs = doc.get("columns", {})
    cols = []
    for name, typ in columns:
        d = col_docs.get(name, {})
        entry: dict = {"name": name, "titles": name, "datatype": csvw_datatype(typ)}
        if d.get("description"):
            entry["dc:description"] = d["description"]
        if d.get("meta", {}).get("unit"):
            entry["schema:unitText"] = str(d["meta"]["unit"])
        cols.append(entry)
    sources = []
    for f in doc.get("sources", []):
        info = feeds.get(f)
        if info and info.get("url"):
            src = {"@id": info["url"], "dc:title": info.get("title") or f, "dc:identifier": f}
            if info.get("sha256"):
                src["spdx:checksumValue"] = info["sha256"]
            sources.append(src)
    meta = {
        "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
        "url": f"{mart}.csv",
        "dc:title": mart,
        "dc:description": doc.get("description") or f"The {mart} mart of the Levelling Up data platform.",
        "dc:publisher": "Levelling Up data platform",
        "dc:license": {"@id": OGL},
        "dc:modified": {"@value": date.today().isoformat(), "@type": "xsd:date"},
        "schema:version": release_id,
        "dialect": {"header": True, "delimiter": ",", "encoding": "utf-8", "doubleQuote": True},
        "tableSchema": {"columns": cols},
        "notes": [{"rows": rows, "grain": grain(doc)}],
    }
    if sources:
        meta["dc:source"] = sources
    return meta
