"""Geography harmonisation (issue 3) on real reference data.

Two builds, both need the reference lookups of the data mirror (marker `mirror`; skipped with a reason when
LEVELUP_MIRROR is unset):

1. Known cases on hand-made indicator rows (tests/fixtures/geography/known_cases.csv) + the real reference
   feeds:
   Sheffield/Barnsley 2025 recode, Buckinghamshire 2020 merge, Northamptonshire 2021 and Cumbria 2023 county
   splits, Cumbria district merge of a rate, North Yorkshire county = unitary, Somerset medians, ITL 2021 vs
   2025, a pseudo-area, and a user-defined area. Every expected number is worked out in the comments.
2. The real feeds, as the session's real `levelup run` built them (the `published` fixture's warehouse): every
   code resolves (dbt test), and the dimension, change map, population, small-area lookup and aggregate
   membership are compared with ../shared/data/reference/derived/ (built independently from the same sources).
   Every disagreement is asserted with its reason.

Both builds also run the dbt unit tests and the singular checks in dbt_project/tests/geography (the real one's
results are read from its run_results.json).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from helpers import ESS_HEADER, dbt_build

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "geography"
SELECT = ["+indicators_harmonised", "+geography", "+custom_area_indicators", "path:tests/geography"]

pytestmark = [pytest.mark.mirror, pytest.mark.xdist_group("geography_mirror")]


def _mirror() -> Path:
    mirror = os.environ.get("LEVELUP_MIRROR")
    if not mirror:
        pytest.skip(
            "LEVELUP_MIRROR is not set: the geography checks need the reference lookups of the data mirror"
        )
    return Path(mirror)


def _env(mirror: Path, data_dir: Path) -> dict:
    env = dict(os.environ)
    env.update(
        LEVELUP_MIRROR=str(mirror), LEVELUP_DATA_DIR=str(data_dir), DBT_SEND_ANONYMOUS_USAGE_STATS="false"
    )
    return env


def _run_python(env: dict, code: str) -> None:
    res = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr[-4000:]


def _ingest_and_build(env: dict, tmp: Path) -> None:
    _run_python(
        env,
        "from core.registry import load_registry; from ingest.pipeline import ingest_feed; "
        "[ingest_feed(f) for f in load_registry().open_feeds if f.family in ('ess', 'reference')]",
    )
    _run_python(env, "from ingest.custom_areas import land_custom_areas; land_custom_areas()")
    dbt_build(env, tmp, SELECT)


class Warehouse:
    def __init__(self, data_dir: Path):
        self.path = data_dir / "warehouse" / "warehouse.duckdb"

    def q(self, sql: str) -> list[tuple]:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()


# ----------------------------------------------------------------------------- 1. known cases, hand-made rows
def _write_fixture_mirror(mirror: Path, real: Path) -> None:
    from core.registry import load_registry

    mirror.mkdir(parents=True, exist_ok=True)
    (mirror / "reference").symlink_to(real / "reference", target_is_directory=True)
    cases = list(csv.DictReader((FIXTURES / "known_cases.csv").open(encoding="utf-8")))
    for feed in load_registry().open_feeds:
        if feed.family != "ess":
            continue
        path = mirror / feed.mirror_path
        path.parent.mkdir(parents=True, exist_ok=True)
        ind = feed.indicators[0]
        if feed.parser.rename:  # the NI small-area file: AREACD, AREANM, Period, Observation
            with path.open("w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(["AREACD", "AREANM", "Period", "Observation"])
                w.writerows(
                    [
                        ["95GG01S1", "Blackstaff_1", "2020", "1.5"],
                        ["95GG01S2", "Blackstaff_2", "2020", "2.5"],
                        ["95GG01S1", "Blackstaff_1", "2019", "1.0"],
                    ]
                )
            continue
        rows = [r for r in cases if r["feed_id"] == feed.id]
        if not rows:  # every registered feed needs a file: one harmless regional row
            lo = ind.valid_range[0] if ind.valid_range else 1
            rows = [
                {
                    "areacd": "E12000001",
                    "areanm": "North East",
                    "geography": "Region",
                    "indicator": ind.name,
                    "period": "2021-01-01/P1Y",
                    "observation": str(lo),
                }
            ]
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=ESS_HEADER)
            w.writeheader()
            for r in rows:
                unit = next(i.unit for i in feed.indicators if i.name == r["indicator"])
                w.writerow({**{k: r.get(k, "") for k in ESS_HEADER}, "unit": unit})


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    real = _mirror()
    tmp = tmp_path_factory.mktemp("geo_known")
    mirror, data_dir = tmp / "mirror", tmp / "data"
    _write_fixture_mirror(mirror, real)
    (data_dir / "custom_areas").mkdir(parents=True)
    (data_dir / "custom_areas" / "areas.csv").write_text(
        "custom_area,member_code\nBlackstaff pair,95GG01S1\nBlackstaff pair,95GG01S2\n"
        "Blackstaff pair,95ZZ99S9\n"
        "Bucks and Sheffield,E06000060\nBucks and Sheffield,E08000019\n",
        encoding="utf-8",
    )
    _ingest_and_build(_env(mirror, data_dir), tmp)
    return Warehouse(data_dir)


def _rows(wh: Warehouse, feed: str, where: str) -> list[tuple]:
    return wh.q(f"""
        select area_code, cast(period_start as varchar), round(value, 4),
               split_part(harmonisation_method, ' (', 1),
               source_area_code, is_derived
        from marts.indicators_harmonised
        where feed_id = '{feed}' and ({where}) order by period_start, area_code""")


RD = "research-and-development-public-funded"


def test_sheffield_barnsley_2025_recode(known: Warehouse) -> None:
    got = _rows(known, RD, "area_code in ('E08000019', 'E08000039', 'E08000016', 'E08000038')")
    # Sheffield: 5 under both codes in 2020 -> one row (deduplicated, never 10).
    # Barnsley: old code only -> recoded.
    assert got == [
        ("E08000039", "2020-04-01", 5.0, "direct", "E08000039", False),
        ("E08000038", "2021-04-01", 7.0, "recode", "E08000016", False),
    ]


def test_buckinghamshire_2020_merge(known: Warehouse) -> None:
    got = _rows(
        known,
        RD,
        "area_code like 'E07000004' or area_code like 'E07000005' or area_code = 'E07000006' "
        "or area_code = 'E06000060'",
    )
    # 2018: only 3 of the 4 districts -> no estimate, the three stay at source. 2019: 1 + 2 + 3 + 4 = 10.
    assert got == [
        (
            "E07000004",
            "2018-04-01",
            1.0,
            "kept_at_source: merge incomplete: not every predecessor valid in the period has a value",
            "E07000004",
            False,
        ),
        (
            "E07000005",
            "2018-04-01",
            2.0,
            "kept_at_source: merge incomplete: not every predecessor valid in the period has a value",
            "E07000005",
            False,
        ),
        (
            "E07000006",
            "2018-04-01",
            3.0,
            "kept_at_source: merge incomplete: not every predecessor valid in the period has a value",
            "E07000006",
            False,
        ),
        ("E06000060", "2019-04-01", 10.0, "merge_sum", "E07000004;E07000005;E07000006;E07000007", True),
    ]


def test_northamptonshire_2021_and_cumbria_2023_splits(known: Warehouse) -> None:
    got = _rows(
        known,
        RD,
        "source_area_code in ('E10000021', 'E10000006') "
        "or area_code in ('E06000061', 'E06000062', 'E06000063', 'E06000064')",
    )
    # Northamptonshire 1000 -> North 0.4586 = 458.6, West 0.5414 = 541.4 (mid-2023 population shares).
    # Cumbria 2019: 100 -> Cumberland 54.82, Westmorland & Furness 45.18.
    # Cumbria 2020: Cumberland is published (60) -> the county is not apportioned and stays at source.
    assert got == [
        ("E06000061", "2019-04-01", 458.6, "split_population_share", "E10000021", True),
        ("E06000062", "2019-04-01", 541.4, "split_population_share", "E10000021", True),
        ("E06000063", "2019-04-01", 54.82, "split_population_share", "E10000006", True),
        ("E06000064", "2019-04-01", 45.18, "split_population_share", "E10000006", True),
        ("E06000063", "2020-04-01", 60.0, "direct", "E06000063", False),
        (
            "E10000006",
            "2020-04-01",
            100.0,
            "kept_at_source: county not apportioned: a successor has its own value for the period",
            "E10000006",
            False,
        ),
    ]


def test_cumberland_rate_merge_is_population_weighted(known: Warehouse) -> None:
    got = _rows(
        known, "first-time-buyer-mortgage-sales", "area_code like 'E0600006%' or area_code like 'E07%'"
    )
    # mySociety pop-2020: Allerdale 97,831, Carlisle 108,524, Copeland 68,041 (sum 274,396).
    # (10 * 97831 + 20 * 108524 + 30 * 68041) / 274396 = 5,190,020 / 274,396 = 18.9143
    assert got == [
        (
            "E06000063",
            "2019-01-01",
            18.9143,
            "merge_population_weighted_mean",
            "E07000026;E07000028;E07000029",
            True,
        )
    ]


def test_north_yorkshire_county_is_the_unitary(known: Warehouse) -> None:
    got = _rows(known, "employment-rate", "area_code in ('E10000023', 'E06000065')")
    # 2020: county only -> recoded to the unitary. 2021: 70 under both -> one row.
    assert got == [
        ("E06000065", "2020-01-01", 71.0, "recode", "E10000023", False),
        ("E06000065", "2021-01-01", 70.0, "direct", "E06000065", False),
    ]


def test_somerset_medians_are_never_merged(known: Warehouse) -> None:
    got = _rows(known, "gross-median-weekly-pay", "true")
    assert [r[0] for r in got] == ["E07000187", "E07000188", "E07000189", "E07000246"]
    assert {r[3] for r in got} == {"kept_at_source: median cannot be re-aggregated across a merge"}
    assert not known.q("select 1 from marts.indicators_harmonised where area_code = 'E06000066'")


def test_itl_2021_vs_2025_and_pseudo_areas(known: Warehouse) -> None:
    got = _rows(
        known, "employment-rate", "(area_code like 'TL%' or area_code like 'K99%') and not is_derived"
    )
    # TLC11 (2021) = TLC31 (2025): same two LADs (Hartlepool, Stockton) -> relabelled.
    # TLD11 (West Cumbria) and TLC1 (Tees Valley & Durham) have no 2025 equivalent -> kept at source.
    assert got == [
        ("K99000004", "2021-01-01", 50.0, "kept_at_source: pseudo-area", "K99000004", False),
        (
            "TLC1",
            "2021-01-01",
            67.0,
            "kept_at_source: ITL 2021 unit with no ITL 2025 equivalent",
            "TLC1",
            False,
        ),
        ("TLC31", "2021-01-01", 65.0, "itl_renumbered", "TLC11", False),
        (
            "TLD11",
            "2021-01-01",
            66.0,
            "kept_at_source: ITL 2021 unit with no ITL 2025 equivalent",
            "TLD11",
            False,
        ),
    ]
    # North Yorkshire (one LAD) is the whole of ITL3 TLE22: derived from the LAD row, marked as derived
    assert _rows(known, "employment-rate", "area_code = 'TLE22'") == [
        ("TLE22", "2020-01-01", 71.0, "rollup_population_weighted_mean of 1 LADs", None, True),
        ("TLE22", "2021-01-01", 70.0, "rollup_population_weighted_mean of 1 LADs", None, True),
    ]


def test_small_areas_roll_up_and_custom_areas(known: Warehouse) -> None:
    # Belfast (N09000003) has far more than two SOAs, so no LAD total is derived from the two given; small areas
    # themselves are no target-vintage geography (they stay in `indicators`): nothing of the feed is harmonised.
    assert not known.q("select 1 from marts.indicators_harmonised where feed_id like 'uk-small-area%'")
    assert (
        known.q(
            "select count(*) from intermediate.int_geography_source_observations where feed_id like 'uk-small-area%'"
        )[0][0]
        > 0
    )
    got = known.q("""
        select custom_area, cast(period_start as varchar), round(value, 4), status, members_listed,
               members_matched,
               members_not_matched, unmatched_codes, members_with_value
        from marts.custom_area_indicators order by custom_area, period_start""")
    # Blackstaff pair: 2020 = 1.5 + 2.5 = 4.0 (2 of 3 listed matched; 95ZZ99S9 unknown).
    # 2019: only 95GG01S1 has a value -> incomplete, no value.
    # Bucks and Sheffield (LADs), R&D: 2019 Bucks merge 10 but Sheffield absent -> incomplete;
    # 2020: Sheffield 5 but Bucks absent -> incomplete; 2021: neither has a value, so no row.
    assert got == [
        ("Blackstaff pair", "2019-01-01", None, "incomplete", 3, 2, 1, "95ZZ99S9", 1),
        ("Blackstaff pair", "2020-01-01", 4.0, "ok", 3, 2, 1, "95ZZ99S9", 2),
        ("Bucks and Sheffield", "2019-04-01", None, "incomplete", 2, 2, 0, None, 1),
        ("Bucks and Sheffield", "2020-04-01", None, "incomplete", 2, 2, 0, None, 1),
    ]


# ----------------------------------------------------------------------------- 2. real feeds vs derived/
@pytest.fixture(scope="module")
def real(published) -> Warehouse:
    """The warehouse of the session's real `levelup run` over the mirror (every feed landed by the production
    ingest, every model built by the production dbt build), read only."""
    assert published.returncode == 0, published.stdout[-3000:] + published.stderr[-3000:]
    return Warehouse(published.data)


def test_every_dbt_test_of_the_real_build_passed(real: Warehouse) -> None:
    """The session's real build ran every data test (the singular checks in dbt_project/tests/geography among
    them) and every dbt unit test, and all passed: the production run's own record of them."""
    build = real.path.parent / "last_build"
    results = json.loads((build / "run_results.json").read_text())["results"]
    nodes = json.loads((build / "manifest.json").read_text())["nodes"]
    status = {r["unique_id"]: r["status"] for r in results}
    failed = {k: v for k, v in status.items() if k.split(".")[0] in ("test", "unit_test") and v != "pass"}
    assert not failed, failed
    singular = {k for k, n in nodes.items() if n["original_file_path"].startswith("tests/geography/")}
    assert singular and singular <= set(status), sorted(singular - set(status))
    assert sum(k.startswith("unit_test.") for k in status) >= 12


