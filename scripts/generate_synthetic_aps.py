"""Generate a realistic synthetic APS personal well-being file (one row per respondent) and drop it, encrypted,
into the restricted landing zone — the stand-in for a secure transfer from the ONS Secure Research Service.

Deterministic for a given seed, years and inputs. Per lower-tier LA (April 2025 codes) and survey year:
  - sample size from the 2020 population (APS-like: ~120 + 1.2 per 1,000 residents, jittered), with a few
    genuinely small samples (City of London, Isles of Scilly, the Scottish island councils);
  - respondents' age band and sex (older people over-represented, as in the APS), person weights that gross up
    to the LA's adult population with young men weighted up;
  - the four ONS4 answers (0-10 integers) from a correlated latent well-being factor (anxiety loads negatively),
    with a small age U-shape and ~1% item non-response;
  - calibration: each LA/year/question's distribution is centred (analytically, on the discretised normal) on
    the published mean of the open `personal-wellbeing-estimates` feed, then a minimal set of answers is moved
    by one point so the *weighted* mean reproduces the published mean (typically within 0.01).
Published means are on 2021/22 boundaries: a 2025 LA takes the mean of its predecessors (identity for
unchanged LAs, Sheffield's recode, the mean of the old districts for Cumberland, Westmorland and Furness,
North Yorkshire and Somerset). LAs with no published value use their nation's mean (flagged uncalibrated).

Inputs (first found): the landed version in $LEVELUP_DATA_DIR/raw/<feed>/ (typed, ingest.pipeline.landed_table), else the mirror
($LEVELUP_MIRROR) CSV. Output: $LEVELUP_DATA_DIR/landing/restricted/aps-wellbeing-<first>-<last>-s<seed>.csv.enc
encrypted with the restricted key (LEVELUP_RESTRICTED_KEY / LEVELUP_RESTRICTED_KEY_FILE).

    python scripts/generate_synthetic_aps.py [--years 2020 2021 2022] [--seed 20250401] [--areas E06000001 ...]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
from dataclasses import dataclass
from math import erf
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.registry import load_registry  # noqa: E402
from core.settings import Settings, get_settings  # noqa: E402
from ingest.pipeline import landed_table  # noqa: E402
from restricted.crypto import write_encrypted  # noqa: E402
from restricted.keys import RestrictedKey, load_key  # noqa: E402
from restricted.zone import Zone  # noqa: E402

QUESTIONS = {  # published indicator -> (column, latent SD, loading on the well-being factor)
    "Satisfaction": ("life_satisfaction", 1.9, 0.75),
    "Worthwhile": ("worthwhile", 1.8, 0.70),
    "Happiness": ("happiness", 2.3, 0.65),
    "Anxiety": ("anxiety", 3.0, -0.45),
}
AGE_BANDS = ["16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"]
AGE_SAMPLE_P = np.array([0.09, 0.13, 0.14, 0.16, 0.17, 0.17, 0.14])  # APS over-represents older people
AGE_POP_P = np.array([0.14, 0.17, 0.16, 0.16, 0.15, 0.12, 0.10])
AGE_EFFECT = np.array([0.15, 0.0, -0.15, -0.25, -0.1, 0.25, 0.15])  # U-shape in well-being by age
SMALL_SAMPLES = {"E09000001": 24, "E06000053": 13, "S12000023": 70, "S12000027": 75, "S12000013": 80}
LTLA_PREFIXES = ("E06", "E07", "E08", "E09", "W06", "S12", "N09")
NATION_OF = {"E": "E92000001", "W": "W92000004", "S": "S92000003", "N": "N92000002"}
WELLBEING_FEED = "personal-wellbeing-estimates"


@dataclass(frozen=True)
class Inputs:
    published: pd.DataFrame  # areacd, indicator, year, observation (+ geography)
    lads: pd.DataFrame  # areacd, areanm (2025)
    active: dict[str, str]  # any LAD code -> active code
    population: dict[str, float]  # 2025 code -> population (2020)


def _read(settings: Settings, feed_id: str, mirror_rel: str) -> pd.DataFrame:
    landed = landed_table(load_registry().get(feed_id), settings)
    if landed is not None:
        return landed.to_pandas()
    if settings.mirror is None:
        raise SystemExit(f"need the landed {feed_id} feed (levelup ingest {feed_id}) or LEVELUP_MIRROR")
    return pd.read_csv(settings.mirror / mirror_rel, dtype=str, keep_default_na=False, na_values=[""])


def load_inputs(settings: Settings) -> Inputs:
    pw = _read(settings, WELLBEING_FEED, f"ess/{WELLBEING_FEED}/{WELLBEING_FEED}.csv")
    pw = pw[pw["areacd"].str[:3].isin(LTLA_PREFIXES)].copy()
    pw["year"] = pw["period"].str.slice(0, 4).astype(int)
    pw["observation"] = pd.to_numeric(pw["observation"], errors="coerce")
    published = pw[["areacd", "indicator", "year", "observation"]]
    lads = _read(settings, "onsvisual-ltla25-list", "reference/raw/onsvisual_geo_scripts_ltla25_list.csv")
    lads = lads[["areacd", "areanm"]].drop_duplicates().sort_values("areacd").reset_index(drop=True)
    codes = _read(settings, "drkane-la-all-codes", "reference/raw/drkane_la_all_codes.csv")
    active = dict(zip(codes["LADCD"], codes["LADCD_ACTIVE"], strict=True))
    ms = _read(settings, "mysociety-uk-local-authorities", "reference/raw/mysociety_uk_local_authorities.csv")
    ms = ms[ms["gss-code"].notna() & ms["pop-2020"].notna()]
    population = {g: float(p) for g, p in zip(ms["gss-code"], ms["pop-2020"], strict=True)}
    return Inputs(published, lads, active, population)


def targets(inp: Inputs, years: list[int]) -> pd.DataFrame:
    """One row per (2025 LAD, year, indicator): the published mean the synthetic file must reproduce."""
    pub = inp.published[inp.published["year"].isin(years)].dropna(subset=["observation"]).copy()
    pub["lad_code"] = pub["areacd"].map(lambda c: inp.active.get(c, c))
    per = (
        pub.groupby(["lad_code", "year", "indicator"])
        .agg(target=("observation", "mean"), n_predecessors=("areacd", "nunique"))
        .reset_index()
    )
    grid = pd.MultiIndex.from_product(
        [inp.lads["areacd"], years, list(QUESTIONS)], names=["lad_code", "year", "indicator"]
    ).to_frame(index=False)
    out = grid.merge(per, how="left", on=["lad_code", "year", "indicator"])
    nat = (
        pub.assign(nation=pub["lad_code"].str[0])
        .groupby(["nation", "year", "indicator"])["observation"]
        .mean()
    )
    missing = out["target"].isna()
    out["is_calibrated"] = ~missing
    out.loc[missing, "target"] = [
        nat.get((c[0], y, i), np.nan)
        for c, y, i in out.loc[missing, ["lad_code", "year", "indicator"]].itertuples(index=False)
    ]
    out["n_predecessors"] = out["n_predecessors"].fillna(0).astype(int)
    return out


_ERF = np.vectorize(erf)


def _expected_clipped(a: np.ndarray, s: np.ndarray) -> np.ndarray:
    """E[clip(round(a + s*Z), 0, 10)] for Z ~ N(0, 1), elementwise."""
    cuts = np.arange(0.5, 10.0, 1.0)  # answer >= k  <=>  a + sZ >= k - 0.5
    z = (cuts[None, :] - a[:, None]) / s[:, None]
    return (0.5 * (1 - _ERF(z / np.sqrt(2)))).sum(axis=1)


def _solve_centres(target: np.ndarray, s: np.ndarray) -> np.ndarray:
    lo, hi = np.full_like(target, -5.0), np.full_like(target, 15.0)
    for _ in range(40):
        mid = (lo + hi) / 2
        too_high = _expected_clipped(mid, s) > target
        hi = np.where(too_high, mid, hi)
        lo = np.where(too_high, lo, mid)
    return (lo + hi) / 2


def _nudge(
    x: np.ndarray, w: np.ndarray, target: float, rng: np.random.Generator, tol: float = 0.005
) -> np.ndarray:
    """Move a minimal random set of answers by one point so the weighted mean reaches the target."""
    x = x.copy()
    ok = ~np.isnan(x)
    for _ in range(6):
        W = w[ok].sum()
        diff = target - (x[ok] * w[ok]).sum() / W
        if abs(diff) <= tol:
            break
        step = 1.0 if diff > 0 else -1.0
        movable = np.flatnonzero(ok & ((x < 10) if step > 0 else (x > 0)))
        if movable.size == 0:
            break
        order = rng.permutation(movable)
        need = abs(diff) * W
        cum = np.cumsum(w[order])
        k = int(np.searchsorted(cum, need)) + 1
        if k > 1 and abs(cum[k - 2] - need) < abs(cum[min(k, cum.size) - 1] - need):
            k -= 1
        x[order[: min(k, order.size)]] += step
    return x


def sample_sizes(inp: Inputs, years: list[int], rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for code in inp.lads["areacd"]:
        pop = inp.population.get(code, 120_000.0)
        for y in years:
            if code in SMALL_SAMPLES:
                n = SMALL_SAMPLES[code] + int(rng.integers(-3, 4))
            else:
                n = int(round((120 + 1.2 * pop / 1000) * rng.lognormal(0, 0.12)))
                n = int(np.clip(n, 90, 1800))
            rows.append((code, y, n, pop))
    return pd.DataFrame(rows, columns=["lad_code", "survey_year", "n", "population"])


def generate(
    inp: Inputs, years: list[int], seed: int, areas: list[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(respondents, targets). Deterministic for (inputs, years, seed, areas)."""
    if areas:
        inp = Inputs(
            inp.published,
            inp.lads[inp.lads["areacd"].isin(areas)].reset_index(drop=True),
            inp.active,
            inp.population,
        )
    rng = np.random.default_rng(seed)
    tg = targets(inp, years)
    sizes = sample_sizes(inp, years, rng)
    n_total = int(sizes["n"].sum())
    lad = np.repeat(sizes["lad_code"].to_numpy(), sizes["n"].to_numpy())
    year = np.repeat(sizes["survey_year"].to_numpy(), sizes["n"].to_numpy())
    age_i = rng.choice(len(AGE_BANDS), size=n_total, p=AGE_SAMPLE_P)
    female = rng.random(n_total) < 0.53
    # weights: inverse of the sampling over-/under-representation, young men up, lognormal noise, grossed to
    # the LA's adult population (80% of residents)
    w = (AGE_POP_P / AGE_SAMPLE_P)[age_i] * np.where(female, 0.94, 1.07) * rng.lognormal(0, 0.35, n_total)
    w = np.where((age_i <= 1) & ~female, w * 1.25, w)
    df = pd.DataFrame({"lad_code": lad, "survey_year": year, "w": w})
    adult = sizes.set_index(["lad_code", "survey_year"])["population"] * 0.8
    grp_sum = df.groupby(["lad_code", "survey_year"])["w"].transform("sum")
    df["person_weight"] = np.round(
        df["w"] / grp_sum * adult.reindex(pd.MultiIndex.from_arrays([lad, year])).to_numpy(), 2
    )
    factor = rng.standard_normal(n_total) + AGE_EFFECT[age_i]
    tgi = tg.set_index(["lad_code", "year", "indicator"])["target"]
    group_keys = pd.MultiIndex.from_arrays([lad, year])
    for ind, (col, s, load) in QUESTIONS.items():
        t = tgi.xs(ind, level="indicator").reindex(group_keys).to_numpy()
        # centre each group on the latent mean that gives the target under clipping/rounding, allowing for the
        # factor's mean offset in that group (age mix)
        inv = np.repeat(np.arange(len(sizes)), sizes["n"].to_numpy())
        t_g = (
            tgi.xs(ind, level="indicator")
            .reindex(pd.MultiIndex.from_arrays([sizes["lad_code"], sizes["survey_year"]]))
            .to_numpy()
        )
        sgl = np.full(len(sizes), s)
        a_g = _solve_centres(t_g, sgl)
        latent = a_g[inv] + s * (
            load * (factor - AGE_EFFECT[age_i].mean()) + np.sqrt(1 - load**2) * rng.standard_normal(n_total)
        )
        x = np.clip(np.rint(latent), 0, 10)
        x[rng.random(n_total) < 0.01] = np.nan  # item non-response
        out = np.empty(n_total)
        starts = np.r_[0, np.cumsum(sizes["n"].to_numpy())[:-1]]
        for start, n in zip(starts, sizes["n"].to_numpy(), strict=True):
            sl = slice(start, start + n)
            out[sl] = _nudge(x[sl], df["person_weight"].to_numpy()[sl], t[start], rng)
        df[col] = pd.array(np.where(np.isnan(out), None, out), dtype="Int64")
    df["age_band"] = np.array(AGE_BANDS)[age_i]
    df["sex"] = np.where(female, "female", "male")
    digest = hashlib.sha256(f"levelup-aps-{seed}".encode()).hexdigest()
    rid = [
        f"R{y}{hashlib.sha256(f'{digest}:{i}'.encode()).hexdigest()[:10].upper()}" for i, y in enumerate(year)
    ]
    df.insert(0, "respondent_id", rid)
    df = df.drop(columns="w")
    df = df[
        [
            "respondent_id",
            "lad_code",
            "age_band",
            "sex",
            "survey_year",
            "person_weight",
            *[c for c, *_ in QUESTIONS.values()],
        ]
    ]
    df = df.sample(frac=1.0, random_state=seed % (2**32)).reset_index(
        drop=True
    )  # delivery order is not by area
    return df, tg


