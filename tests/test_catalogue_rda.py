"""Issue 14: the dfeR lookup's public format is an R data file (.rda). A feed registered with `url_format: rda`
is read at its public address with pyreadr and converted to the CSV the mirror holds, so the same contract passes
both. The .rda here is written by pyreadr from the mirror's own conversion (the first 300 rows) and served over
HTTP on 127.0.0.1 by the test; the fetch goes through the project's own entry point (`ingest.fetch.fetch`)."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from core.registry import RegistryError, load_registry, parse_registry
from ingest.fetch import fetch
from ingest.pipeline import check_file
from ingest.rda import RdaError, read_rda

pytestmark = pytest.mark.mirror
FEED = "dfe-geo-hierarchy-2017-2025"
N = 300


@pytest.fixture
def sample(mirror, tmp_path):
    """(the .rda bytes, the mirror CSV's header + first N rows as text)."""
    import pyreadr

    feed = load_registry().get(FEED)
    text = (mirror / feed.mirror_path).read_text(encoding="utf-8-sig")
    head = "".join(io.StringIO(text).readlines()[: N + 1])
    df = pd.read_csv(io.StringIO(head), keep_default_na=False, na_values=[""])  # years as numbers, as in R
    path = tmp_path / "geo_hierarchy.rda"
    pyreadr.write_rdata(str(path), df, df_name="geo_hierarchy")
    return path.read_bytes(), head


def _feed_at(url: str):
    feed = load_registry().get(FEED)
    return feed.model_copy(update={"url": url, "contract": feed.contract.model_copy(update={"min_rows": 1})})


def test_the_public_rda_is_converted_to_the_mirrors_csv_and_passes_the_contract(
    sample, http_server, tmp_path
):
    body, head = sample
    http_server.add("/dfeR/data/geo_hierarchy.rda", body, content_type="application/octet-stream")
    feed = _feed_at(http_server.base + "/dfeR/data/geo_hierarchy.rda")
    assert (feed.format, feed.url_format, feed.format_at("http"), feed.format_at("mirror")) == (
        "csv", "rda", "rda", "csv",
    )  # fmt: skip
    got = fetch(feed, mirror=None)
    try:
        assert got.via == "http" and got.path.suffix == ".csv"
        converted = got.path.read_text(encoding="utf-8")
        assert converted == head.replace("\r\n", "\n")  # the mirror's conversion, byte for byte
        assert check_file(feed, got.path, "converted .rda") == N
    finally:
        got.discard()
    assert not got.path.exists()


def test_the_mirror_keeps_its_csv(mirror):
    feed = load_registry().get(FEED)
    got = fetch(feed, mirror=mirror)
    assert got.via == "mirror" and got.path == (mirror / feed.mirror_path)
    assert check_file(feed, got.path, "mirror") == 26057


def test_a_body_that_is_not_an_rda_is_refused_clearly(tmp_path):
    bad = tmp_path / "geo_hierarchy.rda"
    bad.write_bytes(b"year,lad_cd\n2017,E06000001\n")
    with pytest.raises(RdaError, match=r"feed 'x': geo_hierarchy.rda: not a readable R data file"):
        read_rda(bad, feed_id="x")


def test_an_unknown_r_object_is_named(sample, tmp_path):
    path = tmp_path / "g.rda"
    path.write_bytes(sample[0])
    with pytest.raises(RdaError, match=r"has no R object 'lookup' \(it has \['geo_hierarchy'\]\)"):
        read_rda(path, "lookup", feed_id="x")
    assert list(read_rda(path).columns)[:3] == [
        "first_available_year_included", "most_recent_year_included", "ward_name",
    ]  # fmt: skip
    assert read_rda(path)["first_available_year_included"].iloc[0] == "2017"  # not "2017.0"


STANZA = """
version: 1
feeds:
  - id: demo
    title: Demo
    family: reference
    publisher: p
    licence: l
    url: https://example.org/demo.rda
    mirror_path: demo.csv
    format: csv
    contract: {columns: [{name: a}]}
"""


@pytest.mark.parametrize(
    "extra, message",
    [
        ("    url_format: csv\n", "url_format 'csv' equals format"),
        ("    url_format: parquet\n", "url_format"),
        ("    parser: {rda_object: geo}\n", "rda_object only applies to an rda file"),
    ],
)
def test_url_format_is_validated(extra, message):
    with pytest.raises(RegistryError, match=message):
        parse_registry(STANZA + extra)
    ok = parse_registry(STANZA + "    url_format: rda\n    parser: {rda_object: geo}\n").get("demo")
    assert ok.format_at("http") == "rda" and ok.format_at("landing") == "csv"
