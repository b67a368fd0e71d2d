"""`anthropic/` provider: Claude through the native Messages API (POST {base_url}/v1/messages).

Text content blocks are the answer; "thinking" blocks are kept apart as reasoning. The preset's request
rules decide which sampling parameters are sent (Opus 4.7 and later reject temperature) and how
thinking is switched (a budget, adaptive, or always on).
The key (ANTHROPIC_API_KEY or --api-key) is sent as x-api-key and never enters ModelInfo or a message.
"""

from __future__ import annotations

import json
import os
from typing import Any

from gapbench.errors import GapbenchError, ModelCallError
from gapbench.models.http import HTTPModelBase, is_loopback, tool_calls_in
from gapbench.models.presets import get_preset
from gapbench.models.registry import ModelOptions, register_provider
from gapbench.models.rules import omitted, resolve, sampling_params, split_thinking, switch_fields, token_fields
from gapbench.types import Request, Response

ANTHROPIC_VERSION = "2023-06-01"
PROVIDER = "anthropic"


def messages_url(base_url: str) -> str:
    base = base_url.rstrip("/")
    return f"{base}/messages" if base.endswith("/v1") else f"{base}/v1/messages"


def split_system(messages: tuple[tuple[str, str], ...], prompt: str) -> tuple[str, list[dict[str, str]]]:
    """(system text, user/assistant turns): system messages lifted out, same-role turns merged."""
    system: list[str] = []
    turns: list[dict[str, str]] = []
    if not messages:
        messages = (("user", prompt),)
    for role, content in messages:
        if role in ("system", "developer"):
            system.append(content)
            continue
        role = "assistant" if role == "assistant" else "user"
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"] += "\n\n" + content
        else:
            turns.append({"role": role, "content": content})
    return "\n\n".join(system), turns


class AnthropicModel(HTTPModelBase):
    """A Claude model behind the Anthropic Messages API."""

    native_tools = True  # `tools` with input_schema in the request, `tool_use` blocks in the answer

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "anthropic-version": ANTHROPIC_VERSION}
        if self._api_key:
            headers["x-api-key"] = self._api_key
        return headers

    def _body(self, request: Request, budget_factor: int = 1) -> tuple[dict[str, Any], int]:
        system, turns = split_system(request.messages, request.prompt)
        eff = self.rules
        total, reasoning = token_fields(eff, request.max_tokens, budget_factor)
        body: dict[str, Any] = {"model": self.info.model, "max_tokens": total, "messages": turns}
        if system:
            body["system"] = system
        params = sampling_params(eff, request.temperature, request.top_p)
        if "temperature" in params:
            body["temperature"] = params["temperature"]
        if params.get("top_p", 1.0) != 1.0:
            body["top_p"] = params["top_p"]
        if request.stop and not omitted(eff, "stop"):
            body["stop_sequences"] = list(request.stop)
        if request.tools:
            body["tools"] = [{"name": fn["name"], "description": fn.get("description", ""),
                              "input_schema": fn["parameters"]} for fn in json.loads(request.tools)]
        return switch_fields(eff, body, request.temperature, reasoning), reasoning

    async def _ask(self, request: Request, budget_factor: int) -> tuple[Response, int]:
        body, reasoning_budget = self._body(request, budget_factor)
        data, latency = await self._post_json(messages_url(self.info.base_url), body)
        blocks = data.get("content")
        if not isinstance(blocks, list):
            err = data.get("error") or data
            raise ModelCallError(f"{self.info.name}: no content in response: {self._clean(err)}",
                                 retryable=False)
        text: list[str] = []
        thinking: list[str] = []
        for block in blocks:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text":
                text.append(str(block.get("text", "")))
            elif block.get("type") == "thinking":
                thinking.append(str(block.get("thinking", "")))
        usage = data.get("usage") or {}
        return Response(
            text="".join(text),
            reasoning="\n\n".join(t.strip() for t in thinking if t.strip()),
            input_tokens=int(usage.get("input_tokens") or 0),
            output_tokens=int(usage.get("output_tokens") or 0),
            latency_s=latency,
            raw=data,
            finish_reason=data.get("stop_reason"),
            tool_calls=tool_calls_in(data),
        ), reasoning_budget


def _factory(model: str, options: ModelOptions) -> AnthropicModel:
    preset = get_preset(PROVIDER)
    typed = model
    model, thinking = split_thinking(model)
    if not model:
        raise GapbenchError(f"--model {PROVIDER}/: give a model id, e.g. {PROVIDER}/{preset['default_models'][0]}")
    base_url = (options.base_url or os.environ.get("ANTHROPIC_BASE_URL") or preset["base_url"]).rstrip("/")
    key_env = preset["api_key_env"]
    api_key = options.api_key or os.environ.get(key_env) or None
    if api_key is None and not is_loopback(base_url):
        raise GapbenchError(f"--model {PROVIDER}/{typed}: set {key_env} to call {PROVIDER}")
    rules = resolve(preset, model, thinking, f"{PROVIDER}/{typed}", (options.extra or {}).get("reasoning_budget_cap"))
    return AnthropicModel(PROVIDER, model, base_url, api_key, options, rules, f"{PROVIDER}/{typed}")


register_provider(PROVIDER, _factory, "Anthropic Claude, native Messages API [US; key ANTHROPIC_API_KEY]")
