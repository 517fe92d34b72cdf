"""The ingest contract: a pandera schema generated from a feed's registry stanza, checked inside DuckDB.

Belongs here: declaring the contract once, from the registry, as a pandera `DataFrameSchema` of its Ibis backend
(columns with their type, nullability, allowed values and patterns; uniqueness; the frame-level checks: every
indicator registered, with its unit, values within the indicator's plausible range, no period starting in the
future), and evaluating it over the parsed table in DuckDB: every check in ONE scan of the table (each pandera
check becomes an Ibis boolean expression; DuckDB counts the failures), then only for the checks that failed, the
first offending source lines. Nothing is pulled into Python row by row, so memory stays bounded as files grow.

The verdict is one message per cause, naming the feed, the file, the real column and the first lines, with a
one-line diagnosis where the pattern is recognisable: shifted columns, thousands separators, rescaled values.
A version that fails its contract does not land.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import ibis
import ibis.expr.datatypes as dt
from pandera.api.ibis.types import IbisData
from pandera.ibis import Check, Column, DataFrameSchema

from core.registry import ColumnSpec, FeedSpec
from ingest.parse import contract_types, unreadable_flag

IBIS_TYPES = {"str": dt.string, "float": dt.float64, "int": dt.int64, "date": dt.date}
SAMPLE = 5
THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


class ContractError(ValueError):
    """A feed version broke its contract. `failures` holds one summary line per cause."""

    def __init__(self, message: str, failures: list[str]):
        super().__init__(message)
        self.failures = failures


@dataclass
class Failure:
    column: str  # the real column (or the feed id for a check on the whole table)
    check: str  # what was checked, e.g. isin([...]), str_matches('...'), not_nullable
    count: int
    lines: list[int] = field(default_factory=list)
    sample: list[dict] = field(default_factory=list)
    diagnosis: str | None = None

    def summary(self) -> str:
        text = f"column {self.column!r} failed check {self.check!r} in {self.count} case(s)"
        if self.diagnosis:
            text += f" ({self.diagnosis})"
        if self.sample:
            text += "; rows " + "; ".join(f"line {r['_source_line']}: {_shown(r)}" for r in self.sample)
        return text


def _shown(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "_source_line"}


# ---------------------------------------------------------------------------------------------------- declaring
def _column(spec: ColumnSpec) -> Column:
    checks = []
    if spec.allowed is not None:
        checks.append(Check.isin(spec.allowed))
    if spec.pattern is not None:
        checks.append(Check.str_matches(spec.pattern))
    return Column(
        IBIS_TYPES[spec.type],
        nullable=spec.nullable,
        checks=checks,
        required=True,
        regex=spec.regex,
        name=spec.name,
    )


def _by_value(mapping: dict) -> list[tuple[object, list[str]]]:
    """Indicators grouped by their registered value (unit, range): one clause per distinct value instead of one
    per indicator (a feed of 20 industries in one unit checks one `isin` and one comparison per row)."""
    groups: dict = {}
    for name, value in mapping.items():
        groups.setdefault(tuple(value) if isinstance(value, list) else value, []).append(name)
    return list(groups.items())


def _period_start_year(expr):
    return expr.substr(0, 4).try_cast("int64")


def build_schema(feed: FeedSpec, today: date | None = None) -> DataFrameSchema:
    """The contract as pandera declares it (Ibis backend). Frame-level checks return Ibis boolean expressions
    that are true where a row passes."""
    c = feed.contract
    today = today or date.today()
    checks: list[Check] = []
    if c.indicator_column and feed.indicators:
        units = {i.name: i.unit for i in feed.indicators}
        ind, unit = c.indicator_column, c.unit_column
        checks.append(
            Check(
                lambda d, ind=ind, units=units: d.table[ind].isin(list(units)).fill_null(False),
                name=f"{ind} is a registered indicator {sorted(units)}",
            )
        )
        if unit:
            checks.append(
                Check(
                    lambda d, ind=ind, unit=unit, units=units: (
                        ~d.table[ind].isin(list(units)).fill_null(False)
                        | ibis.or_(
                            *[
                                d.table[ind].isin(names) & (d.table[unit] == u)
                                for u, names in _by_value(units)
                            ]
                        ).fill_null(False)
                    ),
                    name=f"{unit} equals the registered unit of its indicator {units}",
                )
            )
        ranges = {i.name: i.valid_range for i in feed.indicators if i.valid_range}
        if ranges and c.value_column:
            val = c.value_column
            checks.append(
                Check(
                    lambda d, ind=ind, val=val, ranges=ranges: (
                        d.table[val].isnull()
                        | ~d.table[ind].isin(list(ranges)).fill_null(False)
                        | ibis.or_(
                            *[
                                d.table[ind].isin(names) & d.table[val].between(float(lo), float(hi))
                                for (lo, hi), names in _by_value(ranges)
                            ]
                        ).fill_null(False)
                    ),
                    name=f"{val} within the indicator's registered valid_range {ranges}",
                    statistics={"ranges": ranges, "indicator_column": ind, "value_column": val},
                )
            )
    if c.period_column:
        per = c.period_column
        checks.append(
            Check(
                lambda d, per=per: (
                    d.table[per].isnull() | (_period_start_year(d.table[per]) <= today.year).fill_null(True)
                ),
                name=f"{per} does not start after {today.year} (a future period is a typo or a wrong column)",
            )
        )
    return DataFrameSchema(
        columns={spec.name: _column(spec) for spec in c.columns},
        checks=checks,
        unique=c.unique,
        name=feed.id,
    )


# ---------------------------------------------------------------------------------------------------- evaluating
def _builtin(check: Check, col):
    """The Ibis boolean expression (true = passes, nulls pass) of a pandera built-in column check."""
    stats = check.statistics or {}
    if check.name == "isin":
        return col.isnull() | col.isin(list(stats["allowed_values"])).fill_null(False)
    if check.name == "str_matches":
        pattern = stats["pattern"]
        pattern = pattern if pattern.startswith("^") else "^" + pattern  # re.match semantics, as pandera
        return col.isnull() | col.re_search(pattern).fill_null(False)
    raise NotImplementedError(f"contract check {check.name!r} has no Ibis translation")


@dataclass
class _Test:
    key: str
    column: str
    check: str
    ok: object  # Ibis boolean expression
    show: list[str]
    pandera: Check | None = None


def _tests(feed: FeedSpec, schema: DataFrameSchema, table, columns: list[str]) -> list[_Test]:
    c = feed.contract
    types = contract_types(feed, columns)
    context = [x for x in (c.indicator_column, c.value_column) if x and x in columns]
    tests: list[_Test] = []
    for spec in schema.columns.values():
        names = [n for n in columns if re.fullmatch(spec.name, n)] if spec.regex else [spec.name]
        for name in names:
            col = table[name]
            show = list(dict.fromkeys([name, *context]))
            if types.get(name, "str") != "str":
                tests.append(
                    _Test(
                        f"t{len(tests)}",
                        name,
                        f"coerce_dtype('{IBIS_TYPES[types[name]]}')",
                        ~table[unreadable_flag(name)],
                        show,
                    )
                )
            if not spec.nullable:
                tests.append(_Test(f"t{len(tests)}", name, "not_nullable", col.notnull(), show))
            for check in spec.checks:
                tests.append(
                    _Test(
                        f"t{len(tests)}", name, check.error or check.name, _builtin(check, col), show, check
                    )
                )
    data = IbisData(table)
    for check in schema.checks:
        stats = check.statistics or {}
        show = [
            x for x in (c.indicator_column, c.unit_column, c.value_column, c.period_column) if x in columns
        ]
        target = stats.get("value_column") or c.indicator_column or feed.id
        tests.append(_Test(f"t{len(tests)}", target, check.name, check._check_fn(data), show, check))
    return tests


def _key_hash(columns):
    """DuckDB's variadic `hash(a, b, ...)` of the key columns, as an Ibis expression (a builtin with one parameter
    per column): cheaper than hashing a struct of them, which Ibis' own `.hash()` would build."""
    import inspect

    import ibis.expr.datatypes as dt

    def hash(*args): ...

    hash.__signature__ = inspect.Signature(
        [inspect.Parameter(f"k{i}", inspect.Parameter.POSITIONAL_OR_KEYWORD) for i in range(len(columns))]
    )
    hash.__annotations__ = {**{f"k{i}": c.type() for i, c in enumerate(columns)}, "return": dt.uint64}
    return ibis.udf.scalar.builtin(hash, name="hash")(*columns)