def calibration_report(df: pd.DataFrame, tg: pd.DataFrame) -> pd.DataFrame:
    """Weighted means of the synthetic file next to the published targets, per (LAD, year, indicator)."""
    rows = []
    for ind, (col, *_) in QUESTIONS.items():
        d = df[df[col].notna()]
        m = (
            d.assign(wx=d[col].astype(float) * d["person_weight"])
            .groupby(["lad_code", "survey_year"])
            .agg(wx=("wx", "sum"), w=("person_weight", "sum"), n=(col, "size"))
        )
        m["weighted_mean"] = m["wx"] / m["w"]
        m = m.reset_index().rename(columns={"survey_year": "year"}).assign(indicator=ind)
        rows.append(m[["lad_code", "year", "indicator", "weighted_mean", "n"]])
    rep = pd.concat(rows).merge(tg, on=["lad_code", "year", "indicator"])
    rep["abs_diff"] = (rep["weighted_mean"] - rep["target"]).abs()
    return rep


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def write_delivery(
    settings: Settings, df: pd.DataFrame, years: list[int], seed: int, key: RestrictedKey
) -> Path:
    name = f"aps-wellbeing-{min(years)}-{max(years)}-s{seed}.csv.enc"
    return write_encrypted(Zone(settings).landing / name, to_csv_bytes(df), key)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--years", type=int, nargs="+", default=[2020, 2021, 2022])
    ap.add_argument("--seed", type=int, default=20250401)
    ap.add_argument("--areas", nargs="*", help="restrict to these 2025 LAD codes (tests)")
    args = ap.parse_args(argv)
    settings = get_settings()
    key = load_key()
    inp = load_inputs(settings)
    df, tg = generate(inp, args.years, args.seed, args.areas)
    path = write_delivery(settings, df, args.years, args.seed, key)
    rep = calibration_report(df, tg)
    cal = rep[rep["is_calibrated"]]
    sizes = df.groupby(["lad_code", "survey_year"]).size()
    print(
        json.dumps(
            {
                "delivery": str(path),
                "key_id": key.key_id,
                "respondents": len(df),
                "areas": int(df["lad_code"].nunique()),
                "years": args.years,
                "sample_size_per_lad_year": {
                    "min": int(sizes.min()),
                    "median": float(sizes.median()),
                    "max": int(sizes.max()),
                    "under_50": int((sizes < 50).sum()),
                },
                "calibration_abs_diff": {
                    "max": round(float(cal["abs_diff"].max()), 4),
                    "mean": round(float(cal["abs_diff"].mean()), 4),
                    "cells_over_0.1": int((cal["abs_diff"] > 0.1).sum()),
                    "cells": len(cal),
                    "uncalibrated_cells (no published mean; nation mean used)": int(
                        (~rep["is_calibrated"]).sum()
                    ),
                },
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
