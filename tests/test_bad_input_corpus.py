"""A corpus of broken variants of a REAL feed (built at test time from the mirror's gross-median-weekly-pay
file, never stored in the repo). Each variant is caught at ingest with a message naming feed, column/line,
and nothing of it lands: the previous good version stays current. The variants that pass ingest on purpose
(they are only detectable downstream) are exercised end to end in test_full_refresh.py."""

from __future__ import annotations

import csv
import io

import pytest

from core.registry import load_registry
from core.settings import get_settings
from ingest.land import FeedStore
from ingest.pipeline import ingest_feed

pytestmark = pytest.mark.mirror
FEED = "gross-median-weekly-pay"


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def to_csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def edit(text: str, fn) -> str:
    rows = rows_of(text)
    header, body = rows[0], rows[1:]
    return to_csv([header, *fn(header, body)])


def set_col(col: str, value_fn, every: int = 50):
    def fn(header, body):
        i = header.index(col)
        for n, r in enumerate(body):
            if n % every == 0:
                r[i] = value_fn(r[i])
        return body

    return fn


def variants(real: str) -> dict[str, tuple[bytes, str]]:
    lines = real.splitlines(keepends=True)
    header = lines[0]
    return {
        "wrong header": (
            real.replace("areacd", "area_code", 1).encode(),
            "lacks contract column(s) ['areacd']",
        ),
        "shifted columns": (
            (header + "".join("x," + ln for ln in lines[1:50])).encode(),
            "do not have the header's",
        ),
        "wrong encoding": (
            real.replace("Newcastle", "Newcastle—upon")
            .encode("cp1252", errors="replace")
            .replace(b"Newcastle", b"Newcastl\xe9", 1),
            "is not valid utf-8-sig",
        ),
        "duplicated rows": ((real + "".join(lines[1:4])).encode(), "unique on"),
        "out-of-range values": (
            edit(real, set_col("observation", lambda v: "99999" if v else v)).encode(),
            "valid_range",
        ),
        "periods in the future": (
            edit(real, set_col("period", lambda v: "2031" + v[4:])).encode(),
            "does not start after",
        ),
        "unknown area codes": (
            edit(real, set_col("areacd", lambda v: "Z" + v[1:])).encode(),
            "column 'areacd'",
        ),
        "empty file": (b"", "empty body"),
        "header only": (header.encode(), "0 data row(s)"),
        "HTML error page served as CSV": (
            b"<!DOCTYPE html>\n<html><head><title>503</title></head><body>Service Unavailable</body></html>",
            "HTML page instead of CSV",
        ),
        "truncated file": (real[: len(real) // 2].rsplit(",", 3)[0].encode(), "do not have the header's"),
        "numbers with thousands separators": (
            edit(
                real, set_col("observation", lambda v: f"{float(v) * 10:,.1f}" if v else v, every=7)
            ).encode(),
            "coerce_dtype",
        ),
        "changed unit": (real.replace(",£,", ",GBP,").encode(), "equals the registered unit"),
        "unknown geography level": (
            real.replace("Local Authority District", "Local Authority Districts").encode(),
            "column 'geography'",
        ),
        "renamed indicator": (
            real.replace("Gross median weekly pay", "Gross mean weekly pay").encode(),
            "is a registered indicator",
        ),
        "malformed period": (
            edit(real, set_col("period", lambda v: v.replace("-", "/"))).encode(),
            "column 'period'",
        ),
        "unknown status code": (
            edit(real, set_col("status", lambda v: "?", every=97)).encode(),
            "column 'status'",
        ),
        "blank area names": (edit(real, set_col("areanm", lambda v: "")).encode(), "not_nullable"),
        "missing value column": (
            edit(
                real,
                lambda h, b: [[c for j, c in enumerate(r) if j != h.index("observation")] for r in [h, *b]][
                    1:
                ],
            )
            .replace("observation,", "", 1)
            .encode(),
            "lacks contract column(s) ['observation']",
        ),
    }


@pytest.fixture
def setup(mirror, tmp_path, monkeypatch, data_dir):
    feed = load_registry().get(FEED)
    real = (mirror / feed.mirror_path).read_text(encoding="utf-8-sig")
    overlay = tmp_path / "mirror"
    target = overlay / feed.mirror_path
    target.parent.mkdir(parents=True)
    monkeypatch.setenv("LEVELUP_MIRROR", str(overlay))
    target.write_text(real, encoding="utf-8")
    good = ingest_feed(feed)
    assert good.status == "landed"
    return feed, real, target


CASES = [
    "wrong header",
    "shifted columns",
    "wrong encoding",
    "duplicated rows",
    "out-of-range values",
    "periods in the future",
    "unknown area codes",
    "empty file",
    "header only",
    "HTML error page served as CSV",
    "truncated file",
    "numbers with thousands separators",
    "changed unit",
    "unknown geography level",
    "renamed indicator",
    "malformed period",
    "unknown status code",
    "blank area names",
    "missing value column",
]


@pytest.mark.parametrize("case", CASES)
def test_variant_caught_at_ingest(setup, case):
    feed, real, target = setup
    store = FeedStore(get_settings().feed_dir(feed.id), feed.id)
    good = store.current_info()
    body, expected = variants(real)[case]
    target.write_bytes(body)
    res = ingest_feed(feed, raise_on_failure=False)
    assert res.status == "failed", f"{case} was not caught"
    assert expected in res.message, res.message
    assert f"'{feed.id}'" in res.message
    assert store.current_info() == good  # the previous good version still serves
    assert len(store.version_files()) == 1


def test_corpus_has_at_least_fifteen_variants():
    assert len(CASES) >= 15
