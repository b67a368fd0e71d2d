"""OpenAI chat-completions providers: `openai/` plus every protocol-"openai" preset in presets.yaml.

`deepseek/deepseek-v4-flash` posts to the DeepSeek preset's {base_url}/chat/completions with the key
from DEEPSEEK_API_KEY, under the preset's request rules (gapbench.models.rules): which parameters are
sent, in which ranges, the max-tokens field, the thinking switch. The key lives only on the model
object: never in ModelInfo or a message.
"""

from __future__ import annotations

import json
import os
from typing import Any

from gapbench.errors import GapbenchError, ModelCallError
from gapbench.models.http import HTTPModelBase, is_loopback, tool_calls_in
from gapbench.models.presets import get_preset, read_presets
from gapbench.models.registry import ModelOptions, register_provider
from gapbench.models.reasoning import split_reasoning
from gapbench.models.rules import omitted, resolve, sampling_params, split_thinking, switch_fields, \
    token_fields
from gapbench.types import Request, Response


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}, ...]
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content)


class OpenAICompatModel(HTTPModelBase):
    """A model behind an OpenAI-compatible /chat/completions endpoint."""

    native_tools = True  # `tools` in the request, `tool_calls` in the answer

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def _body(self, request: Request, budget_factor: int = 1) -> tuple[dict[str, Any], int]:
        """The request body under the preset's rules, and the reasoning budget it carries."""
        if request.messages:
            messages = [{"role": role, "content": content} for role, content in request.messages]
        else:
            messages = [{"role": "user", "content": request.prompt}]
        body: dict[str, Any] = {"model": self.info.model, "messages": messages}
        eff = self.rules
        total, reasoning = token_fields(eff, request.max_tokens, budget_factor)
        body[eff.rules.max_tokens_field] = total
        body.update(sampling_params(eff, request.temperature, request.top_p))
        if not omitted(eff, "seed"):
            body["seed"] = request.seed
        if request.stop and not omitted(eff, "stop"):
            body["stop"] = list(request.stop)
        if request.tools:
            body["tools"] = [{"type": "function", "function": fn} for fn in json.loads(request.tools)]
        return switch_fields(eff, body, request.temperature, reasoning), reasoning

    async def _ask(self, request: Request, budget_factor: int) -> tuple[Response, int]:
        body, reasoning_budget = self._body(request, budget_factor)
        data, latency = await self._post_json(f"{self.info.base_url}/chat/completions", body)
        choices = data.get("choices")
        if not choices or not isinstance(choices, list) or not isinstance(choices[0], dict):
            err = data.get("error") or data.get("message") or data
            raise ModelCallError(f"{self.info.name}: no choices in response: {self._clean(err)}",
                                 retryable=False)
        choice = choices[0]
        message = choice.get("message") or {}
        reasoning = _content_text(message.get("reasoning_content") or message.get("reasoning"))
        answer, think = split_reasoning(_content_text(message.get("content")))
        usage = data.get("usage") or {}
        return Response(
            text=answer,
            reasoning="\n\n".join(r for r in (reasoning.strip(), think) if r),
            input_tokens=int(usage.get("prompt_tokens") or usage.get("input_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or usage.get("output_tokens") or 0),
            latency_s=latency,
            raw=data,
            finish_reason=choice.get("finish_reason"),
            tool_calls=tool_calls_in(data),
        ), reasoning_budget


def _make_factory(preset_name: str):
    def factory(model: str, options: ModelOptions) -> OpenAICompatModel:
        preset = get_preset(preset_name)
        typed = model
        model, thinking = split_thinking(model)
        if not model:
            raise GapbenchError(f"--model {preset_name}/: give a model id, e.g. "
                                f"{preset_name}/{(preset['default_models'] or ['MODEL'])[0]}")
        env_url = os.environ.get(f"{preset_name.upper()}_BASE_URL")
        base_url = (options.base_url or env_url or preset["base_url"]).rstrip("/")
        key_env = preset["api_key_env"]
        api_key = options.api_key or os.environ.get(key_env) or None
        custom_url = base_url != preset["base_url"].rstrip("/")
        # plain openai/ against any custom URL (a local server) and any preset on loopback need no key
        needs_key = not is_loopback(base_url) and not (preset_name == "openai" and custom_url)
        if api_key is None and needs_key:
            raise GapbenchError(f"--model {preset_name}/{typed}: set {key_env} to call {preset_name}")
        rules = resolve(preset, model, thinking, f"{preset_name}/{typed}",
                        (options.extra or {}).get("reasoning_budget_cap"))
        return OpenAICompatModel(preset_name, model, base_url, api_key, options, rules, f"{preset_name}/{typed}")

    return factory


def _register() -> None:
    for preset in read_presets():
        if preset["protocol"] != "openai":
            continue
        name = preset["name"]
        desc = f"{preset['notes']} [{preset['country']}; key {preset['api_key_env']}; {preset['base_url']}]"
        register_provider(name, _make_factory(name), desc)


_register()
