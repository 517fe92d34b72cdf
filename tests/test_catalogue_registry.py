"""Issue 14: every ESS dataset of the mirror is registered, and each registration agrees with the files.

Checked against the real mirror with DuckDB's own CSV reader (not the registry's parser): the indicator and
unit labels, the measure type against the publisher's JSON metadata, the valid range against every
observation (and a x10 error on the largest), the five JSON-only datasets disabled with a reason, the ESS
metadata text carried into the dbt seed, and the contract's `extends` overrides that absorb the messy files.
"""

from __future__ import annotations

import csv
import io

import duckdb
import pytest

from core.registry import RegistryError, load_registry, parse_registry
from onboarding.ess_metadata import load_metadata, measure_type_from_metadata
from warehouse.dbt_sync import _indicator_metadata_csv

pytestmark = pytest.mark.mirror
JSON_ONLY = {"average-house-price", "child-weight", "gdp-per-head", "population-by-age-and-sex",
             "population-indicators"}  # fmt: skip
NOT_AGGREGATABLE = {"median", "index", "expectancy", "ratio"}


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def _ess_feeds(registry):
    return [f for f in registry.feeds if f.family == "ess"]


def _observed(mirror, feed):
    """{indicator: (units, min, max, rows)} read from the mirrored CSV with DuckDB, every cell as text."""
    path = mirror / feed.mirror_path
    con = duckdb.connect()
    ind = feed.parser.constants.get("indicator")
    rename = {v: k for k, v in feed.parser.rename.items()}
    obs = rename.get("observation", "observation")
    if ind:  # a constant-indicator file (no indicator / unit column)
        rows = con.execute(
            f"""select min(try_cast("{obs}" as double)), max(try_cast("{obs}" as double)), count(*)
                from read_csv(?, all_varchar = true, header = true)""",
            [str(path)],
        ).fetchall()
        lo, hi, n = rows[0]
        return {ind: ({feed.parser.constants["unit"]}, lo, hi, n)}
    rows = con.execute(
        """select indicator, list(distinct unit), min(try_cast(observation as double)),
                  max(try_cast(observation as double)), count(*)
           from read_csv(?, all_varchar = true, header = true) group by indicator""",
        [str(path)],
    ).fetchall()
    return {r[0]: (set(r[1]), r[2], r[3], r[4]) for r in rows}


def test_every_ess_dataset_with_a_csv_is_registered_and_enabled(mirror, registry):
    with_csv, json_only = set(), set()
    for d in sorted(p for p in (mirror / "ess").iterdir() if p.is_dir()):
        (with_csv if list(d.glob("*.csv")) else json_only).add(d.name)
    assert len(with_csv) == 58 and json_only == JSON_ONLY
    enabled = {f.mirror_path.split("/")[1] for f in _ess_feeds(registry) if f.enabled}
    assert enabled == with_csv
    assert len([f for f in _ess_feeds(registry) if f.enabled]) == 58
    for f in _ess_feeds(registry):
        assert (mirror / f.mirror_path).is_file() == f.enabled, f.id
        if not f.enabled:
            assert f.id in JSON_ONLY and "not in the offline mirror" in f.disabled_reason
            assert (mirror / f.metadata_mirror_path).is_file(), f"{f.id}: its JSON metadata is mirrored"


def test_a_disabled_feed_is_refused_at_ingest_naming_its_reason_and_writes_nothing(tmp_path, registry):
    from core.settings import Settings
    from ingest.pipeline import IngestFailed, ingest_feed

    feed = registry.get("average-house-price")
    assert not feed.enabled and feed not in registry.open_feeds
    settings = Settings(data_dir=tmp_path / "data")
    with pytest.raises(IngestFailed, match="'average-house-price' is disabled.*not in the offline mirror"):
        ingest_feed(feed, settings)
    result = ingest_feed(feed, settings, raise_on_failure=False)
    assert result.status == "failed" and "enabled: true" in result.message
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").rglob("*.csv"))


