"""Similar areas, ONS method: k-means clusters and statistical nearest neighbours of local authorities.

Belongs here: the method, as pure functions on DataFrames, shared by the dbt marts (models/marts/analysis/) and by
`levelup similar-areas` on an external table, so both give the same answer on the same inputs:

    prepare(obs, spec, ...)        one value per area per indicator (the latest period), county fill, area
                                   coverage, winsorise at the configured percentiles, impute the median, standardise
    fit_kmeans(inputs, spec)       k-means (scikit-learn, fixed seed, n_init) for every k in the range, with the
                                   silhouette on the standardised data the model was fitted on
    area_clusters / cluster_model_fit / cluster_profiles / similar_areas   the published tables
    run(obs, specs, ...)           all of the above, for the CLI and tests

`obs` is a long table of observations: feed_id (None for an external table), indicator, area_code, area_name,
period (label), period_start (date), value, and optionally unit. The method and what it does differently from
the ONS code are in docs/similar-areas.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from analysis.config import ModelIndicator, ModelSpec, Source

# Lower-tier local authorities: unitaries (E06), non-metropolitan districts (E07), metropolitan districts (E08),
# London boroughs (E09), Welsh principal areas (W06), Scottish council areas (S12), NI districts (N09).
LOWER_TIER_PREFIXES = ("E06", "E07", "E08", "E09", "W06", "S12", "N09")
COUNTY_PREFIX = "E10"
OBS_COLUMNS = ["feed_id", "indicator", "area_code", "area_name", "period", "period_start", "value", "unit"]
MIN_INDICATORS = 2

INPUT_COLUMNS = [
    "model", "area_code", "area_name", "area_role", "is_included", "indicator_position", "indicator", "unit",
    "period", "raw_value", "value_source", "winsorised_value", "standardised_value",
]  # fmt: skip
KMEANS_COLUMNS = [
    "model", "k", "area_code", "cluster", "distance_to_centroid", "silhouette", "inertia", "is_chosen",
]  # fmt: skip
KMEANS_DTYPES = {
    "model": "object", "k": "int64", "area_code": "object", "cluster": "int64", "distance_to_centroid": "float64",
    "silhouette": "float64", "inertia": "float64", "is_chosen": "bool",
}  # fmt: skip


def empty_kmeans() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in KMEANS_DTYPES.items()})


class SimilarAreasError(ValueError):
    """The inputs cannot be used as given; the message says what to change."""


@dataclass(frozen=True)
class Hierarchy:
    """Which districts nest in which county (E07 -> E10), and area names. Unitaries nest in nothing."""

    county_of: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_geography(cls, geography: pd.DataFrame) -> Hierarchy:
        """From the `geography` mart (lad_code, lad_name, ctyua_code, ctyua_name)."""
        g = geography.dropna(subset=["lad_code"])
        county_of = {
            r.lad_code: r.ctyua_code
            for r in g.itertuples()
            if isinstance(r.ctyua_code, str) and r.ctyua_code != r.lad_code
        }
        names = dict(zip(g["lad_code"], g["lad_name"], strict=True))
        names.update(
            {c: n for c, n in zip(g["ctyua_code"], g["ctyua_name"], strict=True) if isinstance(c, str)}
        )
        return cls(county_of=county_of, names=names)

    @property
    def counties(self) -> set[str]:
        return set(self.county_of.values())

    def nested_with(self, code: str) -> set[str]:
        """The areas `code` nests in or that nest in it (a county and its own districts)."""
        out = {self.county_of[code]} if code in self.county_of else set()
        out |= {d for d, c in self.county_of.items() if c == code}
        return out


@dataclass
class Prepared:
    """What `prepare` produced for one model: the long inputs table and the per-indicator report."""

    spec: ModelSpec
    inputs: pd.DataFrame  # INPUT_COLUMNS
    indicators: pd.DataFrame  # one row per configured indicator: used or why not

    @property
    def used(self) -> list[str]:
        return self.indicators.loc[self.indicators["status"] == "used", "indicator"].tolist()


# ---------------------------------------------------------------------------------------------------------------
# Observations


def period_start(labels: pd.Series) -> pd.Series:
    """The start date of ISO 8601 period labels: '2023-01-01/P1Y', '2023-01-01T00:00:00/P1Y', '2024-04-30', '2019'."""
    start = labels.astype("string").str.split("/", n=1).str[0].str.strip()
    start = start.where(~start.str.fullmatch(r"\d{4}").fillna(False), start + "-01-01")
    return pd.to_datetime(start, format="ISO8601", errors="coerce")


def normalise_observations(obs: pd.DataFrame) -> pd.DataFrame:
    """OBS_COLUMNS, typed; rows without a value dropped. Missing optional columns (feed_id, unit) become null."""
    df = obs.copy()
    for col in ("feed_id", "unit", "area_name"):
        if col not in df:
            df[col] = None
    if "period_start" not in df:
        df["period_start"] = period_start(df["period"])
    missing = [c for c in OBS_COLUMNS if c not in df]
    if missing:
        raise SimilarAreasError(f"observations lack column(s) {missing}; expected {OBS_COLUMNS}")
    df = df[OBS_COLUMNS].copy()
    df["value"] = pd.to_numeric(df["value"], errors="coerce")
    df["period_start"] = pd.to_datetime(df["period_start"], errors="coerce")
    df["period"] = df["period"].astype("string")
    return df.dropna(subset=["value", "period_start", "area_code", "indicator"])


def _source_rows(obs: pd.DataFrame, source: Source) -> pd.DataFrame:
    rows = obs[obs["indicator"] == source.indicator]
    if source.feed is not None:
        rows = rows[rows["feed_id"] == source.feed]
    return rows


def _latest_period(
    rows: pd.DataFrame, cluster_areas: list[str], hierarchy: Hierarchy, spec: ModelSpec
) -> tuple[pd.Series | None, str, str]:
    """The latest period at which at least min_period_coverage of the cluster areas have a value (counting a
    district as covered through its county when fill_from_county). Returns (values by area, period, reason)."""
    n = len(cluster_areas)
    best = (-1.0, "")
    candidates = rows[["period_start", "period"]].drop_duplicates().sort_values(["period_start", "period"])
    for start, label in reversed(list(candidates.itertuples(index=False, name=None))):
        at = rows[(rows["period_start"] == start) & (rows["period"] == label)]
        values = at.groupby("area_code")[
            "value"
        ].mean()  # the same area under two geography labels: one value
        have = set(values.index)
        covered = sum(
            1
            for a in cluster_areas
            if a in have or (spec.fill_from_county and hierarchy.county_of.get(a) in have)
        )
        share = covered / n if n else 0.0
        if share > best[0]:
            best = (share, str(label))
        if share >= spec.min_period_coverage:
            return values, str(label), ""
    return (
        None,
        best[1],
        f"no period has values for {spec.min_period_coverage:.0%} of the areas (best: {best[0]:.0%} in {best[1]})",
    )


def _indicator_values(
    obs: pd.DataFrame,
    ind: ModelIndicator,
    areas: list[str],
    cluster_areas: list[str],
    hierarchy: Hierarchy,
    spec: ModelSpec,
) -> tuple[pd.Series, pd.Series, dict]:
    """One indicator's value per area (combined over its sources), the source of each value, and the report."""
    report = {
        "status": "used",
        "reason": None,
        "sources": "; ".join(f"{s.feed}: {s.indicator}" if s.feed else s.indicator for s in ind.sources),
        "sources_used": None,
        "periods": None,
        "unit": None,
    }
    if not ind.sources:
        report.update(status="no_source", reason=ind.note or "no published source is configured")
        return pd.Series(dtype=float), pd.Series(dtype=object), report
    per_source, kinds, used, periods, units, problems = [], [], [], [], [], []
    area_set = set(areas)
    for s in ind.sources:
        rows = _source_rows(obs, s)
        rows = rows[rows["area_code"].isin(area_set)]
        name = f"{s.feed}: {s.indicator}" if s.feed else s.indicator
        if rows.empty:
            problems.append(f"{name}: not in the release at this geography")
            continue
        values, label, why = _latest_period(rows, cluster_areas, hierarchy, spec)
        if values is None:
            problems.append(f"{name}: {why}")
            continue
        kind = pd.Series("published", index=values.index, dtype=object)
        if spec.fill_from_county:
            fills = {
                a: values[hierarchy.county_of[a]]
                for a in cluster_areas
                if a not in values.index and hierarchy.county_of.get(a) in values.index
            }
            if fills:
                values = pd.concat([values, pd.Series(fills, dtype=float)])
                kind = pd.concat([kind, pd.Series("from_county", index=list(fills), dtype=object)])
        per_source.append(values)
        kinds.append(kind)
        used.append(name)
        periods.append(label)
        units.extend(u for u in rows["unit"].dropna().unique().tolist() if u not in units)
    if not per_source:
        all_missing = all("not in the release" in p for p in problems)
        report.update(
            status="not_in_release" if all_missing else "insufficient_coverage", reason="; ".join(problems)
        )
        return pd.Series(dtype=float), pd.Series(dtype=object), report
    frame = pd.concat(per_source, axis=1).reindex(areas)
    kind_frame = pd.concat(kinds, axis=1).reindex(areas)
    if ind.combine == "mean":
        value = frame.mean(axis=1).where(frame.notna().all(axis=1))
        kind = kind_frame.apply(
            lambda r: "from_county" if (r == "from_county").any() else "published", axis=1
        )
    else:  # first source with a value
        value = frame.bfill(axis=1).iloc[:, 0]
        first = frame.notna().to_numpy().argmax(axis=1)
        kind = pd.Series(kind_frame.to_numpy()[np.arange(len(areas)), first], index=areas, dtype=object)
    kind = kind.where(value.notna(), "missing")
    report.update(
        sources_used="; ".join(used),
        periods="; ".join(periods),
        unit="; ".join(str(u) for u in units) or None,
        reason="; ".join(problems) or None,
    )
    return value.astype(float), kind, report


