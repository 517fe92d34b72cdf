"""Onboarding a feed: from one sample file to a registry stanza, a staging model and a docs stub.

Belongs here: reading an ESS-format sample (the tidy CSV layout of ONS Explore Subnational Statistics:
areacd, areanm, geography, indicator, period, observation, measure, unit, lci_95, uci_95, status, notes) and
inferring what a data engineer would otherwise type: the columns and their types, the geography levels, the
period format, the indicators with their unit, a measure type and a plausible range. The publisher's JSON
metadata beside the sample (`<name>.json`, read by `onboarding.ess_metadata`) gives the title, description,
caveats, source organisation, URL and date, and the measure type: the metadata's words win over the unit column
("Ratio of median house price to median gross annual earnings" is a ratio even when the unit says "%"), and every
disagreement between the two is reported (`Inference.disagreements`, a NOTE in the stanza, a line in the CLI). Every guess a person must
confirm is marked `# TODO confirm` in the stanza. Then `scaffold_feed` appends the stanza to the registry
(as text, so comments and layout are kept), writes `stg_ess__<feed>.sql` (one macro call) and
`docs/feeds/<id>.md`, regenerates the dbt sources/seeds (`warehouse.dbt_sync.sync`) and validates the result
(registry loads, dbt in step, the sample passes the generated contract). If validation fails, every file it
touched is restored. Running the feed end to end is the CLI's job (`levelup scaffold-feed --run`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

from core.settings import PROJECT_ROOT
from onboarding.ess_metadata import (
    IndicatorMetadata,
    load_metadata,
    measure_type_from_metadata,
    metadata_path_for,
)

ESS_COLUMNS = [
    "areacd",
    "areanm",
    "geography",
    "indicator",
    "period",
    "observation",
    "measure",
    "unit",
    "lci_95",
    "uci_95",
    "status",
    "notes",
]
ESS_REQUIRED = {"areacd", "areanm", "geography", "indicator", "period", "observation", "unit"}

PERIOD_FORMATS = [
    # (name, full-match regex, example)
    ("ISO 8601 start date and duration", r"^\d{4}-\d{2}-\d{2}/P\d+[YMWD]$", "2020-01-01/P1Y"),
    ("ISO 8601 date", r"^\d{4}-\d{2}-\d{2}$", "2020-04-01"),
    ("calendar year", r"^\d{4}$", "2020"),
    ("financial year", r"^\d{4}[/-]\d{2}(\d{2})?$", "2020/21"),
    ("year and month", r"^\d{4}-(0[1-9]|1[0-2])$", "2020-04"),
]


class ScaffoldError(ValueError):
    """The sample cannot be scaffolded, or the result does not validate; the message says why."""


@dataclass
class IndicatorGuess:
    name: str
    unit: str
    measure: str | None
    measure_type: str
    reason: str
    valid_range: tuple[float, float]
    rows: int
    min_value: float | None
    max_value: float | None
    metadata: IndicatorMetadata | None = None
    disagreement: str | None = None  # the unit column suggests another measure type than the metadata

    @property
    def confident(self) -> bool:
        return self.reason.startswith(("unit", "metadata"))


@dataclass
class ColumnGuess:
    name: str
    type: str  # str | float | int
    nullable: bool


@dataclass
class Inference:
    sample: Path
    rows: int
    columns: list[ColumnGuess]
    is_ess: bool
    geographies: list[str]
    period_format: str
    period_pattern: str | None
    durations: list[str]
    period_range: tuple[str, str]
    indicators: list[IndicatorGuess]
    has_intervals: bool
    has_status: bool
    status_codes: list[str]
    title: str | None = None
    subtitle: str | None = None
    source_url: str | None = None
    source_org: str | None = None
    source_date: str | None = None
    description: str | None = None
    caveats: str | None = None
    experimental: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def disagreements(self) -> list[str]:
        return [i.disagreement for i in self.indicators if i.disagreement]


# ---------------------------------------------------------------------------------------------------
# Inference


def _is_float(v: str) -> bool:
    try:
        float(v)
        return True
    except ValueError:
        return False


def _column_type(values: list[str]) -> str:
    present = [v for v in values if v != ""]
    if present and all(_is_float(v) for v in present):
        return "float"  # counts are floats too in ESS files (estimates, rounding); the contract coerces
    return "str"


def guess_measure_type(unit: str, measure: str | None, indicator: str) -> tuple[str, str]:
    """(measure_type, reason). The unit is the strongest signal; the measure label and name come next."""
    u, m, i = unit.lower(), (measure or "").lower(), indicator.lower()
    if "%" in u or "percent" in u or m == "percentage":
        return "share", f"unit {unit!r} is a percentage"
    if "median" in m or "median" in i:
        return "median", "measure/indicator says median"
    if "rate per" in u or u.startswith("rate") or m.startswith("rate"):
        return "rate", f"unit {unit!r} is a rate per population"
    if "mean" in m or "score" in u or "average" in m or "average" in i or "mean" in i:
        return "mean", f"measure {measure!r} / unit {unit!r} is a mean or score"
    if "expectancy" in i or u in ("yrs", "years"):
        return "expectancy", f"indicator {indicator!r} is an expectancy in years"
    if " per " in u or " per " in m:
        return "rate", f"unit {unit!r} is per something"
    if re.search(r"\b(number|count|counts|people|persons|total|million|thousand)\b", u + " " + m):
        return "count", f"unit {unit!r} / measure {measure!r} is a count or amount"
    if "index" in u or "index" in m or "index" in i:
        return "index", "measure says index"
    return (
        "index",
        "no rule matched: `index` keeps it at its source geography (never aggregated) until confirmed",
    )


def _nice_ceiling(x: float) -> float:
    if x <= 0:
        return 1.0
    p = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 5, 10):
        if m * p >= x:
            return float(m * p)
    return float(10 * p)


def guess_range(unit: str, measure_type: str, values: list[float]) -> tuple[float, float]:
    if measure_type == "share" or ("%" in unit and measure_type in ("rate", "index")):
        return (0.0, 100.0)
    if not values:
        return (0.0, 1.0)
    lo, hi = min(values), max(values)
    low = 0.0 if lo >= 0 else -_nice_ceiling(abs(lo) * 2)
    return (low, _nice_ceiling(hi * 2))


def measure_type_for(
    unit: str, measure: str | None, name: str, meta: IndicatorMetadata | None
) -> tuple[str, str, str | None]:
    """(measure_type, reason, disagreement): the metadata's measure type when it names one, else the unit's."""
    unit_type, unit_reason = guess_measure_type(unit, measure, name)
    from_meta = measure_type_from_metadata(meta) if meta is not None else None
    if from_meta is None:
        return unit_type, unit_reason, None
    mtype, reason = from_meta
    disagreement = None
    if mtype != unit_type:
        disagreement = (
            f"{name!r}: the unit column says {unit_type} ({unit_reason}), the metadata says {mtype} ({reason}): "
            "the metadata wins"
        )
    return mtype, reason, disagreement


def infer_sample(sample: Path, allowed_geographies: list[str] | None = None) -> Inference:
    sample = Path(sample)
    text = sample.read_bytes().decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ScaffoldError(f"{sample}: empty file") from None
    rows = [r for r in reader if r]
    if not rows:
        raise ScaffoldError(f"{sample}: header only, no data rows to infer from")
    bad = [i + 2 for i, r in enumerate(rows) if len(r) != len(header)]
    if bad:
        raise ScaffoldError(f"{sample}: rows {bad[:5]} do not have the header's {len(header)} fields")
    cols = {h: [r[i].strip() for r in rows] for i, h in enumerate(header)}
    missing = sorted(ESS_REQUIRED - set(header))
    if missing:
        raise ScaffoldError(
            f"{sample} is not an ESS-format file: it lacks column(s) {missing} (has {header}). "
            "Only ESS-format samples can be scaffolded; register other feeds by hand."
        )
    columns = [ColumnGuess(h, _column_type(cols[h]), any(v == "" for v in cols[h])) for h in header]
    geographies = sorted(set(cols["geography"]))
    periods = cols["period"]
    fmt, pattern = "unrecognised", None
    for name, rx, example in PERIOD_FORMATS:
        if all(re.match(rx, p) for p in periods):
            fmt, pattern = f"{name} (e.g. {example})", rx
            break
    durations = sorted({p.split("/P", 1)[1] for p in periods if "/P" in p})
    by_ind: dict[tuple[str, str], list[int]] = {}
    for idx in range(len(rows)):
        by_ind.setdefault((cols["indicator"][idx], cols["unit"][idx]), []).append(idx)
    names = [k[0] for k in by_ind]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ScaffoldError(f"{sample}: indicator(s) {dupes} appear with more than one unit")
    indicators = []
    metadata = load_metadata(metadata_path_for(sample))
    for (name, unit), idxs in by_ind.items():
        measure = cols["measure"][idxs[0]] if "measure" in cols else None
        values = [float(cols["observation"][i]) for i in idxs if _is_float(cols["observation"][i])]
        meta = metadata.get(name) or metadata.get(None)
        mtype, reason, disagreement = measure_type_for(unit, measure, name, meta)
        indicators.append(
            IndicatorGuess(
                name=name,
                unit=unit,
                measure=measure,
                measure_type=mtype,
                reason=reason,
                valid_range=guess_range(unit, mtype, values),
                rows=len(idxs),
                min_value=min(values) if values else None,
                max_value=max(values) if values else None,
                metadata=meta,
                disagreement=disagreement,
            )
        )
    allowed = set(allowed_geographies or [])
    notes = []
    unknown_geo = sorted(set(geographies) - allowed) if allowed else []
    if unknown_geo:
        notes.append(f"geography level(s) {unknown_geo} are not in the ESS contract's allowed list")
    is_ess = set(ESS_COLUMNS) == set(header) and not unknown_geo and pattern == PERIOD_FORMATS[0][1]
    if set(ESS_COLUMNS) != set(header):
        notes.append(
            f"columns differ from the ESS tidy layout: extra {sorted(set(header) - set(ESS_COLUMNS))}, "
            f"missing {sorted(set(ESS_COLUMNS) - set(header))}"
        )
    if metadata and not any(i.metadata for i in indicators):
        notes.append(
            f"{metadata_path_for(sample).name} has no metadata block for any indicator of the sample"
        )
    single = metadata.get(None) or (next(iter(metadata.values())) if len(metadata) == 1 else None)
    first = next(iter(metadata.values()), None)  # feed-level facts (source) are shared by every block
    status_codes = sorted({v for v in cols.get("status", []) if v})
    return Inference(
        sample=sample,
        rows=len(rows),
        columns=columns,
        is_ess=is_ess,
        geographies=geographies,
        period_format=fmt,
        period_pattern=pattern,
        durations=durations,
        period_range=(min(periods), max(periods)),
        indicators=indicators,
        has_intervals="lci_95" in header and "uci_95" in header,
        has_status="status" in header,
        status_codes=status_codes,
        title=single.get("label") if single else None,
        subtitle=single.get("subtitle") if single else None,
        source_url=first.get("source_url") if first else None,
        source_org=first.get("source_org") if first else None,
        source_date=first.get("source_date") if first else None,
        description=(single.get("long_description") or single.get("subtitle")) if single else None,
        caveats=single.get("caveats") if single else None,
        experimental=bool(first.get("experimental")) if first else False,
        notes=notes,
    )


# ---------------------------------------------------------------------------------------------------
# Rendering


def _q(s: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is valid YAML)."""
    return json.dumps(s, ensure_ascii=False)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def render_stanza(
    feed_id: str,
    inf: Inference,
    *,
    url: str | None,
    mirror_path: str | None,
    cadence: str,
    title: str | None,
    missions: list[int],
    ess_contract: dict | None,
) -> str:
    today = datetime.now(UTC).date().isoformat()
    geo = ", ".join(inf.geographies)
    lines = [
        "",
        f"  # ---------------------------------------------------------------- scaffolded {today} from {inf.sample.name}",
        f"  # Inferred from {inf.rows} rows. Geography levels: {geo}.",
        f"  # Period format: {inf.period_format}"
        + (f"; durations {', '.join(inf.durations)}" if inf.durations else "")
        + f"; {inf.period_range[0]} .. {inf.period_range[1]}.",
    ]
    for note in inf.notes:
        lines.append(f"  # NOTE: {note}")
    for note in inf.disagreements:
        lines.append(f"  # NOTE: unit vs metadata: {note}")
    title_value = title or inf.title or feed_id.replace("-", " ").capitalize()
    lines += [
        f"  - id: {feed_id}",
        f"    title: {_q(title_value)}"
        + ("" if title else "  # TODO confirm (from the source's metadata label)"),
        "    family: ess",
    ]
    if url:
        lines.append(f"    url: {url}")
    if mirror_path:
        lines.append(f"    mirror_path: {mirror_path}")
    lines.append(f"    cadence: {cadence}  # TODO confirm: how often the publisher releases a new version")
    lines.append(
        f"    missions: [{', '.join(map(str, missions))}]"
        + ("" if missions else "  # TODO: the Levelling Up missions (1-12) this feed informs, if any")
    )
    if inf.description:
        lines.append(f"    description: {_q(inf.description)}")
    for key in ("source_org", "source_url", "source_date"):
        if getattr(inf, key):
            lines.append(f"    {key}: {_q(getattr(inf, key))}")
    if inf.experimental:
        lines.append("    experimental: true")
    if not inf.is_ess:
        lines += _inline_contract(inf, ess_contract)
    lines.append("    indicators:")
    for ind in inf.indicators:
        lo, hi = ind.valid_range
        todo = f"  # TODO confirm measure_type ({ind.reason}) and valid_range (sample: {ind.min_value} .. {ind.max_value})"
        if ind.metadata is None:
            lines.append(
                f"      - {{name: {_q(ind.name)}, measure_type: {ind.measure_type}, unit: {_q(ind.unit)}, "
                f"valid_range: [{_num(lo)}, {_num(hi)}]}}{todo}"
            )
            continue
        lines += [
            f"      - name: {_q(ind.name)}",
            f"        measure_type: {ind.measure_type}  # TODO confirm ({ind.reason})",
            f"        unit: {_q(ind.unit)}",
            f"        valid_range: [{_num(lo)}, {_num(hi)}]  # TODO confirm (sample: {ind.min_value} .. {ind.max_value})",
        ]
        if ind.disagreement:
            lines.append(f"        note: {_q('metadata wins over the unit column: ' + ind.disagreement)}")
        for key in ("label", "subtitle", "long_description", "caveats"):
            if ind.metadata.get(key):
                lines.append(f"        {key}: {_q(str(ind.metadata.get(key)))}")
        if isinstance(ind.metadata.get("decimal_places"), int):
            lines.append(f"        decimal_places: {ind.metadata.get('decimal_places')}")
        if isinstance(ind.metadata.get("standardised"), bool):
            lines.append(f"        standardised: {str(ind.metadata.get('standardised')).lower()}")
    return "\n".join(lines) + "\n"


