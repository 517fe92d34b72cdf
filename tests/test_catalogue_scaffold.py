"""Issue 14: the scaffold reads the publisher's JSON metadata beside the sample, prefers its measure type over the
unit column's, and reports every disagreement. On a fixture of the ESS layout (a housing affordability ratio
whose unit column says "%") and on real ESS files of the mirror."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.registry import parse_registry
from core.settings import PROJECT_ROOT
from onboarding.scaffold import infer_sample, render_stanza

FIXTURE = Path(__file__).parent / "fixtures" / "ess_metadata" / "housing-affordability.csv"


def _stanza_registry(feed_id: str, inf) -> object:
    """The real registry with the rendered stanza appended, as scaffold_feed writes it."""
    text = (PROJECT_ROOT / "registry" / "feeds.yaml").read_text(encoding="utf-8")
    stanza = render_stanza(
        feed_id, inf, url=None, mirror_path=None, cadence="annual", title=None, missions=[], ess_contract=None
    )
    return parse_registry(text.rstrip("\n") + "\n" + stanza), stanza


def test_a_ratio_of_medians_is_a_ratio_never_a_share():
    inf = infer_sample(FIXTURE)
    [ind] = inf.indicators
    assert ind.unit == "%" and ind.measure == "Percentage"
    assert ind.measure_type == "ratio", ind.reason
    assert "Ratio of median house price to median gross annual earnings" in ind.reason
    assert ind.valid_range != (0.0, 100.0) or ind.measure_type != "share"
    [note] = inf.disagreements
    assert "unit column says share" in note and "metadata says ratio" in note and "metadata wins" in note
    assert inf.title == "Housing affordability"
    assert inf.description.startswith("This indicator shows the ratio of median house price")
    assert "A ratio of two medians" in inf.caveats
    assert inf.source_org == "Office for National Statistics" and inf.source_url.startswith(
        "https://www.ons.gov.uk/"
    )
    assert inf.source_date == "24/03/2025" and inf.experimental is False


def test_the_rendered_stanza_carries_the_metadata_and_loads():
    inf = infer_sample(FIXTURE)
    reg, stanza = _stanza_registry("housing-affordability", inf)
    assert "# NOTE: unit vs metadata:" in stanza
    feed = reg.get("housing-affordability")
    ind = feed.indicator("Housing affordability")
    assert ind.measure_type == "ratio" and ind.unit == "%"
    assert ind.subtitle == "Ratio of median house price to median gross annual earnings"
    assert ind.caveats.startswith("Earnings are workplace-based") and ind.decimal_places == 2
    assert ind.standardised is True and "metadata wins" in ind.note
    assert feed.source_org == "Office for National Statistics" and feed.source_date == "24/03/2025"


@pytest.mark.mirror
def test_real_median_electricity_file_unit_says_rate_metadata_says_median(mirror):
    inf = infer_sample(
        mirror / "ess" / "domestic-electricity-consumption" / "domestic-electricity-consumption.csv"
    )
    [ind] = inf.indicators
    assert (ind.unit, ind.measure_type) == ("kWh per meter point", "median")
    [note] = inf.disagreements
    assert "unit column says rate" in note and "metadata says median" in note
    assert inf.source_org and " | " in inf.source_org  # two producers, '|'-separated in the source


@pytest.mark.mirror
def test_real_multi_indicator_file_reads_each_indicators_block(mirror):
    inf = infer_sample(mirror / "ess" / "apprenticeships" / "apprenticeships.csv")
    by = {i.name: i for i in inf.indicators}
    assert set(by) == {"Apprenticeship starts (England)", "Apprenticeship achievements (England)"}
    assert (
        by["Apprenticeship starts (England)"]
        .metadata.get("subtitle")
        .startswith("Apprenticeship programme starts")
    )
    assert all(i.measure_type == "rate" and i.metadata.get("decimal_places") == 0 for i in by.values())
    assert inf.disagreements == [] and inf.source_org == "Department for Education"
    reg, _ = _stanza_registry("apprenticeships-copy", inf)
    spec = reg.get("apprenticeships-copy").indicator("Apprenticeship achievements (England)")
    assert spec.label == "Apprenticeship achievements (England)" and "home postcode" in spec.caveats