# ---------------------------------------------------------------------------------------------------------------
# Preparation: latest values -> coverage -> winsorise -> impute -> standardise


def prepare(
    obs: pd.DataFrame,
    spec: ModelSpec,
    *,
    cluster_areas: Iterable[str],
    county_areas: Iterable[str] = (),
    hierarchy: Hierarchy | None = None,
    names: dict[str, str] | None = None,
) -> Prepared:
    """The model's inputs: for every cluster area (and county, for the neighbour lists) and every usable indicator,
    the raw latest value, where it came from, the winsorised value and the standardised value.

    Winsorising thresholds, imputation medians and the standard scaler are fitted on the included cluster areas
    only; counties are put through the same transformation, so distances between districts are the same whether
    or not counties are listed."""
    hierarchy = hierarchy or Hierarchy()
    obs = normalise_observations(obs)
    cluster = sorted(set(cluster_areas))
    counties = sorted(set(county_areas) - set(cluster)) if spec.include_counties else []
    areas = cluster + counties
    name_of = dict(hierarchy.names)
    latest_names = (
        obs.sort_values("period_start").dropna(subset=["area_name"]).groupby("area_code")["area_name"]
    )
    name_of.update({k: v for k, v in latest_names.last().items() if k not in name_of})
    name_of.update(names or {})

    reports, values, kinds = [], {}, {}
    for pos, ind in enumerate(spec.indicators, start=1):
        value, kind, rep = _indicator_values(obs, ind, areas, cluster, hierarchy, spec)
        reports.append(
            {
                "model": spec.name,
                "indicator_position": pos,
                "indicator": ind.name,
                **rep,
                "combine": ind.combine,
                "is_proxy": ind.is_proxy,
                "note": ind.note,
            }
        )
        if rep["status"] == "used":
            values[ind.name], kinds[ind.name] = value, kind
    used = list(values)
    raw = pd.DataFrame(values, index=areas, columns=used, dtype=float)
    source = pd.DataFrame(kinds, index=areas, columns=used, dtype=object)

    # An area needs values for at least min_area_coverage of the indicators (else it is mostly imputed).
    coverage = raw.notna().mean(axis=1) if used else pd.Series(0.0, index=areas)
    included = coverage >= spec.min_area_coverage
    if len(used) < MIN_INDICATORS:
        included[:] = False
    fit_rows = [a for a in cluster if included[a]]

    win = pd.DataFrame(index=areas, columns=used, dtype=float)
    z = pd.DataFrame(index=areas, columns=used, dtype=float)
    stats = {}
    if fit_rows:
        base = raw.loc[fit_rows]
        lo = base.quantile(spec.winsorise[0])
        hi = base.quantile(spec.winsorise[1])
        clipped = raw.clip(lower=lo, upper=hi, axis=1)
        medians = clipped.loc[fit_rows].median()
        filled = clipped.fillna(medians)
        scaler = StandardScaler().fit(filled.loc[fit_rows].to_numpy())
        keep = [a for a in areas if included[a]]
        win.loc[keep] = filled.loc[keep]
        z.loc[keep] = scaler.transform(filled.loc[keep].to_numpy())
        source = source.where(~(raw.isna() & included.to_numpy()[:, None]), "imputed_median")
        stats = {
            ind: {
                "winsor_lower": float(lo[ind]),
                "winsor_upper": float(hi[ind]),
                "imputation_median": float(medians[ind]),
                "standardise_mean": float(scaler.mean_[i]),
                "standardise_std": float(scaler.scale_[i]),
            }
            for i, ind in enumerate(used)
        }
    no_stats = dict.fromkeys(
        ("winsor_lower", "winsor_upper", "imputation_median", "standardise_mean", "standardise_std")
    )
    for rep in reports:
        kinds_used = (
            source[rep["indicator"]].loc[fit_rows] if rep["indicator"] in used else pd.Series(dtype=object)
        )
        rep.update(
            areas_published=int((kinds_used == "published").sum()),
            areas_from_county=int((kinds_used == "from_county").sum()),
            areas_imputed=int((kinds_used == "imputed_median").sum()),
            **stats.get(rep["indicator"], no_stats),
        )
    report = pd.DataFrame(reports)

    rep = report.set_index("indicator")
    grid = pd.MultiIndex.from_product([areas, used], names=["area_code", "indicator"])
    codes, inds = grid.get_level_values(0), grid.get_level_values(1)
    cluster_set = set(cluster)
    inputs = pd.DataFrame(
        {
            "model": spec.name,
            "area_code": codes,
            "area_name": codes.map(name_of.get),
            "area_role": ["cluster" if a in cluster_set else "county" for a in codes],
            "is_included": included.reindex(codes).to_numpy(),
            "indicator_position": rep["indicator_position"].reindex(inds).to_numpy(),
            "indicator": inds,
            "unit": rep["unit"].reindex(inds).to_numpy(),
            "period": rep["periods"].reindex(inds).to_numpy(),
            "raw_value": raw.to_numpy(dtype=float).ravel(),
            "value_source": source.to_numpy(dtype=object).ravel(),
            "winsorised_value": win.to_numpy(dtype=float).ravel(),
            "standardised_value": z.to_numpy(dtype=float).ravel(),
        },
        columns=INPUT_COLUMNS,
    )
    inputs = _typed_inputs(inputs)
    return Prepared(spec=spec, inputs=inputs, indicators=_typed_report(report))


