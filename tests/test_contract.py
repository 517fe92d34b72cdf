"""The ingest contract on hand-made broken variants of an ESS file: each is rejected with a message naming
the feed, the column and the offending lines, and nothing of that version lands."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.registry import load_registry
from core.settings import get_settings
from ingest.land import FeedStore
from ingest.pipeline import ingest_feed

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = "areacd,areanm,geography,indicator,period,observation,measure,unit,lci_95,uci_95,status,notes\n"
ROWS = [
    "E92000001,England,Country,Happiness,2021-04-01/P1Y,7.4,Mean,Score out of 10,7.3,7.5,,\n",
    "E08000019,Sheffield,Local Authority District,Happiness,2021-04-01/P1Y,,Mean,Score out of 10,,,x,\n",
    "E08000039,Sheffield,Local Authority District,Happiness,2021-04-01/P1Y,7.1,Mean,Score out of 10,6.8,7.4,u,\n",
    "E92000001,England,Country,Employment rate,2017-01-01/P3Y,75.2,Percentage,%,,,,\n",
]
GOOD = HEADER + "".join(ROWS)


def write_mirror(root: Path, text: str | bytes) -> None:
    p = root / "ess" / "test-wellbeing" / "test-wellbeing.csv"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(text if isinstance(text, bytes) else text.encode())


@pytest.fixture
def feed(tmp_path, monkeypatch, data_dir):
    m = tmp_path / "mirror"
    monkeypatch.setenv("LEVELUP_MIRROR", str(m))
    f = load_registry(FIXTURES / "mini_registry.yaml").get("test-wellbeing")
    return f, m


def run(feed_and_mirror, text):
    f, m = feed_and_mirror
    write_mirror(m, text)
    return ingest_feed(f, raise_on_failure=False)


def test_good_file_lands_typed(feed):
    res = run(feed, GOOD)
    assert res.status == "landed" and res.rows == 4
    from ingest.pipeline import landed_table

    folder = get_settings().feed_dir("test-wellbeing")
    # a CSV feed's version is the source file itself, byte for byte
    assert (folder / "current.csv").read_text() == GOOD
    t = landed_table(feed[0])
    assert str(t.schema.field("observation").type) == "double"
    assert t.column("_source_line").to_pylist() == [2, 3, 4, 5]


BROKEN = {
    "missing column": (
        GOOD.replace(",notes\n", "\n").replace(",\n", "\n"),
        "lacks contract column(s) ['notes']",
    ),
    "renamed column": (GOOD.replace("observation", "value", 1), "lacks contract column(s) ['observation']"),
    "shifted columns": (HEADER + ROWS[0].replace("England,", "England,extra,"), "line 2: 13 fields"),
    "unknown geography": (
        GOOD.replace("Country,Happiness", "Galaxy,Happiness"),
        "column 'geography' failed check \"isin",
    ),
    "bad period": (
        GOOD.replace("2021-04-01/P1Y,7.4", "2021/22,7.4"),
        "column 'period' failed check \"str_matches",
    ),
    "future period": (GOOD.replace("2017-01-01/P3Y", "2099-01-01/P3Y"), "does not start after"),
    "unregistered indicator": (
        GOOD.replace("Employment rate", "Unemployment rate"),
        "is a registered indicator",
    ),
    "changed unit": (
        GOOD.replace("Mean,Score out of 10,7.3", "Mean,Score out of 100,7.3"),
        "equals the registered unit",
    ),
    "out of range": (GOOD.replace(",7.4,", ",74,"), "within the indicator's registered valid_range"),
    "thousands separator": (
        GOOD.replace(",75.2,", ',"1,075.2",'),
        "column 'observation' failed check \"coerce_dtype",
    ),
    "duplicated rows": (
        GOOD + ROWS[0],
        "column 'areacd+geography+indicator+period' failed check \"unique on",
    ),
    "unknown area code": (
        GOOD.replace("E92000001,England,Country,Happiness", "XX1,England,Country,Happiness"),
        "column 'areacd'",
    ),
    "unknown status code": (GOOD.replace(",u,", ",q,"), "column 'status' failed check \"isin"),
    "empty area name": (
        GOOD.replace("E92000001,England,", "E92000001,,", 1),
        "column 'areanm' failed check 'not_nullable'",
    ),
    "header only": (HEADER, "has 0 data row(s)"),
    "wrong encoding": (GOOD.replace("England", "Énglànd").encode("latin-1"), "is not valid utf-8-sig"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_variant_rejected_and_nothing_lands(feed, case):
    text, expected = BROKEN[case]
    res = run(feed, text)
    assert res.status == "failed", case
    assert expected in res.message, res.message
    assert "'test-wellbeing'" in res.message  # names the feed
    store = FeedStore(get_settings().feed_dir("test-wellbeing"), "test-wellbeing")
    assert store.current_info() is None
    assert not store.version_files()
    assert store.read_log()[-1]["status"] == "failed"


def test_message_names_the_offending_lines(feed):
    res = run(feed, GOOD.replace("Country,Happiness", "Galaxy,Happiness"))
    assert "line 2" in res.message and "Galaxy" in res.message


def test_failed_version_leaves_previous_current(feed):
    assert run(feed, GOOD).status == "landed"
    before = FeedStore(get_settings().feed_dir("test-wellbeing"), "test-wellbeing").current_info()
    assert run(feed, GOOD.replace(",7.4,", ",74,")).status == "failed"
    after = FeedStore(get_settings().feed_dir("test-wellbeing"), "test-wellbeing").current_info()
    assert after == before
