"""Typed rows read from the store: what every layer above the store works with (never sqlite3.Row)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


def _json(text: str | None, default: Any) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


@dataclass(frozen=True)
class ScoreRow:
    """One scored item of one model: the headline value, every declared metric, and the responses behind it."""

    model: str
    task: str
    method: str
    sample_id: str
    task_hash: str
    language: str
    capability: str
    value: float
    extracted: str | None
    target: str | None
    cache_keys: tuple[str, ...]
    details: dict[str, Any] = field(hash=False)
    run_id: int | None
    scorer: str | None = None  # None in stores written before scorers declared their metrics
    metric: str | None = None
    metrics: dict[str, float] = field(default_factory=dict, hash=False)

    @classmethod
    def from_row(cls, r) -> "ScoreRow":
        return cls(model=r["model"], task=r["task"], method=r["method"], sample_id=r["sample_id"],
                   task_hash=r["task_hash"], language=r["language"], capability=r["capability"],
                   value=float(r["value"]), extracted=r["extracted"], target=r["target"],
                   cache_keys=tuple(_json(r["cache_keys"], [])), details=_json(r["details"], {}),
                   run_id=r["run_id"], scorer=r["scorer"], metric=r["metric"], metrics=_json(r["metrics"], {}))


@dataclass(frozen=True)
class StoredResponse:
    cache_key: str
    model: str
    kind: str
    request: dict[str, Any]
    text: str
    reasoning: str
    logprob: float | None
    input_tokens: int
    output_tokens: int
    latency_s: float
    finish_reason: str | None

    @classmethod
    def from_row(cls, r) -> "StoredResponse":
        return cls(cache_key=r["cache_key"], model=r["model"], kind=r["kind"], request=_json(r["request"], {}),
                   text=r["text"] or "", reasoning=r["reasoning"] or "", logprob=r["logprob"],
                   input_tokens=r["input_tokens"] or 0, output_tokens=r["output_tokens"] or 0,
                   latency_s=r["latency_s"] or 0.0, finish_reason=r["finish_reason"])


@dataclass(frozen=True)
class ErrorRow:
    run_id: int | None
    model: str
    task: str
    method: str
    sample_id: str
    message: str
    created_at: float
    retryable: bool

    @classmethod
    def from_row(cls, r) -> "ErrorRow":
        return cls(run_id=r["run_id"], model=r["model"], task=r["task"], method=r["method"], sample_id=r["sample_id"],
                   message=r["message"], created_at=r["created_at"],
                   retryable=bool(r["retryable"]) if r["retryable"] is not None else True)


@dataclass(frozen=True)
class RunRow:
    run_id: int
    model: str
    task: str
    method: str
    manifest: dict[str, Any]
    started_at: float
    finished_at: float | None
    model_calls: int
    cache_hits: int
    errors: int

    @classmethod
    def from_row(cls, r) -> "RunRow":
        return cls(run_id=r["run_id"], model=r["model"], task=r["task"], method=r["method"],
                   manifest=_json(r["manifest"], {"unparsed": r["manifest"]}), started_at=r["started_at"],
                   finished_at=r["finished_at"], model_calls=r["model_calls"] or 0, cache_hits=r["cache_hits"] or 0,
                   errors=r["errors"] or 0)


@dataclass(frozen=True)
class VerdictRow:
    """A judge's pairwise verdict on one prompt (or turn), asked in both orders.

    first: the verdict with model_a's answer shown first; second: with model_b's shown first, both in model
    terms ("a", "b" or "tie"); verdict: their common answer, "tie" when they disagree (position bias)."""

    judge: str
    task: str
    sample_id: str
    turn: str
    model_a: str
    model_b: str
    first: str
    second: str
    verdict: str
    language: str
    category: str | None
    cache_keys: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, r) -> "VerdictRow":
        return cls(judge=r["judge"], task=r["task"], sample_id=r["sample_id"], turn=r["turn"], model_a=r["model_a"],
                   model_b=r["model_b"], first=r["first"], second=r["second"], verdict=r["verdict"],
                   language=r["language"], category=r["category"], cache_keys=tuple(_json(r["cache_keys"], [])))
