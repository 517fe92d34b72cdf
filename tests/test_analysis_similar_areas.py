"""The similar-areas method on small tables written here (no mirror needed): latest period, county fill,
winsorise / impute / standardise against a hand computation, k by silhouette on the standardised data,
determinism, nesting exclusion, reporting of indicators a release does not carry, and the external table reader."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import silhouette_score

from analysis import similar_areas as sa
from analysis.config import ModelConfigError, external_spec, load_models, parse_models
from analysis.external import read_long_table, resolve_indicators

# 3 planted groups of 12 districts/unitaries each, 3 indicators; group centres far apart on indicator A and B.
CENTRES = {0: (10.0, 50.0, 5.0), 1: (30.0, 20.0, 5.5), 2: (60.0, 80.0, 4.5)}
SPREAD = (1.5, 3.0, 0.4)


def planted(seed: int = 7) -> tuple[pd.DataFrame, list[str], sa.Hierarchy]:
    rng = np.random.default_rng(seed)
    rows, areas = [], []
    for g, centre in CENTRES.items():
        for i in range(12):
            code = f"E07{g:03d}{i:03d}"
            areas.append(code)
            for ind, (c, sd) in zip(("A", "B", "C"), zip(centre, SPREAD, strict=True), strict=True):
                for year in (2020, 2021):
                    rows.append(
                        (None, ind, code, f"Area {code}", f"{year}-01-01/P1Y", c + rng.normal(0, sd), "%")
                    )
    obs = pd.DataFrame(
        rows, columns=["feed_id", "indicator", "area_code", "area_name", "period", "value", "unit"]
    )
    # county E10000001 holds the first four districts of group 0
    hierarchy = sa.Hierarchy(county_of={a: "E10000001" for a in areas[:4]}, names={"E10000001": "Shire"})
    return obs, areas, hierarchy


def spec(k=(2, 5), **kw):
    return external_spec(["A", "B", "C"], **kw).model_copy(update={"k_range": k, "n_init": 20})


def test_k_is_chosen_by_silhouette_on_the_standardised_data_and_clusters_recover_the_groups():
    obs, areas, h = planted()
    out = sa.run(obs, {"external": spec()}, cluster_areas=areas, hierarchy=h)
    fit = out["cluster_model_fit"]
    assert list(fit["k"]) == [2, 3, 4, 5]
    assert fit.loc[fit["is_chosen"], "k"].tolist() == [3] and set(fit["chosen_k"]) == {3}
    # the published silhouette is the one of the standardised matrix (computed here by hand), not of raw values
    latest = obs[obs["period"].str.startswith("2021")].pivot(
        index="area_code", columns="indicator", values="value"
    )
    clipped = latest.clip(lower=latest.quantile(0.01), upper=latest.quantile(0.99), axis=1)
    z = (clipped - clipped.mean()) / clipped.std(ddof=0)
    clusters = out["area_clusters"].set_index("area_code").loc[z.index, "cluster"]
    chosen = fit.loc[fit["is_chosen"], "silhouette"].item()
    assert chosen == pytest.approx(silhouette_score(z.to_numpy(), clusters.to_numpy()), abs=1e-12)
    assert abs(chosen - silhouette_score(latest.to_numpy(), clusters.to_numpy())) > 1e-3
    # every planted group is one cluster; clusters are numbered by their centre on the first indicator (A)
    group = pd.Series({a: int(a[3:6]) for a in areas})
    assert clusters.groupby(group.loc[clusters.index]).nunique().eq(1).all()
    assert clusters[group[group == 0].index].iloc[0] == 1 and clusters[group[group == 2].index].iloc[0] == 3
    prof = out["cluster_profiles"]
    a_medians = prof[prof["indicator"] == "A"].set_index("cluster")["median_value"]
    for g, cl in ((0, 1), (1, 2), (2, 3)):
        assert a_medians[cl] == pytest.approx(latest.loc[group[group == g].index, "A"].median())


def test_inputs_are_winsorised_imputed_and_standardised_as_computed_by_hand():
    codes = [f"E06000{i:03d}" for i in range(1, 21)]
    values = np.arange(1.0, 21.0)
    values[-1] = 1000.0  # an outlier, clipped at the 99th percentile
    rows = [(None, "X", c, c, "2022", v, None) for c, v in zip(codes, values, strict=True)]
    rows += [
        (None, "Y", c, c, "2022", float(i % 5), None) for i, c in enumerate(codes) if i != 3
    ]  # one missing
    obs = pd.DataFrame(
        rows, columns=["feed_id", "indicator", "area_code", "area_name", "period", "value", "unit"]
    )
    p = sa.prepare(obs, external_spec(["X", "Y"]), cluster_areas=codes)
    x = p.inputs[p.inputs["indicator"] == "X"].set_index("area_code")
    q01, q99 = np.percentile(values, [1, 99])  # numpy's default = linear interpolation, as pandas
    clipped = np.clip(values, q01, q99)
    np.testing.assert_allclose(x.loc[codes, "winsorised_value"], clipped)
    np.testing.assert_allclose(x.loc[codes, "standardised_value"], (clipped - clipped.mean()) / clipped.std())
    y = p.inputs[p.inputs["indicator"] == "Y"].set_index("area_code")
    observed = np.array([float(i % 5) for i in range(20) if i != 3])
    ylo, yhi = np.percentile(observed, [1, 99])
    median = np.median(np.clip(observed, ylo, yhi))
    assert y.loc[codes[3], "value_source"] == "imputed_median"
    assert np.isnan(y.loc[codes[3], "raw_value"])
    assert y.loc[codes[3], "winsorised_value"] == pytest.approx(median)
    rep = p.indicators.set_index("indicator")
    assert rep.loc["Y", "areas_imputed"] == 1 and rep.loc["Y", "areas_published"] == 19
    assert rep.loc["X", "winsor_upper"] == pytest.approx(q99)


def test_latest_period_with_enough_coverage_and_county_fill():
    obs, areas, h = planted()
    # 2022 is published for only 3 areas: below the 50% coverage, so 2021 stays the period used
    extra = [(None, "A", a, a, "2022-01-01/P1Y", 99.0, "%") for a in areas[:3]]
    # indicator D is published for the county only, plus the unitaries of groups 1-2: districts take the county's
    d = [(None, "D", "E10000001", "Shire", "2021-01-01/P1Y", 7.0, "%")]
    d += [(None, "D", a, a, "2021-01-01/P1Y", float(i), "%") for i, a in enumerate(areas[12:])]
    obs = pd.concat([obs, pd.DataFrame(extra + d, columns=obs.columns)], ignore_index=True)
    s = external_spec(["A", "B", "C", "D"], include_counties=True)
    p = sa.prepare(obs, s, cluster_areas=areas, county_areas=["E10000001"], hierarchy=h)
    rep = p.indicators.set_index("indicator")
    assert rep.loc["A", "periods"] == "2021-01-01/P1Y"
    assert rep.loc["D", "areas_from_county"] == 4 and rep.loc["D", "areas_published"] == 24
    d_in = p.inputs[p.inputs["indicator"] == "D"].set_index("area_code")
    assert (d_in.loc[areas[:4], "raw_value"] == 7.0).all()
    assert (d_in.loc[areas[:4], "value_source"] == "from_county").all()
    assert d_in.loc["E10000001", "area_role"] == "county"
    # without the fill, the four districts are imputed instead
    p2 = sa.prepare(obs, s.model_copy(update={"fill_from_county": False}), cluster_areas=areas, hierarchy=h)
    assert p2.indicators.set_index("indicator").loc["D", "areas_imputed"] == 12  # group 0 has no D at all


def test_same_inputs_same_clusters_whatever_the_row_order():
    obs, areas, h = planted()
    s = {"external": spec(k=(3, 4))}
    a = sa.run(obs, s, cluster_areas=areas, hierarchy=h)
    b = sa.run(obs.sample(frac=1.0, random_state=3), s, cluster_areas=list(reversed(areas)), hierarchy=h)
    for table in sa.TABLES:
        pd.testing.assert_frame_equal(a[table], b[table], check_exact=True)


def test_nearest_neighbours_never_list_a_county_with_its_own_districts():
    obs, areas, h = planted()
    # the county's values are those of its first district, so it is that district's nearest area by far
    first = obs[obs["area_code"] == areas[0]].assign(area_code="E10000001", area_name="Shire")
    obs = pd.concat([obs, first], ignore_index=True)
    # a second county, nesting nothing in this table, with the same values: it may be listed
    other = first.assign(area_code="E10000099", area_name="Other shire")
    obs = pd.concat([obs, other], ignore_index=True)
    s = spec(k=(3, 3), include_counties=True).model_copy(update={"n_neighbours": 10})
    out = sa.run(
        obs, {"external": s}, cluster_areas=areas, county_areas=["E10000001", "E10000099"], hierarchy=h
    )
    nn = out["similar_areas"]
    pairs = set(zip(nn["area_code"], nn["neighbour_code"], strict=True))
    for district in areas[:4]:
        assert (district, "E10000001") not in pairs
        assert ("E10000001", district) not in pairs
    assert (areas[0], "E10000099") in pairs  # distance 0, not nested: rank 1
    assert nn[(nn["area_code"] == areas[0])].iloc[0]["neighbour_code"] == "E10000099"
    # the county gets a full list of its own, of areas outside it
    county = nn[nn["area_code"] == "E10000001"]
    assert list(county["rank"]) == list(range(1, 11))
    assert not set(county["neighbour_code"]) & set(areas[:4])
    assert county["distance"].is_monotonic_increasing
    # counties are not clustered
    assert not out["area_clusters"]["area_code"].str.startswith("E10").any()


def test_indicators_the_release_does_not_carry_are_skipped_and_reported():
    obs, areas, h = planted()
    models = parse_models(
        """
