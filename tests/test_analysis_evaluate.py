"""`levelup evaluate` end to end on a small release written here (marts.duckdb with the tables it reads), with a
known effect injected: the donor pool comes from similar_areas (custom areas: their authorities' similar areas,
never the authorities themselves or a county nesting with them), the folder holds Parquet, SVG charts, a summary
and an HTML page, and the effect is recovered. No mirror needed."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import duckdb
import numpy as np
import pandas as pd
import pytest
from test_analysis_synthetic_control import DONORS, scenario
from typer.testing import CliRunner

from orchestration.cli.main import app

TREATED = "E06000099"
DISTRICTS = [f"E07000{j:03d}" for j in range(1, 21)]  # the 20 donors, as districts
MEMBERS = ["E07000901", "E07000902"]  # a custom area of two districts of county E10000009
COUNTY = "E10000009"
FEED, RATE_FEED = "synthetic-feed", "synthetic-rate"


def _release(data, panel: pd.DataFrame, custom: pd.Series) -> None:
    rel = data / "releases" / "20260101T000000000Z"
    rel.mkdir(parents=True)
    (rel / "manifest.json").write_text(json.dumps({"release_id": rel.name, "marts": {}}))
    (data / "releases" / "current").symlink_to(rel.name)
    codes = {d: c for d, c in zip(DONORS, DISTRICTS, strict=True)} | {"TREATED": TREATED}
    geo = pd.DataFrame(
        [(c, f"Area {c}", "E10000001" if c in DISTRICTS[:3] else c, "Shire") for c in [*DISTRICTS, TREATED]]
        + [(m, f"Member {m}", COUNTY, "Member shire") for m in MEMBERS],
        columns=["lad_code", "lad_name", "ctyua_code", "ctyua_name"],
    )
    similar = [("global", TREATED, r, c, f"Area {c}", 0.1 * r) for r, c in enumerate(DISTRICTS, start=1)]
    # each member's list starts with the other member and the county: never donors to the custom area
    for m in MEMBERS:
        others = [x for x in MEMBERS if x != m] + [COUNTY, *DISTRICTS]
        similar += [("global", m, r, c, c, 0.05 * r) for r, c in enumerate(others[:20], start=1)]
    obs = []
    for col, code in codes.items():
        for period, v in panel[col].items():
            obs.append(
                (FEED, "Synthetic count", code, f"Area {code}", period.date(), "P1Y", v, "people", "count")
            )
            obs.append(
                (RATE_FEED, "Synthetic rate", code, f"Area {code}", period.date(), "P1Y", v, "%", "rate")
            )
    # members' own series: halves of the donors' average (so the area is about one district in size)
    for i, m in enumerate(MEMBERS):
        for period, v in (panel[DONORS].mean(axis=1) * (0.5 + 0.1 * i)).items():
            obs.append((FEED, "Synthetic count", m, m, period.date(), "P1Y", v, "people", "count"))
    harmonised = pd.DataFrame(
        obs,
        columns=[
            "feed_id", "indicator", "area_code", "area_name", "period_start", "period_duration", "value", "unit",
            "measure_type",
        ],
    ).assign(is_target_vintage=True)  # fmt: skip
    cai = pd.DataFrame(
        {
            "custom_area": "Twin towns",
            "feed_id": FEED,
            "indicator": "Synthetic count",
            "period_start": [p.date() for p in custom.index],
            "period_duration": "P1Y",
            "value": custom.to_numpy(),
            "unit": "people",
            "measure_type": "count",
            "status": "ok",
        }
    )
    lads = pd.DataFrame({"custom_area": "Twin towns", "lad_code": MEMBERS})
    sim = pd.DataFrame(
        similar, columns=["model", "area_code", "rank", "neighbour_code", "neighbour_name", "distance"]
    )
    with duckdb.connect(str(rel / "marts.duckdb")) as con:
        con.execute("create table release_info as select ? as release_id", [rel.name])
        for name, df in {
            "geography": geo,
            "similar_areas": sim,
            "indicators_harmonised": harmonised,
            "custom_area_indicators": cai,
            "custom_area_lads": lads,
        }.items():
            con.register("df", df)
            con.execute(f"create table {name} as select * from df")
            con.unregister("df")


@pytest.fixture
def release(tmp_path, monkeypatch):
    data = tmp_path / "data"
    panel, start = scenario(2, 5.0)
    # the custom area: members' sum plus a two-member-sized copy of the treated unit's effect, in levels
    custom = panel["TREATED"] * 2.0
    _release(data, panel, custom)
    monkeypatch.setenv("LEVELUP_DATA_DIR", str(data))
    return data, panel, start


def test_evaluate_an_area_against_its_similar_areas(release, tmp_path):
    data, panel, start = release
    out = tmp_path / "eval"
    res = CliRunner().invoke(
        app,
        ["evaluate", "--treated", TREATED, "--indicator", FEED, "--from", str(start.year), "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert abs(summary["effect_mean_post_gap"] - 5.0) <= 0.5
    assert summary["p_value"] == pytest.approx(1 / 21) and summary["placebo_rank"] == 1
    assert summary["donor_pool"] == DISTRICTS
    weights = pd.read_parquet(out / "weights.parquet")
    assert weights["weight"].sum() == pytest.approx(1.0) and (weights["weight"] >= 0).all()
    series = pd.read_parquet(out / "series.parquet").set_index("period_start")
    donors = panel[DONORS].set_axis(DISTRICTS, axis=1)
    w = weights.set_index("donor_code")["weight"]
    np.testing.assert_allclose(series["synthetic_value"], donors[w.index].to_numpy() @ w.to_numpy())
    placebos = pd.read_parquet(out / "placebos.parquet")
    assert len(placebos) == 21 and placebos.loc[placebos["is_treated"], "rank"].item() == 1
    for svg in ("chart.svg", "placebo_gaps.svg"):
        assert ET.parse(out / svg).getroot().tag.endswith("svg")
    page = (out / "index.html").read_text()
    assert "<svg" in page and "p = 0.048" in page and "http" not in page.replace("http://www.w3.org", "")
    # --exclude keeps an area treated too out of the pool
    res = CliRunner().invoke(
        app,
        ["evaluate", "--treated", TREATED, "--indicator", FEED, "--from", "2020", "--out", str(out),
         "--exclude", f"{DISTRICTS[0]},{DISTRICTS[3]}"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert DISTRICTS[0] not in summary["donor_pool"] and len(summary["donor_pool"]) == 18
    assert summary["donors_excluded"] == [DISTRICTS[0], DISTRICTS[3]]


def test_evaluate_a_custom_area_on_an_additive_indicator(release, tmp_path):
    data, panel, start = release
    out = tmp_path / "custom"
    args = ["evaluate", "--treated", "Twin towns", "--from", "2020", "--out", str(out), "--indicator"]
    res = CliRunner().invoke(app, [*args, FEED])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["treated"]["kind"] == "custom_area"
    assert "index scale" in summary["method"]
    pool = summary["donor_pool"]
    assert not set(pool) & {*MEMBERS, COUNTY}
    # the members' similar areas (20 each, two of them the other member and the county), nearest first
    assert pool == DISTRICTS[:18]
    # the custom area is twice the treated unit: the effect comes back in levels, twice the injected one
    assert abs(summary["effect_mean_post_gap"] - 10.0) <= 1.5
    assert summary["placebo_rank"] == 1
    # a rate is not additive: refused, naming what qualifies
    res = CliRunner().invoke(app, [*args, RATE_FEED])
    assert res.exit_code == 2
    assert "not additive" in res.output and f"{FEED}:Synthetic count" in res.output


def test_evaluate_errors_name_what_to_fix(release, tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["evaluate", "--treated", TREATED, "--indicator", "nope", "--from", "2020"])
    assert res.exit_code == 2 and "indicator 'nope' is not in the release" in res.output
    res = runner.invoke(app, ["evaluate", "--treated", TREATED, "--indicator", FEED, "--from", "2001"])
    assert res.exit_code == 2 and "pre-period" in res.output
    res = runner.invoke(app, ["evaluate", "--treated", "E06000001", "--indicator", FEED, "--from", "2020"])
    assert res.exit_code == 2 and "has no similar areas in model 'global'" in res.output
    res = runner.invoke(app, ["evaluate", "--treated", TREATED, "--indicator", FEED, "--from", "20x"])
    assert res.exit_code == 2 and "is not a year" in res.output