def _inline_contract(inf: Inference, ess_contract: dict | None) -> list[str]:
    base = {c["name"]: c for c in (ess_contract or {}).get("columns", [])}
    out = [
        "    contract:  # TODO confirm: inferred because the sample differs from the ESS tidy contract",
        "      columns:",
    ]
    for col in inf.columns:
        spec: dict = {"name": col.name}
        if col.type != "str":
            spec["type"] = col.type
        if not col.nullable:
            spec["nullable"] = False
        if col.name == "geography":
            spec["allowed"] = inf.geographies
        elif col.name == "period" and inf.period_pattern:
            spec["pattern"] = inf.period_pattern
        elif col.name in base and "pattern" in base[col.name]:
            spec["pattern"] = base[col.name]["pattern"]
        elif col.name == "status":
            spec["allowed"] = sorted(set(inf.status_codes) | {"x", "u", "c", "z"})
        out.append(
            "        - "
            + yaml.safe_dump(spec, default_flow_style=True, width=1000, allow_unicode=True).strip()
        )
    out += [
        "      unique: [areacd, geography, indicator, period]",
        "      indicator_column: indicator",
        "      unit_column: unit",
        "      value_column: observation",
        "      period_column: period",
    ]
    return out


def staging_sql(table_name: str, inf: Inference) -> str:
    args = [f"source('ess', '{table_name}')"]
    if not inf.has_intervals:
        args.append("has_intervals=false")
    if not inf.has_status:
        args.append("has_status=false")
    return "{{ stage_ess_feed(" + ", ".join(args) + ") }}\n"