def _sample(table, ok, show: list[str]) -> list[dict]:
    rows = table.filter(~ok).order_by("_source_line").select("_source_line", *show).limit(SAMPLE).to_pyarrow()
    return rows.to_pylist()


def _duplicates(con, relation: str, keys: list[str], show: list[str]) -> tuple[int, list[dict]]:
    """Rows that repeat the unique key, counted exactly, and the first of them. Run only when the one-scan count of
    distinct key hashes found fewer keys than rows (a 64-bit hash collision then counts 0 here: no false alarm)."""
    quoted = ", ".join('"' + k.replace('"', '""') + '"' for k in keys)
    dupes = con.execute(
        f"with g as (select {quoted}, count(*) as n from {relation} group by all having count(*) > 1) "
        "select coalesce(sum(n), 0) from g"
    ).fetchone()[0]
    if not dupes:
        return 0, []
    cols = ", ".join('"' + c.replace('"', '""') + '"' for c in dict.fromkeys([*keys, *show]))
    rows = con.execute(
        f"with g as (select {quoted} from {relation} group by all having count(*) > 1) "
        f"select _source_line, {cols} from {relation} join g using ({quoted}) order by _source_line limit {SAMPLE}"
    ).fetchall()
    names = ["_source_line", *dict.fromkeys([*keys, *show])]
    return int(dupes), [dict(zip(names, r, strict=True)) for r in rows]


