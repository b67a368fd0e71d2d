"""The model catalog: who made a model, where, when, how big, at what price, and how to call it.

The built-in catalog is `models.yaml` beside this file. A user catalog is a YAML file (or a
directory of them) with the same shape: a top-level `models:` list (or a bare list) of entries.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gapbench.errors import GapbenchError

BUILTIN = Path(__file__).with_name("models.yaml")

# Spellings users type for the two countries gapbench is about, mapped to the Epoch AI spelling.
COUNTRY_SYNONYMS = {
    "us": "United States of America", "usa": "United States of America", "u.s.": "United States of America",
    "united states": "United States of America", "america": "United States of America",
    "cn": "China", "prc": "China", "people's republic of china": "China",
    "fr": "France", "uk": "United Kingdom of Great Britain and Northern Ireland",
    "gb": "United Kingdom of Great Britain and Northern Ireland",
    "united kingdom": "United Kingdom of Great Britain and Northern Ireland",
    "ca": "Canada", "uae": "United Arab Emirates", "ae": "United Arab Emirates", "il": "Israel",
    "de": "Germany", "kr": "South Korea", "jp": "Japan",
}


def normalize_country(value: str | None) -> str | None:
    """'US', 'usa', 'United States' -> 'United States of America'; 'CN' -> 'China'; others unchanged."""
    if value is None:
        return None
    v = value.strip()
    return COUNTRY_SYNONYMS.get(v.casefold(), v)


class CatalogModel(BaseModel):
    """One model: facts only, null where not public (see the header of models.yaml)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    developer: str
    country: str
    release_date: dt.date | None = None
    date_precision: Literal["day", "month"] = "day"
    open_weights: bool | None = None
    parameters_b: float | None = Field(default=None, gt=0)
    price_in_per_mtok: float | None = Field(default=None, ge=0)
    price_out_per_mtok: float | None = Field(default=None, ge=0)
    provider: str | None = None
    retired: dt.date | None = None  # the vendor's shutdown date for the API id in `provider` (kept, not deleted)
    flagship_openai: bool = False
    notes: str | None = None

    @field_validator("release_date", mode="before")
    @classmethod
    def _month_dates(cls, v: Any) -> Any:
        if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}", v.strip()):
            return v.strip() + "-01"  # "2024-06" -> first of the month; precision set below
        return v

    @field_validator("aliases", mode="before")
    @classmethod
    def _aliases(cls, v: Any) -> Any:
        if v is None:
            return []
        if isinstance(v, list):
            return [str(a) for a in v]  # YAML turns an alias like 4.0 into a number
        return v

    @model_validator(mode="before")
    @classmethod
    def _precision_from_short_date(cls, data: Any) -> Any:
        if isinstance(data, dict):
            rd = data.get("release_date")
            if isinstance(rd, str) and re.fullmatch(r"\d{4}-\d{2}", rd.strip()) and "date_precision" not in data:
                data = {**data, "date_precision": "month"}
        return data

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        return normalize_country(v) or v

    def names(self) -> list[str]:
        """Every name this model answers to: id, name, aliases, provider id (with and without preset)."""
        out = [self.id, self.name, *self.aliases]
        if self.provider:
            out.append(self.provider)
            out.append(self.provider.split("/", 1)[-1])
        return out


def _norm(name: str) -> str:
    """Loose key: case-folded, without spaces, dashes, underscores, dots, slashes, colons, brackets."""
    return re.sub(r"[\s\-_./:()\[\]]+", "", name.casefold())


def _read_yaml(path: Path) -> list[dict]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise GapbenchError(f"{where}: not valid YAML ({getattr(e, 'problem', None) or e})") from None
    except OSError as e:
        raise GapbenchError(f"{path}: cannot read ({e.strerror})") from None
    if isinstance(data, dict):
        if "models" not in data:
            raise GapbenchError(f"{path}: field 'models' missing (expected a list of model entries)")
        data = data["models"]
    if not isinstance(data, list):
        raise GapbenchError(f"{path}: field 'models' must be a list of model entries")
    return data


def _parse(path: Path) -> list[CatalogModel]:
    out = []
    for i, raw in enumerate(_read_yaml(path)):
        label = raw.get("id", f"#{i}") if isinstance(raw, dict) else f"#{i}"
        if not isinstance(raw, dict):
            raise GapbenchError(f"{path}: models[{i}] must be a mapping of fields")
        try:
            out.append(CatalogModel.model_validate(raw))
        except ValidationError as e:
            err = e.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "entry"
            raise GapbenchError(f"{path}: models[{i}] ({label}) field '{field}': {err['msg']}") from None
    return out


def load_catalog(path: str | Path | None = None) -> list[CatalogModel]:
    """The built-in catalog (path None), or a user YAML file, or every *.yaml/*.yml file in a directory."""
    if path is None:
        return list(_builtin())
    p = Path(path)
    if p.is_dir():
        files = sorted([*p.glob("*.yaml"), *p.glob("*.yml")])
        if not files:
            raise GapbenchError(f"{p}: no *.yaml catalog files in this directory")
    elif p.exists():
        files = [p]
    else:
        raise GapbenchError(f"{p}: catalog file not found")
    models: list[CatalogModel] = []
    seen: dict[str, Path] = {}
    for f in files:
        for m in _parse(f):
            if m.id in seen:
                raise GapbenchError(f"{f}: field 'id': duplicate id '{m.id}' (also in {seen[m.id]})")
            seen[m.id] = f
            models.append(m)
    return models


@lru_cache(maxsize=1)
def _builtin() -> tuple[CatalogModel, ...]:
    return tuple(load_catalog(BUILTIN))


