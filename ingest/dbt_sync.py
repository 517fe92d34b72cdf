"""Generating the dbt files that mirror the registry, and checking they are in step with it.

Belongs here: the registry → dbt glue. From `registry/feeds.yaml` it writes
  - `dbt_project/models/staging/_sources.yml`  one dbt source per family, one table per feed, reading the
    feed's `current.parquet` in the raw zone, tagged with its Dagster asset key;
  - `dbt_project/seeds/registry_feeds.csv` and `registry_indicators.csv`  the catalogue as tables
    (measure types, units, ranges), so SQL can use them;
  - `dbt_project/macros/_registry_generated.sql`  the list of staging models per family, so a union mart
    picks up a new feed without editing SQL.
Restricted feeds are written to the restricted project only (never the shared sources).
`check()` reports any file that differs from what the registry implies, and any feed without its staging
model (a data engineer adds exactly one: `stg_<family>__<feed>.sql`).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import yaml

from ingest.registry import Registry, load_registry
from ingest.settings import PROJECT_ROOT

DBT_DIR = PROJECT_ROOT / "dbt_project"
GENERATED_HEADER = "# GENERATED from registry/feeds.yaml by `levelup sync-dbt`: do not edit by hand.\n"


def _sources_yaml(reg: Registry) -> str:
    sources = []
    for family in ("ess", "reference"):
        feeds = reg.of_family(family)
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
                        "external_location": (
                            "read_parquet('{{ env_var('LEVELUP_DATA_DIR') }}/raw/"
                            + f.id
                            + "/current.parquet')"
                        ),
                        "dagster": {"asset_key": ["raw", f.id]},
                    },
                }
            )
        sources.append(
            {
                "name": family,
                "description": f"Landed {family} feeds: the current immutable Parquet version of each (raw zone).",
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
        }
        for f in reg.feeds
        if f.sensitivity == "open"
        for i in f.indicators
    ]
    return _csv(rows, cols)


def _macro(reg: Registry) -> str:
    lines = ["{# GENERATED from registry/feeds.yaml by `levelup sync-dbt`: do not edit by hand. #}"]
    for family in ("ess", "reference"):
        models = [f.staging_model for f in reg.of_family(family) if f.sensitivity == "open"]
        lines.append(
            f"{{% macro registry_staging_models_{family}() %}}{{{{ return({json.dumps(models)}) }}}}{{% endmacro %}}"
        )
    return "\n".join(lines) + "\n"


def expected_files(reg: Registry) -> dict[Path, str]:
    return {
        DBT_DIR / "models" / "staging" / "_sources.yml": _sources_yaml(reg),
        DBT_DIR / "seeds" / "registry_feeds.csv": _feeds_csv(reg),
        DBT_DIR / "seeds" / "registry_indicators.csv": _indicators_csv(reg),
        DBT_DIR / "macros" / "_registry_generated.sql": _macro(reg),
    }


def missing_staging_models(reg: Registry) -> list[str]:
    have = {p.stem for p in (DBT_DIR / "models" / "staging").rglob("stg_*.sql")}
    return [
        f"{f.id}: {f.staging_model}.sql"
        for f in reg.feeds
        if f.sensitivity == "open" and f.staging_model not in have
    ]


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


def check(reg: Registry | None = None) -> list[str]:
    """Problems that would make dbt disagree with the registry (empty list = in step)."""
    reg = reg or load_registry()
    problems = [
        f"{path.relative_to(PROJECT_ROOT)} is out of date with the registry (run `levelup sync-dbt`)"
        for path, text in expected_files(reg).items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    problems += [f"no staging model for feed {m}" for m in missing_staging_models(reg)]
    return problems