def _derived(name: str) -> str:
    path = _mirror() / "reference" / "derived" / name
    if not path.exists():
        pytest.skip(f"{path} is not in this mirror")
    return f"read_csv('{path}', all_varchar = true)"


def _disagreements(
    wh: Warehouse, model: str, derived: str, keys: dict[str, str], cols: dict[str, str]
) -> dict:
    """{derived column: [(key..., ours, theirs)]} + '_only_ours' / '_only_derived' key lists; NULL == ''."""
    on = " and ".join(f"coalesce(cast(a.{m} as varchar), '') = coalesce(b.{d}, '')" for d, m in keys.items())
    out = {
        "_only_ours": wh.q(
            f"select {', '.join('a.' + m for m in keys.values())} from {model} a "
            f"anti join {derived} b on {on}"
        ),
        "_only_derived": wh.q(
            f"select {', '.join('b.' + d for d in keys)} from {derived} b anti join {model} a on {on}"
        ),
    }
    for d, m in cols.items():
        expr = m if m.startswith("(") else f"a.{m}"
        diffs = wh.q(
            f"select {', '.join('a.' + k for k in keys.values())}, cast({expr} as varchar), b.{d} "
            f"from {model} a join {derived} b on {on} "
            f"where coalesce(cast({expr} as varchar), '') <> coalesce(b.{d}, '') order by all"
        )
        if diffs:
            out[d] = diffs
    return {k: v for k, v in out.items() if v}