def test_indicator_and_unit_labels_match_the_csv_exactly(mirror, registry):
    for f in _ess_feeds(registry):
        if not f.enabled:
            continue
        observed = _observed(mirror, f)
        assert set(observed) == {i.name for i in f.indicators}, f.id
        for i in f.indicators:
            units, *_ = observed[i.name]
            assert units == {i.unit}, f"{f.id} / {i.name}: csv units {units}, registered {i.unit!r}"


def test_valid_range_holds_every_observation_and_catches_a_x10_error(mirror, registry):
    checked = 0
    for f in _ess_feeds(registry):
        if not f.enabled:
            continue
        for name, (_, lo, hi, _) in _observed(mirror, f).items():
            vmin, vmax = f.indicator(name).valid_range
            assert vmin <= lo and hi <= vmax, (
                f"{f.id} / {name}: observed [{lo}, {hi}] outside [{vmin}, {vmax}]"
            )
            if hi > 0:
                assert hi * 10 > vmax, (
                    f"{f.id} / {name}: a x10 error on the max ({hi}) passes [{vmin}, {vmax}]"
                )
            checked += 1
    assert checked == 86


def test_the_suggested_tighter_ranges_are_registered(registry):
    assert registry.get("homicide-offences").indicator("Homicide Offences").valid_range == (0, 300)
    ftb = registry.get("first-time-buyer-mortgage-sales")
    assert ftb.indicator("First-time buyer mortgage sales").valid_range == (0, 200)
    soa = registry.get("uk-small-area-gross-value-added-estimates-ni")
    assert soa.indicator("Gross value added (small area)").valid_range == (0, 10000)


def test_measure_type_agrees_with_the_publishers_metadata(mirror, registry):
    """The metadata's words decide; the unit column alone would be wrong for e.g. the median electricity use."""
    seen = 0
    for f in _ess_feeds(registry):
        meta = load_metadata(mirror / f.metadata_mirror_path)
        if not meta:
            assert f.id == "uk-small-area-gross-value-added-estimates-ni"  # CSV-W metadata, not ess-beta
            continue
        for i in f.indicators:
            m = meta.get(i.name) or meta.get(None)
            assert m is not None, f"{f.id} / {i.name}: no metadata block"
            inferred = measure_type_from_metadata(m)
            assert inferred is not None and inferred[0] == i.measure_type, (f.id, i.name, inferred)
            assert i.label == m.get("label") and i.subtitle == m.get("subtitle"), (f.id, i.name)
            seen += 1
    assert seen == 85 + 31  # the 57 tidy files' indicators + the JSON-only datasets' 31
    elec = registry.get("domestic-electricity-consumption").indicator("Electricity consumption")
    assert elec.measure_type == "median" and elec.unit == "kWh per meter point"
    assert "metadata wins" in elec.note


def test_never_aggregated_indicators_are_the_medians_indices_and_expectancies(registry):
    enabled = {(f.id, i.name) for f in _ess_feeds(registry) if f.enabled for i in f.indicators
               if i.measure_type in NOT_AGGREGATABLE}  # fmt: skip
    assert enabled == {
        ("domestic-electricity-consumption", "Electricity consumption"),
        ("gross-median-weekly-pay", "Gross median weekly pay"),
        ("healthy-life-expectancy", "Male healthy life expectancy"),
        ("healthy-life-expectancy", "Female healthy life expectancy"),
    }


