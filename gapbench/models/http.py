"""HTTP plumbing shared by the providers that speak to a server (OpenAI-compatible, Anthropic):
httpx clients per event loop (sharded: one pool with hundreds of connections spends its time scanning them),
the run's adaptive limiter per endpoint, retries with backoff, timing, redacted error messages, and the
truncation rule (an answer cut off by the token limit is an error, asked once more with a larger
reasoning budget where the preset allows it), and the native function calls of a raw payload."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from typing import Any
from urllib.parse import urlparse

import httpx

from gapbench.errors import ModelCallError
from gapbench.models.base import ModelInfo
from gapbench.models.registry import ModelOptions
from gapbench.models.retry import call_with_retries, one_line, redact
from gapbench.models.rules import Effective
from gapbench.models.truncation import is_truncated, truncation_error
from gapbench.types import Request, Response, ToolCall


def is_loopback(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


CONNECTIONS_PER_CLIENT = 32  # requests in flight one httpx pool serves well (its scheduling is O(connections))


def retry_settings(options: ModelOptions) -> tuple[float, float]:
    """(base_delay, max_delay) for retries; tests shrink them through ModelOptions.extra."""
    extra = options.extra or {}
    return float(extra.get("retry_base_delay", 0.5)), float(extra.get("retry_max_delay", 30.0))


class HTTPModelBase:
    """Shared plumbing: a lazily created httpx client per event loop, retries, timing."""

    def __init__(self, provider: str, model: str, base_url: str, api_key: str | None,
                 options: ModelOptions | None = None, rules: Effective | None = None, name: str | None = None):
        options = options or ModelOptions()
        self.rules = rules
        settings = rules.settings() if rules is not None else {}
        extra = rules.manifest() if rules is not None else {}
        self.info = ModelInfo(name=name or f"{provider}/{model}", provider=provider, model=model,
                              base_url=base_url.rstrip("/"), chat=True, supports_loglikelihood=False,
                              settings=settings, extra=extra)
        self.max_concurrency = max(1, int(options.concurrency))
        self._api_key = api_key or None
        self._timeout_s = float(options.timeout_s)
        self._max_retries = int(options.max_retries)
        self._base_delay, self._max_delay = retry_settings(options)
        self._clients: list[httpx.AsyncClient] = []
        self._next = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.limiter = None  # the run's AdaptiveLimiter of this endpoint (gapbench.runner.limiter), set by the runner

    def limiter_key(self) -> str | None:
        """Models of one run that call the same endpoint share one adaptive limiter."""
        return f"{self.info.provider}|{self.info.base_url}" if self.info.base_url else None

    def __repr__(self) -> str:  # never shows the key
        return f"{type(self).__name__}({self.info.name!r}, base_url={self.info.base_url!r})"

    def _headers(self) -> dict[str, str]:
        raise NotImplementedError

    def _get_client(self) -> httpx.AsyncClient:
        """The next of ceil(concurrency / 32) clients, round robin: httpcore scans every connection of its pool
        on each request event, so one pool of 512 connections cost 14 s of CPU for 300 requests where 16 pools
        of 32 cost 3 s (notes/issue12.md)."""
        loop = asyncio.get_running_loop()
        if not self._clients or self._loop is not loop or any(c.is_closed for c in self._clients):
            shards = max(1, math.ceil(self.max_concurrency / CONNECTIONS_PER_CLIENT))
            per = math.ceil(self.max_concurrency / shards)
            limits = httpx.Limits(max_connections=max(10, per * 2))
            self._clients = [httpx.AsyncClient(timeout=httpx.Timeout(self._timeout_s), limits=limits)
                             for _ in range(shards)]
            self._loop = loop
        return self._clients[next(self._next) % len(self._clients)]

    async def _post_json(self, url: str, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
        """POST with retries, each attempt admitted by the endpoint's limiter (when the runner set one);
        returns (parsed JSON body, latency in seconds)."""
        client = self._get_client()
        headers = self._headers()

        async def send() -> httpx.Response:
            # wait_for bounds the whole request, even a server that trickles bytes forever
            return await asyncio.wait_for(client.post(url, json=body, headers=headers),
                                          self._timeout_s + 1.0)

        if self.limiter is not None:  # tokens estimated from the body (~4 characters a token) and the answer cap
            answer = body.get("max_tokens") or body.get("max_completion_tokens") or 0
            send = self.limiter.wrap(send, tokens=len(json.dumps(body, ensure_ascii=False)) // 4 + int(answer))
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

    async def _ask(self, request: Request, budget_factor: int) -> tuple[Response, int]:
        """One call; returns the response and the reasoning budget it was asked with."""
        raise NotImplementedError

    async def generate(self, request: Request) -> Response:
        response, budget = await self._ask(request, 1)
        if not is_truncated(response):
            return response
        factor = self.rules.retry_factor() if self.rules is not None else 0
        if factor > 1:  # thinking ate the budget: once more with a larger reasoning budget
            again, larger = await self._ask(request, factor)
            if not is_truncated(again):
                return again
            raise truncation_error(again, request.max_tokens, budget, larger)
        raise truncation_error(response, request.max_tokens, budget)

    def _clean(self, text: Any) -> str:
        return one_line(redact(str(text), (self._api_key,)))

    async def loglikelihood(self, request: Request) -> Response:
        raise ModelCallError(f"provider {self.info.provider} does not give prompt log-probabilities; "
                             "use a generative method", retryable=False)

    async def aclose(self) -> None:
        clients, self._clients = self._clients, []
        for client in clients:
            if not client.is_closed:
                await client.aclose()


def _arguments(raw: Any) -> Any:
    """A call's arguments: a dict where the JSON parses, else the text as sent (a malformed call)."""
    if isinstance(raw, dict):
        return raw
    try:
        parsed = json.loads(raw) if isinstance(raw, str) and raw.strip() else {}
    except ValueError:
        return raw
    return parsed if isinstance(parsed, dict) else raw


def tool_calls_in(raw: Any) -> tuple[ToolCall, ...]:
    """The native function calls in a provider's raw payload (also a stored one): OpenAI's
    `choices[0].message.tool_calls` (and the older `function_call`), Anthropic's `tool_use` blocks."""
    if not isinstance(raw, dict):
        return ()
    calls: list[ToolCall] = []
    choices = raw.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message") or {}
        items = message.get("tool_calls") or ([{"function": message["function_call"]}]
                                               if isinstance(message.get("function_call"), dict) else [])
        for item in items:
            fn = item.get("function") if isinstance(item, dict) else None
            if isinstance(fn, dict) and fn.get("name"):
                calls.append(ToolCall(str(fn["name"]), _arguments(fn.get("arguments"))))
    for block in raw.get("content") if isinstance(raw.get("content"), list) else ():
        if isinstance(block, dict) and block.get("type") == "tool_use" and block.get("name"):
            calls.append(ToolCall(str(block["name"]), _arguments(block.get("input"))))
    return tuple(calls)
