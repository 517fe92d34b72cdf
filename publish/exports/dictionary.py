"""The offline data dictionary of a release: `docs/index.html`.

Belongs here: gathering, per published mart, its description, grain, rows, source feeds, files and every
column (type, CSV-W datatype, unit, description), every indicator with its publisher's text (from the
`indicator_catalogue` mart, else the registry: publish/exports/indicator_text.py), plus the harmonisation methods
in use and the query examples
(docs/querying.md, rendered from Markdown), and rendering them with publish/templates/data_dictionary.html.j2.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from publish.exports.catalog import grain
from publish.exports.csvw import csvw_datatype, mart_columns
from publish.exports.indicator_text import indicator_texts
from publish.render import render


def write_data_dictionary(
    docs_dir: Path,
    con: duckdb.DuckDBPyConnection,
    marts: list[str],
    dbt_docs: dict[str, dict],
    feeds: dict[str, dict],
    release_id: str,
    *,
    links: list[tuple[str, str]],
    files: dict[str, dict[str, str]],
) -> None:
    entries = []
    for mart in marts:
        doc = dbt_docs.get(mart, {})
        col_docs = doc.get("columns", {})
        entries.append(
            {
                "name": mart,
                "description": doc.get("description"),
                "grain": grain(doc),
                "rows": con.execute(f'select count(*) from "{mart}"').fetchone()[0],
                "sources": [
                    {"id": f, "title": feeds.get(f, {}).get("title") or f, "url": feeds.get(f, {}).get("url")}
                    for f in doc.get("sources", [])
                ],
                "files": files.get(mart, {}),
                "columns": [
                    {
                        "name": n,
                        "type": t,
                        "csvw": csvw_datatype(t),
                        "unit": col_docs.get(n, {}).get("meta", {}).get("unit", ""),
                        "description": col_docs.get(n, {}).get("description", ""),
                    }
                    for n, t in mart_columns(con, mart)
                ],
            }
        )
    harmonisation = (
        con.execute(
            "select harmonisation_method, count(*) from indicators_harmonised group by 1 order by 2 desc"
        ).fetchall()
        if "indicators_harmonised" in marts
        else []
    )
    indicators, indicators_from = indicator_texts(con, marts)
    querying_md = docs_dir / "querying.md"
    page = render(
        "data_dictionary.html.j2",
        release_id=release_id,
        links=links,
        marts=entries,
        harmonisation=harmonisation,
        indicators=indicators,
        indicators_from=indicators_from,
        querying=querying_md.read_text(encoding="utf-8") if querying_md.exists() else None,
    )
    (docs_dir / "index.html").write_text(page, encoding="utf-8")
