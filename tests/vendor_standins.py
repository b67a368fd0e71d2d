"""Local stand-ins for paid vendor APIs: one HTTP server on 127.0.0.1 per quirk family, enforcing the rules
the vendors document (presets.yaml cites the pages) and thinking the way their models think.

A family is a validator (returns the vendor's error for a request it rejects, else None) plus how the
model thinks: whether thinking is on for a request, and where its reasoning comes back. A thinking
model spends `think_tokens` on reasoning out of the max-tokens budget before it answers; when the
budget is too small the answer is empty and finish_reason is "length" (Anthropic: "max_tokens").
The answer is right: the sum in "What is 3 + 3?", else "Paris".
"""

from __future__ import annotations

import re
from typing import Any, Callable

from fakeserver import FakeServer

ANSWER_TOKENS = 2
Body = dict[str, Any]


def _has(body: Body, *names: str) -> list[str]:
    return [n for n in names if n in body]


def check_minimax(body: Body) -> str | None:
    for p in ("temperature", "top_p"):
        if p in body and not 0 < body[p] <= 1:
            return f"invalid params, {p} must be in (0, 1]"
    if body.get("max_completion_tokens", 0) > 2048 or "max_tokens" in body and body["max_tokens"] > 2048:
        return "max_completion_tokens exceeds 2048"
    return None


def check_kimi(body: Body) -> str | None:
    for p in ("temperature", "top_p"):
        if p in body and body[p] != (1 if p == "temperature" else 0.95):
            return f"invalid {p}: only {1 if p == 'temperature' else 0.95} is allowed for this model"
    if body["model"].startswith("kimi-k3") and (body.get("thinking") or {}).get("type") == "disabled":
        return "thinking cannot be disabled for this model"
    return None


def check_no_sampling(body: Body) -> str | None:
    present = _has(body, "temperature", "top_p", "top_k")
    return f"`{present[0]}` is deprecated for this model." if present else None


def check_openai_reasoning(body: Body) -> str | None:
    if "max_tokens" in body:
        return "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
    if "stop" in body:
        return "Unsupported parameter: 'stop' is not supported with this model."
    if body.get("reasoning_effort") != "none" and _has(body, "temperature", "top_p"):
        return "Unsupported value: 'temperature' does not support 0 with this model."
    if body.get("reasoning_effort") == "none" and body["model"] in ("gpt-6-astra", "gpt-6.1-sol"):
        return "Unsupported value: 'reasoning_effort' does not support 'none' with this model."
    return None


def check_dashscope(body: Body) -> str | None:
    if not body.get("stream") and body.get("enable_thinking") is not False:
        return "parameter.enable_thinking must be set to false for non-streaming calls"
    return None


def check_glm(body: Body) -> str | None:
    for p in ("temperature", "top_p"):
        if p in body and not 0 < body[p] < 1:
            return f"{p} must be in (0, 1)"
    return "seed is not a parameter" if "seed" in body else None


def check_openrouter(body: Body) -> str | None:
    if (body.get("provider") or {}).get("require_parameters") is not True:
        return "gapbench always sets provider.require_parameters"
    return None


def check_siliconflow(body: Body) -> str | None:
    budget = body.get("thinking_budget")
    if budget is not None and not 128 <= budget <= 32768:
        return "thinking_budget must be in [128, 32768]"
    return "top_p must be <= 1" if body.get("top_p", 0) > 1 else None


def check_ark(body: Body) -> str | None:
    deep = body["model"].startswith("doubao-seed") or "thinking" in body["model"]
    if deep and "stop" in body:
        return "the stop parameter is not supported by deep thinking models"
    if body.get("max_completion_tokens") is not None and "max_tokens" in body:
        return "max_completion_tokens and max_tokens cannot be set together"
    return None


