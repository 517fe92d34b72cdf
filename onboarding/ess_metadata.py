"""Reading the publisher's JSON metadata that sits beside an ESS CSV (`<id>.json`, layout `ess-beta-metadata`).

Belongs here: locating and flattening that metadata per indicator (a single block for a one-indicator file, or a
`shared` block plus one block per indicator label), and inferring a measure type from its words (label,
subtitle, long description, suffix, sub-text). The metadata describes what a number *is* ("Ratio of median
house price to median gross annual earnings"), which the CSV's unit column often does not ("%", "£"), so the
scaffold prefers it and reports every disagreement. Nothing here touches the registry or the warehouse.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

FIELDS = {
    "label": "label",
    "subtitle": "subtitle",
    "longDescription": "long_description",
    "caveats": "caveats",
    "decimalPlaces": "decimal_places",
    "prefix": "prefix",
    "suffix": "suffix",
    "subText": "sub_text",
    "standardised": "standardised",
    "experimentalStatistic": "experimental",
    "sourceOrg": "source_org",
    "sourceURL": "source_url",
    "sourceDate": "source_date",
}


@dataclass(frozen=True)
class IndicatorMetadata:
    """One indicator's metadata, shared fields filled in (snake_case keys of FIELDS)."""

    values: dict

    def get(self, key: str, default=None):
        return self.values.get(key, default)

    @property
    def text(self) -> str:
        return " ".join(str(self.get(k) or "") for k in ("label", "subtitle", "long_description")).lower()


def _flag(v) -> bool | None:
    if isinstance(v, bool) or v is None:
        return v
    return {"t": True, "true": True, "f": False, "false": False}.get(str(v).strip().lower())


def _normalise(block: dict) -> dict:
    out = {}
    for src, dst in FIELDS.items():
        if src in block:
            v = block[src]
            if dst in ("standardised", "experimental"):
                v = _flag(v)
            elif dst in ("source_org", "source_url", "source_date") and isinstance(v, str) and "|" in v:
                v = " | ".join(p.strip() for p in v.split("|") if p.strip())
            out[dst] = v
    return out


def load_metadata(path: Path) -> dict[str | None, IndicatorMetadata]:
    """{indicator label: metadata} for a multi-indicator file, {None: metadata} for a single block. Empty when
    the file is absent or not ESS metadata."""
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except ValueError:
        return {}
    meta = doc.get("ess-beta-metadata") if isinstance(doc, dict) else None
    if not isinstance(meta, dict):
        return {}
    blocks = {k: v for k, v in meta.items() if isinstance(v, dict) and k != "shared"}
    if not blocks:
        return {None: IndicatorMetadata(_normalise(meta))}
    shared = _normalise(meta.get("shared") or {})
    return {k: IndicatorMetadata({**shared, **_normalise(v)}) for k, v in blocks.items()}


def metadata_for(path: Path, indicator: str) -> IndicatorMetadata | None:
    """The metadata of one indicator (by its CSV label), or the single block, or None."""
    found = load_metadata(path)
    return found.get(indicator) or found.get(None)


def metadata_path_for(sample: Path) -> Path:
    return Path(sample).with_suffix(".json")


_PER = re.compile(r"\bper\s+(\d[\d,]*|million|thousand|hundred|head|person|hour|job|meter|mile|square)")


def measure_type_from_metadata(meta: IndicatorMetadata) -> tuple[str, str] | None:
    """(measure_type, reason) from the metadata's words, strongest signal first; None when it says nothing."""
    text = meta.text
    suffix = str(meta.get("suffix") or "")
    sub = str(meta.get("sub_text") or "").lower()
    subtitle = str(meta.get("subtitle") or "")
    if re.search(r"\bratio\b", text):
        return "ratio", f"metadata says ratio ({subtitle!r}): never summed or averaged across areas"
    if "median" in text:
        return "median", f"metadata says median ({subtitle!r}): not aggregatable"
    if "expectancy" in text or "expected to be lived" in text:
        return "expectancy", f"metadata says expectancy ({subtitle!r}): not aggregatable"
    if re.search(r"\bindex\b|chained volume|geometric mean", text):
        return "index", f"metadata says index / chained volume ({subtitle!r}): not aggregatable"
    share_of = re.search(r"^(the )?percentage of\b", subtitle.lower())
    percent = suffix == "%" or "percentage" in subtitle.lower()
    if percent and not share_of and re.search(r"\b(growth|change|increase|decrease|decline)\b", text):
        return "rate", f"metadata {subtitle!r} is a percentage change, not a share of a population"
    if percent:
        return "share", f"metadata suffix {suffix!r} / subtitle {subtitle!r} is a percentage of a population"
    if re.search(r"\b(average|mean)\b|\bper (head|person|capita)\b", subtitle.lower()):
        return "mean", f"metadata subtitle {subtitle!r} is an average (a total per head of population)"
    if _PER.search(sub) or _PER.search(subtitle.lower()) or sub.startswith("per "):
        return "rate", f"metadata {subtitle!r} / {sub!r} is a quantity per something"
    if re.search(r"£ ?millions?|number of|\bcount\b|total", f"{sub} {subtitle.lower()}"):
        return "count", f"metadata {subtitle!r} / {sub!r} is a total"
    return None
