"""User-defined areas: named lists of small areas or LADs that an analyst drops into a folder.

Belongs here: reading `<LEVELUP_DATA_DIR>/custom_areas/*.csv|*.yaml|*.yml`, validating them with errors that
name the file and row, and landing them as one Parquet file, `raw/custom-areas/current.parquet`, written
atomically (temp file + os.replace). dbt reads it through source `custom.custom_areas`; the mart
`custom_area_indicators` publishes additive indicators for each area with its coverage. When the folder is
missing or empty an empty file with the same schema is landed, so the dbt models always build.

File formats (see docs/geography.md):

CSV, one row per member, header required::

    custom_area,member_code
    Belfast inner city,95GG01S1
    Belfast inner city,95GG01S2
    Northern Powerhouse core,E08000003

    optional column `description` (free text, first non-empty value per area is kept).

YAML, a list of areas::

    custom_areas:
      - name: Belfast inner city
        description: optional free text
        members: [95GG01S1, 95GG01S2]

Member codes: a LAD code (E06/E07/E08/E09/W06/S12/N09, any vintage: old codes are moved to April 2025 codes)
or a small area: LSOA 2011 (E01/W01), Data Zone 2011 (S01) or NI Super Output Area (e.g. 95AA01S1). One area
must list members of one kind (all LADs or all small areas), so no territory is counted twice. Codes that are
well formed but unknown are not errors: they are reported as "not matched" in the mart's coverage columns.
"""

from __future__ import annotations

import csv
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from core.fsio import atomic_write_text, finish_atomic
from core.settings import Settings, get_settings

FEED_ID = "custom-areas"
LAD_PATTERN = re.compile(r"^[EWSN]\d{8}$")
SMALL_AREA_PATTERN = re.compile(r"^([EWS]01\d{6}|95[A-Z]{2}\d{2}[A-Z]\d{1,2})$")
SCHEMA = pa.schema(
    [
        ("custom_area", pa.string()),
        ("description", pa.string()),
        ("member_code", pa.string()),
        ("member_kind", pa.string()),  # lad | small_area
        ("source_file", pa.string()),
        ("source_row", pa.int64()),
    ]
)


class CustomAreaError(ValueError):
    """A custom-area file is malformed; the message names the file and row."""


def _kind(code: str) -> str | None:
    if SMALL_AREA_PATTERN.match(code):
        return "small_area"
    if LAD_PATTERN.match(code):
        return "lad"
    return None


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = {"custom_area", "member_code"} - set(header)
        if missing:
            raise CustomAreaError(
                f"{path.name}: header must contain custom_area and member_code "
                f"(missing {', '.join(sorted(missing))}; got {header})"
            )
        rows = []
        for i, raw in enumerate(reader, start=2):  # row 1 is the header
            row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
            if not any(row.values()):
                continue
            rows.append(
                {
                    "custom_area": row.get("custom_area", ""),
                    "description": row.get("description") or None,
                    "member_code": row.get("member_code", ""),
                    "source_row": i,
                }
            )
        return rows