def _typed_inputs(df: pd.DataFrame) -> pd.DataFrame:
    df = df.astype({"indicator_position": "int64", "is_included": "bool"})
    for c in ("raw_value", "winsorised_value", "standardised_value"):
        df[c] = pd.to_numeric(df[c]).astype("float64")
    return df


def _typed_report(df: pd.DataFrame) -> pd.DataFrame:
    cols = [
        "model", "indicator_position", "indicator", "status", "reason", "sources", "sources_used", "periods",
        "unit", "combine", "is_proxy", "note", "areas_published", "areas_from_county", "areas_imputed",
        "winsor_lower", "winsor_upper", "imputation_median", "standardise_mean", "standardise_std",
    ]  # fmt: skip
    df = df[cols].astype({"indicator_position": "int64", "is_proxy": "bool"})
    for c in ("areas_published", "areas_from_county", "areas_imputed"):
        df[c] = df[c].astype("int64")
    for c in ("winsor_lower", "winsor_upper", "imputation_median", "standardise_mean", "standardise_std"):
        df[c] = pd.to_numeric(df[c]).astype("float64")
    return df


def matrix(inputs: pd.DataFrame, role: str | None = "cluster") -> pd.DataFrame:
    """The standardised matrix of one model's included areas (rows sorted by code, columns in model order)."""
    df = inputs.loc[inputs["is_included"].astype(bool)]
    if role is not None:
        df = df[df["area_role"] == role]
    wide = df.pivot(index="area_code", columns="indicator_position", values="standardised_value")
    return wide.sort_index().sort_index(axis=1)


