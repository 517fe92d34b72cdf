"""Issue 14: the data dictionary and the Excel notes read their indicator text from the release's
`indicator_catalogue` mart, and fall back to the registry when a release lacks it."""

from __future__ import annotations

import duckdb

from publish.exports.dictionary import write_data_dictionary
from publish.exports.indicator_text import indicator_texts


def _con_with_catalogue() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        """create table indicator_catalogue as select * from (values
             ('housing-affordability', 'Housing affordability', 'Housing affordability (ratio)',
              'Ratio of median house price to median gross annual earnings', 'Long text.', 'A ratio of **medians**.',
              'Office for National Statistics', 'https://www.ons.gov.uk/a | https://www.ons.gov.uk/b', '24/03/2025',
              true, 'ratio', 'ratio', 'not aggregated: stays at its source geography', false,
              date '2023-01-01', date '2024-01-01', 8, [10])
           ) as t(feed_id, indicator, label, subtitle, long_description, caveats, source_org, source_url,
                  source_date, is_experimental, unit, measure_type, aggregation_rule, is_aggregatable,
                  first_period, last_period, row_count, missions)"""
    )
    return con


def test_indicator_text_comes_from_the_mart_when_the_release_has_it():
    rows, where = indicator_texts(_con_with_catalogue(), {"indicator_catalogue"})
    assert where == "indicator_catalogue" and len(rows) == 1
    assert rows[0]["subtitle"] == "Ratio of median house price to median gross annual earnings"
    assert rows[0]["missions"] == [10]


def test_indicator_text_falls_back_to_the_registry():
    rows, where = indicator_texts(duckdb.connect(), set())
    assert where == "registry" and len(rows) == 86
    elec = next(r for r in rows if r["feed_id"] == "domestic-electricity-consumption")
    assert elec["subtitle"] == "Median domestic electricity consumption (kWh)"
    assert elec["aggregation_rule"] == "not aggregated: stays at its source geography"
    assert elec["is_aggregatable"] is False and elec["first_period"] is None


def _dictionary(tmp_path, con, marts) -> str:
    write_data_dictionary(tmp_path, con, marts, {}, {}, "r1", links=[], files={})
    return (tmp_path / "index.html").read_text(encoding="utf-8")


def test_the_data_dictionary_lists_the_catalogues_indicators(tmp_path):
    html = _dictionary(tmp_path, _con_with_catalogue(), ["indicator_catalogue"])
    assert 'id="indicator-catalogue"' in html and "the <code>indicator_catalogue</code> mart" in html
    assert "Housing affordability (ratio)" in html and "(experimental)" in html
    assert "Ratio of median house price to median gross annual earnings" in html
    assert "ratio: not aggregated: stays at its source geography" in html
    assert "A ratio of <strong>medians</strong>." in html  # caveats rendered from Markdown
    assert '<a href="https://www.ons.gov.uk/a">Office for National Statistics</a>, 24/03/2025' in html
    assert "2023-01-01 .. 2024-01-01" in html


def test_the_data_dictionary_without_the_mart_reads_the_registry(tmp_path):
    html = _dictionary(tmp_path, duckdb.connect(), [])
    assert "the registry: this release has no <code>indicator_catalogue</code> mart" in html
    assert "Median domestic electricity consumption (kWh)" in html
    assert html.count('<tr id="ind-') == 86
