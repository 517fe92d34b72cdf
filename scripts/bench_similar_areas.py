"""Benchmark: the similar-areas k-means, single-threaded (as analysis.similar_areas runs it) against scikit-learn's
default OpenMP threads, side by side in one run, on a matrix the size of the marts' (361 areas x N indicators).

Usage: python scripts/bench_similar_areas.py [--areas 361] [--indicators 11] [--reps 5] [--release DIR]
    --release DIR  use a release's own standardised inputs (needs its data dir's warehouse) instead of a
                   synthetic matrix: DIR is the data directory (LEVELUP_DATA_DIR)
Prints the median seconds of each, the ratio default/single, and whether the two agree (labels, inertia).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

SEED, N_INIT, K_RANGE = 19042022, 100, (4, 5)


def matrix(args) -> np.ndarray:
    if args.release:
        import duckdb

        wh = Path(args.release) / "warehouse" / "warehouse.duckdb"
        with duckdb.connect(str(wh), read_only=True) as con:
            df = con.execute(
                "select area_code, indicator_position, standardised_value from intermediate.int_similar_areas__inputs "
                "where model = 'global' and is_included and area_role = 'cluster'"
            ).df()
        return df.pivot(
            index="area_code", columns="indicator_position", values="standardised_value"
        ).to_numpy()
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 1.5, (5, args.indicators))
    x = centres[rng.integers(0, 5, args.areas)] + rng.normal(0, 1, (args.areas, args.indicators))
    return (x - x.mean(0)) / x.std(0)


def fit_all(x: np.ndarray, single: bool) -> list[KMeans]:
    out = []
    for k in range(K_RANGE[0], K_RANGE[1] + 1):
        if single:
            with threadpool_limits(limits=1):
                out.append(KMeans(n_clusters=k, n_init=N_INIT, random_state=SEED).fit(x))
        else:
            out.append(KMeans(n_clusters=k, n_init=N_INIT, random_state=SEED).fit(x))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--areas", type=int, default=361)
    ap.add_argument("--indicators", type=int, default=11)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--release", default=None)
    args = ap.parse_args()
    x = matrix(args)
    print(
        f"matrix {x.shape[0]} x {x.shape[1]}; k {K_RANGE[0]}-{K_RANGE[1]}, n_init {N_INIT}, {args.reps} reps"
    )
    times = {"single-threaded": [], "default threads": []}
    fits = {}
    for _ in range(args.reps):  # interleaved, so both see the same machine load
        for name, single in (("single-threaded", True), ("default threads", False)):
            t = time.perf_counter()
            fits[name] = fit_all(x, single)
            times[name].append(time.perf_counter() - t)
    med = {n: statistics.median(v) for n, v in times.items()}
    for n, v in med.items():
        print(f"{n:<16} median {v:.3f} s  (runs: {', '.join(f'{t:.3f}' for t in times[n])})")
    print(f"ratio default/single-threaded: {med['default threads'] / med['single-threaded']:.1f}x")
    for a, b in zip(fits["single-threaded"], fits["default threads"], strict=True):
        same = (a.labels_ == b.labels_).all()
        print(f"k={a.n_clusters}: same labels {same}; inertia single {a.inertia_!r} default {b.inertia_!r}")


if __name__ == "__main__":
    main()