# ---------------------------------------------------------------------------------------------------------------
# Clustering


def fit_kmeans(inputs: pd.DataFrame, spec: ModelSpec) -> pd.DataFrame:
    """k-means for every k in spec.k_range on the standardised cluster areas; one row per (k, area).

    Clusters are numbered 1..k in ascending order of their centre on the model's first indicator (as ONS
    relabels them), so the numbering is stable across runs. The chosen k has the highest silhouette (the smaller
    k on a tie), computed on the same standardised data the model was fitted on."""
    z = matrix(inputs[inputs["model"] == spec.name])
    if z.empty:
        return empty_kmeans()
    x = z.to_numpy(dtype=float)
    if spec.k_max >= len(x):  # reported as not fitted by cluster_model_fit (never an error: marts must build)
        return empty_kmeans()
    rows, sil = [], {}
    for k in range(spec.k_min, spec.k_max + 1):
        # One thread: the floating-point sums then do not depend on the machine's core count (same inputs, same
        # clusters everywhere), and on small matrices it is several times faster than OpenMP's start-up.
        with threadpool_limits(limits=1):
            km = KMeans(n_clusters=k, n_init=spec.n_init, random_state=spec.seed, max_iter=300).fit(x)
        order = np.argsort(km.cluster_centers_[:, 0], kind="stable")
        relabel = np.empty(k, dtype=int)
        relabel[order] = np.arange(1, k + 1)
        labels = relabel[km.labels_]
        dist = np.linalg.norm(x - km.cluster_centers_[km.labels_], axis=1)
        sil[k] = float(silhouette_score(x, km.labels_, metric="euclidean"))
        rows.append(
            pd.DataFrame(
                {
                    "model": spec.name,
                    "k": k,
                    "area_code": z.index,
                    "cluster": labels,
                    "distance_to_centroid": dist,
                    "silhouette": sil[k],
                    "inertia": float(km.inertia_),
                }
            )
        )
    chosen = max(sil, key=lambda k: (sil[k], -k))
    out = pd.concat(rows, ignore_index=True)
    out["is_chosen"] = out["k"] == chosen
    return out.astype({"k": "int64", "cluster": "int64"})[KMEANS_COLUMNS]


