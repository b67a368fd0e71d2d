"""OpenAI chat-completions providers: `openai/` plus every protocol-"openai" preset in presets.yaml.

`deepseek/deepseek-chat` posts to the DeepSeek preset's {base_url}/chat/completions with the key
from DEEPSEEK_API_KEY. The key lives only on the model object: never in ModelInfo or a message.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import os
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import yaml

from gapbench.errors import GapbenchError, ModelCallError
from gapbench.models.base import ModelInfo
from gapbench.models.registry import ModelOptions, register_provider
from gapbench.models.retry import call_with_retries, one_line, redact
from gapbench.scoring.extract import split_reasoning
from gapbench.types import Request, Response

PRESETS_FILE = Path(__file__).with_name("presets.yaml")
_PRESET_FIELDS = ("name", "base_url", "api_key_env", "protocol", "default_models", "country", "notes")


REASONING_BUDGET = 16384  # o1/o3/GPT-5: completion tokens allowed for hidden reasoning besides the answer


@functools.lru_cache(maxsize=1)
def _read_presets() -> tuple[dict, ...]:
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
    return copy.deepcopy(list(_read_presets()))


def get_preset(name: str) -> dict:
    for p in _read_presets():
        if p["name"] == name:
            return copy.deepcopy(p)
    raise GapbenchError(f"{PRESETS_FILE}: no preset named '{name}'")


def is_loopback(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def retry_settings(options: ModelOptions) -> tuple[float, float]:
    """(base_delay, max_delay) for retries; tests shrink them through ModelOptions.extra."""
    extra = options.extra or {}
    return float(extra.get("retry_base_delay", 0.5)), float(extra.get("retry_max_delay", 30.0))


class HTTPModelBase:
    """Shared plumbing: a lazily created httpx client per event loop, retries, timing."""

    def __init__(self, info: ModelInfo, api_key: str | None, options: ModelOptions,
                 base_delay: float | None = None, max_delay: float | None = None):
        self.info = info
        self.max_concurrency = max(1, int(options.concurrency))
        self._api_key = api_key or None
        self._timeout_s = float(options.timeout_s)
        self._max_retries = int(options.max_retries)
        bd, md = retry_settings(options)
        self._base_delay = bd if base_delay is None else base_delay
        self._max_delay = md if max_delay is None else max_delay
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:  # never shows the key
        return f"{type(self).__name__}({self.info.name!r}, base_url={self.info.base_url!r})"

    def _headers(self) -> dict[str, str]:
        raise NotImplementedError

    def _get_client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop or self._client.is_closed:
            limits = httpx.Limits(max_connections=max(10, self.max_concurrency * 2))
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(self._timeout_s), limits=limits)
            self._loop = loop
        return self._client

    async def _post_json(self, url: str, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
        """POST with retries; returns (parsed JSON body, latency in seconds)."""
        client = self._get_client()
        headers = self._headers()

        async def send() -> httpx.Response:
            # wait_for bounds the whole request, even a server that trickles bytes forever
            return await asyncio.wait_for(client.post(url, json=body, headers=headers),
                                          self._timeout_s + 1.0)

        t0 = time.perf_counter()
        resp = await call_with_retries(send, max_retries=self._max_retries, base_delay=self._base_delay,
                                       max_delay=self._max_delay, secrets=(self._api_key,))
        latency = time.perf_counter() - t0
        try:
            data = resp.json()
        except ValueError as exc:
            raise ModelCallError(f"{self.info.name}: response is not JSON: {self._clean(resp.text)}",
                                 retryable=True) from exc
        if not isinstance(data, dict):
            raise ModelCallError(f"{self.info.name}: response is not a JSON object: {self._clean(resp.text)}",
                                 retryable=False)
        return data, latency

    def _clean(self, text: Any) -> str:
        return one_line(redact(str(text), (self._api_key,)))

    async def loglikelihood(self, request: Request) -> Response:
        raise ModelCallError(f"provider {self.info.provider} does not give prompt log-probabilities; "
                             "use a generative method", retryable=False)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None and not client.is_closed:
            await client.aclose()


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}, ...]
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content)


def _uses_completion_tokens(base_url: str, model: str) -> bool:
    """OpenAI reasoning models reject max_tokens/temperature/top_p on chat completions."""
    return "api.openai.com" in base_url and re.match(r"^(o\d|gpt-5)", model) is not None


class OpenAICompatModel(HTTPModelBase):
    """A model behind an OpenAI-compatible /chat/completions endpoint."""

    def __init__(self, provider: str, model: str, base_url: str, api_key: str | None,
                 options: ModelOptions | None = None, *, base_delay: float | None = None,
                 max_delay: float | None = None):
        options = options or ModelOptions()
        base_url = base_url.rstrip("/")
        info = ModelInfo(name=f"{provider}/{model}", provider=provider, model=model, base_url=base_url,
                         chat=True, supports_loglikelihood=False)
        super().__init__(info, api_key, options, base_delay, max_delay)

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def _body(self, request: Request) -> dict[str, Any]:
        if request.messages:
            messages = [{"role": role, "content": content} for role, content in request.messages]
        else:
            messages = [{"role": "user", "content": request.prompt}]
        body: dict[str, Any] = {"model": self.info.model, "messages": messages}
        if _uses_completion_tokens(self.info.base_url, self.info.model):
            # reasoning models spend hidden tokens from the same budget: keep the answer's budget on top
            body["max_completion_tokens"] = request.max_tokens + REASONING_BUDGET
        else:
            body.update(max_tokens=request.max_tokens, temperature=request.temperature, top_p=request.top_p)
        body["seed"] = request.seed
        if request.stop:
            body["stop"] = list(request.stop)
        return body

    async def generate(self, request: Request) -> Response:
        data, latency = await self._post_json(f"{self.info.base_url}/chat/completions", self._body(request))
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
        )


def _make_factory(preset_name: str):
    def factory(model: str, options: ModelOptions) -> OpenAICompatModel:
        preset = get_preset(preset_name)
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
            raise GapbenchError(f"--model {preset_name}/{model}: set {key_env} to call {preset_name}")
        return OpenAICompatModel(preset_name, model, base_url, api_key, options)

    return factory


def _register() -> None:
    for preset in _read_presets():
        if preset["protocol"] != "openai":
            continue
        name = preset["name"]
        desc = f"{preset['notes']} [{preset['country']}; key {preset['api_key_env']}; {preset['base_url']}]"
        register_provider(name, _make_factory(name), desc)


_register()
