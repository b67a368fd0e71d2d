"""The data that flows through gapbench: Sample -> Request -> Response -> Score -> Result."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal

RequestKind = Literal["generate", "loglikelihood"]
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # choice labels, shared by prompts, loaders and scorers
GREEDY_SEED = 1234  # the sampling seed of greedy requests (temperature 0), whatever --seed says


@dataclass(frozen=True)
class Sample:
    """One benchmark item, already mapped to gapbench's fields."""

    id: str
    input: str  # the question / prompt body
    target: str  # gold answer: a letter for multiple choice, a number or text otherwise
    choices: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Request:
    """Everything one model call needs. Its cache key covers every field plus the model identity.

    generate: `messages` (chat) or `prompt` (plain completion, for base models).
    loglikelihood: `prompt` is the context, `continuation` the text whose log-probability is wanted.
    """

    kind: RequestKind
    messages: tuple[tuple[str, str], ...] = ()  # ((role, content), ...)
    prompt: str = ""
    continuation: str = ""
    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = GREEDY_SEED
    stop: tuple[str, ...] = ()
    # native function calling: the functions offered, as canonical JSON of a list of {name, description,
    # parameters (JSON Schema)}; "" = none. Only a set value enters to_json, so other cache keys keep their value.
    tools: str = ""

    def params(self) -> dict[str, Any]:
        return {
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "seed": self.seed,
            "stop": list(self.stop),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "messages": [list(m) for m in self.messages],
            "prompt": self.prompt,
            "continuation": self.continuation,
            **self.params(),
            **({"tools": json.loads(self.tools)} if self.tools else {}),
        }


@dataclass(frozen=True)
class ToolCall:
    """One function call a model made through its provider's native tool calling."""

    name: str
    arguments: Any  # a dict when the provider's JSON arguments parsed, else the raw string


@dataclass
class Response:
    """What a model returned: the answer text kept apart from any reasoning trace."""

    text: str = ""
    reasoning: str = ""
    logprob: float | None = None  # loglikelihood requests: sum of continuation token log-probs
    is_greedy: bool | None = None  # loglikelihood requests: continuation is the greedy decode
    n_continuation_tokens: int | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0
    raw: Any = None  # the provider's raw payload, stored verbatim
    finish_reason: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()  # native function calls (requests with tools); also kept in `raw`


@dataclass
class Score:
    """A scorer's verdict on one sample: a value per metric the scorer declares, the headline among them."""

    value: float = math.nan  # the headline metric's value (set by Scorer.score from `values`)
    extracted: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    values: dict[str, float] = field(default_factory=dict)  # every item metric the scorer declares