def test_dimension_matches_derived_lad_hierarchy(real: Warehouse) -> None:
    cols = {
        "lad_nm": "lad_name",
        "ctyua_cd": "ctyua_code",
        "ctyua_nm": "ctyua_name",
        "cauth_cd": "cauth_code",
        "cauth_nm": "cauth_name",
        "cauth_or_gla_cd": "cauth_or_gla_code",
        "rgn_cd": "region_code",
        "rgn_nm": "region_name",
        "ctry_cd": "country_code",
        "ctry_nm": "country_name",
        "itl1_cd": "itl1_code",
        "itl1_nm": "itl1_name",
        "itl2_25_cd": "itl2_code",
        "itl2_25_nm": "itl2_name",
        "itl3_25_cd": "itl3_code",
        "itl3_25_nm": "itl3_name",
        "itl2_21_cd": "itl2_21_code",
        "itl2_21_nm": "itl2_21_name",
        "itl3_21_cd": "itl3_21_code",
        "itl3_21_nm": "itl3_21_name",
        "pfa_cd": "pfa_code",
        "pfa_nm": "pfa_name",
        "pfa_source": "pfa_source",
        "els_app_region_disagrees": "els_app_region_disagrees",
        "itl25_split": "(lower(cast(a.is_itl25_split as varchar)))",
        "itl21_split": "(lower(cast(a.is_itl21_split as varchar)))",
    }
    assert real.q("select count(*) from marts.geography") == [(361,)]
    assert (
        _disagreements(
            real, "marts.geography", _derived("lad_hierarchy_2025.csv"), {"lad_cd": "lad_code"}, cols
        )
        == {}
    )