def _diagnose(feed: FeedSpec, failures: list[Failure], rows: int, raw: dict[int, dict]) -> None:
    """Attach a one-line diagnosis to failures whose pattern is recognisable."""
    for f in failures:
        if f.check.startswith("coerce_dtype"):
            texts = [raw.get(line, {}).get(f.column) for line in f.lines]
            if texts and all(t and THOUSANDS.match(t.strip()) for t in texts if t):
                f.diagnosis = "values use thousands separators, e.g. " + repr(next(t for t in texts if t))
            f.sample = [{"_source_line": line, f.column: raw.get(line, {}).get(f.column)} for line in f.lines]
        elif "valid_range" in f.check and f.sample and f.count >= 0.5 * rows:
            stats_vals = [r.get(feed.contract.value_column) for r in f.sample]
            ranges = {i.name: i.valid_range for i in feed.indicators if i.valid_range}
            for factor in (100, 1000, 1_000_000):
                fits = [
                    v is not None and r.get(feed.contract.indicator_column) in ranges
                    and ranges[r[feed.contract.indicator_column]][0] <= v / factor <= ranges[r[feed.contract.indicator_column]][1]
                    for v, r in zip(stats_vals, f.sample, strict=True)
                ]  # fmt: skip
                if fits and all(fits):
                    f.diagnosis = f"values look rescaled: divided by {factor:,} they fall within the range"
                    break


def _shifted(feed: FeedSpec, failures: list[Failure], rows: int) -> Failure | None:
    """Many columns failing on most rows at once is one cause: the columns are shifted."""
    heavy = [
        f for f in failures if f.column in {s.name for s in feed.contract.columns} and f.count >= 0.5 * rows
    ]
    cols = list(dict.fromkeys(f.column for f in heavy))
    if len(cols) < 3:
        return None
    lines = sorted({line for f in heavy for line in f.lines})[:SAMPLE]
    return Failure(
        column=", ".join(cols),
        check="columns line up with the header",
        count=max(f.count for f in heavy),
        lines=lines,
        diagnosis=f"columns are shifted: {len(cols)} columns fail their checks on most rows "
        f"({', '.join(f'{f.column}: {f.check}' for f in heavy[:4])}...)",
    )


