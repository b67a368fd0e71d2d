"""Provider presets as data (presets.yaml): base URL, key variable, protocol, country, notes, the sources
the preset was checked against, and its request rules (gapbench.models.rules), validated when read."""

from __future__ import annotations

import copy
import datetime as dt
import functools
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gapbench.errors import GapbenchError
from gapbench.models.rules import deep_merge, validate_rules

PRESETS_FILE = Path(__file__).with_name("presets.yaml")


class ModelOverride(BaseModel):
    """Rules for the models of a preset whose id matches one of the glob patterns."""

    model_config = ConfigDict(extra="forbid")
    match: list[str] = Field(min_length=1)
    rules: dict[str, Any] = Field(default_factory=dict)
    notes: str = ""


class Preset(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    base_url: str = Field(pattern=r"^https://")
    api_key_env: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    protocol: Literal["openai", "anthropic"]
    default_models: list[str] = Field(min_length=1)
    country: str
    notes: str
    regions: dict[str, str] = Field(default_factory=dict)  # other hosts of the same API (international, …)
    checked: dt.date | None = None  # when the rules and models were last checked against the vendor's docs
    verified: str = ""  # what was verified, and how
    sources: list[str] = Field(default_factory=list)
    rules: dict[str, Any] = Field(default_factory=dict)
    models: list[ModelOverride] = Field(default_factory=list)


def _validate(i: int, raw: Any) -> dict:
    label = raw.get("name", f"#{i + 1}") if isinstance(raw, dict) else f"#{i + 1}"
    try:
        preset = Preset.model_validate(raw).model_dump(mode="json")
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "preset"
        raise GapbenchError(f"{PRESETS_FILE}: preset {label}: field '{field}': {err['msg']}") from None
    where = f"{PRESETS_FILE}: preset {label}"
    validate_rules(preset["rules"], where)
    for override in preset["models"]:  # every override must give valid rules on top of the preset's
        merged = deep_merge(deep_merge({}, preset["rules"]), override["rules"])
        validate_rules(merged, f"{where}, models {', '.join(override['match'])}")
    return preset


@functools.lru_cache(maxsize=1)
def read_presets() -> tuple[dict, ...]:
    try:
        data = yaml.safe_load(PRESETS_FILE.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise GapbenchError(f"{PRESETS_FILE}: cannot read provider presets: {exc}") from exc
    out = [_validate(i, p) for i, p in enumerate(data.get("presets") or [])]
    names = [p["name"] for p in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise GapbenchError(f"{PRESETS_FILE}: field 'name': duplicate preset {', '.join(dupes)}")
    return tuple(out)


def load_presets() -> list[dict]:
    """The provider presets from presets.yaml (fresh copies: callers may mutate them)."""
    return copy.deepcopy(list(read_presets()))


def get_preset(name: str) -> dict:
    for p in read_presets():
        if p["name"] == name:
            return copy.deepcopy(p)
    raise GapbenchError(f"{PRESETS_FILE}: no preset named '{name}'")