def test_change_map_matches_derived(real: Warehouse) -> None:
    cols = {
        "old_nm": "old_name",
        "new_cd": "new_code",
        "new_nm": "new_name",
        "n_predecessors_of_new": "n_predecessors_of_new",
        "end_date_mysociety": "end_date_mysociety",
        "last_vintage_year_els": "last_vintage_year_els",
        "source": "source",
        "change_type": "(case a.change_type when 'merge' then 'many_to_one' else 'one_to_one' end)",
    }
    got = _disagreements(
        real,
        "intermediate.int_geography_lad_code_changes",
        _derived("lad_code_changes_to_2025.csv"),
        {"old_cd": "old_code"},
        cols,
    )
    # Asserted disagreement: Glasgow S12000043 -> S12000046 -> S12000049 are sequential boundary recodes
    # (the two old codes never coexisted), so we call both 'recode'; derived counts 2 predecessors and says
    # many_to_one. Derived's last_year_dfe / first_year_new_dfe come from dfeR's .rda, which is not a
    # registered feed: not compared.
    assert got == {
        "change_type": [
            ("S12000043", "one_to_one", "many_to_one"),
            ("S12000046", "one_to_one", "many_to_one"),
        ]
    }
    # the county level of the change map reproduces derived/ctyua_abolished_to_successor.csv exactly
    cols = {
        "old_nm": "old_name",
        "last_year_valid": "last_year_valid",
        "new_nm": "new_name",
        "n_member_lads": "n_member_lads",
        "member_lads_old": "member_lads_old",
        "pop_2023_successor": "pop_2023_successor",
        "weight_old_to_new": "weight_old_to_new",
        "successor_within_old": "(lower(cast(a.successor_within_old as varchar)))",
    }
    assert (
        _disagreements(
            real,
            "intermediate.int_geography_ctyua_changes",
            _derived("ctyua_abolished_to_successor.csv"),
            {"old_cd": "old_code", "new_cd": "new_code"},
            cols,
        )
        == {}
    )


