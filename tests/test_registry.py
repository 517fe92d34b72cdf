"""The feed registry: the real catalogue validates, and broken stanzas fail with the feed and field named."""

from __future__ import annotations

import textwrap

import pytest

from core.registry import RegistryError, load_registry, parse_registry
from warehouse.dbt_sync import check

BASE = """
version: 1
contracts:
  tiny:
    columns: [{name: a}]
feeds:
"""


def reg(feed_yaml: str):
    return parse_registry(BASE + textwrap.indent(textwrap.dedent(feed_yaml), "  "))


GOOD = """
- id: good-feed
  title: Good
  family: ess
  publisher: ONS
  licence: OGL-3.0
  url: https://example.org/good.csv
  mirror_path: ess/good/good.csv
  format: csv
  contract: tiny
  indicators:
    - {name: Rate, measure_type: rate, unit: "%", numerator: Num, denominator: Den}
    - {name: Num, measure_type: count, unit: people}
    - {name: Den, measure_type: count, unit: people}
"""


def test_real_registry_loads_and_covers_every_mission_feed():
    r = load_registry()
    ess = {f.id for f in r.of_family("ess")}
    # MISSIONS.md names these source feeds for the headline metrics and proxies.
    for needed in [
        "gross-value-added",
        "gross-median-weekly-pay",
        "employment-rate",
        "research-and-development-public-funded",
        "research-and-development-business",
        "average-travel-time",
        "gigabit-capable-broadband",
        "network-coverage-4g",
        "network-coverage-5g",
        "pupils-at-expected-standards-by-end-of-primary-school",
        "further-education-and-skills-learner-achievements",
        "qualifications-level-3-or-above",
        "healthy-life-expectancy",
        "personal-wellbeing-estimates",
        "engagement-with-culture-and-heritage",
        "first-time-buyer-mortgage-sales",
        "homicide-offences",
    ]:
        assert needed in ess, needed
    ref = {f.id for f in r.of_family("reference")}
    for needed in [
        "ons-lad25-itl25-lookup",
        "ons-lad23-pfa23-lookup",
        "drkane-la-all-codes",
        "els-geo-metadata",
        "ons-mid-year-population-lad23",
    ]:
        assert needed in ref, needed
    for f in r.feeds:
        if f.sensitivity == "open":
            assert f.url and f.url.startswith("https://"), f.id
        else:  # restricted deliveries arrive as file drops, never from a public address
            assert f.url is None and f.landing_pattern, f.id


def test_dbt_files_are_in_step_with_the_registry():
    assert check() == []


def test_good_stanza_parses_with_components():
    r = reg(GOOD)
    ind = r.get("good-feed").indicator("Rate")
    assert (ind.numerator, ind.denominator) == ("Num", "Den")


@pytest.mark.parametrize(
    "mutation, expected",
    [
        (lambda s: s.replace("id: good-feed", "id: Good_Feed"), "feed 'Good_Feed': field 'id'"),
        (
            lambda s: s.replace("measure_type: rate", "measure_type: average"),
            "field 'indicators.0.measure_type'",
        ),
        (
            lambda s: s.replace("  url: https://example.org/good.csv\n", ""),
            "needs both `url` and `mirror_path`",
        ),
        (
            lambda s: s.replace("contract: tiny", "contract: huge"),
            "feed 'good-feed': field 'contract': unknown contract 'huge'",
        ),
        (lambda s: s.replace(", denominator: Den", ""), "numerator and denominator must be given together"),
        (lambda s: s.replace("numerator: Num", "numerator: Nope"), "component 'Nope' is not an indicator"),
        (lambda s: s.replace("format: csv", "format: parquet"), "feed 'good-feed': field 'format'"),
        (lambda s: s.replace("url: https://example.org/good.csv", "url: ftp//nope"), "field 'url'"),
        (lambda s: s + "  colour: blue\n", "field 'colour': Extra inputs are not permitted"),
    ],
)
def test_invalid_stanza_names_feed_and_field(mutation, expected):
    with pytest.raises(RegistryError) as exc:
        reg(mutation(GOOD))
    assert expected in str(exc.value)


def test_duplicate_feed_ids_rejected():
    with pytest.raises(RegistryError, match="feed ids registered twice: \\['good-feed'\\]"):
        reg(GOOD + GOOD)


def test_not_yaml_rejected():
    with pytest.raises(RegistryError, match="not valid YAML"):
        parse_registry("feeds: [unclosed")