def docs_stub(feed_id: str, inf: Inference, url: str, staging_model: str, cadence: str) -> str:
    rows = "\n".join(
        f"| {i.name} | {i.unit} | {i.measure_type} | {_num(i.valid_range[0])} .. {_num(i.valid_range[1])} | {i.reason} |"
        for i in inf.indicators
    )
    return f"""# {inf.title or feed_id}

> Scaffolded by `levelup scaffold-feed` on {datetime.now(UTC).date().isoformat()} from `{inf.sample.name}`.
> Items marked TODO are guesses the owner must confirm (they are also marked `# TODO confirm` in
> `registry/feeds.yaml`).

{inf.description or inf.subtitle or "TODO: one paragraph on what the indicator measures and who publishes it."}

| | |
|---|---|
| feed id | `{feed_id}` |
| source | <{url}> |
| publisher's page | {inf.source_url or "TODO"} |
| publisher | {inf.source_org or "Office for National Statistics"} |
| licence | Open Government Licence v3.0 |
| cadence | {cadence} (TODO confirm) |
| staging model | `{staging_model}` |
| rows in the sample | {inf.rows} |
| geography levels | {", ".join(inf.geographies)} |
| period format | {inf.period_format}{(" — durations " + ", ".join(inf.durations)) if inf.durations else ""} |
| periods in the sample | {inf.period_range[0]} .. {inf.period_range[1]} |

## Indicators

| indicator | unit | measure type | valid range | why this measure type |
|---|---|---|---|---|
{rows}

Measure types decide aggregation across areas (see `ingest/registry.py`): counts sum, rates and shares are
recomputed or population-weighted, means are population-weighted, medians/indices/expectancies stay at their
source geography.

## Caveats

{inf.caveats or "TODO: the publisher's caveats (revisions, suppression, small samples, code changes)."}
"""