def test_population_small_areas_and_aggregates_match_derived(real: Warehouse) -> None:
    assert (
        _disagreements(
            real,
            "intermediate.int_geography_lad_population",
            _derived("pop_lad25_best_available.csv"),
            {"lad_cd": "lad_code"},
            {"population": "population", "pop_year": "pop_year", "pop_source": "pop_source"},
        )
        == {}
    )
    assert (
        _disagreements(
            real,
            "intermediate.int_geography_small_areas",
            _derived("lsoa11_dz11_nisoa_to_lad25.csv"),
            {"small_area_cd": "small_area_code"},
            {"lad25_cd": "lad_code", "lad25_nm": "lad_name", "la_registry_cd": "registry_code"},
        )
        == {}
    )
    got = _disagreements(
        real,
        "intermediate.int_geography_aggregate_membership",
        _derived("ess_nonstandard_aggregates_membership.csv"),
        {"agg_cd": "agg_code", "member_lad_cd": "member_lad_code"},
        {"agg_nm": "agg_name", "member_lad_nm": "member_lad_name", "rule": "rule"},
    )
    # Asserted: ours is a superset. It adds the pre-2024 North East CAs (E47000010/11, in the ESS data but
    # not in derived) and the ITL 2021 units that do not exist in ITL 2025; every derived row is reproduced
    # exactly.
    extra = {k for (k, _) in got.pop("_only_ours")}
    assert got == {}
    assert {"E47000010", "E47000011"} <= extra
    assert all(k.startswith("TL") or k in ("E47000010", "E47000011") for k in extra)


