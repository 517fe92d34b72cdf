"""The Excel workbook of the mission metrics: a Notes sheet, then one sheet per mission.

Belongs here: `write_workbook` (openpyxl write-only mode: streamed, ~30k rows in a few seconds), its column
lists and sheet naming. Text cells that a spreadsheet would run as a formula are neutralised. The Notes sheet
describes the source indicators of the mission metrics with their publisher's text, read from the release's
`indicator_catalogue` mart (the registry when the release lacks it: publish/exports/indicator_text.py).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from publish.exports.cells import neutralise
from publish.exports.indicator_text import indicator_texts

WORKBOOK_COLUMNS = [
    "metric_id", "metric_name", "metric_kind", "area_code", "area_name", "geography_level", "period_start",
    "period_end", "value", "unit", "status", "status_reason", "is_proxy", "coverage", "source_feeds", "method",
]  # fmt: skip
NOTES_COLUMNS = [
    "metric_id", "mission", "mission_name", "metric_name", "kind", "unit", "coverage", "geography_level", "is_proxy",
    "availability", "reason", "source_feeds", "baseline_period_start", "definition", "caveats",
]  # fmt: skip


INDICATOR_NOTES_COLUMNS = [
    "feed_id", "indicator", "label", "subtitle", "measure_type", "aggregation_rule", "unit", "source_org",
    "source_url", "source_date", "caveats",
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
            c = WriteOnlyCell(ws, value=neutralise(v))
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
        notes.append(styled(notes, [f, i.get("title"), i.get("publisher"), i.get("licence"), i.get("url"),
                                    i.get("sha256"), i.get("retrieved_at")]))  # fmt: skip

    tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    texts, texts_from = indicator_texts(con, tables)
    notes.append([])
    notes.append(styled(notes, ["Source indicators"], big))
    notes.append(
        [
            "Text from",
            f"the {texts_from}"
            + ("" if texts_from == "indicator_catalogue" else " (no indicator_catalogue mart)"),
        ]
    )
    notes.append(styled(notes, INDICATOR_NOTES_COLUMNS, bold))
    iwrap = {INDICATOR_NOTES_COLUMNS.index(k) for k in ("label", "subtitle", "caveats")}
    for t in texts:
        if t["feed_id"] in used:
            notes.append(styled(notes, [t.get(k) for k in INDICATOR_NOTES_COLUMNS], wrap_cols=iwrap))

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
            ws.append([neutralise(v) for v in r])
        counts[ws.title] = len(rows)
    wb.save(out)
    return counts
