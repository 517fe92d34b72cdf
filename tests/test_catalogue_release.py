"""Issue 14 on a real release (one `levelup run` over the mirror, the session's `published` fixture): every
enabled ESS feed has rows in `indicators`, the messy files arrive whole, `indicator_catalogue` describes every
(feed, indicator) of `indicators`, no median / index / expectancy / ratio indicator is ever rolled up in
`indicators_harmonised`, and every column of every published CSV has a description in its CSV-W metadata."""

from __future__ import annotations

import csv
import json

import duckdb
import pytest

from core.registry import load_registry

pytestmark = [pytest.mark.mirror, pytest.mark.slow]
NOT_AGGREGATABLE = ("median", "index", "expectancy", "ratio")


@pytest.fixture(scope="module")
def release(published):
    assert published.returncode == 0, published.stdout[-4000:] + published.stderr[-3000:]
    return published.release


@pytest.fixture(scope="module")
def con(release):
    c = duckdb.connect(str(release / "marts.duckdb"), read_only=True)
    yield c
    c.close()


def test_every_enabled_ess_feed_is_published_in_indicators(con, release):
    feeds = [f for f in load_registry().feeds if f.family == "ess" and f.enabled]
    assert len(feeds) == 58
    manifest = json.loads((release / "manifest.json").read_text())
    assert manifest["marts"]["indicators"]["status"] == "fresh"
    assert manifest["marts"]["indicator_catalogue"]["status"] == "fresh"
    counts = dict(con.execute("select feed_id, count(*) from indicators group by 1").fetchall())
    for f in feeds:
        assert counts.get(f.id, 0) > 0, f"{f.id}: no rows in indicators"
    assert set(counts) == {f.id for f in feeds}


def test_messy_files_arrive_whole_with_their_status(con, mirror):
    """No row is filtered away: the row counts equal the files' data rows, and the odd rows keep what they had."""
    rows = dict(con.execute("select feed_id, count(*) from indicators group by 1").fetchall())
    for fid in ("foreign-direct-investment", "preventable-cardiovascular-mortality-england",
                "persistent-absences-for-pupils-eligible-for-free-school-meals", "personal-wellbeing-estimates"):  # fmt: skip
        with (mirror / "ess" / fid / f"{fid}.csv").open(encoding="utf-8-sig", newline="") as fh:
            assert rows[fid] == sum(1 for _ in csv.reader(fh)) - 1, fid
    na = con.execute(
        """select count(*), count(distinct area_code), min(area_code) from indicators
           where feed_id = 'foreign-direct-investment' and area_code like 'na:%'"""
    ).fetchone()
    assert na == (60, 3, "na:Aberdeen City Region")
    free_text = con.execute(
        """select source_status, status, count(*), count(value) from indicators
           where feed_id = 'preventable-cardiovascular-mortality-england' and source_status like 'value for%'
           group by all order by 1"""
    ).fetchall()
    assert free_text == [
        ("value for cornwall and isles of scilly combined", "ok", 22, 22),
        ("value for hackney and city of london combined", "ok", 22, 22),
    ]
    codes = dict(
        con.execute(
            """select source_status, count(*) from indicators
               where feed_id = 'persistent-absences-for-pupils-looked-after-by-local-authorities'
                 and source_status is not null group by 1"""
        ).fetchall()
    )
    assert codes == {"x": 163, "c": 13, "z": 11}