def test_every_code_resolves_and_output_is_unique(real: Warehouse) -> None:
    routes = dict(
        real.q("select route, count(*) from intermediate.int_geography_source_crosswalk group by 1")
    )
    assert "unresolved" not in routes
    pseudo = {
        r[0]
        for r in real.q(
            "select area_code from intermediate.int_geography_source_crosswalk where route = 'pseudo'"
        )
    }
    # each listed with a reason in seed geo_pseudo_areas; the three `na:` ones are the FDI file's city-deal
    # regions published with area code `na`, kept at source under their names
    assert pseudo == {
        "K99000002", "K99000004", "TLB", "N34000001", "N34000002",
        "na:Aberdeen City Region", "na:Edinburgh and South East Scotland City Region", "na:Glasgow City Region",
    }  # fmt: skip
    assert real.q("select count(*) from intermediate.int_geography_recode_conflicts") == [(0,)]
    assert (
        real.q("""select count(*) from (select 1 from marts.indicators_harmonised
                     group by feed_id, area_code, indicator, period_start, period_end having count(*) > 1)""")
        == [(0,)]
    )
    assert real.q("select count(*) from marts.custom_area_indicators") == [(0,)]


def test_real_sheffield_dedupe_and_ni_small_area_rollup(real: Warehouse) -> None:
    # first-time-buyer-mortgage-sales carries Sheffield/Barnsley under both codes for 2013-2024 with equal
    # values:
    # the harmonised table has each period once, under the new code, and never the old code.
    got = real.q("""select area_code, count(*), count(distinct period_start) from marts.indicators_harmonised
                    where feed_id = 'first-time-buyer-mortgage-sales'
                      and area_code in ('E08000016', 'E08000019', 'E08000038', 'E08000039')
                    group by 1 order by 1""")
    assert got == [("E08000038", 12, 12), ("E08000039", 12, 12)]
    # NI GVA: 890 SOAs (as published, in `indicators`) -> 11 LADs -> Northern Ireland; the total is preserved.
    (soa,) = real.q("""select sum(value) from intermediate.int_geography_source_observations
        where feed_id = 'uk-small-area-gross-value-added-estimates-ni' and period_start = '2020-01-01'""")[0]
    lad, ctry = real.q("""
        select sum(value) filter (where area_level = 'LAD'),
               sum(value) filter (where area_code = 'N92000002')
        from marts.indicators_harmonised
        where feed_id = 'uk-small-area-gross-value-added-estimates-ni' and period_start = '2020-01-01'""")[0]
    assert round(soa, 3) == round(lad, 3) == round(ctry, 3) == 43663.71
