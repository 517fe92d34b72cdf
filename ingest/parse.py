"""Turning a feed's bytes into a table of text cells, per the registry's `format` and `parser` options.

Belongs here: CSV / XLSX / JSON readers and the per-feed reshaping the registry asks for (column renames,
constant columns, flattening the ELS geography JSON). Every cell stays text here; types are the contract's
job (`ingest.contract`), so that a bad cell is reported with its row, not lost in a reader's guess.
"""

from __future__ import annotations

import csv
import io
import json

import pandas as pd

from core.registry import FeedSpec


class ParseError(ValueError):
    """The body could not be read as the registered format; the message names feed, file and line."""


def _read_csv(feed: FeedSpec, body: bytes, where: str) -> pd.DataFrame:
    enc = feed.parser.encoding
    try:
        text = body.decode(enc)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise ParseError(
            f"feed {feed.id!r}: {where} is not valid {enc}: byte {body[exc.start : exc.start + 1]!r} "
            f"at offset {exc.start} (line {line}); was the file re-saved in another encoding?"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ParseError(f"feed {feed.id!r}: {where} has no header row") from None
    except csv.Error as exc:
        raise ParseError(f"feed {feed.id!r}: {where}: unreadable header: {exc}") from None
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise ParseError(f"feed {feed.id!r}: {where}: header repeats column(s) {dupes}")
    rows, bad = [], []
    try:
        for lineno, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                bad.append((lineno, len(row), row[:4]))
                continue
            rows.append(row)
    except csv.Error as exc:
        raise ParseError(
            f"feed {feed.id!r}: {where}: malformed CSV near line {reader.line_num}: {exc}"
        ) from None
    if bad:
        sample = "; ".join(f"line {ln}: {n} fields, starts {start}" for ln, n, start in bad[:5])
        raise ParseError(
            f"feed {feed.id!r}: {where}: {len(bad)} row(s) do not have the header's {len(header)} fields "
            f"(shifted columns or a truncated file?). {sample}"
        )
    df = pd.DataFrame(rows, columns=header, dtype="str")
    df.index = pd.RangeIndex(2, 2 + len(df))  # index = source line number, for error messages
    return df.replace("", None)


def _read_xlsx(feed: FeedSpec, body: bytes, where: str) -> pd.DataFrame:
    try:
        df = pd.read_excel(
            io.BytesIO(body),
            sheet_name=feed.parser.sheet or 0,
            header=feed.parser.header_row or 0,
            dtype=str,
            engine="openpyxl",
        )
    except ValueError as exc:
        raise ParseError(
            f"feed {feed.id!r}: {where}: cannot read sheet {feed.parser.sheet!r}: {exc}"
        ) from None
    except Exception as exc:  # openpyxl raises zipfile/KeyError flavours for corrupt files
        raise ParseError(f"feed {feed.id!r}: {where}: not a readable xlsx workbook: {exc}") from None
    df = df.dropna(how="all")
    df.columns = [str(c).strip() for c in df.columns]
    df.index = df.index + (feed.parser.header_row or 0) + 2  # spreadsheet row numbers
    return df


def _read_json(feed: FeedSpec, body: bytes, where: str) -> pd.DataFrame:
    try:
        doc = json.loads(body.decode(feed.parser.encoding))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"feed {feed.id!r}: {where}: not valid JSON: {exc}") from None
    if feed.parser.json_layout == "els_geo_metadata":
        if not isinstance(doc, dict):
            raise ParseError(f"feed {feed.id!r}: {where}: expected an object keyed by area code")
        records = [
            {
                "areacd": v.get("areacd"),
                "areanm": v.get("areanm"),
                "level": ";".join(v.get("level") or []),
                "parents": ";".join(v.get("parents") or []) or None,
                "children": ";".join(v.get("children") or []) or None,
                "start": None if v.get("start") is None else str(v.get("start")),
                "end": None if v.get("end") is None else str(v.get("end")),
            }
            for v in doc.values()
        ]
        return pd.DataFrame.from_records(
            records, columns=["areacd", "areanm", "level", "parents", "children", "start", "end"]
        )
    if isinstance(doc, list):
        return pd.DataFrame.from_records(doc).astype("str")
    raise ParseError(f"feed {feed.id!r}: {where}: unsupported JSON layout")


def parse(feed: FeedSpec, body: bytes, where: str) -> pd.DataFrame:
    reader = {"csv": _read_csv, "xlsx": _read_xlsx, "json": _read_json}[feed.format]
    df = reader(feed, body, where)
    if feed.parser.rename:
        df = df.rename(columns=feed.parser.rename)
    for col, value in feed.parser.constants.items():
        df[col] = value
    return df
