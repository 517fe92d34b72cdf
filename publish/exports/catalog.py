"""What the exports know about the marts: dbt's descriptions and lineage, and each feed's title and source.

Belongs here: reading the last build's dbt manifest into per-mart docs (description, meta, column docs, source
feeds walked back through the lineage), the grain, the feed table (registry seed + provenance mart) that
notes, links and CSV-W sources are written from, and the mission metric catalogue (the dbt seed: definitions,
caveats, baselines) the workbook and the dashboards read. Read-only; writes nothing.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import duckdb

from core.settings import PROJECT_ROOT, get_settings

CATALOGUE = PROJECT_ROOT / "dbt_project" / "seeds" / "reference" / "mission_metric_catalogue.csv"


def load_catalogue(path: Path = CATALOGUE) -> list[dict]:
    """The mission metric catalogue: one dict per metric_id (mission, names, unit, definition, caveats, ...)."""
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def registry_feeds_seed() -> Path:
    return get_settings().dbt_project_dir / "seeds" / "generated" / "registry_feeds.csv"


def load_dbt_docs(dbt_target_dir: Path | None) -> dict[str, dict]:
    """Per mart (model name in schema marts): description, config meta, column docs, and the source feeds it
    reads (walking its lineage back to dbt sources), from a dbt manifest.json."""
    if dbt_target_dir is None or not (Path(dbt_target_dir) / "manifest.json").exists():
        return {}
    manifest = json.loads((Path(dbt_target_dir) / "manifest.json").read_text())
    nodes, sources = manifest.get("nodes", {}), manifest.get("sources", {})

    def upstream(uid: str, seen: set[str]) -> set[str]:
        feeds: set[str] = set()
        node = nodes.get(uid) or {}
        for dep in node.get("depends_on", {}).get("nodes", []):
            if dep in seen:
                continue
            seen.add(dep)
            if dep in sources:
                src = sources[dep]
                feeds.add((src.get("meta") or {}).get("feed_id") or f"{src['source_name']}.{src['name']}")
            elif dep.startswith("seed."):
                feeds.add(f"seed:{dep.split('.')[-1]}")
            else:
                feeds |= upstream(dep, seen)
        return feeds

    out = {}
    for uid, node in nodes.items():
        if node.get("resource_type") != "model" or node.get("schema") != "marts":
            continue
        meta = {**(node.get("meta") or {}), **((node.get("config") or {}).get("meta") or {})}
        columns = {}
        for name, col in (node.get("columns") or {}).items():
            cmeta = {**(col.get("meta") or {}), **((col.get("config") or {}).get("meta") or {})}
            columns[name] = {"description": (col.get("description") or "").strip(), "meta": cmeta}
        out[node["name"]] = {
            "description": (node.get("description") or "").strip(),
            "meta": meta,
            "columns": columns,
            "sources": sorted(upstream(uid, set())),
        }
    return out


def grain(doc: dict) -> str | None:
    if doc.get("meta", {}).get("grain"):
        return str(doc["meta"]["grain"])
    m = re.search(r"Grain:\s*(.+?\))", doc.get("description", ""))
    return m.group(1) if m else None


def feeds_table(con: duckdb.DuckDBPyConnection, tables: set[str]) -> dict[str, dict]:
    """feed_id -> title, url, licence, publisher, sha256, retrieved_at (current version) for notes and links."""
    feeds: dict[str, dict] = {}
    seed = registry_feeds_seed()
    if seed.exists():
        for row in con.execute(  # the caller's connection, never DuckDB's process-wide default one
            f"select * from read_csv('{seed}', all_varchar=true)"
        ).fetchall():
            feed_id, title, family, publisher, licence, url = row[:6]
            feeds[feed_id] = {
                "title": title,
                "family": family,
                "publisher": publisher,
                "licence": licence,
                "url": url,
            }
    if "provenance" in tables:
        for feed_id, sha, title, url, licence, retrieved in con.execute(
            "select feed_id, source_sha256, feed_title, source_url, licence, cast(retrieved_at as varchar) "
            "from provenance where is_current"
        ).fetchall():
            f = feeds.setdefault(feed_id, {})
            f.update({"sha256": sha, "retrieved_at": retrieved})
            f.setdefault("title", title)
            f.setdefault("url", url)
            f.setdefault("licence", licence)
    return feeds
