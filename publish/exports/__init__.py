"""Analyst exports written into every release, after the marts are staged and before the manifest.

Belongs here: `write_exports`, the sequence over the modules of this package:
    csvw        csv/<mart>.csv + csv/<mart>.csv-metadata.json (CSV on the Web) for every published mart
    workbook    mission_metrics.xlsx: a Notes sheet (definitions, caveats, sources) + one sheet per mission
    dictionary  docs/index.html: every published mart and column, the query examples (docs/querying.md)
    catalog     what they all read: dbt's descriptions and lineage, each feed's title and source
plus docs/querying.md and docs/dbt/index.html (dbt's own docs site, generated in the dbt step: there is one
dbt docs path). The mission pages (charts) are the dashboards' (`dashboards.export`, a release exporter written
into `dashboards/`); the data dictionary links them. Nothing here decides what is published.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb

from core.settings import PROJECT_ROOT, get_settings
from publish.exports.catalog import CATALOGUE, feeds_table, load_catalogue, load_dbt_docs
from publish.exports.csvw import csvw_metadata, mart_columns, write_csv
from publish.exports.dictionary import write_data_dictionary
from publish.exports.workbook import write_workbook
from publish.release import link_or_copy

QUERYING_MD = PROJECT_ROOT / "docs" / "querying.md"


def _reuse(previous: Path | None, build_dir: Path, same_content: bool, *relative: str) -> bool:
    """Hard-link these files from the previous release when the content they are made from is the same there."""
    if not same_content or previous is None or not all((previous / r).exists() for r in relative):
        return False
    for r in relative:
        link_or_copy(previous / r, build_dir / r)
    return True


def write_exports(
    build_dir: Path,
    manifest_marts: list[str],
    dbt_target_dir: Path | None,
    *,
    catalogue_path: Path | None = None,
    release_id: str | None = None,
    reuse_from: Path | None = None,
    reused: set[str] = frozenset(),
) -> dict:
    """Write CSV + CSV-W, the mission workbook and the docs into a staged release.

    build_dir: the staged release (has marts.duckdb). manifest_marts: the marts published in it (fresh or
    carried over). dbt_target_dir: the last build's dbt artefacts (manifest.json: column descriptions, lineage;
    static_index.html from the dbt step's `dbt docs generate --static`, copied to docs/dbt/). Returns the
    relative paths written (for the manifest's "exports" key). Parts that cannot apply (no mission_metrics in the
    release, no dbt docs) are listed under "skipped" with the reason; any other error raises.

    reuse_from / reused: the previous release, and the marts whose content is the same as in it: their CSV and
    workbook are hard-linked from it instead of being written again (the CSV-W metadata is written anew: it names
    this release). The caller passes no `reused` when the code changed since that release, since an export's
    format may have changed with it."""
    build_dir = Path(build_dir)
    release_id = release_id or build_dir.name.removeprefix(".building-")
    result: dict = {"csv": {}, "csv_metadata": {}, "skipped": {}}
    dbt_docs = load_dbt_docs(dbt_target_dir)
    has_site = bool(dbt_target_dir and (Path(dbt_target_dir) / "static_index.html").exists())
    if not has_site:
        result["skipped"]["dbt_docs"] = (
            "the dbt step produced no docs site (see its log); data dictionary kept"
        )
    catalogue = load_catalogue(catalogue_path or CATALOGUE)
    docs = build_dir / "docs"
    docs.mkdir(exist_ok=True)
    if QUERYING_MD.exists():
        shutil.copyfile(QUERYING_MD, docs / "querying.md")
        result["querying"] = "docs/querying.md"
    with duckdb.connect(
        str(build_dir / "marts.duckdb"), read_only=True, config=get_settings().duckdb_config
    ) as con:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        marts = [m for m in manifest_marts if m in tables]
        feeds = feeds_table(con, tables)
        (build_dir / "csv").mkdir(exist_ok=True)
        files: dict[str, dict[str, str]] = {}
        for mart in marts:
            csv_rel, meta_rel = f"csv/{mart}.csv", f"csv/{mart}.csv-metadata.json"
            if not _reuse(reuse_from, build_dir, mart in reused, csv_rel):
                write_csv(con, mart, build_dir / csv_rel)
            rows = con.execute(f'select count(*) from "{mart}"').fetchone()[0]
            meta = csvw_metadata(
                mart, mart_columns(con, mart), dbt_docs.get(mart, {}), feeds, rows, release_id
            )
            (build_dir / meta_rel).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", "utf-8")
            result["csv"][mart] = csv_rel
            result["csv_metadata"][mart] = meta_rel
            files[mart] = {"CSV": csv_rel, "CSV-W metadata": meta_rel}
            if (build_dir / "parquet" / f"{mart}.parquet").exists():
                files[mart]["Parquet"] = f"parquet/{mart}.parquet"
        if "mission_metrics" in marts:
            if not _reuse(reuse_from, build_dir, "mission_metrics" in reused, "mission_metrics.xlsx"):
                write_workbook(con, build_dir / "mission_metrics.xlsx", catalogue, feeds, release_id)
            result["workbook"] = "mission_metrics.xlsx"
        else:
            result["skipped"]["workbook"] = "mission_metrics is not published in this release"
        links = [("Dashboards (mission pages)", "../dashboards/index.html"), ("Excel workbook", "../mission_metrics.xlsx"),
                 ("Query examples", "#querying")]  # fmt: skip
        if has_site:
            links.append(("dbt documentation site (lineage graph, SQL)", "dbt/index.html"))
        write_data_dictionary(docs, con, marts, dbt_docs, feeds, release_id, links=links, files=files)
        result["data_dictionary"] = "docs/index.html"
    if has_site:
        (docs / "dbt").mkdir(exist_ok=True)
        shutil.copyfile(Path(dbt_target_dir) / "static_index.html", docs / "dbt" / "index.html")
        result["dbt_docs"] = "docs/dbt/index.html"
    if not dbt_docs:
        result["skipped"]["descriptions"] = "no dbt manifest.json given: columns have no descriptions"
    if not result["skipped"]:
        del result["skipped"]
    return result