def test_indicator_catalogue_has_a_row_for_every_feed_and_indicator(con):
    missing = con.execute(
        """select distinct i.feed_id, i.indicator from indicators as i
           left join indicator_catalogue as c using (feed_id, indicator) where c.feed_id is null"""
    ).fetchall()
    assert missing == []
    n, distinct = con.execute(
        "select count(*), count(distinct (feed_id, indicator)) from indicator_catalogue"
    ).fetchone()
    assert n == distinct == 86
    row = con.execute(
        """select label, subtitle, measure_type, aggregation_rule, is_aggregatable, unit, source_org,
                  is_experimental, decimal_places, geography_levels, missions, row_count, first_period,
                  source_geography_levels
           from indicator_catalogue where feed_id = 'domestic-electricity-consumption'"""
    ).fetchone()
    assert row[:6] == (
        "Domestic electricity consumption",
        "Median domestic electricity consumption (kWh)",
        "median",
        "not aggregated: stays at its source geography",
        False,
        "kWh per meter point",
    )
    assert row[6] and row[7] is False and row[8] == 1 and "LAD" in row[9] and "RGN" in row[9]
    assert "Local Authority District" in row[13]
    assert row[10] == [] and row[11] == 4959 and row[12] is not None
    fdi = con.execute(
        "select is_experimental, missions from indicator_catalogue where feed_id = 'foreign-direct-investment'"
    ).fetchall()
    assert fdi == [(True, [1]), (True, [1])]
    rows_match = con.execute(
        """select count(*) from indicator_catalogue as c
           join (select feed_id, indicator, count(*) as n from indicators group by all) as i
             using (feed_id, indicator) where c.row_count <> i.n"""
    ).fetchone()[0]
    assert rows_match == 0


def test_no_ratio_median_index_or_expectancy_indicator_is_rolled_up(con):
    """Listed from the catalogue (not the registry), checked on indicators_harmonised."""
    never = con.execute(
        f"""select feed_id, indicator from indicator_catalogue
            where measure_type in {NOT_AGGREGATABLE} order by all"""
    ).fetchall()
    assert ("gross-median-weekly-pay", "Gross median weekly pay") in never
    assert ("domestic-electricity-consumption", "Electricity consumption") in never
    assert len(never) == 4
    assert con.execute(
        f"select bool_and(not is_aggregatable) from indicator_catalogue where measure_type in {NOT_AGGREGATABLE}"
    ).fetchone()[0]
    derived = con.execute(
        f"""select h.feed_id, h.indicator, h.harmonisation_method, count(*) from indicators_harmonised as h
            join indicator_catalogue as c using (feed_id, indicator)
            where c.measure_type in {NOT_AGGREGATABLE} and h.is_derived group by all"""
    ).fetchall()
    assert derived == []
    held = con.execute(
        f"""select count(*) from indicators_harmonised as h join indicator_catalogue as c using (feed_id, indicator)
            where c.measure_type in {NOT_AGGREGATABLE}"""
    ).fetchone()[0]
    assert held > 0  # they are in the mart, at their source geography


def test_every_published_column_has_a_description(release):
    metas = sorted((release / "csv").glob("*.csv-metadata.json"))
    marts = {p.name.removesuffix(".csv-metadata.json") for p in metas}
    assert {"indicators", "indicators_harmonised", "indicator_catalogue", "geography", "mission_gap_groups",
            "custom_area_indicators", "mission_metrics", "mission_gaps", "provenance"} <= marts  # fmt: skip
    undocumented, total = [], 0
    for p in metas:
        meta = json.loads(p.read_text())
        assert meta.get("dc:description"), f"{p.name}: the table has no description"
        for col in meta["tableSchema"]["columns"]:
            total += 1
            if not (col.get("dc:description") or "").strip():
                undocumented.append(f"{p.name}: {col['name']}")
    assert undocumented == [], f"{len(undocumented)} of {total} published columns have no description"


def test_release_documents_read_their_indicator_text_from_the_catalogue(release, con):
    """The data dictionary, the Excel notes sheet and the static mission pages show the catalogue's text."""
    from openpyxl import load_workbook

    pay = con.execute(
        "select subtitle from indicator_catalogue where feed_id = 'gross-median-weekly-pay'"
    ).fetchone()[0]
    assert pay == "Gross median weekly pay based on where people live (£)"
    html = (release / "docs" / "index.html").read_text(encoding="utf-8")
    assert 'id="indicator-catalogue"' in html and "the <code>indicator_catalogue</code> mart" in html
    assert pay in html and "Median domestic electricity consumption (kWh)" in html
    wb = load_workbook(release / "mission_metrics.xlsx", read_only=True)
    cells = [c for row in wb["Notes"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "Source indicators" in cells and "the indicator_catalogue" in cells and pay in cells
    page = (release / "dashboards" / "missions" / "mission-01.html").read_text(encoding="utf-8")
    assert "Source indicators" in page
    assert "Gross median weekly pay (median: not aggregated: stays at its source geography)" in page
