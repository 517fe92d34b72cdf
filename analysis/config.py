"""The similar-areas model configuration: `analysis/models.yml`, validated into `ModelSpec`s.

Belongs here: the schema of models.yml (pydantic), loading it with errors that name the model and the field, and
building an ad-hoc `ModelSpec` for an external table (`levelup similar-areas --from FILE --indicators ...`).
Nothing here computes anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

MODELS_PATH = Path(__file__).resolve().parent / "models.yml"


class ModelConfigError(ValueError):
    """models.yml is invalid; the message names the model and the field."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Strict):
    """One published series: a registry feed id and the indicator label exactly as the feed publishes it.
    `feed` is None for an external table, where the label alone names the series."""

    feed: str | None = None
    indicator: str


class ModelIndicator(Strict):
    name: str
    sources: tuple[Source, ...] = ()
    combine: Literal["first", "mean"] = "first"
    is_proxy: bool = False
    note: str | None = None


class Settings(Strict):
    k_range: tuple[int, int] = (4, 5)
    seed: int = 19042022
    n_init: int = Field(100, ge=1)
    n_neighbours: int = Field(20, ge=1)
    winsorise: tuple[float, float] = (0.01, 0.99)
    include_counties: bool = True
    fill_from_county: bool = True
    min_period_coverage: float = Field(0.5, ge=0, le=1)
    min_area_coverage: float = Field(0.5, ge=0, le=1)

    @field_validator("k_range")
    @classmethod
    def _k_range(cls, v: tuple[int, int]) -> tuple[int, int]:
        if not 2 <= v[0] <= v[1]:
            raise ValueError(f"k_range {list(v)} must be [min, max] with 2 <= min <= max")
        return v

    @field_validator("winsorise")
    @classmethod
    def _winsorise(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not 0 <= v[0] < v[1] <= 1:
            raise ValueError(
                f"winsorise {list(v)} must be [lower, upper] percentiles with 0 <= lower < upper <= 1"
            )
        return v


class ModelSpec(Settings):
    """One model: its name, description, ordered indicators and settings (defaults filled in)."""

    name: str
    description: str | None = None
    indicators: tuple[ModelIndicator, ...]

    @model_validator(mode="after")
    def _unique_names(self) -> ModelSpec:
        names = [i.name for i in self.indicators]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"indicators listed twice: {dupes}")
        if not names:
            raise ValueError("a model needs at least one indicator")
        return self

    @property
    def k_min(self) -> int:
        return self.k_range[0]

    @property
    def k_max(self) -> int:
        return self.k_range[1]


def _describe(err: ValidationError, model: str) -> str:
    lines = []
    for e in err.errors():
        field = ".".join(str(p) for p in e["loc"]) or "(model)"
        lines.append(f"model {model!r}: field {field!r}: {e['msg']}")
    return "\n".join(lines)


def parse_models(text: str, where: str = "<string>") -> dict[str, ModelSpec]:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ModelConfigError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("models"), dict) or not doc["models"]:
        raise ModelConfigError(f"{where}: expected a mapping with a non-empty `models:` mapping")
    if doc.get("version") != 1:
        raise ModelConfigError(f"{where}: `version: 1` is required")
    defaults = doc.get("defaults") or {}
    try:
        Settings.model_validate(defaults)
    except ValidationError as err:
        raise ModelConfigError(f"{where} is invalid:\n{_describe(err, 'defaults')}") from None
    out = {}
    for name, body in doc["models"].items():
        if not isinstance(body, dict):
            raise ModelConfigError(f"{where}: model {name!r}: expected a mapping")
        try:
            out[name] = ModelSpec.model_validate({**defaults, **body, "name": name})
        except ValidationError as err:
            raise ModelConfigError(f"{where} is invalid:\n{_describe(err, name)}") from None
    return out


def load_models(path: Path | None = None) -> dict[str, ModelSpec]:
    """Every model in models.yml (default: the one next to this module), in file order."""
    path = Path(path or MODELS_PATH)
    return parse_models(path.read_text(encoding="utf-8"), str(path))


def external_spec(
    indicators: list[str],
    *,
    base: ModelSpec | None = None,
    name: str = "external",
    k: int | None = None,
    include_counties: bool = False,
    fill_from_county: bool = True,
) -> ModelSpec:
    """A model over an external long table: each indicator is one series named by its label. Settings come from
    `base` (a configured model) or the defaults; `k` fixes the number of clusters."""
    settings = (base or ModelSpec(name="_", indicators=(ModelIndicator(name="_"),))).model_dump(
        exclude={"name", "description", "indicators"}
    )
    if k is not None:
        settings["k_range"] = (k, k)
    settings.update(include_counties=include_counties, fill_from_county=fill_from_county)
    return ModelSpec.model_validate(
        {
            **settings,
            "name": name,
            "description": f"external table, indicators: {', '.join(indicators)}",
            "indicators": [{"name": i, "sources": [{"indicator": i}]} for i in indicators],
        }
    )