def check_qianfan(body: Body) -> str | None:
    if (body.get("messages") or [{}])[-1].get("role") != "user":
        return "the last message must be from the user"
    if thinks("qianfan", body) and body.get("logprobs"):
        return "logprobs is not supported by deep thinking models"
    return None


def check_spark(body: Body) -> str | None:
    if "temperature" in body and not 0 < body["temperature"] <= 1:
        return "temperature must be in (0, 1]"
    cap = 32768 if body["model"].startswith("x1") else 8192
    if not 1 <= body.get("max_tokens", 1) <= cap:
        return f"max_tokens must be in [1, {cap}]"
    return None


SENSENOVA_FIELDS = {"model", "messages", "stream", "stream_options", "temperature", "top_p", "max_tokens", "n", "stop",
                    "frequency_penalty", "presence_penalty", "reasoning_effort", "tools", "tool_choice",
                    "parallel_tool_calls", "seed"}


def check_sensenova(body: Body) -> str | None:
    if set(body) - SENSENOVA_FIELDS or not 0 <= body.get("temperature", 1) <= 2:
        return "Errors in message queue response"
    return None


def check_anthropic(body: Body) -> str | None:
    model = body["model"]
    modern = re.match(r"claude-(opus-4-[7-9]|opus-5|sonnet-5|haiku-5|fable|mythos)", model)
    if modern and _has(body, "temperature", "top_p", "top_k"):
        return f"`{_has(body, 'temperature', 'top_p', 'top_k')[0]}` is deprecated for this model."
    thinking = body.get("thinking") or {}
    if modern and thinking.get("type") == "enabled":
        return "thinking.type.enabled is not supported for this model; use adaptive"
    if re.match(r"claude-(opus-5|fable)", model) and thinking.get("type") == "disabled":
        return "thinking cannot be disabled for this model"
    if thinking.get("type") == "enabled" and not 1024 <= thinking.get("budget_tokens", 0) < body["max_tokens"]:
        return "thinking.budget_tokens must be >= 1024 and less than max_tokens"
    if thinking and "temperature" in body:
        return "temperature is not compatible with thinking"
    return None


def thinks(family: str, body: Body) -> bool:
    """Whether the stand-in's model thinks for this request (each vendor's default and switch)."""
    t = (body.get("thinking") or {}).get("type")
    if family == "kimi" and body["model"].startswith("moonshot-v1"):
        return False
    if family in ("deepseek", "glm", "kimi"):
        return t != "disabled"
    if family == "minimax":
        return True
    if family == "openai_reasoning":
        return body.get("reasoning_effort") != "none"
    if family in ("dashscope", "siliconflow"):
        return body.get("enable_thinking") is True
    if family == "openrouter":
        return (body.get("reasoning") or {}).get("enabled", False)
    if family == "ark":  # Seed models think unless disabled
        return (body["model"].startswith("doubao-seed") or "thinking" in body["model"]) and t != "disabled"
    if family == "qianfan":
        return bool(re.match(r"(ernie-x1|ernie-5\.0-thinking|deepseek-r1)", body["model"])) \
            or body.get("enable_thinking") is True
    if family == "spark":
        return body["model"].startswith("x1")
    if family == "stepfun":
        return body["model"].startswith("step-3")
    if family == "sensenova":
        return True
    if family == "anthropic":
        return t in ("enabled", "adaptive") or bool(re.match(r"claude-(opus-5|fable|sonnet-5|haiku-5)", body["model"])
                                                     and t != "disabled")
    return False


FAMILIES: dict[str, Callable[[Body], str | None]] = {
    "generic": lambda body: None, "minimax": check_minimax, "kimi": check_kimi, "no_sampling": check_no_sampling,
    "openai_reasoning": check_openai_reasoning, "dashscope": check_dashscope, "glm": check_glm,
    "deepseek": lambda body: None, "openrouter": check_openrouter, "siliconflow": check_siliconflow,
    "anthropic": check_anthropic, "ark": check_ark, "qianfan": check_qianfan, "spark": check_spark,
    "stepfun": lambda body: None, "sensenova": check_sensenova,
}