def validate(
    feed: FeedSpec,
    con,
    relation: str,
    columns: list[str],
    rows: int,
    where: str,
    *,
    today: date | None = None,
    raw_lines=None,
    scan: str | None = None,
) -> tuple[int, int]:
    """Check the parsed table `relation` (a DuckDB relation name on `con`); return (rows, checks run).
    `scan`: the same rows without line numbers (cheaper to read: numbering a CSV's records costs as much as
    parsing them), for the one aggregate scan; `relation` is read only to find the first failing lines.

    One scan counts the rows, every check's failures and the distinct unique keys; only failing checks cost more
    queries (their first lines). `rows` < 0: not known yet (a view over a CSV file). Raises ContractError with one
    line per cause. `raw_lines(lines, columns)` gives the source text of records (for cells that did not read as
    their type)."""
    missing = [
        s.name
        for s in feed.contract.columns
        if (not s.regex and s.name not in columns)
        or (s.regex and not any(re.fullmatch(s.name, c) for c in columns))
    ]
    if missing:
        raise ContractError(
            f"feed {feed.id!r}: {where} lacks contract column(s) {missing}; it has {columns} "
            f"(renamed, missing or shifted header?)",
            [f"missing columns {missing}"],
        )
    schema = build_schema(feed, today)
    backend = ibis.duckdb.from_connection(con)
    scanned = backend.table(scan or relation)
    tests = _tests(feed, schema, scanned, columns)
    keys = feed.contract.unique or []
    measures = [scanned.count().name("_rows")] + [(~t.ok).cast("int64").sum().name(t.key) for t in tests]
    if keys:
        measures.append(_key_hash([scanned[k] for k in keys]).nunique().name("_distinct_keys"))
    counts = scanned.aggregate(measures).to_pyarrow().to_pylist()[0]
    table = backend.table(relation)
    if scan and scan != relation and any(counts[t.key] for t in tests):
        tests = _tests(feed, schema, table, columns)  # the same checks, on the numbered rows
    rows = int(counts["_rows"])
    if rows < feed.contract.min_rows:
        raise ContractError(
            f"feed {feed.id!r}: {where} has {rows} data row(s); the contract needs at least {feed.contract.min_rows}",
            [f"min_rows {feed.contract.min_rows}"],
        )
    failures: list[Failure] = []
    for t in tests:
        n = int(counts[t.key] or 0)
        if n:
            sample = _sample(table, t.ok, t.show)
            failures.append(Failure(t.column, t.check, n, [r["_source_line"] for r in sample], sample))
    if keys and int(counts["_distinct_keys"]) < rows:
        show = [x for x in (feed.contract.value_column,) if x and x in columns]
        n, sample = _duplicates(con, relation, keys, show)
        if n:
            failures.append(
                Failure("+".join(keys), f"unique on {keys}", n, [r["_source_line"] for r in sample], sample)
            )
    if not failures:
        return rows, len(tests) + (1 if keys else 0)
    cast_lines = sorted({line for f in failures if f.check.startswith("coerce_dtype") for line in f.lines})
    cast_cols = sorted({f.column for f in failures if f.check.startswith("coerce_dtype")})
    raw = raw_lines(cast_lines, cast_cols) if raw_lines and cast_lines else {}
    _diagnose(feed, failures, rows, raw)
    shifted = _shifted(feed, failures, rows)
    if shifted is not None:
        moved = set(shifted.column.split(", "))  # a check over several columns (the unique key) fails with them
        failures = [shifted, *[f for f in failures if not moved & set(re.split(r"\+|, ", f.column))]]
    lines = [f.summary() for f in failures]
    msg = (
        f"feed {feed.id!r}: {where} broke its contract ({len(lines)} cause(s)); nothing landed:\n  - "
        + "\n  - ".join(lines)
    )
    raise ContractError(msg, lines)