def _member_lines(text: str) -> dict[tuple[int, int], int]:
    """(area #, member #) -> the 1-based line of that member in the YAML text (empty if the layout is unusual)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[tuple[int, int], int] = {}
    if not isinstance(root, yaml.MappingNode):
        return lines
    for key, value in root.value:
        if getattr(key, "value", None) != "custom_areas" or not isinstance(value, yaml.SequenceNode):
            continue
        for i, area in enumerate(value.value, start=1):
            if not isinstance(area, yaml.MappingNode):
                continue
            for k, v in area.value:
                if getattr(k, "value", None) == "members" and isinstance(v, yaml.SequenceNode):
                    for j, member in enumerate(v.value, start=1):
                        lines[(i, j)] = member.start_mark.line + 1
    return lines


def _read_yaml(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CustomAreaError(f"{path.name}: not valid YAML: {exc}") from exc
    areas = doc.get("custom_areas") if isinstance(doc, dict) else None
    if not isinstance(areas, list):
        raise CustomAreaError(
            f"{path.name}: expected a top-level key `custom_areas:` holding a list of areas"
        )
    lines = _member_lines(text)
    rows = []
    for i, area in enumerate(areas, start=1):
        if not isinstance(area, dict) or not isinstance(area.get("members"), list):
            raise CustomAreaError(
                f"{path.name}: area #{i} must be a mapping with `name` and a `members` list"
            )
        for j, code in enumerate(area["members"], start=1):
            line = lines.get((i, j))
            rows.append(
                {
                    "custom_area": str(area.get("name") or "").strip(),
                    "description": (str(area["description"]).strip() if area.get("description") else None),
                    "member_code": str(code).strip(),
                    # source_row: the member's line in the file (its position in the file when unknown); the
                    # error messages name the area and member by position, whatever the list's length
                    "source_row": line if line is not None else len(rows) + 1,
                    "where": f"area #{i} member #{j}" + (f" (line {line})" if line is not None else ""),
                }
            )
    return rows


def read_custom_areas(folder: Path) -> list[dict]:
    """Read and validate every file in `folder`; the first problem raises CustomAreaError (file and row)."""
    if not folder.is_dir():
        return []
    out: list[dict] = []
    seen_area_file: dict[str, str] = {}
    for path in sorted(folder.iterdir()):
        suffix = path.suffix.lower()
        if path.name.startswith(".") or suffix not in {".csv", ".yaml", ".yml"}:
            continue
        rows = _read_csv(path) if suffix == ".csv" else _read_yaml(path)
        kinds: dict[str, set] = {}
        members: set[tuple[str, str]] = set()
        for r in rows:
            where = f"{path.name} " + r.get("where", f"row {r['source_row']}")
            area, code = r["custom_area"], r["member_code"].upper()
            if not area:
                raise CustomAreaError(f"{where}: empty custom_area name")
            if not code:
                raise CustomAreaError(f"{where}: empty member_code for area {area!r}")
            kind = _kind(code)
            if kind is None:
                raise CustomAreaError(
                    f"{where}: member_code {code!r} is not a LAD code (e.g. E08000019) nor a small "
                    f"area code (LSOA E01/W01, data zone S01, NI SOA like 95AA01S1)"
                )
            if (area, code) in members:
                raise CustomAreaError(f"{where}: {code} is listed twice in area {area!r}")
            members.add((area, code))
            kinds.setdefault(area, set()).add(kind)
            if len(kinds[area]) > 1:
                raise CustomAreaError(
                    f"{where}: area {area!r} mixes LADs and small areas; list one kind per area"
                )
            if seen_area_file.setdefault(area, path.name) != path.name:
                raise CustomAreaError(f"{where}: area {area!r} is already defined in {seen_area_file[area]}")
            out.append(
                {
                    "custom_area": area,
                    "description": r["description"],
                    "member_code": code,
                    "member_kind": kind,
                    "source_file": path.name,
                    "source_row": r["source_row"],
                }
            )
    return out


def attempt_path(settings: Settings) -> Path:
    """The record of the last landing attempt (landed or failed, with the message) the publisher reports."""
    return settings.raw_dir / FEED_ID / "last_attempt.json"


def last_attempt(settings: Settings | None = None) -> dict:
    """The last landing attempt, {} if there was none (or it cannot be read)."""
    settings = settings or get_settings()
    try:
        return json.loads(attempt_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def land_custom_areas(settings: Settings | None = None) -> dict:
    """Validate the custom-area folder and land it as raw/custom-areas/current.parquet (atomically).

    Returns a summary: {"status", "files", "areas", "members", "path"}. Raises CustomAreaError on a bad file,
    in which case the previously landed file stays in place. Either way the attempt is recorded in
    raw/custom-areas/last_attempt.json (status, message, time), which the release manifest and run summary report.
    """
    settings = settings or get_settings()
    out_dir = settings.raw_dir / FEED_ID
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "current.parquet"
    try:
        rows = read_custom_areas(settings.custom_areas_dir)
    except CustomAreaError as exc:
        atomic_write_text(
            attempt_path(settings),
            json.dumps(
                {
                    "status": "failed",
                    "message": str(exc),
                    "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "kept_previous": target.exists(),
                }
            ),
        )
        raise
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    tmp = out_dir / f".current.parquet.tmp-{os.getpid()}"
    pq.write_table(table, tmp)
    finish_atomic(tmp, target)  # replaces a file or a symlink atomically; readers see the old or the new file
    summary = {
        "status": "landed",
        "files": sorted({r["source_file"] for r in rows}),
        "areas": len({r["custom_area"] for r in rows}),
        "members": len(rows),
        "path": str(target),
    }
    atomic_write_text(
        attempt_path(settings),
        json.dumps(
            {
                "status": "landed",
                "message": None,
                "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
                **{k: summary[k] for k in ("files", "areas", "members")},
            }
        ),
    )
    return summary


if __name__ == "__main__":  # pragma: no cover
    print(land_custom_areas())