def test_missions_are_mapped_per_missions_md(registry):
    by = registry.by_id
    headline = {
        1: ["gross-value-added", "gross-median-weekly-pay", "employment-rate"],
        2: ["research-and-development-public-funded", "research-and-development-business"],
        3: ["average-travel-time"],
        4: ["gigabit-capable-broadband", "network-coverage-4g", "network-coverage-5g"],
        5: ["pupils-at-expected-standards-by-end-of-primary-school"],
        6: ["further-education-and-skills-learner-achievements", "qualifications-level-3-or-above"],
        7: ["healthy-life-expectancy"],
        8: ["personal-wellbeing-estimates"],
        9: ["engagement-with-culture-and-heritage"],
        10: ["first-time-buyer-mortgage-sales"],
        11: ["homicide-offences"],
    }
    for mission, feeds in headline.items():
        for fid in feeds:
            assert mission in by[fid].missions, (fid, mission)
    for f in _ess_feeds(registry):
        assert all(1 <= m <= 12 for m in f.missions)
    assert by["business-demography"].missions == [] and by["children-in-relative-poverty"].missions == [1]


def test_metadata_text_reaches_the_seed(registry):
    rows = list(csv.DictReader(io.StringIO(_indicator_metadata_csv(registry))))
    assert len(rows) == 86
    by = {(r["feed_id"], r["indicator"]): r for r in rows}
    fdi = by[("foreign-direct-investment", "Inward foreign direct investment")]
    assert fdi["is_experimental"] == "true" and fdi["source_org"] == "Office for National Statistics"
    pay = by[("gross-median-weekly-pay", "Gross median weekly pay")]
    assert " | " in pay["source_org"] and pay["caveats"]
    assert all(r["label"] and r["subtitle"] and r["source_url"] for r in rows)


BASE = """
version: 1
contracts:
  tidy:
    columns:
      - {name: areacd, nullable: false, pattern: '^E\\d{8}$'}
      - {name: indicator}
      - {name: status, allowed: [x]}
      - {name: notes}
    unique: [areacd, indicator]
feeds:
  - id: demo
    title: Demo
    family: reference
    publisher: p
    licence: l
    url: https://example.org/demo.csv
    mirror_path: demo.csv
    format: csv
    contract: %s
"""


def test_contract_extends_with_column_overrides_and_drops():
    reg = parse_registry(
        BASE
        % "{extends: tidy, columns_override: {areacd: {pattern: '^(E\\d{8}|na)$'}, status: {allowed: [x, free]}},"
        " columns_drop: [notes], unique: [areacd, indicator, status]}"
    )
    c = reg.get("demo").contract
    cols = {col.name: col for col in c.columns}
    assert set(cols) == {"areacd", "indicator", "status"}
    assert cols["areacd"].pattern == "^(E\\d{8}|na)$" and cols["areacd"].nullable is False
    assert cols["status"].allowed == ["x", "free"] and c.unique == ["areacd", "indicator", "status"]
    base = parse_registry(BASE % "tidy").get("demo").contract
    assert {col.name for col in base.columns} == {"areacd", "indicator", "status", "notes"}


def test_contract_extends_with_its_own_columns_keeps_them():
    # e.g. the benchmark's small-area feed: the tidy contract's keys with its own codes and geography labels
    c = (
        parse_registry(
            BASE
            % "{extends: tidy, columns: [{name: areacd, nullable: false, pattern: '^E01\\d{6}$'}, {name: indicator}]}"
        )
        .get("demo")
        .contract
    )
    assert [col.name for col in c.columns] == ["areacd", "indicator"]
    assert c.columns[0].pattern == "^E01\\d{6}$"
    assert c.unique == parse_registry(BASE % "tidy").get("demo").contract.unique  # the rest still from the base


@pytest.mark.parametrize(
    "contract, message",
    [
        ("{extends: tidy, columns_drop: [nope]}", "column 'nope' is not in contract 'tidy'"),
        ("{extends: tidy, columns_override: {areacd: [1]}}", "expected a mapping of column fields"),
        ("{extends: tidy, columns_override: {areacd: {colour: red}}}", "colour"),
    ],
)
def test_contract_overrides_are_validated(contract, message):
    with pytest.raises(RegistryError, match=message):
        parse_registry(BASE % contract)
