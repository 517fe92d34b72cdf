"""Statistical disclosure control on hand-made tables: primary and secondary suppression."""

from __future__ import annotations

import pandas as pd

from restricted import sdc


def _nation_table(counts: dict[str, int], numerators: dict[str, int] | None = None) -> pd.DataFrame:
    rows = [{"area_code": "N", "parent_code": None, "unweighted_count": sum(counts.values())}]
    rows += [{"area_code": a, "parent_code": "N", "unweighted_count": n} for a, n in counts.items()]
    df = pd.DataFrame(rows)
    df["year"] = 2022
    df["share_pct"] = 10.0
    df["unweighted_numerator"] = [sum((numerators or {}).values()) or 5] + [
        (numerators or {}).get(a, 5) for a in counts
    ]
    return df


def test_primary_suppresses_cells_below_min_count_and_tiny_numerators():
    df = _nation_table({"A": 9, "B": 10, "C": 50, "D": 40}, {"A": 4, "B": 5, "C": 2, "D": 39})
    mask = sdc.primary_mask(
        df, count_col="unweighted_count", min_count=10, numerator_col="unweighted_numerator"
    )
    by_area = dict(zip(df["area_code"], mask, strict=True))
    assert by_area["A"]  # base 9 < 10
    assert not by_area["B"]  # base exactly 10 is publishable
    assert by_area["C"]  # only 2 respondents in the category
    assert by_area["D"]  # all but 1 respondent in the category (complement 1)
    assert not by_area["N"]


def test_secondary_protects_a_single_suppressed_component_with_the_smallest_other():
    # N = A + B + C + D; A is primary-suppressed; without secondary, A = N - B - C - D.
    df = _nation_table({"A": 6, "B": 30, "C": 12, "D": 80})
    rels = sdc.hierarchy_relations(df, by=["year"], code_col="area_code", parent_col="parent_code")
    assert len(rels) == 1 and len(rels[0].components) == 4
    out, stats = sdc.disclosure_control(
        df,
        relations=rels,
        count_col="unweighted_count",
        value_cols=["share_pct"],
        numerator_col="unweighted_numerator",
        min_count=10,
        min_numerator=3,
    )
    status = dict(zip(out["area_code"], out["sdc_code"], strict=True))
    assert status["A"] == "primary"
    assert status["C"] == "secondary"  # the smallest publishable component (12) is the complement
    assert pd.isna(status["B"]) and pd.isna(status["D"]) and pd.isna(status["N"])
    assert stats["primary"] == 1 and stats["secondary"] == 1
    sup = out[out["status"] == "suppressed"]
    assert sup["share_pct"].isna().all() and sup["unweighted_count"].isna().all()
    # the published cells can no longer pin down A's count: N - B - D = A + C with two unknowns
    pub = out.set_index("area_code")["unweighted_count"]
    assert pd.isna(pub["A"]) and pd.isna(pub["C"])


def test_secondary_suppresses_the_total_when_no_component_is_left():
    df = pd.DataFrame(
        {
            "area_code": ["T", "only"],
            "parent_code": [None, "T"],
            "year": [2022, 2022],
            "unweighted_count": [4, 4],
            "share_pct": [1.0, 1.0],
        }
    )
    # make the component suppressed but not the total (e.g. by a rule on the component only)
    prim = pd.Series([False, True])
    rels = sdc.hierarchy_relations(df, by=["year"], code_col="area_code", parent_col="parent_code")
    sec = sdc.secondary_mask(df, prim, rels, cost_col="unweighted_count")
    assert sec.tolist() == [True, False]


def test_secondary_propagates_across_overlapping_relations():
    # A two-way table: area x sex with margins. Cell (A, female) is primary. Suppressing a complement in the
    # area relation breaks a sex relation, which needs a further complement: the loop must settle with every
    # relation holding 0 or >= 2 suppressed cells.
    rows = []
    counts = {("A", "female"): 5, ("A", "male"): 40, ("B", "female"): 30, ("B", "male"): 35}
    for area in ("A", "B"):
        rows.append({"area": area, "sex": "all", "n": counts[(area, "female")] + counts[(area, "male")]})
        for sex in ("female", "male"):
            rows.append({"area": area, "sex": sex, "n": counts[(area, sex)]})
    for sex in ("all", "female", "male"):
        rows.append(
            {
                "area": "TOTAL",
                "sex": sex,
                "n": sum(r["n"] for r in rows if r["sex"] == sex and r["area"] != "TOTAL"),
            }
        )
    df = pd.DataFrame(rows)
    df["parent"] = df["area"].map(lambda a: None if a == "TOTAL" else "TOTAL")
    rels = sdc.hierarchy_relations(df, by=["sex"], code_col="area", parent_col="parent")
    rels += sdc.breakdown_relations(df, by=["area"], dimension_col="sex", total_label="all")
    prim = sdc.primary_mask(df, count_col="n", min_count=10)
    assert prim.sum() == 1
    sec = sdc.secondary_mask(df, prim, rels, cost_col="n")
    final = prim | sec
    assert not sdc.unsafe_relations(final, rels)
    # A/female (primary) -> A/male (area relation) and B/female (sex relation) -> B/male: a 2x2 block
    got = set(df.loc[final, ["area", "sex"]].itertuples(index=False, name=None))
    assert got == {("A", "female"), ("A", "male"), ("B", "female"), ("B", "male")}


def test_min_count_is_configurable(monkeypatch):
    monkeypatch.setenv("LEVELUP_SDC_MIN_COUNT", "25")
    assert sdc.min_count_from_env() == 25
    df = _nation_table({"A": 20, "B": 30})
    mask = sdc.primary_mask(df, count_col="unweighted_count", min_count=sdc.min_count_from_env())
    assert mask.tolist() == [False, True, False]