def answer_for(body: Body) -> str:
    messages = body.get("messages") or []
    text = " ".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")
    m = re.findall(r"(\d+)\s*\+\s*(\d+)", text)
    return str(int(m[-1][0]) + int(m[-1][1])) if m else "Paris"


class VendorStandIn:
    """A stand-in server for one family. `think_tokens`: reasoning length of a thinking request;
    `key_prefix`: keys of another region (not starting with it) get HTTP 401."""

    def __init__(self, family: str, think_tokens: int = 300, key_prefix: str | None = None):
        self.family, self.think_tokens, self.key_prefix = family, think_tokens, key_prefix
        self.server = FakeServer()
        self.server.default = self._reply
        self.url = self.server.url
        self.requests = self.server.requests

    def close(self) -> None:
        self.server.close()

    def _reply(self, handler) -> tuple[int, dict, Any]:
        body = self.server.requests[-1]["body"]
        key = (handler.headers.get("Authorization") or "").removeprefix("Bearer ") or handler.headers.get("x-api-key")
        if self.key_prefix is not None and not (key or "").startswith(self.key_prefix):
            return 401, {}, {"error": {"message": "Invalid Authentication: key of another region", "type": "auth"}}
        error = FAMILIES[self.family](body)
        if error:
            return 400, {}, {"error": {"message": error, "type": "invalid_request_error"}}
        if self.family == "anthropic":
            return 200, {}, self._anthropic(body)
        return 200, {}, self._openai(body)

    def _spend(self, body: Body, budget: int) -> tuple[int, str]:
        """(reasoning tokens spent, answer text): the answer is empty when thinking ate the budget."""
        if not thinks(self.family, body):
            return 0, answer_for(body)
        if self.family == "siliconflow":  # max_tokens excludes the chain of thought; thinking_budget bounds it
            cot = body.get("thinking_budget", 4096)
            return (self.think_tokens, answer_for(body)) if cot >= self.think_tokens else (cot, "")
        if self.family == "ark" and "max_completion_tokens" not in body:  # max_tokens bounds the answer only
            return self.think_tokens, answer_for(body)
        if budget >= self.think_tokens + ANSWER_TOKENS:
            return self.think_tokens, answer_for(body)
        return budget, ""

    def _openai(self, body: Body) -> Body:
        budget = body.get("max_completion_tokens", body.get("max_tokens", 4096))
        spent, answer = self._spend(body, budget)
        reasoning = "step " * spent
        message: Body = {"role": "assistant", "content": answer}
        if spent and self.family == "minimax":
            message["content"] = f"<think>{reasoning}" + (f"</think>\n\n{answer}" if answer else "")
        elif spent and self.family in ("openrouter", "stepfun", "sensenova"):
            message["reasoning"] = reasoning
        elif spent and self.family != "openai_reasoning":
            message["reasoning_content"] = reasoning
        done = bool(answer)
        return {"id": "chatcmpl-standin", "object": "chat.completion", "model": body["model"],
                "choices": [{"index": 0, "message": message, "finish_reason": "stop" if done else "length"}],
                "usage": {"prompt_tokens": 12, "completion_tokens": spent + (ANSWER_TOKENS if done else 0),
                          "completion_tokens_details": {"reasoning_tokens": spent}}}

    def _anthropic(self, body: Body) -> Body:
        spent, answer = self._spend(body, body["max_tokens"])
        content = ([{"type": "thinking", "thinking": "step " * spent, "signature": "sig"}] if spent else [])
        if answer:
            content.append({"type": "text", "text": answer})
        return {"id": "msg_standin", "type": "message", "role": "assistant", "model": body["model"],
                "content": content, "stop_reason": "end_turn" if answer else "max_tokens",
                "usage": {"input_tokens": 12, "output_tokens": spent + (ANSWER_TOKENS if answer else 0)}}
