"""Provider presets as data (presets.yaml): base URL, key variable, protocol, country, notes."""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import yaml

from gapbench.errors import GapbenchError

PRESETS_FILE = Path(__file__).with_name("presets.yaml")
_PRESET_FIELDS = ("name", "base_url", "api_key_env", "protocol", "default_models", "country", "notes")


@functools.lru_cache(maxsize=1)
def read_presets() -> tuple[dict, ...]:
    try:
        data = yaml.safe_load(PRESETS_FILE.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise GapbenchError(f"{PRESETS_FILE}: cannot read provider presets: {exc}") from exc
    out = []
    for i, p in enumerate(data.get("presets") or []):
        missing = [f for f in _PRESET_FIELDS if f not in (p or {})]
        if missing:
            raise GapbenchError(f"{PRESETS_FILE}: preset #{i + 1} lacks {', '.join(missing)}")
        if p["protocol"] not in ("openai", "anthropic"):
            raise GapbenchError(f"{PRESETS_FILE}: preset {p['name']}: unknown protocol '{p['protocol']}'")
        out.append(p)
    return tuple(out)


def load_presets() -> list[dict]:
    """The provider presets from presets.yaml (fresh copies: callers may mutate them)."""
    return copy.deepcopy(list(read_presets()))


def get_preset(name: str) -> dict:
    for p in read_presets():
        if p["name"] == name:
            return copy.deepcopy(p)
    raise GapbenchError(f"{PRESETS_FILE}: no preset named '{name}'")