# ---------------------------------------------------------------------------------------------------
# Scaffolding


@dataclass
class ScaffoldResult:
    feed_id: str
    stanza: str
    files_written: list[Path]
    dbt_files_changed: list[Path]
    inference: Inference
    contract_rows: int


def _family_default(doc: dict, family: str, key: str, feed_id: str) -> str | None:
    v = ((doc.get("family_defaults") or {}).get(family) or {}).get(key)
    return v.format(id=feed_id) if isinstance(v, str) else None


def scaffold_feed(
    sample: Path,
    feed_id: str,
    *,
    url: str | None = None,
    mirror_path: str | None = None,
    title: str | None = None,
    cadence: str = "annual",
    missions: list[int] | None = None,
    registry_path: Path | None = None,
    project_root: Path = PROJECT_ROOT,
    force: bool = False,
) -> ScaffoldResult:
    """Append a stanza for `feed_id`, write its staging model and docs stub, sync dbt, validate."""
    from core.registry import FEED_ID, RegistryError, load_registry
    from ingest.contract import ContractError
    from ingest.parse import ParseError
    from ingest.pipeline import check_file
    from warehouse import dbt_sync

    if not FEED_ID.match(feed_id):
        raise ScaffoldError(f"{feed_id!r} is not a kebab-case feed id")
    registry_path = Path(registry_path or project_root / "registry" / "feeds.yaml")
    original = registry_path.read_text(encoding="utf-8")
    doc = yaml.safe_load(original)
    reg = load_registry(registry_path)
    if feed_id in reg.by_id:
        raise ScaffoldError(f"feed {feed_id!r} is already registered in {registry_path}")
    if list(doc)[-1] != "feeds":
        raise ScaffoldError(f"{registry_path}: `feeds:` must be the last top-level key to append a stanza")
    ess_contract = (doc.get("contracts") or {}).get("ess_tidy")
    allowed = next(
        (c.get("allowed") for c in (ess_contract or {}).get("columns", []) if c["name"] == "geography"), None
    )
    inf = infer_sample(Path(sample), allowed)
    default_url = _family_default(doc, "ess", "url", feed_id)
    default_mirror = _family_default(doc, "ess", "mirror_path", feed_id)
    stanza = render_stanza(
        feed_id,
        inf,
        url=None if url in (None, default_url) else url,
        mirror_path=None if mirror_path in (None, default_mirror) else mirror_path,
        cadence=cadence,
        title=title,
        missions=missions or [],
        ess_contract=ess_contract,
    )
    table = feed_id.replace("-", "_")
    project = dbt_sync.dbt_dir() if project_root == PROJECT_ROOT else project_root / "dbt_project"
    staging = project / "models" / "staging" / "ess" / f"stg_ess__{table}.sql"
    docs = project_root / "docs" / "feeds" / f"{feed_id}.md"
    for p in (staging, docs):
        if p.exists() and not force:
            raise ScaffoldError(f"{p} already exists (use --force to overwrite)")

    backups: dict[Path, str | None] = {registry_path: original, staging: None, docs: None}
    backups.update(
        {p: (p.read_text(encoding="utf-8") if p.exists() else None) for p in dbt_sync.expected_files(reg)}
    )

    def restore() -> None:
        for p, text in backups.items():
            if text is None:
                p.unlink(missing_ok=True)
            else:
                p.write_text(text, encoding="utf-8")

    try:
        registry_path.write_text(original.rstrip("\n") + "\n" + stanza, encoding="utf-8")
        new_reg = load_registry(registry_path)
        feed = new_reg.get(feed_id)
        staging.parent.mkdir(parents=True, exist_ok=True)
        staging.write_text(staging_sql(table, inf), encoding="utf-8")
        docs.parent.mkdir(parents=True, exist_ok=True)
        docs.write_text(
            docs_stub(feed_id, inf, feed.url or "", feed.staging_model, cadence), encoding="utf-8"
        )
        changed = dbt_sync.sync(new_reg)
        problems = dbt_sync.check(new_reg)
        if problems:
            raise ScaffoldError(
                "dbt is not in step with the registry after scaffolding:\n" + "\n".join(problems)
            )
        where = str(sample)
        checked_rows = check_file(feed, Path(sample), where)
    except (RegistryError, ContractError, ParseError, ScaffoldError) as exc:
        restore()
        raise ScaffoldError(
            f"scaffolded feed {feed_id!r} does not validate; nothing was kept:\n{exc}"
        ) from None
    except Exception:
        restore()
        raise
    return ScaffoldResult(
        feed_id=feed_id,
        stanza=stanza,
        files_written=[registry_path, staging, docs],
        dbt_files_changed=changed,
        inference=inf,
        contract_rows=checked_rows,
    )
