"""Mirrors derived from the real one, for benchmarks and tests: the real files as symlinks, some replaced.

What belongs here: building such a mirror (`overlay_mirror`) and the everyday revision a publisher makes
(`revised_mirror`: one observation of one file moved), so that `make bench` and the release-safety tests refresh
the same way. Nothing here writes into the real mirror.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path


def overlay_mirror(real: Path, dest: Path, replaced: dict[str, bytes]) -> Path:
    """A mirror laid out like the real one (symlinks), with the files named in `replaced` (paths relative to the
    mirror) written with those bytes instead."""
    for family in ("ess", "reference"):
        for src in (real / family).rglob("*"):
            if src.is_file():
                rel = src.relative_to(real)
                target = dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                if str(rel) in replaced:
                    target.write_bytes(replaced[str(rel)])
                else:
                    target.symlink_to(src.resolve())
    return dest


def revised_mirror(real: Path, dest: Path, rel: str) -> Path:
    """`overlay_mirror` with one observation of the CSV at `rel` revised: the first record that has a value gets
    + 0.001, well inside every tolerance. Every other byte is kept: the BOM, quoting of other records, line ends."""
    text = (real / rel).read_bytes().decode("utf-8")
    lines = text.splitlines(keepends=True)
    header = next(csv.reader([lines[0].lstrip("\ufeff")]))
    at = header.index("observation")
    for i, line in enumerate(lines[1:], start=1):
        row = next(csv.reader([line]))
        if len(row) == len(header) and row[at].strip():
            row[at] = repr(float(row[at]) + 0.001)
            out = io.StringIO()
            csv.writer(out, lineterminator=line[len(line.rstrip("\r\n")) :]).writerow(row)
            lines[i] = out.getvalue()
            break
    else:
        raise ValueError(f"{rel}: no record with an observation to revise")
    revised = "".join(lines)
    assert revised != text and len(revised.splitlines()) == len(text.splitlines())
    return overlay_mirror(real, dest, {rel: revised.encode("utf-8")})
