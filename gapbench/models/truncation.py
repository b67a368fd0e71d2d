"""Truncated answers are errors, never scores.

A response whose generation stopped at the token limit (`finish_reason` "length", Anthropic's
"max_tokens") is truncated when its answer is empty, or when the model was thinking (its answer may
be cut anywhere). It becomes ModelCallError("truncated: …", retryable=False): asking the same request
again gives the same result, so the runner stores it as a permanent failure until --retry-errors.
Every such message starts with "truncated:", so a store's errors can be counted per model.
"""

from __future__ import annotations

from typing import Any

from gapbench.errors import ModelCallError
from gapbench.types import Response

LENGTH_REASONS = frozenset({"length", "max_tokens", "model_length"})
PREFIX = "truncated:"


def is_truncated(response: Response) -> bool:
    if (response.finish_reason or "") not in LENGTH_REASONS:
        return False
    return not response.text.strip() or bool(response.reasoning.strip())


def reasoning_tokens(raw: Any) -> int | None:
    """Reasoning tokens the vendor reports (OpenAI-style usage details), or None."""
    usage = raw.get("usage") if isinstance(raw, dict) else None
    if not isinstance(usage, dict):
        return None
    for key in ("completion_tokens_details", "output_tokens_details"):
        details = usage.get(key)
        if isinstance(details, dict) and details.get("reasoning_tokens") is not None:
            return int(details["reasoning_tokens"])
    return None


def truncation_error(response: Response, answer_budget: int, reasoning_budget: int,
                     retried_budget: int | None = None) -> ModelCallError:
    """The error for a truncated response, e.g. 'truncated: finish_reason=length with 0 answer characters
    after 512 reasoning tokens (budget 32 answer + 0 reasoning tokens)'."""
    n = reasoning_tokens(response.raw)
    spent = f"{n} reasoning tokens" if n is not None else f"{response.output_tokens} output tokens"
    retry = f"; asked again with {retried_budget} reasoning tokens" if retried_budget is not None else ""
    what = "0 answer characters" if not response.text.strip() else f"{len(response.text)} answer characters (cut)"
    return ModelCallError(f"{PREFIX} finish_reason={response.finish_reason} with {what} after {spent} "
                          f"(budget {answer_budget} answer + {reasoning_budget} reasoning tokens{retry})",
                          retryable=False)
