"""Generating the dbt files that mirror the registry and the project's own layout, and checking them.

Belongs here: the registry -> dbt glue. Every file it writes says GENERATED in its first line (or, for seed CSVs,
sits in `seeds/generated/`, documented as generated in `seeds/generated/_generated.yml`):
  - `models/staging/_sources.yml`           one dbt source per family, one table per enabled open feed, reading
                                            the feed's current version in the raw zone (a CSV feed: the typed
                                            projection over the landed file, `ingest.parse.dbt_source_relation`),
                                            tagged with its asset key;
  - `models/staging/_staging_generated.yml` a documented entry for every feed's staging model;
  - `seeds/generated/registry_feeds.csv`, `registry_indicators.csv` the catalogue as tables (measure types,
                                            aggregation rules, units, ranges, label metadata), so SQL can use them;
  - `seeds/generated/registry_indicator_metadata.csv` the publisher's text per indicator (label, subtitle, long
                                            description, caveats, source organisation / URL / date, experimental
                                            flag, decimal places), read by the `indicator_catalogue` mart;
  - `macros/generated/registry.sql`          the staging models per family, and the mission models per role
                                            (metrics, gaps, gap groups) found in models/intermediate/missions/, so
                                            a union mart picks up a new feed or mission model without editing SQL;
  - `macros/generated/spark_sources.sql`     the Spark twin of the sources (`spark__register_sources`, run by
                                            on-run-start on the spark target): every source as a view with the
                                            same typed columns (`ingest.parse.spark_source_relation`).
Restricted feeds never appear in the shared project. Registry text cannot carry a template (the registry
refuses it), and dbt runs with no secret in its environment (`core.dbt`).
`check()` reports any file that differs from what the registry implies, and any feed without its staging
model (a data engineer adds exactly one: `stg_<family>__<feed>.sql`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import yaml

from core.registry import AGGREGATION_RULE, Registry, load_registry
from core.settings import PROJECT_ROOT, get_settings
from ingest.parse import dbt_source_relation, spark_empty_relation, spark_source_relation

GENERATED_HEADER = "# GENERATED from registry/feeds.yaml by `levelup sync-dbt`: do not edit by hand.\n"
MISSION_MODEL = re.compile(r"^int_mission_(\d{2})_[a-z0-9_]+$")


def dbt_dir() -> Path:
    return get_settings().dbt_project_dir


def _sources_yaml(reg: Registry) -> str:
    sources = []
    for family in ("ess", "reference"):
        feeds = [f for f in reg.of_family(family) if f.enabled and f.sensitivity == "open"]
        if not feeds:
            continue
        tables = []
        for f in feeds:
            tables.append(
                {
                    "name": f.table_name,
                    "description": f"{f.title}. Publisher: {f.publisher}. Licence: {f.licence}. Source: {f.url}",
                    "meta": {
                        "feed_id": f.id,
                        "external_location": dbt_source_relation(f, "{{ env_var('LEVELUP_DATA_DIR') }}"),
                        "dagster": {"asset_key": ["raw", f.id]},
                    },
                }
            )
        sources.append(
            {
                "name": family,
                "description": f"Landed {family} feeds: the current immutable version of each (raw zone), typed.",
                "tables": tables,
            }
        )
    body = yaml.safe_dump({"version": 2, "sources": sources}, sort_keys=False, width=200, allow_unicode=True)
    return GENERATED_HEADER + body


def _csv(rows: list[dict], columns: list[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in columns})
    return buf.getvalue()


def _feeds_csv(reg: Registry) -> str:
    cols = [
        "feed_id",
        "title",
        "family",
        "publisher",
        "licence",
        "url",
        "sensitivity",
        "cadence",
        "missions",
        "owner",
        "enabled",
        "disabled_reason",
    ]
    rows = [
        {
            "feed_id": f.id,
            "title": f.title,
            "family": f.family,
            "publisher": f.publisher,
            "licence": f.licence,
            "url": f.url,
            "sensitivity": f.sensitivity,
            "cadence": f.cadence,
            "missions": " ".join(str(m) for m in f.missions),
            "owner": f.owner,
            "enabled": str(f.enabled).lower(),
            "disabled_reason": f.disabled_reason,
        }
        for f in reg.feeds
        if f.sensitivity == "open"
    ]
    return _csv(rows, cols)


def _indicators_csv(reg: Registry) -> str:
    cols = [
        "feed_id",
        "indicator",
        "measure_type",
        "unit",
        "numerator",
        "denominator",
        "valid_min",
        "valid_max",
        "aggregation_rule",
        "is_aggregatable",
        "missions",
        "note",
    ]
    rows = [
        {
            "feed_id": f.id,
            "indicator": i.name,
            "measure_type": i.measure_type,
            "unit": i.unit,
            "numerator": i.numerator,
            "denominator": i.denominator,
            "valid_min": i.valid_range[0] if i.valid_range else None,
            "valid_max": i.valid_range[1] if i.valid_range else None,
            "aggregation_rule": AGGREGATION_RULE[i.measure_type],
            "is_aggregatable": str(i.measure_type in ("count", "rate", "share", "mean")).lower(),
            "missions": " ".join(str(m) for m in (i.missions if i.missions is not None else f.missions)),
            "note": i.note,
        }
        for f in reg.feeds
        if f.sensitivity == "open" and f.enabled
        for i in f.indicators
    ]
    return _csv(rows, cols)


METADATA_COLUMNS = [
    "feed_id",
    "indicator",
    "label",
    "subtitle",
    "long_description",
    "caveats",
    "source_org",
    "source_url",
    "source_date",
    "is_experimental",
    "decimal_places",
    "is_standardised",
]


def _indicator_metadata_csv(reg: Registry) -> str:
    """The registry's metadata text per (enabled open feed, indicator); the producer (`source_org`) falls back to
    the feed's publisher, the producer's URL to the feed's public address."""
    rows = [
        {
            "feed_id": f.id,
            "indicator": i.name,
            "label": i.label or i.name,
            "subtitle": i.subtitle,
            "long_description": i.long_description or i.description,
            "caveats": i.caveats,
            "source_org": f.source_org or f.publisher,
            "source_url": f.source_url or f.url,
            "source_date": f.source_date,
            "is_experimental": str(f.experimental).lower(),
            "decimal_places": i.decimal_places,
            "is_standardised": None if i.standardised is None else str(i.standardised).lower(),
        }
        for f in reg.feeds
        if f.sensitivity == "open" and f.enabled
        for i in f.indicators
    ]
    return _csv(rows, METADATA_COLUMNS)


