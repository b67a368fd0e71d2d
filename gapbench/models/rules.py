"""Per-preset request rules as data: what a vendor's API accepts, and how gapbench asks it.

Each preset in presets.yaml has a `rules:` block and optional `models:` overrides matched by glob
patterns on the model id (`gpt-6*`, `deepseek-v4*`). A model's rules are the preset's, then every
matching override in file order (mappings merge, later values win). Everything here changes the
request, so the effective rules go into ModelInfo.settings (the cache key) and the manifest.

Thinking is chosen per model by a suffix on the model name: `deepseek/deepseek-v4-flash+think` asks
with thinking on, `+nothink` with thinking off; without a suffix the preset's default for that model
applies (off where the API allows it, else on with a reasoning budget). The suffix stays in the
stored model name, so a thinking and a non-thinking setup of one model are never paired silently.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gapbench.errors import GapbenchError

Param = Literal["temperature", "top_p", "seed", "stop"]
THINK_SUFFIXES = {"+think": "on", "+nothink": "off"}


class Range(BaseModel):
    """Values a vendor accepts for a sampling parameter; what gapbench sends instead of a greedy 0."""

    model_config = ConfigDict(extra="forbid")
    min: float = 0.0
    max: float = 2.0
    min_exclusive: bool = False  # True: `min` itself is rejected (MiniMax: temperature in (0, 1])
    greedy: float | None = None  # sent for a request of 0 where 0 is rejected (recorded in the manifest)

    @model_validator(mode="after")
    def _greedy_needed(self) -> "Range":
        if self.min_exclusive and self.greedy is None:
            raise ValueError("min_exclusive needs `greedy`: the value gapbench sends for a greedy request")
        if self.min > self.max:
            raise ValueError("min is above max")
        return self

    def fit(self, value: float) -> float:
        low_ok = value > self.min if self.min_exclusive else value >= self.min
        if not low_ok:
            return float(self.greedy) if self.greedy is not None else self.min
        return min(value, self.max)


class Thinking(BaseModel):
    """How a model thinks, and how gapbench switches it on or off."""

    model_config = ConfigDict(extra="forbid")
    default: Literal["off", "on", "none"] = "none"  # none: the model does not think
    off: dict[str, Any] | None = None  # body fields that switch thinking off; null: it cannot be switched off
    on: dict[str, Any] = Field(default_factory=dict)  # body fields that switch it on
    budget: int = Field(default=0, ge=0)  # reasoning tokens allowed besides the answer's budget
    budget_field: str | None = None  # a (dotted) body field that carries the reasoning budget
    budget_in_max_tokens: bool = True  # the max-tokens field holds answer + reasoning
    omit: list[Param] = Field(default_factory=list)  # parameters not sent while thinking
    retry_factor: int = Field(default=0, ge=0)  # truncated while thinking: ask once more with budget x factor

    @model_validator(mode="after")
    def _consistent(self) -> "Thinking":
        if self.default == "off" and self.off is None:
            raise ValueError("default 'off' needs `off`: the body fields that switch thinking off")
        if self.default == "on" and self.budget == 0:
            raise ValueError("default 'on' needs a reasoning `budget` (tokens besides the answer's)")
        return self


class RequestRules(BaseModel):
    """What one preset (or one model of it) accepts; see presets.yaml for the meaning of each field."""

    model_config = ConfigDict(extra="forbid")
    omit: list[Param] = Field(default_factory=list)
    temperature: Range | None = None
    top_p: Range | None = None
    greedy_body: dict[str, Any] = Field(default_factory=dict)  # sent for temperature 0 (GLM: do_sample false)
    greedy_omit: list[Param] = Field(default_factory=list)  # not sent for temperature 0
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    max_tokens_cap: int | None = Field(default=None, ge=1)  # the vendor's upper bound on that field
    extra_body: dict[str, Any] = Field(default_factory=dict)
    thinking: Thinking = Field(default_factory=Thinking)
    reasoning: Literal["reasoning_content", "reasoning", "think_tags", "thinking_blocks", "hidden"] = \
        "reasoning_content"  # where the reasoning comes back (documentation; every form is parsed)


CLASSIC = RequestRules().model_dump(mode="json")


def deep_merge(base: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """`base` updated by `more` in place: nested mappings merge, anything else (an empty mapping too)
    replaces what was there."""
    for key, value in more.items():
        if isinstance(value, dict) and value and isinstance(base.get(key), dict):
            deep_merge(base[key], value)
        else:
            base[key] = json.loads(json.dumps(value))
    return base


def set_path(body: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        body = body.setdefault(part, {})
    body[last] = value


def split_thinking(model: str) -> tuple[str, str | None]:
    """('deepseek-v4-flash', 'on') for 'deepseek-v4-flash+think'; (model, None) without a suffix."""
    for suffix, mode in THINK_SUFFIXES.items():
        if model.endswith(suffix):
            return model[: -len(suffix)], mode
    return model, None


def matching(preset: dict[str, Any], model: str) -> list[dict[str, Any]]:
    return [o for o in preset.get("models") or []
            if any(fnmatch.fnmatchcase(model.lower(), p.lower()) for p in o["match"])]


def raw_rules(preset: dict[str, Any], model: str) -> dict[str, Any]:
    merged = deep_merge({}, preset.get("rules") or {})
    for override in matching(preset, model):
        deep_merge(merged, override.get("rules") or {})
    return merged


@dataclass(frozen=True)
class Effective:
    """The rules one model is asked with, and its thinking mode (on, off or none)."""

    preset: str
    model: str
    rules: RequestRules
    thinking: str
    matched: tuple[str, ...] = ()

    def reasoning_budget(self, factor: int = 1) -> int:
        return self.rules.thinking.budget * max(1, factor) if self.thinking == "on" else 0

    def retry_factor(self) -> int:
        return self.rules.thinking.retry_factor if self.thinking == "on" else 0

    def sampling(self) -> str:
        """What gapbench sends for a greedy request, in words (for the manifest and the report)."""
        r = self.rules
        omitted = set(r.omit) | set(r.greedy_omit) | (set(r.thinking.omit) if self.thinking == "on" else set())
        if r.greedy_body:
            return f"greedy via {json.dumps(r.greedy_body, sort_keys=True)}"
        if "temperature" in omitted:
            return "vendor default sampling (temperature not accepted, so not sent): not greedy"
        if r.temperature is not None and r.temperature.fit(0.0) != 0.0:
            return f"temperature {r.temperature.fit(0.0)} instead of 0 (0 is rejected): near-greedy"
        return "greedy (temperature 0)"

    def to_dict(self) -> dict[str, Any]:
        return {"preset": self.preset, "thinking_mode": self.thinking,
                "reasoning_budget": self.reasoning_budget(), **self.rules.model_dump(mode="json")}

    def settings(self) -> dict[str, Any]:
        """Cache-key settings: empty for the classic OpenAI request (so old caches stay valid), else the
        full effective rules and the thinking mode."""
        if self.thinking == "none" and self.rules.model_dump(mode="json") == CLASSIC:
            return {}
        return {"request_rules": self.to_dict()}

    def manifest(self) -> dict[str, Any]:
        digest = hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]
        return {"thinking": self.thinking, "reasoning_budget": self.reasoning_budget(),
                "sampling": self.sampling(), "request_rules": self.to_dict(), "request_rules_hash": digest,
                "rules_matched": list(self.matched)}


def resolve(preset: dict[str, Any], model: str, thinking: str | None, name: str,
            budget_cap: int | None = None) -> Effective:
    """The effective rules of `model` under `preset`; `thinking` is the suffix's choice (None: default).
    A choice the vendor's API does not allow is a GapbenchError naming the model. `budget_cap` shrinks
    the reasoning budget (`gapbench models --check` asks tiny questions)."""
    rules = validate_rules(raw_rules(preset, model), f"preset {preset['name']}, model {model}")
    if budget_cap is not None and rules.thinking.budget > budget_cap:
        rules.thinking.budget = int(budget_cap)
    t = rules.thinking
    mode = thinking or t.default
    if mode == "off" and t.default == "none" and t.off is None:
        mode = "none"  # the model does not think: +nothink changes nothing
    if mode == "off" and t.off is None:
        raise GapbenchError(f"--model {name}: the {preset['name']} API documents no way to switch thinking off "
                            f"for {model}; drop '+nothink'")
    if mode == "on" and t.budget == 0:
        raise GapbenchError(f"--model {name}: the {preset['name']} preset has no thinking mode for {model}; "
                            "drop '+think'")
    matched = tuple(p for o in matching(preset, model) for p in o["match"])
    return Effective(preset=preset["name"], model=model, rules=rules, thinking=mode, matched=matched)


def validate_rules(raw: dict[str, Any], where: str) -> RequestRules:
    from pydantic import ValidationError

    try:
        return RequestRules.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "rules"
        raise GapbenchError(f"{where}: field 'rules.{field}': {err['msg']}") from None


def sampling_params(eff: Effective, temperature: float, top_p: float) -> dict[str, Any]:
    """temperature / top_p as the rules allow them (absent when omitted, fitted to the vendor's range)."""
    r = eff.rules
    omit = set(r.omit) | (set(r.thinking.omit) if eff.thinking == "on" else set())
    if temperature == 0:
        omit |= set(r.greedy_omit)
    out: dict[str, Any] = {}
    if "temperature" not in omit:
        out["temperature"] = r.temperature.fit(temperature) if r.temperature else temperature
    if "top_p" not in omit:
        out["top_p"] = r.top_p.fit(top_p) if r.top_p else top_p
    return out


def omitted(eff: Effective, param: str) -> bool:
    r = eff.rules
    return param in r.omit or (eff.thinking == "on" and param in r.thinking.omit)


def token_fields(eff: Effective, answer_tokens: int, factor: int = 1) -> tuple[int, int]:
    """(max-tokens value, reasoning budget) for an answer budget; the reasoning budget shrinks to fit a cap."""
    r = eff.rules
    reasoning = eff.reasoning_budget(factor)
    if r.max_tokens_cap is not None and r.thinking.budget_in_max_tokens:
        reasoning = max(0, min(reasoning, r.max_tokens_cap - answer_tokens))
    total = answer_tokens + reasoning if r.thinking.budget_in_max_tokens else answer_tokens
    if r.max_tokens_cap is not None:
        total = min(total, r.max_tokens_cap)
    return total, reasoning


def switch_fields(eff: Effective, body: dict[str, Any], temperature: float, reasoning: int) -> dict[str, Any]:
    """Add the extra body, the greedy fields and the thinking switch (with its budget field) to `body`."""
    r = eff.rules
    deep_merge(body, r.extra_body)
    if temperature == 0:
        deep_merge(body, r.greedy_body)
    if eff.thinking == "on":
        deep_merge(body, r.thinking.on)
        if r.thinking.budget_field:
            set_path(body, r.thinking.budget_field, reasoning)
    elif eff.thinking == "off" and r.thinking.off:
        deep_merge(body, r.thinking.off)
    return body
