"""Synthetic control on synthetic panels with a known injected effect (no mirror needed).

Every scenario: 20 donors driven by two common factors plus noise; the treated unit is a known convex combination
of three donors plus its own noise, and from period 20 of 30 gets `effect` added. Stated tolerance: the estimated
effect (mean post-period gap) is within 10% of the injected effect in each of 5 seeds; the treated unit then ranks
first among the 21 units (p = 1/21). With no effect, the test is not significant: p > 0.10 in at least 9 of 10
seeds (a 10%-level test rejects about 1 in 10 by construction).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.synthetic_control import SyntheticControlError, donor_weights, estimate

J, T, T0, NOISE = 20, 30, 20, 0.2
SEEDS = range(10)
DONORS = [f"D{j:02d}" for j in range(J)]
TRUE_WEIGHTS = {"D00": 0.5, "D03": 0.3, "D07": 0.2}


def scenario(seed: int, effect: float, *, aggregate: bool = False) -> tuple[pd.DataFrame, pd.Timestamp]:
    rng = np.random.default_rng(seed)
    f = np.cumsum(rng.normal(0.5, 1.0, T))
    g = np.sin(np.arange(T) / 2)
    a, b, c = rng.uniform(20, 40, J), rng.uniform(0.5, 1.5, J), rng.uniform(-2, 2, J)
    y = a + np.outer(f, b) + np.outer(g, c) + rng.normal(0, NOISE, (T, J))
    w = np.array([TRUE_WEIGHTS.get(d, 0.0) for d in DONORS])
    treated = y @ w + rng.normal(0, NOISE, T)
    treated[T0:] += effect
    if aggregate:  # a custom area: the sum of about four districts, far outside the donors' range of levels
        treated = treated * 4.0
    idx = pd.date_range("2000-01-01", periods=T, freq="YS")
    panel = pd.DataFrame(y, index=idx, columns=DONORS)
    panel["TREATED"] = treated
    return panel, idx[T0]


def test_donor_weights_are_non_negative_and_sum_to_one_and_recover_an_exact_combination():
    rng = np.random.default_rng(1)
    x = rng.normal(10, 3, (25, 8))
    true = np.array([0.0, 0.6, 0.0, 0.0, 0.4, 0.0, 0.0, 0.0])
    w = donor_weights(x @ true, x)
    assert (w >= 0).all()
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(w, true, atol=1e-4)


@pytest.mark.parametrize("seed", range(5))
def test_recovers_a_known_effect_within_ten_percent(seed):
    effect = 5.0
    panel, start = scenario(seed, effect)
    r = estimate(panel, "TREATED", DONORS, start)
    assert abs(r.treated.effect - effect) <= 0.10 * effect, r.treated.effect
    assert r.treated.weights.sum() == pytest.approx(1.0, abs=1e-9)
    assert (r.treated.weights >= 0).all()
    # the pre-period fit is at the noise level; the post-period gap is the effect
    assert r.treated.pre_rmspe < 3 * NOISE
    assert r.rank == 1 and r.p_value == pytest.approx(1 / (J + 1))
    # the counterfactual is the weighted donors, in every period
    np.testing.assert_allclose(
        r.treated.series["synthetic"], panel[DONORS].to_numpy() @ r.treated.weights[DONORS].to_numpy()
    )
    assert len(r.placebos) == J


def test_no_effect_is_not_significant():
    p_values, effects = [], []
    for seed in SEEDS:
        panel, start = scenario(seed, 0.0)
        r = estimate(panel, "TREATED", DONORS, start)
        p_values.append(r.p_value)
        effects.append(r.treated.effect)
    assert sum(p <= 0.10 for p in p_values) <= 1, p_values
    assert max(abs(e) for e in effects) < 0.5, effects


def test_index_scale_evaluates_an_aggregate_outside_the_donors_range():
    """A sum of districts cannot be a convex combination of single districts in levels; on the index scale it
    can, and the effect comes back in levels (4 x the per-district effect)."""
    panel, start = scenario(3, 5.0, aggregate=True)
    level = estimate(panel, "TREATED", DONORS, start, scale="level", placebos=False)
    index = estimate(panel, "TREATED", DONORS, start, scale="index")
    assert level.treated.pre_rmspe > 10 * index.treated.pre_rmspe
    assert abs(index.treated.effect - 20.0) <= 0.15 * 20.0, index.treated.effect
    assert index.rank == 1


def test_incomplete_donors_are_dropped_with_the_reason_and_short_panels_are_refused():
    panel, start = scenario(0, 5.0)
    panel.loc[panel.index[4], "D05"] = np.nan
    r = estimate(panel, "TREATED", [*DONORS, "NOPE"], start)
    assert set(r.dropped_donors) == {"D05", "NOPE"}
    assert "2004-01-01" in r.dropped_donors["D05"]
    assert "D05" not in r.treated.weights.index
    with pytest.raises(SyntheticControlError, match="pre-period"):
        estimate(panel, "TREATED", DONORS, panel.index[1])
    with pytest.raises(SyntheticControlError, match="donor"):
        estimate(panel, "TREATED", ["D01"], start)