def mission_models() -> dict[str, list[str]]:
    """The mission models in models/intermediate/missions/ by role. `int_mission_NN_<theme>` gives metric rows,
    `..._gaps` and `..._gap_groups` the gaps; a name with a double underscore is a helper of its mission."""
    folder = dbt_dir() / "models" / "intermediate" / "missions"
    names = sorted(p.stem for p in folder.glob("int_mission_*.sql") if MISSION_MODEL.match(p.stem))
    out: dict[str, list[str]] = {"metrics": [], "gaps": [], "gap_groups": []}
    for n in names:
        if "__" in n:
            continue
        role = "gap_groups" if n.endswith("_gap_groups") else "gaps" if n.endswith("_gaps") else "metrics"
        out[role].append(n)
    return out


def _macro(reg: Registry) -> str:
    lines = [
        "{# GENERATED by `levelup sync-dbt` from registry/feeds.yaml and models/intermediate/missions/: "
        "do not edit by hand. #}"
    ]
    for family in ("ess", "reference"):
        models = [f.staging_model for f in reg.of_family(family) if f.sensitivity == "open" and f.enabled]
        lines.append(
            f"{{% macro registry_staging_models_{family}() %}}{{{{ return({json.dumps(models)}) }}}}{{% endmacro %}}"
        )
    for role, models in mission_models().items():
        lines.append(
            f"{{% macro mission_{role}_models() %}}{{{{ return({json.dumps(models)}) }}}}{{% endmacro %}}"
        )
    return "\n".join(lines) + "\n"


# The raw-zone metadata on Spark: the sidecars and pointers are one JSON object per file (DuckDB: read_json).
_SPARK_RAW_META = {
    "feed_versions": (
        "select feed_id, sha256, cast(`rows` as bigint) as `rows`, cast(bytes as bigint) as bytes, url, location, via, "
        "retrieved_at, etag, last_modified, raw_file, input_file_name() as filename from "
        "json.`{{ raw }}/*/versions/*.json`"
    ),
    "current_versions": (
        "select feed_id, sha256, cast(`rows` as bigint) as `rows`, retrieved_at from json.`{{ raw }}/*/current.json`"
    ),
    "ingest_log": (
        "select feed_id, sha256, status, via, retrieved_at, started_at, finished_at, message, "
        "input_file_name() as filename from json.`{{ raw }}/*/ingest_log.jsonl`"
    ),
}


