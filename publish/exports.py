"""Analyst exports written into every release (issue 8), after the marts are staged, before the manifest.

Belongs here: everything in a release directory beyond marts.duckdb / parquet / manifest / quality report:
    csv/<mart>.csv                      every published mart as CSV (UTF-8, header, ISO 8601 dates, empty = null)
    csv/<mart>.csv-metadata.json        CSV on the Web (W3C tabular metadata) for it: column names, datatypes,
                                        descriptions, grain, licence, sources (as the ONS ESS data store does)
    mission_metrics.xlsx                one sheet per mission + a Notes sheet (definitions, caveats, sources)
    report/mission_report.html          the static mission report (publish.mission_report)
    docs/index.html                     the offline data dictionary: every published mart and column with
                                        description, type, unit, grain and source feeds; the query examples
    docs/querying.md                    the query examples (DuckDB CLI, Python, R, Excel), tested in tests/
    docs/dbt/index.html                 dbt's own docs site (lineage graph), single self-contained file
The lead calls `write_exports` from publish.publisher.publish_release; nothing here decides what is published.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from ingest.settings import PROJECT_ROOT, get_settings
from publish import mission_report

log = logging.getLogger(__name__)

DBT_DIR = PROJECT_ROOT / "dbt_project"
QUERYING_MD = PROJECT_ROOT / "docs" / "querying.md"
REGISTRY_FEEDS_SEED = DBT_DIR / "seeds" / "registry_feeds.csv"
OGL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
DBT_DOCS_TIMEOUT = 300

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


# ------------------------------------------------------------------------------------------ dbt artefacts
def generate_dbt_docs(target_dir: Path, data_dir: Path | None = None) -> Path | None:
    """Run `dbt docs generate --static` (manifest + catalog + static_index.html) into `target_dir`.

    Reads the warehouse: call it when no other process writes it (at publish time dbt has finished).
    Returns target_dir, or None (logged) when dbt is missing or fails: the data dictionary then falls back to
    the descriptions in the last build's manifest."""
    dbt = Path(sys.executable).parent / "dbt"
    if not dbt.exists():
        dbt_path = shutil.which("dbt")
        if not dbt_path:
            log.warning("dbt docs not generated: no dbt executable next to %s", sys.executable)
            return None
        dbt = Path(dbt_path)
    data_dir = data_dir or get_settings().data_dir
    env = {
        **os.environ,
        "LEVELUP_DATA_DIR": str(Path(data_dir).resolve()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    cmd = [
        str(dbt), "docs", "generate", "--static",
        "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
        "--target-path", str(target_dir), "--log-path", str(target_dir / "logs"),
    ]  # fmt: skip
    try:
        res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=DBT_DOCS_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("dbt docs generate failed to run: %s", exc)
        return None
    if res.returncode != 0 or not (target_dir / "static_index.html").exists():
        log.warning("dbt docs generate failed (exit %s): %s", res.returncode, res.stdout[-2000:])
        return None
    return target_dir


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


def _grain(doc: dict) -> str | None:
    if doc.get("meta", {}).get("grain"):
        return str(doc["meta"]["grain"])
    m = re.search(r"Grain:\s*(.+?\))", doc.get("description", ""))
    return m.group(1) if m else None


# ------------------------------------------------------------------------------------------ feeds
def _feeds(con: duckdb.DuckDBPyConnection, tables: set[str]) -> dict[str, dict]:
    """feed_id -> title, url, licence, publisher, sha256, retrieved_at (current version) for notes and links."""
    feeds: dict[str, dict] = {}
    if REGISTRY_FEEDS_SEED.exists():
        for row in con.execute(  # the caller's connection, never DuckDB's process-wide default one
            f"select * from read_csv('{REGISTRY_FEEDS_SEED}', all_varchar=true)"
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


# ------------------------------------------------------------------------------------------ CSV + CSV-W
def _columns(con: duckdb.DuckDBPyConnection, mart: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns where table_name = ? "
        "and table_schema = 'main' order by ordinal_position",
        [mart],
    ).fetchall()


def write_csv(con: duckdb.DuckDBPyConnection, mart: str, out: Path) -> None:
    """CSV with ISO 8601 dates and UTC timestamps (…Z), `true`/`false`, empty for null."""
    exprs = []
    for name, typ in _columns(con, mart):
        q = '"' + name.replace('"', '""') + '"'
        t = typ.upper()
        if t == "TIMESTAMP WITH TIME ZONE":
            exprs.append(f"strftime(timezone('UTC', {q}), '%Y-%m-%dT%H:%M:%S.%fZ') as {q}")
        elif t.startswith("TIMESTAMP"):
            exprs.append(f"strftime({q}, '%Y-%m-%dT%H:%M:%S.%f') as {q}")
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
        "notes": [{"rows": rows, "grain": _grain(doc)}],
    }
    if sources:
        meta["dc:source"] = sources
    return meta


# ------------------------------------------------------------------------------------------ workbook
WORKBOOK_COLUMNS = [
    "metric_id", "metric_name", "metric_kind", "area_code", "area_name", "geography_level", "period_start",
    "period_end", "value", "unit", "status", "status_reason", "is_proxy", "coverage", "source_feeds", "method",
]  # fmt: skip
NOTES_COLUMNS = [
    "metric_id", "mission", "mission_name", "metric_name", "kind", "unit", "coverage", "geography_level", "is_proxy",
    "availability", "reason", "source_feeds", "baseline_period_start", "definition", "caveats",
]  # fmt: skip


def sheet_name(mission: int, name: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", f"M{mission} {name}")[:31]


def write_workbook(
    con: duckdb.DuckDBPyConnection, out: Path, catalogue: list[dict], feeds: dict[str, dict], release_id: str
) -> dict:
    """The Excel workbook: Notes (definitions, caveats, sources) then one sheet per mission. Write-only mode
    (streamed: ~30k rows in a few seconds)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    notes = wb.create_sheet("Notes")
    bold, big = Font(bold=True), Font(bold=True, size=12)
    top = Alignment(vertical="top", wrap_text=True)

    def styled(ws, values, font=None, wrap_cols=()):
        cells = []
        for i, v in enumerate(values):
            c = WriteOnlyCell(ws, value=v)
            if font is not None:
                c.font = font
            if i in wrap_cols:
                c.alignment = top
            cells.append(c)
        return cells

    for col, width in zip(
        "ABCDEFGHIJKLMNO", (34, 10, 18, 48, 10, 14, 8, 18, 8, 13, 40, 40, 14, 80, 80), strict=True
    ):
        notes.column_dimensions[col].width = width
    notes.append(styled(notes, ["Levelling Up mission metrics"], Font(bold=True, size=14)))
    notes.append(["Release", release_id])
    notes.append(["Generated", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")])
    notes.append(
        [
            "Contents",
            "One sheet per mission (M1 … M12), one row per metric_id × area × period as in the mission_metrics mart. "
            "Rows with status not_available carry the reason in status_reason. Proxies have is_proxy = TRUE and are "
            "never the headline. Definitions, caveats and sources below.",
        ]
    )
    notes.append(
        ["Licence", "Contains public sector information licensed under the Open Government Licence v3.0."]
    )
    notes.append([])
    notes.append(styled(notes, ["Metric definitions"], big))
    notes.append(styled(notes, NOTES_COLUMNS, bold))
    wrap = {NOTES_COLUMNS.index(k) for k in ("metric_name", "reason", "definition", "caveats")}
    for cat in catalogue:
        values = [int(cat[k]) if k == "mission" else (cat.get(k) or None) for k in NOTES_COLUMNS]
        notes.append(styled(notes, values, wrap_cols=wrap))
    notes.append([])
    notes.append(styled(notes, ["Sources"], big))
    notes.append(
        styled(notes, ["feed_id", "title", "publisher", "licence", "url", "sha256", "retrieved_at"], bold)
    )
    used = sorted({f for cat in catalogue for f in (cat.get("source_feeds") or "").split("|") if f})
    for f in used:
        i = feeds.get(f, {})
        notes.append([f, i.get("title"), i.get("publisher"), i.get("licence"), i.get("url"), i.get("sha256"),
                      i.get("retrieved_at")])  # fmt: skip

    counts = {}
    names = {int(c["mission"]): c["mission_name"] for c in catalogue}
    cols = ", ".join(WORKBOOK_COLUMNS)
    for mission in sorted(names):
        rows = con.execute(
            f"select {cols} from mission_metrics where mission = ? "
            "order by metric_id, geography_level, area_code, period_start nulls first",
            [mission],
        ).fetchall()
        ws = wb.create_sheet(sheet_name(mission, names[mission]))
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(WORKBOOK_COLUMNS))}{len(rows) + 1}"
        for i, width in enumerate((34, 44, 10, 12, 28, 16, 12, 12, 12, 14, 14, 30, 9, 9, 30, 40), start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.append(styled(ws, WORKBOOK_COLUMNS, bold))
        for r in rows:
            ws.append(r)
        counts[ws.title] = len(rows)
    wb.save(out)
    return counts


# ------------------------------------------------------------------------------------------ data dictionary
def _md_to_html(md: str) -> str:
    """Just enough Markdown for docs/querying.md: headings, fenced code, lists, paragraphs, `code`, links."""
    out, para, in_code, in_list = [], [], False, False

    def inline(text: str) -> str:
        t = mission_report.esc(text)
        t = re.sub(r"`([^`]+)`", r"<code>\1</code>", t)
        t = re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", t)
        return re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r'<a href="\2">\1</a>', t)

    def flush():
        nonlocal in_list
        if para:
            out.append("<p>" + inline(" ".join(para)) + "</p>")
            para.clear()
        if in_list:
            out.append("</ul>")
            in_list = False

    for line in md.splitlines():
        if line.startswith("```"):
            if in_code:
                out.append("</code></pre>")
                in_code = False
            else:
                flush()
                out.append(f'<pre class="code lang-{mission_report.esc(line[3:].strip())}"><code>')
                in_code = True
            continue
        if in_code:
            out.append(mission_report.esc(line) + "\n")
        elif m := re.match(r"(#{1,4})\s+(.*)", line):
            flush()
            lvl = min(len(m.group(1)) + 1, 5)
            out.append(f"<h{lvl}>{inline(m.group(2))}</h{lvl}>")
        elif m := re.match(r"\s*[-*]\s+(.*)", line):
            if para:
                out.append("<p>" + inline(" ".join(para)) + "</p>")
                para.clear()
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{inline(m.group(1))}</li>")
        elif not line.strip():
            flush()
        else:
            para.append(line.strip())
    flush()
    return "".join(out)


DICT_CSS = """
body{font-family:Arial,Helvetica,sans-serif;margin:0;color:#1b1b1b;line-height:1.45}
header{background:#12436d;color:#fff;padding:16px 28px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0}
header a{color:#fff}main{padding:10px 28px 40px;max-width:1200px}h2{border-top:3px solid #12436d;padding-top:10px;
margin-top:30px}table{border-collapse:collapse;font-size:13px;margin:8px 0 16px;width:100%}th,td{border:1px solid
#ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#eef2f7}code{font-size:12px}
pre.code{background:#f4f4f4;padding:10px;overflow-x:auto;font-size:12px}.meta{font-size:14px}.meta b{color:#12436d}
"""


def write_data_dictionary(
    docs_dir: Path,
    con: duckdb.DuckDBPyConnection,
    marts: list[str],
    dbt_docs: dict[str, dict],
    feeds: dict[str, dict],
    release_id: str,
    *,
    has_dbt_site: bool,
    files: dict[str, dict[str, str]],
) -> None:
    esc = mission_report.esc
    parts = []
    toc = []
    for mart in marts:
        doc = dbt_docs.get(mart, {})
        cols = _columns(con, mart)
        rows = con.execute(f'select count(*) from "{mart}"').fetchone()[0]
        toc.append(f'<li><a href="#{esc(mart)}">{esc(mart)}</a> ({rows:,} rows)</li>')
        src_items = []
        for f in doc.get("sources", []):
            info = feeds.get(f, {})
            label = esc(info.get("title") or f)
            src_items.append(
                f'<a href="{esc(info["url"])}">{label}</a> <code>{esc(f)}</code>' if info.get("url") else
                f"{label} <code>{esc(f)}</code>"
            )  # fmt: skip
        links = " · ".join(f'<a href="../{esc(p)}">{esc(k)}</a>' for k, p in files.get(mart, {}).items())
        col_rows = "".join(
            f"<tr><td><code>{esc(n)}</code></td><td>{esc(t)}</td><td>{esc(csvw_datatype(t))}</td>"
            f"<td>{esc(doc.get('columns', {}).get(n, {}).get('meta', {}).get('unit', ''))}</td>"
            f"<td>{esc(doc.get('columns', {}).get(n, {}).get('description', ''))}</td></tr>"
            for n, t in cols
        )
        parts.append(
            f'<h2 id="{esc(mart)}">{esc(mart)}</h2><p>{esc(doc.get("description") or "(no description)")}</p>'
            f'<p class="meta"><b>Grain:</b> {esc(_grain(doc) or "see the description")}<br><b>Rows:</b> {rows:,}'
            f"<br><b>Source feeds:</b> {', '.join(src_items) or '–'}<br><b>Files:</b> {links}</p>"
            "<table><tr><th>column</th><th>DuckDB type</th><th>CSV-W datatype</th><th>unit</th>"
            f"<th>description</th></tr>{col_rows}</table>"
        )
    harmonisation = ""
    if "indicators_harmonised" in marts:
        methods = con.execute(
            "select harmonisation_method, count(*) from indicators_harmonised group by 1 order by 2 desc"
        ).fetchall()
        harmonisation = (
            "<h2 id='harmonisation'>Harmonisation methods in this release</h2><p>Every row of "
            "<code>indicators_harmonised</code> names how it reached the target geography vintage in "
            "<code>harmonisation_method</code> (docs/geography.md in the code repository):</p><table><tr>"
            "<th>harmonisation_method</th><th>rows</th></tr>"
            + "".join(f"<tr><td>{esc(m)}</td><td>{n:,}</td></tr>" for m, n in methods)
            + "</table>"
        )
    provenance = (
        "<h2 id='provenance-howto'>Where a value came from</h2><p>Every row of <code>indicators</code> (and "
        "<code>indicators_harmonised</code>) carries <code>feed_id</code>, <code>source_sha256</code> and "
        "<code>source_line</code>. Join them to the <code>provenance</code> mart for the feed's title, publisher, "
        "licence, URL, retrieval time and method, and the landed raw file. <code>mission_metrics</code> rows name "
        "their feeds in <code>source_feeds</code> and their derivation in <code>method</code>.</p>"
        '<pre class="code"><code>select i.area_name, i.period_start, i.value, p.feed_title, p.source_url,\n'
        "       p.retrieved_at, p.retrieved_via, p.source_sha256, p.harmonisation\n"
        "from indicators i join provenance p using (feed_id, source_sha256)\n"
        "where i.indicator = 'Gross value added per hour worked' limit 5;</code></pre>"
    )
    querying = ""
    if (docs_dir / "querying.md").exists():
        querying = "<h2 id='querying'>Querying this release</h2>" + _md_to_html(
            (docs_dir / "querying.md").read_text(encoding="utf-8")
        )
    dbt_link = (
        ' · <a href="dbt/index.html">dbt documentation site (lineage graph, SQL)</a>' if has_dbt_site else ""
    )
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Data dictionary — release '
        f"{esc(release_id)}</title><style>{DICT_CSS}</style></head><body><header><h1>Levelling Up data platform: "
        f"data dictionary</h1><p>Release <b>{esc(release_id)}</b>. "
        '<a href="../report/mission_report.html">Mission report</a> · <a href="../mission_metrics.xlsx">'
        f'Excel workbook</a> · <a href="#querying">Query examples</a>{dbt_link}</p></header><main>'
        "<p>Every published mart and column, with its type, unit, grain and source feeds. Each mart is in "
        "<code>marts.duckdb</code> (table of the same name), <code>parquet/</code> and <code>csv/</code> (with "
        "CSV-W metadata <code>csv/&lt;mart&gt;.csv-metadata.json</code>).</p>"
        f"<ul>{''.join(toc)}</ul>{''.join(parts)}{provenance}{harmonisation}{querying}</main></body></html>"
    )
    (docs_dir / "index.html").write_text(page, encoding="utf-8")


# ------------------------------------------------------------------------------------------ entry point
def write_exports(
    build_dir: Path,
    manifest_marts: list[str],
    dbt_target_dir: Path | None,
    *,
    generate_docs: bool = True,
    catalogue_path: Path | None = None,
    release_id: str | None = None,
) -> dict:
    """Write CSV + CSV-W, the mission workbook, the mission report and the docs into a staged release.

    build_dir: the staged release (has marts.duckdb). manifest_marts: the marts published in it (fresh or
    carried over). dbt_target_dir: a dbt target directory with manifest.json (column descriptions, lineage);
    when it has static_index.html (from `dbt docs generate --static`) that page is copied to docs/dbt/, and
    when it does not and `generate_docs` is true, dbt docs are generated into a temporary directory first.
    Returns the relative paths written (for the manifest's "exports" key). Parts that cannot apply (no
    mission_metrics in the release, dbt docs generation failed) are listed under "skipped" with the reason;
    any other error raises (a release missing its exports is incomplete: the caller decides)."""
    build_dir = Path(build_dir)
    release_id = release_id or build_dir.name.removeprefix(".building-")
    result: dict = {"csv": {}, "csv_metadata": {}, "skipped": {}}
    tmp = None
    try:
        if generate_docs and not (dbt_target_dir and (Path(dbt_target_dir) / "static_index.html").exists()):
            tmp = Path(tempfile.mkdtemp(prefix="levelup-dbt-docs-"))
            generated = generate_dbt_docs(tmp)
            if generated is not None:
                dbt_target_dir = generated
            else:
                result["skipped"]["dbt_docs"] = "dbt docs generate failed (see the log); data dictionary kept"
        dbt_docs = load_dbt_docs(dbt_target_dir)
        con = duckdb.connect(str(build_dir / "marts.duckdb"), read_only=True)
        try:
            tables = {
                r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
            }
            marts = [m for m in manifest_marts if m in tables]
            feeds = _feeds(con, tables)
            # CSV + CSV-W
            (build_dir / "csv").mkdir(exist_ok=True)
            files: dict[str, dict[str, str]] = {}
            for mart in marts:
                csv_rel, meta_rel = f"csv/{mart}.csv", f"csv/{mart}.csv-metadata.json"
                write_csv(con, mart, build_dir / csv_rel)
                rows = con.execute(f'select count(*) from "{mart}"').fetchone()[0]
                meta = csvw_metadata(
                    mart, _columns(con, mart), dbt_docs.get(mart, {}), feeds, rows, release_id
                )
                (build_dir / meta_rel).write_text(
                    json.dumps(meta, indent=2, ensure_ascii=False) + "\n", "utf-8"
                )
                result["csv"][mart] = csv_rel
                result["csv_metadata"][mart] = meta_rel
                files[mart] = {"CSV": csv_rel, "CSV-W metadata": meta_rel}
                if (build_dir / "parquet" / f"{mart}.parquet").exists():
                    files[mart]["Parquet"] = f"parquet/{mart}.parquet"
            # workbook + report: need the mission marts
            catalogue = mission_report.load_catalogue(catalogue_path or mission_report.CATALOGUE)
            if "mission_metrics" in marts:
                write_workbook(con, build_dir / "mission_metrics.xlsx", catalogue, feeds, release_id)
                result["workbook"] = "mission_metrics.xlsx"
            else:
                result["skipped"]["workbook"] = "mission_metrics is not published in this release"
        finally:
            con.close()
        if "mission_metrics" in marts:
            report_rel = "report/mission_report.html"
            mission_report.render_report(
                build_dir / "marts.duckdb", build_dir / report_rel, catalogue=catalogue, feeds=feeds,
                release_id=release_id,
            )  # fmt: skip
            result["report"] = report_rel
        else:
            result["skipped"]["report"] = "mission_metrics is not published in this release"
        # docs
        docs = build_dir / "docs"
        docs.mkdir(exist_ok=True)
        if QUERYING_MD.exists():
            shutil.copyfile(QUERYING_MD, docs / "querying.md")
            result["querying"] = "docs/querying.md"
        has_site = bool(dbt_target_dir and (Path(dbt_target_dir) / "static_index.html").exists())
        if has_site:
            (docs / "dbt").mkdir(exist_ok=True)
            shutil.copyfile(Path(dbt_target_dir) / "static_index.html", docs / "dbt" / "index.html")
            result["dbt_docs"] = "docs/dbt/index.html"
        con = duckdb.connect(str(build_dir / "marts.duckdb"), read_only=True)
        try:
            write_data_dictionary(
                docs, con, marts, dbt_docs, feeds, release_id, has_dbt_site=has_site, files=files
            )
        finally:
            con.close()
        result["data_dictionary"] = "docs/index.html"
        if not dbt_docs:
            result["skipped"]["descriptions"] = "no dbt manifest.json given: columns have no descriptions"
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    if not result["skipped"]:
        del result["skipped"]
    return result