def area_clusters(kmeans: pd.DataFrame, inputs: pd.DataFrame) -> pd.DataFrame:
    """`area_clusters`: the chosen k's cluster of every clustered area and its distance to the cluster centre."""
    names = inputs[["model", "area_code", "area_name"]].drop_duplicates(["model", "area_code"])
    chosen = kmeans.loc[kmeans["is_chosen"].astype(bool)].merge(names, on=["model", "area_code"], how="left")
    cols = ["model", "area_code", "area_name", "cluster", "distance_to_centroid"]
    return chosen[cols].sort_values(["model", "area_code"]).reset_index(drop=True)


def cluster_model_fit(
    kmeans: pd.DataFrame, indicators: pd.DataFrame, inputs: pd.DataFrame, specs: dict[str, ModelSpec]
) -> pd.DataFrame:
    """`cluster_model_fit`: per model, the silhouette of every k tried and the chosen k, with what went in."""
    rows = []
    for spec in specs.values():
        name = spec.name
        rep = indicators[indicators["model"] == name]
        used = rep.loc[rep["status"] == "used", "indicator"].tolist()
        skipped = [f"{r.indicator} ({r.status})" for r in rep.itertuples() if r.status != "used"]
        cl = inputs[(inputs["model"] == name) & (inputs["area_role"] == "cluster")]
        per_area = cl.groupby("area_code")["is_included"].first()
        excluded = sorted(per_area[~per_area].index)
        base = {
            "model": name,
            "n_areas": int(per_area.sum()),
            "n_areas_excluded": len(excluded),
            "areas_excluded": ";".join(excluded) or None,
            "n_indicators": len(used),
            "indicators_used": "; ".join(used) or None,
            "n_indicators_skipped": len(skipped),
            "indicators_skipped": "; ".join(skipped) or None,
            "k_min": spec.k_min,
            "k_max": spec.k_max,
            "seed": spec.seed,
            "n_init": spec.n_init,
        }
        km = kmeans[kmeans["model"] == name]
        if km.empty:
            if len(used) < MIN_INDICATORS:
                why = f"only {len(used)} usable indicator(s); at least {MIN_INDICATORS} are needed"
            elif base["n_areas"] <= spec.k_max:
                why = f"{base['n_areas']} area(s) with enough values: k up to {spec.k_max} needs more"
            else:
                why = "no area has enough indicator values"
            rows.append(
                {**base, "k": None, "silhouette": None, "inertia": None, "is_chosen": False, "chosen_k": None}
                | {"status": "not_fitted", "reason": why}
            )
            continue
        per_k = km.groupby("k").agg(silhouette=("silhouette", "first"), inertia=("inertia", "first"))
        chosen_k = int(km.loc[km["is_chosen"], "k"].iloc[0])
        for k, r in per_k.iterrows():
            rows.append(
                {
                    **base,
                    "k": int(k),
                    "silhouette": r.silhouette,
                    "inertia": r.inertia,
                    "is_chosen": int(k) == chosen_k,
                    "chosen_k": chosen_k,
                    "status": "fitted",
                    "reason": None,
                }
            )
    cols = [
        "model", "k", "silhouette", "is_chosen", "chosen_k", "status", "reason", "inertia", "n_areas",
        "n_areas_excluded", "areas_excluded", "n_indicators", "indicators_used", "n_indicators_skipped",
        "indicators_skipped", "k_min", "k_max", "seed", "n_init",
    ]  # fmt: skip
    out = pd.DataFrame(rows, columns=cols)
    for c in ("k", "chosen_k"):
        out[c] = out[c].astype("Int64")
    for c in ("silhouette", "inertia"):
        out[c] = pd.to_numeric(out[c]).astype("float64")
    return out.astype({"is_chosen": "bool"})


