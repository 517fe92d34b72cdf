"""Synthetic control for one treated area: donor weights, counterfactual, gap, RMSPE and in-space placebos.

Belongs here: the estimator as pure functions on a panel (rows = periods in order, columns = units), used by
`levelup evaluate`. The weights are non-negative and sum to 1 (scipy's SLSQP on the pre-period squared error);
the counterfactual is the weighted donors over every period; the gap is treated minus counterfactual. Each donor
is taken in turn as if treated (with the other donors as its pool) and the treated unit's post/pre RMSPE ratio
is ranked among all of them: the rank over the number of units is the permutation p-value.

Two scales: `level` fits the series as published; `index` first divides every unit's series by its own
pre-period mean (so a custom area summing several districts can be matched by single districts), and the
counterfactual is brought back to levels with the treated unit's pre-period mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.optimize import minimize

Scale = Literal["level", "index"]
MIN_PRE_PERIODS = 2
MIN_DONORS = 2


class SyntheticControlError(ValueError):
    """The panel cannot support the estimate as asked; the message says what is missing."""


@dataclass
class Fit:
    unit: str
    weights: pd.Series  # donor -> weight (sums to 1)
    series: pd.DataFrame  # index period: treated, synthetic, gap, is_post
    pre_rmspe: float
    post_rmspe: float

    @property
    def ratio(self) -> float:
        return self.post_rmspe / self.pre_rmspe if self.pre_rmspe > 0 else float("inf")

    @property
    def effect(self) -> float:
        """Mean post-period gap (treated minus synthetic), in the units of the series."""
        return float(self.series.loc[self.series["is_post"], "gap"].mean())


@dataclass
class Result:
    treated: Fit
    placebos: list[Fit]
    dropped_donors: dict[str, str]
    scale: Scale

    @property
    def units(self) -> list[Fit]:
        return [self.treated, *self.placebos]

    @property
    def rank(self) -> int:
        """1 = the treated unit has the largest post/pre RMSPE ratio of all units."""
        return 1 + sum(1 for p in self.placebos if p.ratio > self.treated.ratio)

    @property
    def p_value(self) -> float:
        """Share of units (treated included) whose post/pre RMSPE ratio is at least the treated unit's."""
        return (1 + sum(1 for p in self.placebos if p.ratio >= self.treated.ratio)) / len(self.units)

    def placebo_table(self) -> pd.DataFrame:
        rows = [
            {
                "unit": f.unit,
                "is_treated": f is self.treated,
                "pre_rmspe": f.pre_rmspe,
                "post_rmspe": f.post_rmspe,
                "rmspe_ratio": f.ratio,
                "effect": f.effect,
            }
            for f in self.units
        ]
        out = pd.DataFrame(rows).sort_values("rmspe_ratio", ascending=False, kind="stable")
        out["rank"] = np.arange(1, len(out) + 1)
        return out.reset_index(drop=True)


def donor_weights(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """argmin_w ||y - x w||^2 subject to w >= 0, sum(w) = 1. y: (T,), x: (T, J)."""
    j = x.shape[1]
    scale = float(np.abs(y).mean()) or 1.0
    ys, xs = y / scale, x / scale

    def loss(w):
        r = ys - xs @ w
        return float(r @ r)

    def grad(w):
        return -2.0 * xs.T @ (ys - xs @ w)

    res = minimize(
        loss,
        np.full(j, 1.0 / j),
        jac=grad,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * j,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones_like(w)}],
        options={"ftol": 1e-12, "maxiter": 1000},
    )
    if not res.success:
        raise SyntheticControlError(f"donor weights did not converge: {res.message}")
    w = np.clip(res.x, 0.0, None)
    return w / w.sum()


def _rmspe(gap: pd.Series) -> float:
    return float(np.sqrt(np.mean(np.square(gap.to_numpy(float))))) if len(gap) else float("nan")


def fit_unit(panel: pd.DataFrame, unit: str, donors: list[str], is_post: pd.Series, scale: Scale) -> Fit:
    pre = ~is_post
    y = panel[unit]
    x = panel[donors]
    if scale == "index":
        base = panel.loc[pre].mean()
        if (base[[unit, *donors]] == 0).any():
            raise SyntheticControlError("index scale needs a non-zero pre-period mean for every unit")
        y, x = y / base[unit], x / base[donors]
    w = donor_weights(y[pre].to_numpy(float), x[pre].to_numpy(float))
    synthetic = x.to_numpy(float) @ w
    if scale == "index":
        synthetic = synthetic * float(panel.loc[pre, unit].mean())
    series = pd.DataFrame({"treated": panel[unit], "synthetic": synthetic}, index=panel.index)
    series["gap"] = series["treated"] - series["synthetic"]
    series["is_post"] = is_post.to_numpy()
    return Fit(
        unit=unit,
        weights=pd.Series(w, index=donors),
        series=series,
        pre_rmspe=_rmspe(series.loc[pre, "gap"]),
        post_rmspe=_rmspe(series.loc[is_post, "gap"]),
    )


def estimate(
    panel: pd.DataFrame,
    treated: str,
    donors: list[str],
    treatment_start,
    *,
    scale: Scale = "level",
    placebos: bool = True,
) -> Result:
    """Synthetic control for `treated` against `donors` on `panel` (index: period start dates, sorted; one
    column per unit). Periods where the treated unit has no value are dropped; a donor without a value in every
    remaining period is dropped (and reported). Needs 2+ pre-periods, 1+ post-period and 2+ donors."""
    if treated not in panel:
        raise SyntheticControlError(f"the treated unit {treated!r} has no series")
    panel = panel.sort_index()
    panel = panel[panel[treated].notna()]
    dropped = {d: "no series for this indicator" for d in donors if d not in panel}
    donors = [d for d in donors if d in panel and d != treated]
    for d in list(donors):
        if panel[d].isna().any():
            missing = [str(p.date()) if hasattr(p, "date") else str(p) for p in panel.index[panel[d].isna()]]
            dropped[d] = f"no value in {', '.join(missing[:4])}{'…' if len(missing) > 4 else ''}"
            donors.remove(d)
    is_post = pd.Series(panel.index >= pd.Timestamp(treatment_start), index=panel.index)
    n_pre, n_post = int((~is_post).sum()), int(is_post.sum())
    if n_pre < MIN_PRE_PERIODS or n_post < 1:
        raise SyntheticControlError(
            f"{treated}: {n_pre} pre-period(s) and {n_post} post-period(s) with a value; need at least "
            f"{MIN_PRE_PERIODS} before {treatment_start} and 1 from it (choose another --from or indicator)"
        )
    if len(donors) < MIN_DONORS:
        shown = "; ".join(f"{d}: {why}" for d, why in list(dropped.items())[:5])
        raise SyntheticControlError(
            f"{treated}: {len(donors)} donor(s) with a complete series; need at least {MIN_DONORS} "
            f"({len(dropped)} dropped: {shown}{'; …' if len(dropped) > 5 else ''}); name donors with --donors"
        )
    main = fit_unit(panel, treated, donors, is_post, scale)
    runs = []
    if placebos:
        for d in donors:
            others = [o for o in donors if o != d]
            if len(others) >= MIN_DONORS - 1:
                runs.append(fit_unit(panel, d, others, is_post, scale))
    return Result(treated=main, placebos=runs, dropped_donors=dropped, scale=scale)
