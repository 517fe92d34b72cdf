"""Statistical disclosure control (SDC) for every aggregate that leaves the restricted zone.

Belongs here: pure functions on DataFrames (no I/O): the primary suppression rule, relations (a total and the
components that add up to it), secondary (complementary) suppression, and applying a suppression pattern
(status code, values and counts blanked). `restricted.export` applies them; `restricted.scanner` re-checks the
result independently.

Primary rule. A cell is suppressed when its unweighted count (respondents contributing) is below
`min_count` (LEVELUP_SDC_MIN_COUNT, default 10). Share cells also protect the category itself: an unweighted
numerator, or complement (base minus numerator), of 1..`min_numerator`-1 respondents (LEVELUP_SDC_MIN_NUMERATOR,
default 3) is suppressed, so "one or two people here reported X" (or "all but one or two") is never published.

Secondary rule. For each relation (total = sum of components, e.g. a nation and its LAs, an LA and its age
bands), the number of suppressed cells must be 0 or at least 2 — otherwise the one suppressed cell is the
total minus the published others. When exactly one is suppressed, the unsuppressed component with the smallest
unweighted count is suppressed too (the total only if no component is left); relations are revisited until none
has exactly one suppressed cell, since a new suppression can break another relation the cell belongs to.
This is the standard necessary condition (as in tau-ARGUS's hypercube method), applied along every published
margin; it is not a full linear-programming audit of multi-way tables (documented in docs/restricted.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.settings import get_settings

SUPPRESSED = "suppressed"
PRIMARY = "primary"
SECONDARY = "secondary"
DEFAULT_MIN_COUNT = 10
DEFAULT_MIN_NUMERATOR = 3


def min_count_from_env() -> int:
    return get_settings().sdc_min_count


def min_numerator_from_env() -> int:
    return get_settings().sdc_min_numerator


@dataclass(frozen=True)
class Relation:
    """Row labels of a total and of the components that sum to it (over the table's count column)."""

    total: object
    components: tuple


def primary_mask(
    df: pd.DataFrame,
    *,
    count_col: str,
    min_count: int,
    numerator_col: str | None = None,
    min_numerator: int = DEFAULT_MIN_NUMERATOR,
) -> pd.Series:
    """True where the primary rule suppresses the cell. A missing count counts as zero (suppressed)."""
    n = df[count_col].fillna(0)
    mask = n < min_count
    if numerator_col is not None and min_numerator > 1:
        k = df[numerator_col].fillna(0)
        comp = n - k
        mask |= ((k > 0) & (k < min_numerator)) | ((comp > 0) & (comp < min_numerator))
    return mask.astype(bool)


def hierarchy_relations(
    df: pd.DataFrame, *, by: Sequence[str], code_col: str, parent_col: str
) -> list[Relation]:
    """Relations from a parent pointer: within each `by` group, the row whose `code_col` equals P is the total
    of the rows whose `parent_col` is P (e.g. nation = its LAs; UK = its nations)."""
    rels = []
    key = list(by)
    for _, grp in df.groupby(key, sort=False, dropna=False):
        totals = dict(zip(grp[code_col], grp.index, strict=True))
        for parent, comps in grp.groupby(parent_col, sort=False).groups.items():
            if parent in totals and len(comps):
                rels.append(Relation(totals[parent], tuple(comps)))
    return rels


def breakdown_relations(
    df: pd.DataFrame, *, by: Sequence[str], dimension_col: str, total_label: str = "all"
) -> list[Relation]:
    """Relations for a one-way breakdown: within each `by` group (e.g. area, year, metric, breakdown), the row
    whose `dimension_col` is `total_label` is the total of the other rows (e.g. all = female + male)."""
    rels = []
    for _, grp in df.groupby(list(by), sort=False, dropna=False):
        tot = grp.index[grp[dimension_col] == total_label]
        comps = grp.index[grp[dimension_col] != total_label]
        if len(tot) == 1 and len(comps):
            rels.append(Relation(tot[0], tuple(comps)))
    return rels


def secondary_mask(
    df: pd.DataFrame,
    suppressed: pd.Series,
    relations: Iterable[Relation],
    *,
    cost_col: str,
    max_rounds: int = 100,
) -> pd.Series:
    """Cells to suppress in addition to `suppressed` so no relation has exactly one suppressed cell.
    Returns only the *additional* (secondary) cells."""
    pos = {label: i for i, label in enumerate(df.index)}
    rels = [(pos[r.total], [pos[c] for c in r.components]) for r in relations]
    base = suppressed.reindex(df.index).fillna(False).to_numpy(dtype=bool)
    sup = base.copy()
    cost = df[cost_col].fillna(0).to_numpy(dtype=float)
    for _ in range(max_rounds):
        changed = False
        for total, comps in rels:
            if sup[total] + sum(sup[c] for c in comps) != 1:
                continue
            open_comps = [c for c in comps if not sup[c]]
            pick = min(open_comps, key=lambda c: (cost[c], c)) if open_comps else total
            sup[pick] = True
            changed = True
        if not changed:
            return pd.Series(sup & ~base, index=df.index)
    raise RuntimeError("secondary suppression did not converge")


def unsafe_relations(suppressed: pd.Series, relations: Iterable[Relation]) -> list[Relation]:
    """Relations where exactly one cell is suppressed (recoverable by differencing). Empty = safe pattern."""
    return [r for r in relations if sum(bool(suppressed[c]) for c in (r.total, *r.components)) == 1]


def apply_suppression(
    df: pd.DataFrame,
    primary: pd.Series,
    secondary: pd.Series,
    *,
    value_cols: Sequence[str],
    count_cols: Sequence[str],
    status_col: str = "status",
    code_col: str = "sdc_code",
) -> pd.DataFrame:
    """Blank values and counts of suppressed cells; status 'suppressed' and sdc_code 'primary'/'secondary'."""
    out = df.copy()
    sup = primary | secondary
    if status_col not in out.columns:
        out[status_col] = "ok"
    out[code_col] = pd.Series(
        np.where(primary, PRIMARY, np.where(secondary, SECONDARY, None)), index=out.index, dtype="string"
    )
    out.loc[sup, status_col] = SUPPRESSED
    for col in value_cols:
        out[col] = out[col].astype("Float64")
        out.loc[sup, col] = pd.NA
    for col in count_cols:
        out[col] = out[col].astype("Int64")
        out.loc[sup, col] = pd.NA
    return out


def disclosure_control(
    df: pd.DataFrame,
    *,
    relations: Sequence[Relation],
    count_col: str,
    value_cols: Sequence[str],
    numerator_col: str | None = None,
    min_count: int | None = None,
    min_numerator: int | None = None,
    drop_cols: Sequence[str] = (),
    status_col: str = "status",
) -> tuple[pd.DataFrame, dict]:
    """Primary + secondary suppression in one call. `drop_cols` (e.g. numerators) are removed from the
    output. Returns (table, stats) where stats counts cells by outcome."""
    min_count = min_count or min_count_from_env()
    min_numerator = min_numerator or min_numerator_from_env()
    prim = primary_mask(
        df, count_col=count_col, min_count=min_count, numerator_col=numerator_col, min_numerator=min_numerator
    )
    sec = secondary_mask(df, prim, relations, cost_col=count_col)
    assert not unsafe_relations(prim | sec, relations)
    out = apply_suppression(
        df, prim, sec, value_cols=value_cols, count_cols=[count_col], status_col=status_col
    ).drop(columns=list(drop_cols))
    stats = {
        "cells": len(df),
        "primary": int(prim.sum()),
        "secondary": int(sec.sum()),
        "published": int(len(df) - prim.sum() - sec.sum()),
        "min_count": min_count,
        "min_numerator": min_numerator,
    }
    return out, stats