_INDEXES: dict[int, tuple[Any, tuple[dict[str, CatalogModel], dict[str, CatalogModel]]]] = {}


def _index(catalog: Any) -> tuple[dict[str, CatalogModel], dict[str, CatalogModel]]:
    """Exact and loose name -> entry maps, cached per catalog object (the first entry wins on a clash)."""
    hit = _INDEXES.get(id(catalog))
    if hit is not None and hit[0] is catalog:
        return hit[1]
    exact: dict[str, CatalogModel] = {}
    loose: dict[str, CatalogModel] = {}
    for m in catalog:
        for n in m.names():
            exact.setdefault(n.casefold(), m)
            loose.setdefault(_norm(n), m)
    if len(_INDEXES) > 16:
        _INDEXES.clear()
    _INDEXES[id(catalog)] = (catalog, (exact, loose))  # keeps `catalog` alive, so its id is not reused
    return exact, loose


def find(name: str, catalog: list[CatalogModel] | None = None) -> CatalogModel | None:
    """The entry whose id, name, alias or provider id matches `name` (case-insensitive), else None.

    Tries, in order: the exact name; the name without a `preset/` prefix (stored model names look like
    `openai/gpt-4o`); the same two with spaces, dashes, dots, brackets etc. ignored.
    """
    if not name:
        return None
    exact, loose = _index(catalog if catalog is not None else _builtin())
    name = re.sub(r"\+(?:no)?think$", "", name.strip())  # a thinking setup of the same model (issue #14)
    keys = [name]
    if "/" in keys[0]:
        keys.append(keys[0].split("/", 1)[1])
    for k in keys:
        if k.casefold() in exact:
            return exact[k.casefold()]
    for k in keys:
        if _norm(k) in loose:
            return loose[_norm(k)]
    return None


def _fallback_facts(stored: str) -> dict[str, Any]:
    """Country/developer for a stored model the catalog lacks: a bundled local model or a preset's country."""
    from gapbench.models.local_assets import LOCAL_MODELS
    from gapbench.models.presets import load_presets

    prefix, _, rest = stored.partition("/")
    if prefix == "local":
        m = LOCAL_MODELS.get(rest)
        return {"country": normalize_country(m.country), "developer": m.developer} if m is not None else {}
    if prefix == "anthropic":
        return {"country": normalize_country("US")}
    for p in load_presets():
        if p.get("name") == prefix and p.get("country"):
            return {"country": normalize_country(p["country"])}
    return {}


def stored_model_facts(stored: str) -> dict[str, Any]:
    """Country and list prices of a stored model (`provider/model`): the catalog entry when it knows the
    model, else the bundled model's or the preset's country; local models cost nothing."""
    entry = find(stored)
    facts: dict[str, Any] = {"country": entry.country if entry else None,
                             "price_in_per_mtok": entry.price_in_per_mtok if entry else None,
                             "price_out_per_mtok": entry.price_out_per_mtok if entry else None,
                             "local": stored.split("/", 1)[0] in ("local", "llamacpp")}
    facts["country"] = normalize_country(facts["country"]) or _fallback_facts(stored).get("country")
    return facts


_BOOL = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _matches(entry: dict[str, Any], key: str, want: str) -> bool:
    have = entry.get(key)
    if have is None:
        return False
    if isinstance(have, bool):
        return _BOOL.get(want.strip().casefold()) is have
    if key == "country":
        return (normalize_country(want) or "").casefold() == str(have).casefold()
    return str(have).casefold() == want.strip().casefold()


def resolve_group(spec: str, stored_models: list[str], catalog: list[CatalogModel] | None = None) -> list[str]:
    """Turn a group spec into stored model names.

    * `key=value` (e.g. `country=China`, `developer=OpenAI`, `open_weights=true`): the stored models
      whose catalog entry has that value (case-insensitive; `US`/`CN` work for country). Several
      conditions joined by `,` or `&` must all hold. A stored model missing from the catalog still
      matches `country=`/`developer=` through its bundled-local-model facts or its preset's country.
    * `a,b,c`: those stored models (matched case-insensitively, returned as stored).
    Raises GapbenchError for an unknown key, a name with no stored results, or a group that matches nothing.
    """
    spec = (spec or "").strip()
    if not spec:
        raise GapbenchError("group: empty (give key=value, e.g. country=China, or model names separated by commas)")
    parts = [p.strip() for p in re.split(r"[,&]", spec) if p.strip()]
    if all("=" in p for p in parts):
        fields = set(CatalogModel.model_fields)
        conds = []
        for p in parts:
            key, _, value = p.partition("=")
            key = key.strip().replace("-", "_")
            if key not in fields:
                raise GapbenchError(f"group '{spec}': unknown field '{key}' (known: {', '.join(sorted(fields))})")
            conds.append((key, value))
        out = []
        for s in stored_models:
            m = find(s, catalog)
            entry = m.model_dump() if m is not None else _fallback_facts(s)
            if all(_matches(entry, k, v) for k, v in conds):
                out.append(s)
        if not out:
            raise GapbenchError(f"group '{spec}': none of the stored models matches "
                                f"(stored: {', '.join(stored_models) or 'none'})")
        return out
    if any("=" in p for p in parts):
        raise GapbenchError(f"group '{spec}': mix of key=value and model names; use one or the other")
    if not stored_models:
        return parts
    by_fold = {s.casefold(): s for s in stored_models}
    out = []
    for p in parts:
        if p.casefold() not in by_fold:
            raise GapbenchError(f"group '{spec}': model '{p}' has no stored results "
                                f"(stored: {', '.join(stored_models)})")
        out.append(by_fold[p.casefold()])
    return out
