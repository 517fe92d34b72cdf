"""Reading an R data file (`.rda` / `.RData`, the format of the dfeR package's lookups) as a table of text cells.

Belongs here: `read_rda`, the reader for registry format `rda` (a feed's `url_format` when the publisher ships
an .rda and the mirror keeps its CSV conversion). pyreadr reads the file without R; the result has the shape the
other pandas readers give the parser (text cells, index = record number from 2, as if line 1 were a header), so
the same rename options and contract apply to the .rda and to its CSV conversion. Factors are read as their
labels, numbers as their shortest text (a year 2017 is "2017", not "2017.0").
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd


class RdaError(ValueError):
    """The file is not a readable R data file, or lacks the object named; the message says which."""


def _text(series: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(series):
        ints = series.dropna()
        if len(ints) and (ints == ints.round()).all():
            return series.astype("Int64").astype("string")
    return series.astype("string")


def read_rda(path: Path, object_name: str | None = None, *, feed_id: str = "?") -> pd.DataFrame:
    import pyreadr

    try:
        objects = pyreadr.read_r(str(path))
    except (
        pyreadr.custom_errors.PyreadrError,
        pyreadr.custom_errors.LibrdataError,
        ValueError,
        OSError,
    ) as exc:
        raise RdaError(f"feed {feed_id!r}: {path.name}: not a readable R data file: {exc}") from None
    names = list(objects)
    if object_name is None:
        if len(names) != 1:
            raise RdaError(
                f"feed {feed_id!r}: {path.name} holds {len(names)} R objects {names}: set parser.rda_object"
            )
        object_name = names[0]
    if object_name not in objects:
        raise RdaError(f"feed {feed_id!r}: {path.name} has no R object {object_name!r} (it has {names})")
    df = objects[object_name]
    if not isinstance(df, pd.DataFrame):
        raise RdaError(f"feed {feed_id!r}: {path.name}: R object {object_name!r} is not a data frame")
    out = pd.DataFrame({str(c): _text(df[c]) for c in df.columns})
    out = out.where(out.notna(), None)
    out.index = pd.RangeIndex(2, 2 + len(out))
    return out


def rda_to_csv(path: Path, out: Path, object_name: str | None = None, *, feed_id: str = "?") -> Path:
    """The R data frame as a UTF-8 CSV with a header (empty cell for NA): the shape of the mirror's conversion."""
    read_rda(path, object_name, feed_id=feed_id).to_csv(out, index=False, lineterminator="\n")
    return out


def public_format_as_csv(feed, got):
    """A feed whose public address serves an .rda while its registered `format` is csv (`url_format: rda`): the
    downloaded .rda becomes the CSV the rest of ingest expects (the same table as the mirror's conversion), so the
    contract, the landed version and dbt are the same whichever way the bytes came. Anything else is returned as is.
    """
    import hashlib
    from dataclasses import replace

    if got.via != "http" or got.not_modified or feed.url_format != "rda" or feed.format != "csv":
        return got
    out = got.path.with_name(got.path.name + ".csv")
    try:
        rda_to_csv(got.path, out, feed.parser.rda_object, feed_id=feed.id)
    finally:
        got.discard()
    data = out.read_bytes()
    return replace(
        got, path=out, sha256=hashlib.sha256(data).hexdigest(), n_bytes=len(data), is_temporary=True
    )