def cluster_profiles(kmeans: pd.DataFrame, inputs: pd.DataFrame) -> pd.DataFrame:
    """`cluster_profiles`: per model, cluster and indicator, the median and mean of the areas' values as published
    (or filled from the county; imputed values excluded), and the mean standardised value (the cluster centre)."""
    chosen = kmeans.loc[kmeans["is_chosen"].astype(bool), ["model", "area_code", "cluster"]]
    df = inputs.loc[inputs["is_included"].astype(bool) & (inputs["area_role"] == "cluster")].merge(
        chosen, on=["model", "area_code"], how="inner"
    )
    keys = ["model", "cluster", "indicator_position", "indicator"]
    g = df.groupby(keys, sort=True)
    out = pd.DataFrame(
        {
            "unit": g["unit"].first(),
            "n_areas": g["area_code"].count(),
            "n_with_value": g["raw_value"].count(),
            "median_value": g["raw_value"].median(),
            "mean_value": g["raw_value"].mean(),
            "mean_standardised": g["standardised_value"].mean(),
        }
    ).reset_index()
    return out.astype(
        {"cluster": "int64", "indicator_position": "int64", "n_areas": "int64", "n_with_value": "int64"}
    )


# ---------------------------------------------------------------------------------------------------------------
# Nearest neighbours