version: 1
defaults: {k_range: [3, 3], n_init: 10}
models:
  m:
    indicators:
      - {name: A, sources: [{indicator: A}]}
      - {name: Missing, sources: [{feed: some-feed, indicator: Not here}]}
      - {name: Unpublished, sources: [], note: not an ESS indicator}
      - {name: B, sources: [{indicator: B}]}
  tiny:
    indicators:
      - {name: A, sources: [{indicator: A}]}
"""
    )
    out = sa.run(obs, models, cluster_areas=areas, hierarchy=h)
    rep = out["cluster_model_indicators"].set_index(["model", "indicator"])
    assert rep.loc[("m", "Missing"), "status"] == "not_in_release"
    assert "some-feed: Not here" in rep.loc[("m", "Missing"), "reason"]
    assert rep.loc[("m", "Unpublished"), "status"] == "no_source"
    fit = out["cluster_model_fit"].set_index("model")
    assert fit.loc["m", "indicators_used"] == "A; B"
    assert fit.loc["m", "indicators_skipped"] == "Missing (not_in_release); Unpublished (no_source)"
    assert fit.loc["tiny", "status"] == "not_fitted" and "at least 2" in fit.loc["tiny", "reason"]
    assert set(out["area_clusters"]["model"]) == {"m"}


def test_models_yml_is_valid_and_lists_the_ons_global_model():
    models = load_models()
    assert {"global", "economic"} <= set(models)
    g = models["global"]
    assert (g.k_min, g.k_max, g.seed, g.n_init, g.n_neighbours) == (4, 5, 19042022, 100, 20)
    assert g.winsorise == (0.01, 0.99)
    assert len(g.indicators) == 31  # ONS's custom_metrics_to_run, as published
    with pytest.raises(ModelConfigError, match="model 'bad': field 'k_range'"):
        parse_models("version: 1\nmodels:\n  bad:\n    k_range: [5, 4]\n    indicators: [{name: A}]\n")


def test_external_table_reader_and_indicator_names_with_commas(tmp_path):
    path = tmp_path / "ons.csv"
    path.write_text(
        ",AREACD,AREANM,Indicator,Period,Measure,Unit,Value\n"
        '0,E06000001,Hartlepool,"Pupils meeting the expected standard in reading, writing and maths",'
        "2023-09-01T00:00:00/P1Y,Percentage,%,55.5\n"
        "1,E06000001,Hartlepool,Employment rate,2023,Percentage,%,\n"
        "2,E12000001,North East,Employment rate,2023-01-01/P1Y,Percentage,%,70.1\n",
        encoding="utf-8",
    )
    df = read_long_table(path)
    assert df["period_start"].dt.year.tolist() == [2023, 2023, 2023]
    assert df["value"].isna().tolist() == [False, True, False]
    labels = df["indicator"].unique().tolist()
    got = resolve_indicators(
        "Employment rate,Pupils meeting the expected standard in reading, writing and maths", labels
    )
    assert got == ["Employment rate", "Pupils meeting the expected standard in reading, writing and maths"]
    with pytest.raises(sa.SimilarAreasError, match="'Nope' is not in the table"):
        resolve_indicators("Employment rate,Nope", labels)
    (tmp_path / "bad.csv").write_text("areacd,value\nE06000001,1\n", encoding="utf-8")
    with pytest.raises(
        sa.SimilarAreasError, match=r"missing column\(s\) \['AREANM', 'Indicator', 'Period'\]"
    ):
        read_long_table(tmp_path / "bad.csv")
    assert sa.lower_tier(["E06000001", "E12000001", "E10000002", "S12000033", "N09000001"]) == [
        "E06000001", "N09000001", "S12000033",
    ]  # fmt: skip


def test_data_that_cannot_be_clustered_is_reported_never_raised():
    """The marts are built by dbt: a model the data cannot support must give `not_fitted` rows, never fail the
    build (a failing dbt model would stop the whole release)."""
    obs, areas, h = planted()
    few = obs[obs["area_code"].isin(areas[:4])]
    out = sa.run(few, {"external": spec(k=(4, 5))}, cluster_areas=areas[:4], hierarchy=h)
    fit = out["cluster_model_fit"]
    assert fit["status"].tolist() == ["not_fitted"] and "k up to 5 needs more" in fit["reason"].item()
    assert out["area_clusters"].empty and out["cluster_profiles"].empty
    nothing = sa.run(obs.iloc[0:0], {"external": spec()}, cluster_areas=[], hierarchy=h)
    assert nothing["cluster_model_fit"]["status"].tolist() == ["not_fitted"]
    assert set(nothing["cluster_model_indicators"]["status"]) == {"not_in_release"}


def test_dbt_child_processes_import_this_checkouts_analysis_package(monkeypatch):
    """dbt's Python models import `analysis`: the child environment puts this checkout on PYTHONPATH, whatever
    the installed copy of the platform maps (an editable install made before `analysis` existed maps none)."""
    import subprocess
    import sys
    from pathlib import Path

    from core.settings import PROJECT_ROOT, child_environment

    monkeypatch.delenv("PYTHONPATH", raising=False)
    env = child_environment()
    res = subprocess.run(
        [sys.executable, "-c", "import analysis.marts as m; print(m.__file__)"],
        cwd=PROJECT_ROOT / "dbt_project",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert Path(res.stdout.strip()).is_relative_to(PROJECT_ROOT)