def _spark_sources_macro(reg: Registry) -> str:
    """`spark__register_sources()`: run at on-run-start on Spark, it (re)creates every source of the shared
    project as a view in the schema dbt's `source()` names, with the columns the DuckDB relation has; a feed
    without a landed version gets a typed empty view (as DuckDB's staging does). The raw zone is
    LEVELUP_SPARK_RAW_LOCATION (object storage on a cluster), by default <LEVELUP_DATA_DIR>/raw."""
    out = [
        "{# GENERATED by `levelup sync-dbt` from registry/feeds.yaml (warehouse/dbt_sync.py): do not edit by hand. #}",
        "{% macro spark__register_sources() %}{% if execute %}",
        "{%- set raw = env_var('LEVELUP_SPARK_RAW_LOCATION', env_var('LEVELUP_DATA_DIR') ~ '/raw') -%}",
        "{%- set data_dir = env_var('LEVELUP_DATA_DIR') -%}",
    ]

    def stmt(sql: str) -> None:
        out.append("{%- set sql -%}" + sql + "{%- endset -%}{%- do run_query(sql) -%}")

    for schema in ("raw_meta", "ess", "reference", "custom", "restricted_exports"):
        stmt(f"create database if not exists {schema}")
    for name, sql in _SPARK_RAW_META.items():
        stmt(f"create or replace view raw_meta.{name} as {sql}")
    out.append("{%- set landed = {} -%}")
    out.append(
        "{%- for row in run_query('select feed_id, sha256 from raw_meta.current_versions') -%}"
        "{%- do landed.update({row[0]: row[1]}) -%}{%- endfor -%}"
    )
    for family in ("ess", "reference"):
        for f in reg.of_family(family):
            if not f.enabled or f.sensitivity != "open":
                continue
            view = f"{family}.`{f.table_name}`"
            folder = "{{ raw }}/" + f.id
            out.append(f"{{%- if '{f.id}' in landed -%}}")
            if f.format == "csv":
                landed = f"{family}.`_landed_{f.table_name}`"
                table, select = spark_source_relation(f, folder, landed, f"'{{{{ landed['{f.id}'] }}}}'")
                stmt(f"drop table if exists {landed}")
                stmt(table)
                stmt(f"create or replace view {view} as {select}")
            else:
                stmt(f"create or replace view {view} as select * from parquet.`{folder}/current.parquet`")
            if f.format == "csv":
                out.append("{%- else -%}")
                stmt(f"create or replace view {view} as {spark_empty_relation(f)}")
            out.append("{%- endif -%}")
    stmt(
        "create or replace view custom.custom_areas as select * from parquet.`{{ raw }}/custom-areas/current.parquet`"
    )
    out.append("{%- if path_exists(data_dir ~ '/restricted/export/open/m8_wellbeing_shares.parquet') -%}")
    stmt(
        "create or replace view restricted_exports.m8_wellbeing_shares as select * from "
        "parquet.`{{ data_dir }}/restricted/export/open/m8_wellbeing_shares.parquet`"
    )
    out.append("{%- endif -%}")
    out.append("{% endif %}{% endmacro %}")
    return "\n".join(out) + "\n"


def _staging_yaml(reg: Registry) -> str:
    models = []
    for f in reg.feeds:
        if f.sensitivity != "open" or not f.enabled:
            continue
        what = (
            "one row per (area, geography level, indicator, period) as published: typed, period parsed, status "
            "normalised, suppressed values NULL with their status kept"
            if f.family == "ess"
            else "typed and renamed, one row per record of the source"
        )
        models.append(
            {
                "name": f.staging_model,
                "description": f"Staging for feed {f.id} ({f.title}; {f.publisher}, {f.licence}): {what}.",
                "config": {"meta": {"feed_id": f.id}},
            }
        )
    body = yaml.safe_dump({"version": 2, "models": models}, sort_keys=False, width=200, allow_unicode=True)
    return GENERATED_HEADER + body


def _seeds_yaml() -> str:
    doc = {
        "version": 2,
        "seeds": [
            {
                "name": "registry_feeds",
                "description": "GENERATED from registry/feeds.yaml by `levelup sync-dbt`: one row per open feed "
                "(title, family, publisher, licence, url, cadence, missions, owner, enabled and why not).",
            },
            {
                "name": "registry_indicators",
                "description": "GENERATED from registry/feeds.yaml by `levelup sync-dbt`: one row per (enabled "
                "open feed, indicator) with its measure type, the aggregation rule it implies, unit, "
                "registered numerator/denominator, plausible range, missions and the registry's note.",
            },
        ],
    }
    return GENERATED_HEADER + yaml.safe_dump(doc, sort_keys=False, width=200)


def expected_files(reg: Registry) -> dict[Path, str]:
    root = dbt_dir()
    return {
        root / "models" / "staging" / "_sources.yml": _sources_yaml(reg),
        root / "models" / "staging" / "_staging_generated.yml": _staging_yaml(reg),
        root / "seeds" / "generated" / "registry_feeds.csv": _feeds_csv(reg),
        root / "seeds" / "generated" / "registry_indicators.csv": _indicators_csv(reg),
        root / "seeds" / "generated" / "registry_indicator_metadata.csv": _indicator_metadata_csv(reg),
        root / "seeds" / "generated" / "_generated.yml": _seeds_yaml(),
        root / "macros" / "generated" / "registry.sql": _macro(reg),
        root / "macros" / "generated" / "spark_sources.sql": _spark_sources_macro(reg),
    }


def missing_staging_models(reg: Registry) -> list[str]:
    have = {p.stem for p in (dbt_dir() / "models" / "staging").rglob("stg_*.sql")}
    return [f"{f.id}: {f.staging_model}.sql" for f in reg.open_feeds if f.staging_model not in have]


def sync(reg: Registry | None = None) -> list[Path]:
    """Write the generated files; return those that changed."""
    reg = reg or load_registry()
    changed = []
    for path, text in expected_files(reg).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def check(reg: Registry | None = None) -> list[str]:
    """Problems that would make dbt disagree with the registry (empty list = in step)."""
    reg = reg or load_registry()
    problems = [
        f"{_shown(path)} is out of date with the registry (run `levelup sync-dbt`)"
        for path, text in expected_files(reg).items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    problems += [f"no staging model for feed {m}" for m in missing_staging_models(reg)]
    return problems
