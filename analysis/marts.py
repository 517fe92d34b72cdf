"""The similar-areas marts, from the warehouse's tables as the dbt Python models hand them over.

Belongs here: turning `indicators_harmonised` and `geography` (DataFrames) into the method's inputs, and one
function per dbt model (intermediate inputs and k-means fits, then the marts). The dbt models in
models/intermediate/analysis/ and models/marts/analysis/ are one call each, so the marts and
`levelup similar-areas` run the same code (analysis.similar_areas).
"""

from __future__ import annotations

import pandas as pd

from analysis import similar_areas as sa
from analysis.config import ModelSpec, load_models
from core.settings import get_settings

# Rows of indicators_harmonised the models read: target-vintage districts/unitaries and counties, with a value.
HARMONISED_FILTER = "is_target_vintage and area_level in ('LAD', 'CTYUA') and value is not null"
HARMONISED_COLUMNS = "feed_id, indicator, area_code, area_name, period_raw, period_start, value, unit"


def specs() -> dict[str, ModelSpec]:
    """The configured models: analysis/models.yml, or the file LEVELUP_ANALYSIS_MODELS names."""
    return load_models(get_settings().analysis_models)


def observations(harmonised: pd.DataFrame) -> pd.DataFrame:
    return harmonised.rename(columns={"period_raw": "period"})


def hierarchy(geography: pd.DataFrame) -> sa.Hierarchy:
    return sa.Hierarchy.from_geography(geography)


def _prepared(harmonised: pd.DataFrame, geography: pd.DataFrame) -> list[sa.Prepared]:
    h = hierarchy(geography)
    obs = observations(harmonised)
    lads = geography["lad_code"].dropna().tolist()
    return [
        sa.prepare(obs, spec, cluster_areas=lads, county_areas=sorted(h.counties), hierarchy=h)
        for spec in specs().values()
    ]


def inputs(harmonised: pd.DataFrame, geography: pd.DataFrame) -> pd.DataFrame:
    """int_similar_areas__inputs: every model's prepared inputs (one row per model, area and indicator)."""
    return pd.concat([p.inputs for p in _prepared(harmonised, geography)], ignore_index=True)


def indicators(harmonised: pd.DataFrame, geography: pd.DataFrame) -> pd.DataFrame:
    """cluster_model_indicators: every configured indicator of every model, used or why not."""
    return pd.concat([p.indicators for p in _prepared(harmonised, geography)], ignore_index=True)


def kmeans(model_inputs: pd.DataFrame) -> pd.DataFrame:
    """int_similar_areas__kmeans: every model's k-means fit for every k in its range."""
    fits = [fit for spec in specs().values() if not (fit := sa.fit_kmeans(model_inputs, spec)).empty]
    return pd.concat(fits, ignore_index=True) if fits else sa.empty_kmeans()


def area_clusters(fits: pd.DataFrame, model_inputs: pd.DataFrame) -> pd.DataFrame:
    return sa.area_clusters(fits, model_inputs)


def cluster_model_fit(fits: pd.DataFrame, report: pd.DataFrame, model_inputs: pd.DataFrame) -> pd.DataFrame:
    return sa.cluster_model_fit(fits, report, model_inputs, specs())


def cluster_profiles(fits: pd.DataFrame, model_inputs: pd.DataFrame) -> pd.DataFrame:
    return sa.cluster_profiles(fits, model_inputs)


def similar_areas(model_inputs: pd.DataFrame, geography: pd.DataFrame) -> pd.DataFrame:
    h = hierarchy(geography)
    return pd.concat(
        [sa.similar_areas(model_inputs, spec, h) for spec in specs().values()], ignore_index=True
    )
