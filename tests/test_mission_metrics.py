"""Mission metrics (issue 4): derived metrics on hand-made inputs with hand-computed answers, and on the real data.

The hand-made test writes tiny ESS-format CSVs into a temporary mirror, lands them through the real ingest
path, builds only the mission 2 and mission 7 models (their dbt unit tests in models/intermediate/missions/_int_missions.yml
run as part of that build too) and compares with literal answers worked out in the comments.
The real-data test (marker `mirror`) builds the three mission marts from $LEVELUP_MIRROR with their checks.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from helpers import ESS_HEADER, dbt_build

pytestmark = pytest.mark.xdist_group("mission_metrics")

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _write_ess(mirror: Path, feed: str, rows: list[dict]) -> None:
    path = mirror / "ess" / feed / f"{feed}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=ESS_HEADER)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in ESS_HEADER})


def _env(mirror: Path, data_dir: Path) -> dict:
    env = dict(os.environ)
    env.update(
        LEVELUP_MIRROR=str(mirror), LEVELUP_DATA_DIR=str(data_dir), DBT_SEND_ANONYMOUS_USAGE_STATS="false"
    )
    return env


def _ingest(env: dict, feed_ids: list[str] | None) -> None:
    select = "r.feeds" if feed_ids is None else f"[r.get(i) for i in {feed_ids!r}]"
    code = (
        "from core.registry import load_registry; from ingest.pipeline import ingest_feed; "
        f"r = load_registry(); [ingest_feed(f, raise_on_failure={feed_ids is not None}) for f in {select}]"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr[-4000:]


def _dbt_build(env: dict, tmp: Path, select: list[str]) -> None:
    dbt_build(env, tmp, select)


def _query(data_dir: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(data_dir / "warehouse" / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# ----------------------------------------------------------------------------- hand-made inputs
HLE = "Male healthy life expectancy"
# The ranked set (21 areas) spread over the two ESS labels the real file uses, in descending-value order.
HLE_SET = (
    [(f"E06{i:06d}", "County or Unitary Authority") for i in range(1, 11)]
    + [("E10000001", "County or Unitary Authority"), ("E10000002", "County or Unitary Authority")]
    + [(f"E0800000{i}", "Local Authority District") for i in (1, 2, 3)]
    + [(f"E0900000{i}", "Local Authority District") for i in (2, 3)]
    + [
        ("W06000001", "Local Authority District"),
        ("S12000001", "Local Authority District"),
        ("N09000001", "Local Authority District"),
        ("N09000002", "Local Authority District"),
    ]
)
# 2017-19: 70, 68, 68, 66, 64, 63, ..., 50, 48, 47.   2022-24: every value 1 lower, the bottom two 3 lower.
HLE_2017 = [70, 68, 68, 66] + list(range(64, 49, -1)) + [48, 47]
HLE_2022 = [69, 67, 67, 65] + list(range(63, 48, -1)) + [45, 44]


def _hle_rows() -> list[dict]:
    rows = []
    for period, values in (("2017-01-01/P3Y", HLE_2017), ("2022-01-01/P3Y", HLE_2022)):
        for (code, geo), v in zip(HLE_SET, values, strict=True):
            rows.append(
                dict(
                    areacd=code,
                    areanm=code,
                    geography=geo,
                    indicator=HLE,
                    period=period,
                    observation=v,
                    measure="Years",
                    unit="yrs",
                )
            )
        rows += [
            # outside the ranked set: a lower-tier district, a metropolitan county, the UK
            dict(
                areacd="E07000001",
                areanm="district",
                geography="Local Authority District",
                indicator=HLE,
                period=period,
                observation=89,
                measure="Years",
                unit="yrs",
            ),
            dict(
                areacd="E11000001",
                areanm="met county",
                geography="County or Unitary Authority",
                indicator=HLE,
                period=period,
                observation=30,
                measure="Years",
                unit="yrs",
            ),
            dict(
                areacd="K02000001",
                areanm="United Kingdom",
                geography="Country",
                indicator=HLE,
                period=period,
                observation=62,
                measure="Years",
                unit="yrs",
            ),
            # suppressed: no value, so not ranked
            dict(
                areacd="E06000011",
                areanm="suppressed",
                geography="County or Unitary Authority",
                indicator=HLE,
                period=period,
                observation="",
                measure="Years",
                unit="yrs",
                status="x",
            ),
        ]
    return rows


def _rd_rows(feed_indicator: str, period: str, values: dict[str, float]) -> list[dict]:
    geo = {"K": "Country", "E92": "Nation", "W": "Nation", "S": "Nation", "N": "Nation"}
    out = []
    for code, v in values.items():
        g = "Region" if code.startswith("E12") else geo["E92" if code.startswith("E92") else code[0]]
        out.append(
            dict(
                areacd=code,
                areanm=code,
                geography=g,
                indicator=feed_indicator,
                period=period,
                observation=v,
                measure="Pounds",
                unit="£ million",
            )
        )
    return out


def test_derived_metrics_on_hand_made_inputs(tmp_path: Path) -> None:
    mirror, data_dir = tmp_path / "mirror", tmp_path / "data"
    _write_ess(mirror, "healthy-life-expectancy", _hle_rows())
    regions = {f"E1200000{i}": 100 * i for i in range(1, 10)}  # NE 100 ... SW 900; GSE = 600 + 700 + 800
    public = {
        **regions,
        "W92000004": 50,
        "S92000003": 60,
        "N92000002": 40,
        "E92000001": 4500,
        "K02000001": 5100,
    }
    _write_ess(
        mirror,
        "research-and-development-public-funded",
        _rd_rows("Public-funded expenditure on research and development", "2020-04-01/P1Y", public),
    )
    business = {
        **{f"E1200000{i}": 10 for i in range(1, 10)},
        "W92000004": 10,
        "S92000003": 10,
        "N92000002": 10,
        "K02000001": 120,
    }
    _write_ess(
        mirror,
        "research-and-development-business",
        _rd_rows("Business expenditure on research and development", "2022-01-01/P1Y", business),
    )

    env = _env(mirror, data_dir)
    _ingest(
        env,
        [
            "healthy-life-expectancy",
            "research-and-development-public-funded",
            "research-and-development-business",
        ],
    )
    _dbt_build(
        env,
        tmp_path,
        [
            "registry_indicators",
            "stg_ess__healthy_life_expectancy",
            "stg_ess__research_and_development_public_funded",
            "stg_ess__research_and_development_business",
            "int_mission_07_health",
            "int_mission_07_health_gap_groups",
            "int_mission_07_health_gaps",
            "int_mission_02_research_development",
        ],
    )

    gaps = _query(
        data_dir,
        """
        select cast(period_start as varchar), value, n_areas, n_top_group, n_bottom_group, top_group_value,
               bottom_group_value
        from intermediate.int_mission_07_health_gaps order by period_start""",
    )
    # n = 21 -> k = floor(21/10) = 2 per tail.
    # 2017-19: top (70, 68) median 69; bottom (48, 47) median 47.5; gap 69 - 47.5 = 21.5.
    # 2022-24: top (69, 67) median 68; bottom (45, 44) median 44.5; gap 68 - 44.5 = 23.5.
    assert gaps == [("2017-01-01", 21.5, 21, 2, 2, 69.0, 47.5), ("2022-01-01", 23.5, 21, 2, 2, 68.0, 44.5)]

    members = _query(
        data_dir,
        """
        select group_name, list(area_code order by area_code)
        from intermediate.int_mission_07_health_gap_groups
        where period_start = '2017-01-01' and group_name <> 'middle' group by all order by 1""",
    )
    # E06000003 ties E06000002 at 68 and loses the area-code tie-break; the district (89), the metropolitan
    # county (30) and the suppressed area never enter the ranked set.
    assert members == [
        ("bottom_decile", ["N09000001", "N09000002"]),
        ("top_decile", ["E06000001", "E06000002"]),
    ]

    rd = _query(
        data_dir,
        """
        select metric_id, value, status from intermediate.int_mission_02_research_development order by metric_id""",
    )
    # Public: outside GSE = 100+200+300+400+500+900 + 50+60+40 = 2550; share = 2550 / 5100 (published UK) = 50%.
    # BERD: outside GSE = 9 areas x 10 = 90; share = 90 / 120 = 75%.
    assert rd == [
        ("m2_berd_outside_gse", 90.0, "ok"),
        ("m2_berd_outside_gse_share", 75.0, "ok"),
        ("m2_public_rd_outside_gse", 2550.0, "ok"),
        ("m2_public_rd_outside_gse_share", 50.0, "ok"),
    ]


# ----------------------------------------------------------------------------- real data
@pytest.mark.mirror
def test_mission_marts_on_real_data(tmp_path: Path) -> None:
    mirror = os.environ.get("LEVELUP_MIRROR")
    if not mirror:
        pytest.skip("LEVELUP_MIRROR is not set: the real-data mission checks need the data mirror")
    data_dir = tmp_path / "data"
    env = _env(Path(mirror), data_dir)
    _ingest(env, None)
    # builds the marts, their upstream models, the dbt unit tests and the singular checks in tests/missions
    _dbt_build(env, tmp_path, ["+mission_metrics", "+mission_gaps", "+mission_gap_groups"])

    def gap(metric_id: str, period: str) -> tuple:
        return _query(
            data_dir,
            f"""
            select round(value, 3), n_areas, n_top_group, n_bottom_group, round(change_since_baseline, 3)
            from marts.mission_gaps where metric_id = '{metric_id}' and period_start = '{period}'""",
        )[0]

    # HLE deciles over 216 areas (151 English UTLAs + 22 + 32 + 11), k = 21; baseline 2017-19.
    assert gap("m7_hle_gap_male", "2017-01-01") == (10.2, 216, 21, 21, 0.0)
    assert gap("m7_hle_gap_male", "2022-01-01") == (12.5, 216, 21, 21, 2.3)
    assert gap("m7_hle_gap_female", "2022-01-01") == (13.5, 216, 21, 21, 2.5)
    # Lowest-skilled third: 51 of 151 English UTLAs (ceil(151/3)).
    assert gap("m6_gap_fe_lowest_skilled_third_vs_rest", "2024-08-01")[1:4] == (151, 100, 51)
    # Top minus median: London GVA/hour 53.96 - 36.88 (2023); 4G ties at 100% give 0.
    assert gap("m1_gap_gva_per_hour", "2023-01-01")[0] == 17.08
    assert gap("m4_gap_4g_coverage", "2026-01-01")[0] == 0.0

    metric = dict(
        _query(
            data_dir,
            """
        select metric_id || '@' || cast(period_start as varchar), round(value, 2) from marts.mission_metrics
        where metric_id in ('m2_public_rd_outside_gse', 'm2_public_rd_outside_gse_share',
                            'm2_berd_outside_gse_share', 'm12_population_share_devolution')""",
        )
    )
    assert metric["m2_public_rd_outside_gse@2020-04-01"] == 6744.0
    assert metric["m2_public_rd_outside_gse_share@2021-04-01"] == 49.0
    assert metric["m2_berd_outside_gse_share@2024-01-01"] == 40.93
    assert metric["m12_population_share_devolution@2017-01-01"] == 43.35
    assert metric["m12_population_share_devolution@2025-01-01"] == 55.89

    restricted = _query(
        data_dir,
        """
        select count(*), count(*) filter (where status = 'not_available') from marts.mission_metrics
        where metric_id like 'm8_low_%' or metric_id like 'm8_gap_%' or metric_id = 'm8_high_anxiety'""",
    )
    assert restricted == [(8, 8)]