def similar_areas(inputs: pd.DataFrame, spec: ModelSpec, hierarchy: Hierarchy | None = None) -> pd.DataFrame:
    """`similar_areas`: for every included area (districts and, when configured, counties) its n nearest
    neighbours by Euclidean distance on the standardised data, never an area nested in it or it in (a county
    and its own districts)."""
    hierarchy = hierarchy or Hierarchy()
    sub = inputs[inputs["model"] == spec.name]
    z = matrix(sub, role=None)
    cols = ["model", "area_code", "rank", "neighbour_code", "neighbour_name", "distance"]
    if len(z) < 2:
        return pd.DataFrame(columns=cols)
    codes = z.index.to_list()
    names = dict(zip(sub["area_code"], sub["area_name"], strict=False))
    nested = {c: hierarchy.nested_with(c) for c in codes}
    want = min(len(codes), spec.n_neighbours + 1 + max(len(v) for v in nested.values()))
    nn = NearestNeighbors(n_neighbors=want, algorithm="brute", metric="euclidean").fit(z.to_numpy(float))
    dist, idx = nn.kneighbors(z.to_numpy(float))
    rows = []
    for i, code in enumerate(codes):
        rank = 0
        for d, j in zip(dist[i], idx[i], strict=True):
            other = codes[j]
            if other == code or other in nested[code]:
                continue
            rank += 1
            rows.append((spec.name, code, rank, other, names.get(other), float(d)))
            if rank == spec.n_neighbours:
                break
    return pd.DataFrame(rows, columns=cols).astype({"rank": "int64"})


# ---------------------------------------------------------------------------------------------------------------
# Everything, for the CLI and tests


TABLES = (
    "area_clusters",
    "similar_areas",
    "cluster_profiles",
    "cluster_model_fit",
    "cluster_model_indicators",
)


def run(
    obs: pd.DataFrame,
    specs: dict[str, ModelSpec],
    *,
    cluster_areas: Iterable[str],
    county_areas: Iterable[str] = (),
    hierarchy: Hierarchy | None = None,
    names: dict[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Every published table for every model (the marts compute the same through dbt, one step per model)."""
    cluster_areas, county_areas = list(cluster_areas), list(county_areas)
    prepared = [
        prepare(
            obs, s, cluster_areas=cluster_areas, county_areas=county_areas, hierarchy=hierarchy, names=names
        )
        for s in specs.values()
    ]
    inputs = pd.concat([p.inputs for p in prepared], ignore_index=True)
    indicators = pd.concat([p.indicators for p in prepared], ignore_index=True)
    kmeans = pd.concat([empty_kmeans(), *(fit_kmeans(p.inputs, p.spec) for p in prepared)], ignore_index=True)
    return {
        "area_clusters": area_clusters(kmeans, inputs),
        "similar_areas": pd.concat(
            [similar_areas(p.inputs, p.spec, hierarchy) for p in prepared], ignore_index=True
        ),
        "cluster_profiles": cluster_profiles(kmeans, inputs),
        "cluster_model_fit": cluster_model_fit(kmeans, indicators, inputs, specs),
        "cluster_model_indicators": indicators,
    }


def lower_tier(codes: Iterable[str]) -> list[str]:
    return sorted({c for c in codes if isinstance(c, str) and c.startswith(LOWER_TIER_PREFIXES)})


def counties(codes: Iterable[str]) -> list[str]:
    return sorted({c for c in codes if isinstance(c, str) and c.startswith(COUNTY_PREFIX)})
