"""Turning a feed's file into a typed, line-numbered table, with DuckDB streaming over the file.

Belongs here: the readers and the one typed projection every consumer of a landed version shares.
  CSV (every indicator feed, most lookups): DuckDB's strict reader straight over the file, never copied into
      another format: `csv_view` gives ingest a typed view of the file to check, and `dbt_source_relation` gives
      dbt the same typed projection over the landed file (`raw/<feed>/current.csv`, the source bytes themselves).
  XLSX / JSON (a few small reference files): read as text cells with pandas and written once to Parquet
      (`write_parsed`), the landed version.
The projection applies the registry's parser options (column renames, constant columns, the ELS geography JSON
flattened, a repeated non-contract column kept under a suffixed name), types each contract column (`try_cast`: a
cell that does not read as its type becomes NULL and is flagged in `_unreadable_<column>`, for the contract to report),
numbers source records (`_source_line`, the header is line 1) and stamps every row with the feed id and the
file's sha256. Structural problems (wrong field count, invalid encoding, a header that repeats a contract column)
are ParseErrors naming the feed, the file and the lines. No cell passes through Python on the CSV path; whether
the values are acceptable is the contract's job (`ingest.contract`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from core.registry import FeedSpec

SQL_TYPES = {"str": "VARCHAR", "float": "DOUBLE", "int": "BIGINT", "date": "DATE"}
SAMPLE = 5
# The longest record any reader accepts. DuckDB's CSV reader holds a buffer of 16 x this per open scan, outside
# the memory it can spill, and dbt's union of every feed's staging view opens one scan per feed: at 10 MB
# (152.5 MiB buffers) 59 feeds exhausted a 2 GB limit. An ESS record is under 1 KB; 1 MiB still names a runaway
# line (an unclosed quote) as an error instead of reading the rest of the file into one cell.
MAX_LINE_BYTES = 1_048_576


class ParseError(ValueError):
    """The file could not be read as the registered format; the message names feed, file and lines."""


@dataclass
class Parsed:
    rows: int
    columns: list[str]  # source columns after renames, in file order, plus constants
    notes: list[str] = field(default_factory=list)  # repairs made at parse time (named in the ingest log)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _encoding(feed: FeedSpec) -> tuple[str, bool]:
    """DuckDB's encoding name for the registry's, and whether a BOM is expected."""
    enc = feed.parser.encoding.lower().replace("_", "-")
    if enc in ("utf-8-sig", "utf8-sig", "utf-8", "utf8"):
        return "utf-8", enc.endswith("sig")
    if enc in ("latin-1", "latin1", "iso-8859-1"):
        return "latin-1", False
    if enc in ("utf-16", "utf16"):
        return "utf-16", False
    raise ParseError(f"feed {feed.id!r}: parser.encoding {feed.parser.encoding!r} is not supported")


def _read_header(feed: FeedSpec, path: Path, where: str) -> list[str]:
    with open(path, "rb") as fh:
        first = fh.readline(1 << 20)
    if not first.strip():
        raise ParseError(f"feed {feed.id!r}: {where} has no header row")
    try:
        text = first.decode(feed.parser.encoding)
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"feed {feed.id!r}: {where} is not valid {feed.parser.encoding}: byte "
            f"{first[exc.start : exc.start + 1]!r} at offset {exc.start} (line 1); was the file re-saved in "
            "another encoding?"
        ) from None
    try:
        return next(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    except (csv.Error, StopIteration) as exc:
        raise ParseError(f"feed {feed.id!r}: {where}: unreadable header: {exc}") from None


def _dedupe_header(feed: FeedSpec, header: list[str], where: str) -> tuple[list[str], list[str]]:
    """A repeated column that the contract does not use is kept under `<name>_2`, `<name>_3`...; a repeated
    contract column is an error (which copy would be the data?)."""
    contract_cols = {feed.parser.rename.get(c.name, c.name) for c in feed.contract.columns}
    seen: dict[str, int] = {}
    out, notes, bad = [], [], []
    for name in header:
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == 1:
            out.append(name)
            continue
        if feed.parser.rename.get(name, name) in contract_cols or name in contract_cols:
            bad.append(name)
        new = f"{name}_{seen[name]}"
        out.append(new)
        notes.append(
            f"header repeats column {name!r}: copy {seen[name]} kept as {new!r} (not a contract column)"
        )
    if bad:
        raise ParseError(f"feed {feed.id!r}: {where}: header repeats contract column(s) {sorted(set(bad))}")
    return out, notes


def _csv_relation(feed: FeedSpec, path: Path, names: list[str], *, rejects: bool = False) -> str:
    """DuckDB's strict CSV reader over the file, every cell as text, records numbered. With `rejects`, bad rows
    are collected in `reject_errors` instead of stopping the read (the slower path used to explain a failure)."""
    encoding, _ = _encoding(feed)
    columns = "{" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n in names) + "}"
    return (
        f"read_csv({literal(str(path))}, header = true, auto_detect = false, columns = {columns}, "
        f"delim = ',', quote = '\"', escape = '\"', strict_mode = true, encoding = {literal(encoding)}, "
        f"null_padding = false, store_rejects = {str(rejects).lower()}, max_line_size = {MAX_LINE_BYTES}) with ordinality"
    )


def _structural_errors(feed: FeedSpec, con: duckdb.DuckDBPyConnection, path: Path, where: str, width: int):
    rejects = con.execute(
        "select line, line_byte_position, error_type, csv_line, error_message from reject_errors "
        "order by line limit 10000"
    ).fetchall()
    if not rejects:
        return
    n = con.execute("select count(*) from reject_errors").fetchone()[0]
    encoding = [r for r in rejects if r[2] == "INVALID ENCODING"]
    if encoding:
        line, pos = encoding[0][0], encoding[0][1]
        with open(path, "rb") as fh:
            fh.seek(pos)
            chunk = fh.read(1 << 16)
        offset, byte = pos, b"?"
        try:
            chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            offset, byte = pos + exc.start, chunk[exc.start : exc.start + 1]
        raise ParseError(
            f"feed {feed.id!r}: {where} is not valid {feed.parser.encoding}: byte {byte!r} at offset {offset} "
            f"(line {line}); was the file re-saved in another encoding? ({len(encoding)} line(s) affected)"
        )
    fields = [r for r in rejects if r[2] in ("MISSING COLUMNS", "TOO MANY COLUMNS")]
    if fields:
        samples = []
        for line, _, _, text, _ in fields[:SAMPLE]:
            cells = next(csv.reader(io.StringIO(text or "")), [])
            samples.append(f"line {line}: {len(cells)} fields, starts {cells[:4]}")
        raise ParseError(
            f"feed {feed.id!r}: {where}: {len(fields) if len(fields) < 10000 else n} row(s) do not have the "
            f"header's {width} fields (shifted columns or a truncated file?). " + "; ".join(samples)
        )
    first = rejects[0]
    raise ParseError(
        f"feed {feed.id!r}: {where}: malformed CSV near line {first[0]}: {first[4]} ({n} row(s) affected)"
    )


def _pandas_table(feed: FeedSpec, path: Path, where: str) -> pd.DataFrame:
    """The small XLSX / JSON reference files: read as text cells with pandas, index = source line number."""
    if feed.format == "xlsx":
        try:
            df = pd.read_excel(
                path, sheet_name=feed.parser.sheet or 0, header=feed.parser.header_row or 0, dtype=str,
                engine="openpyxl",
            )  # fmt: skip
        except ValueError as exc:
            raise ParseError(
                f"feed {feed.id!r}: {where}: cannot read sheet {feed.parser.sheet!r}: {exc}"
            ) from None
        except Exception as exc:  # openpyxl raises zipfile/KeyError flavours for corrupt files
            raise ParseError(f"feed {feed.id!r}: {where}: not a readable xlsx workbook: {exc}") from None
        df = df.dropna(how="all")
        df.columns = [str(c).strip() for c in df.columns]
        df.index = df.index + (feed.parser.header_row or 0) + 2  # spreadsheet row numbers
        return df
    try:
        doc = json.loads(Path(path).read_bytes().decode(feed.parser.encoding))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"feed {feed.id!r}: {where}: not valid JSON: {exc}") from None
    if feed.parser.json_layout == "els_geo_metadata":
        if not isinstance(doc, dict):
            raise ParseError(f"feed {feed.id!r}: {where}: expected an object keyed by area code")
        records = [
            {
                "areacd": v.get("areacd"),
                "areanm": v.get("areanm"),
                "level": ";".join(v.get("level") or []),
                "parents": ";".join(v.get("parents") or []) or None,
                "children": ";".join(v.get("children") or []) or None,
                "start": None if v.get("start") is None else str(v.get("start")),
                "end": None if v.get("end") is None else str(v.get("end")),
            }
            for v in doc.values()
        ]
        df = pd.DataFrame.from_records(
            records, columns=["areacd", "areanm", "level", "parents", "children", "start", "end"]
        )
    elif isinstance(doc, list):
        df = pd.DataFrame.from_records(doc).astype("str")
    else:
        raise ParseError(f"feed {feed.id!r}: {where}: unsupported JSON layout")
    df.index = pd.RangeIndex(2, 2 + len(df))
    return df


def contract_types(feed: FeedSpec, columns: list[str]) -> dict[str, str]:
    """Column -> registry type (str/float/int/date) for every column present; regex specs match several."""
    types: dict[str, str] = {}
    for spec in feed.contract.columns:
        for c in columns:
            if (spec.regex and re.fullmatch(spec.name, c)) or (not spec.regex and c == spec.name):
                types[c] = spec.type
    return types


UNREADABLE = (
    "_unreadable_"  # prefix of the per-column flags: the cell has text that does not read as its type
)


def unreadable_flag(column: str) -> str:
    return UNREADABLE + column


def _typed_projection(
    columns: list[str], types: dict[str, str], empty_is_null: bool, with_failures: bool = True
) -> tuple[str, str]:
    """(inner, outer) select lists. Inner: text columns as they are (an empty CSV cell is NULL), typed columns
    through try_cast, and (with failures) each typed column's trimmed text. Outer, over the inner: every column,
    and per typed column the flag `_unreadable_<column>` (true where a cell has text that did not read as the
    type), so each cell is cast once."""
    inner, outer, flags = [], [], []
    for c in columns:
        q = quote(c)
        t = types.get(c, "str")
        outer.append(q)
        if t == "str":
            inner.append(f"nullif({q}, '') as {q}" if empty_is_null else q)
            continue
        text = f"nullif(trim({q}), '')"
        inner.append(f"try_cast({text} as {SQL_TYPES[t]}) as {q}")
        if with_failures:
            inner.append(f"{text} as {quote('_text_' + c)}")
            flags.append(
                f"({quote('_text_' + c)} is not null and {q} is null) as {quote(unreadable_flag(c))}"
            )
    return ", ".join(inner), ", ".join(outer + flags)


# A select list of a typed relation's data columns (without the `_unreadable_` flags).
DATA_COLUMNS = f"columns(lambda c: not starts_with(c, {literal(UNREADABLE)}))"


def csv_view(
    feed: FeedSpec,
    path: Path,
    where: str,
    con: duckdb.DuckDBPyConnection,
    name: str,
    *,
    stamp: dict[str, str] | None = None,
) -> Parsed:
    """A temp view `name` on `con`: the CSV file typed, line-numbered and stamped, read lazily (each query streams
    over the file), and beside it `scan_view(name)` without the line numbers. Header problems raise here; a row problem raises (as a duckdb.Error) when the view is read,
    and `explain_csv_failure` then names the lines."""
    header = _read_header(feed, path, where)
    names, notes = _dedupe_header(feed, header, where)
    renamed = [feed.parser.rename.get(n, n) for n in names]
    select_src = ", ".join(f"{quote(n)} as {quote(r)}" for n, r in zip(names, renamed, strict=True))
    reader = _csv_relation(feed, path, names)
    stamp_sql = {k: literal(v) for k, v in (stamp or {}).items()}
    base = f"select {select_src}, ordinality + 1 as _source_line from {reader}"
    sql, columns = _typed_select(feed, base, renamed, stamp_sql, empty_is_null=True)
    con.execute(f"create or replace temp view {name} as {sql}")
    unnumbered = f"select {select_src}, cast(null as bigint) as _source_line from {reader.removesuffix(' with ordinality')}"
    sql, _ = _typed_select(feed, unnumbered, renamed, stamp_sql, empty_is_null=True)
    con.execute(f"create or replace temp view {scan_view(name)} as {sql}")
    return Parsed(rows=-1, columns=columns, notes=notes)


def scan_view(name: str) -> str:
    """The name of `csv_view`'s second view: the same rows without line numbers (numbering costs a CSV scan as
    much again), for aggregate scans that need no line."""
    return f"{name}__unnumbered"


def explain_csv_failure(feed: FeedSpec, path: Path, where: str) -> ParseError | None:
    """After a strict read of the file failed: read it again collecting every bad row, and say which and why."""
    names, _ = _dedupe_header(feed, _read_header(feed, path, where), where)
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        every = ", ".join(f"count({quote(n)})" for n in names)  # each column read, so each is checked
        con.execute(f"select {every} from {_csv_relation(feed, path, names, rejects=True)}").fetchall()
        _structural_errors(feed, con, path, where, len(names))
    except ParseError as exc:
        return exc
    finally:
        con.close()
    return None


def _typed_select(
    feed: FeedSpec,
    base: str,
    renamed: list[str],
    stamp: dict[str, str] | None,
    *,
    empty_is_null: bool,
    with_failures: bool = True,
    patterns: list[tuple[str, str]] = (),
) -> tuple[str, list[str]]:
    """`stamp`: column name -> SQL expression, put first on every row. `patterns`: (regex literal, type) for
    columns `base` selects by pattern (`columns(...)`), typed alike and kept under their own names."""
    constants = dict(feed.parser.constants)
    columns = [c for c in renamed if c not in constants] + list(constants)
    const_sql = "".join(f", {literal(v)} as {quote(k)}" for k, v in constants.items())
    types = contract_types(feed, columns)
    keep = ", ".join(
        [quote(c) for c in renamed if c not in constants] + [f"columns({p})" for p, _ in patterns]
    )
    stamp_sql = "".join(f"{v} as {quote(k)}, " for k, v in (stamp or {}).items())
    stamp_names = "".join(f"{quote(k)}, " for k in (stamp or {}))
    by_pattern = "".join(
        f", nullif(columns({p}), '')"
        if t == "str"
        else f", try_cast(nullif(trim(columns({p})), '') as {SQL_TYPES[t]})"
        for p, t in patterns
    )
    inner, outer = _typed_projection(columns, types, empty_is_null, with_failures)
    sql = (
        f"with src as ({base}), withconst as (select {keep}{const_sql}, _source_line from src), "
        f"typed as (select {stamp_sql}{inner}{by_pattern}, _source_line from withconst) "
        f"select {stamp_names}{outer}{''.join(f', columns({p})' for p, _ in patterns)}, _source_line from typed"
    )
    return sql, columns


def write_parsed(
    feed: FeedSpec,
    path: Path,
    where: str,
    con: duckdb.DuckDBPyConnection,
    out: Path,
    *,
    stamp: dict[str, str] | None = None,
) -> Parsed:
    """XLSX / JSON: parse with pandas and write the typed, line-numbered table to the Parquet file `out` (the
    landed version). `stamp`: constant columns on every row (the feed id and the file's sha256)."""
    df = _pandas_table(feed, path, where)
    df = df.rename(columns=feed.parser.rename)
    df = df.astype("string").where(df.notna(), None)
    df["_source_line"] = df.index.astype("int64")
    con.register("_pandas_source", df.reset_index(drop=True))
    renamed = [c for c in df.columns if c != "_source_line"]
    stamp = stamp or {}
    stamp_sql = {k: literal(v) for k, v in stamp.items()}
    sql, columns = _typed_select(
        feed, "select * from _pandas_source", renamed, stamp_sql, empty_is_null=False
    )
    kv = ", ".join(f"{literal('levelup.' + k.strip('_'))}: {literal(v)}" for k, v in stamp.items())
    try:
        con.execute(
            f"copy ({sql}) to {literal(str(out))} (format parquet, compression zstd"
            + (f", kv_metadata {{{kv}}}" if kv else "")
            + ")"
        )
    except duckdb.Error as exc:
        out.unlink(missing_ok=True)
        raise ParseError(
            f"feed {feed.id!r}: {where}: could not be read as {feed.format.upper()}: {exc}"
        ) from None
    rows = con.execute(f"select count(*) from read_parquet({literal(str(out))})").fetchone()[0]
    return Parsed(rows=rows, columns=columns, notes=[])


def dbt_source_relation(feed: FeedSpec, data_dir_sql: str) -> str:
    """The relation dbt reads for a feed's current version: for a CSV feed the typed projection over the landed
    file itself (names from its header, the same strict reader as ingest), stamped with the feed id and the sha256
    of `current.json`; for XLSX / JSON the landed Parquet. `data_dir_sql` is how the SQL spells the data dir (dbt:
    the env_var Jinja). No braces: dbt-duckdb formats external locations with str.format_map."""
    folder = f"{data_dir_sql}/raw/{feed.id}"
    if feed.format != "csv":
        return f"read_parquet('{folder}/current.parquet')"
    encoding, _ = _encoding(feed)
    reader = (
        f"read_csv('{folder}/current.csv', header = true, all_varchar = true, delim = ',', quote = '\"', "
        f"escape = '\"', strict_mode = true, encoding = '{encoding}', null_padding = false, "
        f"max_line_size = {MAX_LINE_BYTES}) with ordinality"
    )
    inverse = {v: k for k, v in feed.parser.rename.items()}
    constants = dict(feed.parser.constants)
    contract = [c.name for c in feed.contract.columns if not c.regex and c.name not in constants]
    select_src = ", ".join(f"{quote(inverse.get(c, c))} as {quote(c)}" for c in contract)
    patterns = [(literal("^(?:" + c.name + ")$"), c.type) for c in feed.contract.columns if c.regex]
    pattern_src = "".join(
        f", columns({p})" for p, _ in patterns
    )  # e.g. one column per year, whatever the header has
    base = f"select {select_src}{pattern_src}, ordinality + 1 as _source_line from {reader}"
    stamp = {
        "_feed_id": literal(feed.id),
        "_source_sha256": f"(select sha256 from read_json_auto('{folder}/current.json'))",
    }
    sql, _ = _typed_select(
        feed, base, contract, stamp, empty_is_null=True, with_failures=False, patterns=patterns
    )
    return f"({sql})"


SPARK_TYPES = {"str": "string", "float": "double", "int": "bigint", "date": "date"}
SPARK_ENCODINGS = {"utf-8": "UTF-8", "latin-1": "ISO-8859-1", "utf-16": "UTF-16"}


def _bq(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def spark_source_relation(feed: FeedSpec, folder_sql: str, landed: str, sha_sql: str) -> tuple[str, str]:
    """The Spark twin of `dbt_source_relation` for a CSV feed: (the statement registering the landed file as the
    external CSV table `landed`, the select of the same typed columns as the DuckDB relation, in the same order).
    `folder_sql` spells the feed's raw folder, `sha_sql` the sha256 of its current version (both as the
    generating template wants them). Line numbers count records after the header, like `with ordinality`; the
    file is read as one partition (multiLine), so the order is the file's."""
    encoding, _ = _encoding(feed)
    table = (
        f"create table {landed} using csv options (path '{folder_sql}/current.csv', header 'true', "
        f"encoding '{SPARK_ENCODINGS[encoding]}', quote '\"', escape '\"', multiLine 'true', mode 'FAILFAST')"
    )
    inverse = {v: k for k, v in feed.parser.rename.items()}
    constants = dict(feed.parser.constants)
    if any(c.regex for c in feed.contract.columns):
        raise ParseError(f"feed {feed.id!r}: columns by pattern are not supported on Spark for a CSV feed")
    contract = [c.name for c in feed.contract.columns if c.name not in constants]
    columns = contract + list(constants)
    types = contract_types(feed, columns)
    src = {c: _bq(inverse.get(c, c)) for c in contract} | {k: literal(v) for k, v in constants.items()}
    typed = []
    for c in columns:
        t = types.get(c, "str")
        typed.append(
            f"nullif({src[c]}, '') as {_bq(c)}"
            if t == "str"
            else f"cast(nullif(trim({src[c]}), '') as {SPARK_TYPES[t]}) as {_bq(c)}"
        )
    select = (
        f"select {literal(feed.id)} as `_feed_id`, {sha_sql} as `_source_sha256`, {', '.join(typed)}, "
        f"_source_line from (select *, row_number() over (order by monotonically_increasing_id()) + 1 "
        f"as _source_line from {landed})"
    )
    return table, select


def spark_empty_relation(feed: FeedSpec) -> str:
    """The typed, empty select a feed without a landed version reads on Spark (same columns as a landed one)."""
    constants = dict(feed.parser.constants)
    columns = [c.name for c in feed.contract.columns if c.name not in constants] + list(constants)
    types = contract_types(feed, columns)
    cols = ", ".join(f"cast(null as {SPARK_TYPES[types.get(c, 'str')]}) as {_bq(c)}" for c in columns)
    return (
        f"select {literal(feed.id)} as `_feed_id`, cast(null as string) as `_source_sha256`, {cols}, "
        "cast(null as bigint) as _source_line where false"
    )


def register_frame(feed: FeedSpec, table, con: duckdb.DuckDBPyConnection, name: str) -> Parsed:
    """An in-memory table of text cells (pyarrow, e.g. a decrypted restricted delivery) as the typed, line-numbered
    view `name` on `con`: the same typing as a landed file, nothing written to disk."""
    con.register(f"{name}_text", table)
    columns = list(table.column_names)
    base = f"select *, row_number() over () + 1 as _source_line from {name}_text"
    sql, typed = _typed_select(feed, base, columns, None, empty_is_null=True)
    con.execute(f"create or replace temp view {name} as {sql}")
    return Parsed(rows=table.num_rows, columns=typed)


def field_count_problems(feed: FeedSpec, path: Path, where: str) -> ParseError | None:
    """Rows whose field count differs from the header's, counted exactly (quotes respected), or None.

    DuckDB's reader tolerates one trailing empty field, so a row shifted right by one column whose last cell is
    empty is read without complaint; the contract then fails on its columns, and this scan (run only then) names
    the real cause and the lines."""
    if feed.format != "csv":
        return None
    width = len(_read_header(feed, path, where))
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        rows = con.execute(
            f"with lines as (select ordinality as line, raw from read_csv({literal(str(path))}, header = false, "
            "auto_detect = false, columns = {'raw': 'VARCHAR'}, delim = '\x1f', quote = '', escape = '', "
            f"max_line_size = {MAX_LINE_BYTES}) with ordinality), "
            "unquoted as (select line, raw, regexp_replace(raw, '\"([^\"]|\"\")*\"', '', 'g') as bare from lines "
            "where line > 1 and raw is not null), "
            "counted as (select line, raw, length(bare) - length(replace(bare, ',', '')) + 1 as fields from unquoted) "
            f"select line, fields, raw, count(*) over () as n from counted where fields <> {width} order by line limit {SAMPLE}"
        ).fetchall()
    finally:
        con.close()
    if not rows:
        return None
    samples = []
    for line, fields, raw, _ in rows:
        cells = next(csv.reader(io.StringIO(raw or "")), [])
        samples.append(f"line {line}: {fields} fields, starts {cells[:4]}")
    return ParseError(
        f"feed {feed.id!r}: {where}: {rows[0][3]} row(s) do not have the header's {width} fields "
        "(shifted columns or a truncated file?). " + "; ".join(samples)
    )


def raw_cells(feed: FeedSpec, path: Path, lines: list[int], columns: list[str]) -> dict[int, dict[str, str]]:
    """The source text of a few records (for error messages about cells that did not read as their type)."""
    if not lines or feed.format != "csv":
        return {}
    header = _read_header(feed, path, str(path))
    names, _ = _dedupe_header(feed, header, str(path))
    inverse = {feed.parser.rename.get(n, n): n for n in names}
    wanted = [c for c in columns if c in inverse]
    if not wanted:
        return {}
    con = duckdb.connect()
    try:
        rows = con.execute(
            f"select ordinality + 1, {', '.join(quote(inverse[c]) for c in wanted)} from "
            f"{_csv_relation(feed, path, names)} where ordinality + 1 in ({', '.join(str(int(x)) for x in lines)})"
        ).fetchall()
    finally:
        con.close()
    return {r[0]: dict(zip(wanted, r[1:], strict=True)) for r in rows}
