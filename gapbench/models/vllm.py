"""vLLM servers as a backend: `vllm/MODEL` with `--base-url URL[,URL…]` (or $VLLM_BASE_URL).

- Generation: OpenAI chat completions (/v1/chat/completions), or plain completions (/v1/completions)
  where the served model has no chat template.
- Log-likelihood: prompt log-probabilities of token ids (/v1/completions with `prompt_logprobs`, the
  prompt given as token ids, one generated token). The context/continuation split is the local path's
  (`LlamaCppModel.tokens_for`): tokenise the context and context+continuation with the server's
  tokenizer (POST /tokenize, special tokens as the model adds them); if the whole starts with the
  context tokens the continuation is the rest, else the continuation is tokenised alone. Several
  requests leave in one call (a list of token-id prompts) when they queue for the same replica.
- Identity (cache key and manifest): the served model id, the revision (`vllm/MODEL@REV`, as given to
  `vllm serve --revision`; vLLM does not report it, so without it the server's `root` stands in),
  the server's max_model_len and a fingerprint of its tokenizer (sha256 of the token ids of a fixed
  multilingual probe text). The URLs are not in the cache key: any replica of the same model answers
  the same request. Replicas that disagree on any of these are refused at start.
- Several replicas (gapbench.models.replicas): items pinned by hash, a cap of requests in flight per
  replica (`URL?cap=N`, default 64), failover when one fails or is drained.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from collections import OrderedDict
from typing import Any

import httpx

from gapbench.errors import GapbenchError, ModelCallError
from gapbench.models.base import ModelInfo
from gapbench.models.openai_compat import OpenAICompatModel
from gapbench.models.registry import ModelOptions, register_provider
from gapbench.models.replicas import Replica, ReplicaPool, parse_base_urls
from gapbench.models.retry import call_with_retries, one_line, redact
from gapbench.models.rules import Effective, RequestRules
from gapbench.types import Request, Response

DEFAULT_CAP = 64  # requests in flight per replica
DEFAULT_BATCH = 8  # log-likelihood prompts per call
TOKENIZER_PROBE = ("The quick brown fox jumps over 13 lazy dogs, 2,048.5 times!\n\t"
                   "快速的棕色狐狸跳过了懒狗。「你好」，世界？ def f(x):\n    return x ** 2  # Ünïcödé — ¿qué? 🙂")
_TOKEN_CACHE = 4096


def fingerprint(tokens: list[int]) -> str:
    return hashlib.sha256(json.dumps(tokens).encode()).hexdigest()[:16]


def split_revision(model: str) -> tuple[str, str | None]:
    """('Qwen/Qwen3-8B', 'a1b2c3') for 'Qwen/Qwen3-8B@a1b2c3'."""
    name, at, rev = model.rpartition("@")
    return (name, rev) if at and name and rev else (model, None)


class ServerFacts:
    """What one replica says about itself at start (synchronous: model factories are not async)."""

    def __init__(self, url: str, model: str, headers: dict[str, str], timeout_s: float, secret: str | None):
        with httpx.Client(timeout=min(timeout_s, 30.0), headers=headers) as client:
            def call(method: str, path: str, body: dict | None = None) -> httpx.Response:
                try:
                    return client.request(method, url + path, json=body)
                except httpx.HTTPError as e:
                    raise ConnectionError(one_line(redact(f"{type(e).__name__}: {e}", (secret,)))) from None

            listing = call("GET", "/v1/models")
            if listing.status_code in (401, 403):
                raise GapbenchError(f"--base-url {url}: HTTP {listing.status_code} (set VLLM_API_KEY to the "
                                    "server's --api-key)")
            if listing.status_code != 200:
                raise ConnectionError(f"GET /v1/models: HTTP {listing.status_code}")
            served = {m.get("id"): m for m in listing.json().get("data") or [] if isinstance(m, dict)}
            if model not in served:
                raise GapbenchError(f"--model vllm/{model}: {url} serves {', '.join(map(str, served)) or 'nothing'}")
            card = served[model]
            self.root = str(card.get("root") or model)
            self.max_model_len = int(card.get("max_model_len") or 0)
            version = call("GET", "/version")
            self.version = version.json().get("version") if version.status_code == 200 else None
            probe = call("POST", "/tokenize", {"model": model, "prompt": TOKENIZER_PROBE, "add_special_tokens": True})
            if probe.status_code != 200:
                raise GapbenchError(f"--base-url {url}: POST /tokenize answered HTTP {probe.status_code}; "
                                    "gapbench's vllm/ provider needs a vLLM OpenAI server")
            self.tokenizer = fingerprint(probe.json()["tokens"])
            chat = call("POST", "/tokenize", {"model": model, "messages": [{"role": "user", "content": "hi"}],
                                              "add_generation_prompt": True})
            self.chat = chat.status_code == 200

    def key(self) -> tuple:
        return self.root, self.max_model_len, self.tokenizer, self.chat


class VLLMModel(OpenAICompatModel):
    """One model served by one or more vLLM replicas."""

    def __init__(self, typed: str, model: str, revision: str | None, urls: list[tuple[str, int | None]],
                 api_key: str | None, options: ModelOptions):
        rules = Effective(preset="vllm", model=model, rules=RequestRules(), thinking="none")
        super().__init__("vllm", model, "", api_key, options, rules, f"vllm/{typed}")
        cap = int((options.extra or {}).get("replica_cap") or DEFAULT_CAP)
        self.batch = int((options.extra or {}).get("batch") or DEFAULT_BATCH)
        self.pool = ReplicaPool(urls, cap, cooldown_s=float((options.extra or {}).get("cooldown_s", 2.0)))
        facts, unreachable = self._probe(model, urls)
        first = facts[0][1]
        self.max_model_len = first.max_model_len
        settings = {"revision": revision or first.root, "max_model_len": first.max_model_len,
                    "tokenizer": first.tokenizer}
        self.info = ModelInfo(
            name=f"vllm/{typed}", provider="vllm", model=model, base_url="", chat=first.chat,
            supports_loglikelihood=True, settings=settings,
            extra={"server": f"vLLM {first.version}" if first.version else "vLLM", "root": first.root,
                   "revision_given": revision is not None, "tokenizer_probe": "sha256 of /tokenize(probe)[:16]",
                   "replicas": [{"url": r.url, "cap": r.cap} for r in self.pool.replicas],
                   "unreachable_at_start": unreachable, "loglikelihood_batch": self.batch})
        self.max_concurrency = self.pool.capacity
        self._loglik = self.pool.lane(self._send_loglikelihood, self.batch)
        self._tokenize = self.pool.lane(self._send_tokenize, 1, metered=False)
        self._generate = self.pool.lane(self._send_generate, 1)
        self._tokens: OrderedDict[tuple[str, bool], list[int]] = OrderedDict()

    def _probe(self, model: str, urls: list[tuple[str, int | None]]) -> tuple[list, list[str]]:
        facts, unreachable = [], []
        for replica in self.pool.replicas:
            try:
                facts.append((replica.url, ServerFacts(replica.url, model, self._headers(), self._timeout_s,
                                                       self._api_key)))
            except (ConnectionError, ValueError, KeyError) as e:
                unreachable.append(f"{replica.url}: {e}")
                replica.down_until = time.monotonic() + self.pool.base_cooldown_s
        if not facts:
            raise GapbenchError(f"--model {self.info.name}: no replica answered: {'; '.join(unreachable)}")
        ref_url, ref = facts[0]
        for url, other in facts[1:]:
            if other.key() != ref.key():
                raise GapbenchError(f"--base-url: {url} and {ref_url} do not serve the same model "
                                    f"(root, max_model_len, tokenizer, chat template: {other.key()} vs {ref.key()})")
        return facts, unreachable

    # HTTP --------------------------------------------------------------------------------------
    async def _http(self, replica: Replica, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """One POST to one replica, no retry here: the lane fails over to another replica instead."""
        client, headers = self._get_client(), self._headers()

        async def send() -> httpx.Response:
            return await asyncio.wait_for(client.post(replica.url + path, json=body, headers=headers),
                                          self._timeout_s + 1.0)

        try:
            resp = await call_with_retries(send, max_retries=0, secrets=(self._api_key,))
            data = resp.json()
        except ModelCallError as e:
            raise ModelCallError(f"{replica.url}{path}: {e}", retryable=e.retryable) from None
        except ValueError:
            raise ModelCallError(f"{replica.url}{path}: response is not JSON: {self._clean(resp.text)}") from None
        if not isinstance(data, dict):
            raise ModelCallError(f"{replica.url}{path}: not a JSON object: {self._clean(data)}", retryable=False)
        return data

    async def _send_tokenize(self, replica: Replica, payloads: list[tuple[str, bool]]) -> list[list[int]]:
        text, special = payloads[0]
        data = await self._http(replica, "/tokenize", {"model": self.info.model, "prompt": text,
                                                       "add_special_tokens": special})
        return [[int(t) for t in data["tokens"]]]

    async def _send_generate(self, replica: Replica, payloads: list[tuple[str, dict]]) -> list[dict]:
        path, body = payloads[0]
        return [await self._http(replica, path, body)]

    async def _send_loglikelihood(self, replica: Replica, prompts: list[list[int]]) -> list[tuple[str, list]]:
        body = {"model": self.info.model, "prompt": prompts, "max_tokens": 1, "temperature": 0.0,
                "prompt_logprobs": 1}
        data = await self._http(replica, "/v1/completions", body)
        choices = sorted(data.get("choices") or [], key=lambda c: int(c.get("index", 0)))
        if len(choices) != len(prompts) or any(c.get("prompt_logprobs") is None for c in choices):
            raise ModelCallError(f"{replica.url}/v1/completions: {len(choices)} choices with prompt_logprobs "
                                 f"for {len(prompts)} prompts", retryable=False)
        return [(replica.url, c["prompt_logprobs"]) for c in choices]

    # generation ----------------------------------------------------------------------------------
    async def _post_json(self, url: str, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
        """OpenAICompatModel posts to `{base_url}/chat/completions` (base_url is empty here): route it."""
        key = json.dumps(body.get("messages") or body.get("prompt"), ensure_ascii=False)
        started = time.perf_counter()
        data = await self._generate.ask(key, ("/v1" + url, body))
        return data, time.perf_counter() - started

    async def _ask(self, request: Request, budget_factor: int) -> tuple[Response, int]:
        if request.messages and self.info.chat:
            return await super()._ask(request, budget_factor)
        prompt = request.prompt or "\n\n".join(c for _, c in request.messages)
        body: dict[str, Any] = {"model": self.info.model, "prompt": prompt, "max_tokens": request.max_tokens,
                                "temperature": request.temperature, "top_p": request.top_p, "seed": request.seed}
        if request.stop:
            body["stop"] = list(request.stop)
        data, latency = await self._post_json("/completions", body)
        choice = (data.get("choices") or [{}])[0]
        usage = data.get("usage") or {}
        return Response(text=str(choice.get("text") or ""), input_tokens=int(usage.get("prompt_tokens") or 0),
                        output_tokens=int(usage.get("completion_tokens") or 0), latency_s=latency, raw=data,
                        finish_reason=choice.get("finish_reason")), 0

    # log-likelihood ------------------------------------------------------------------------------
    async def tokenize(self, key: str, text: str, special: bool) -> list[int]:
        cached = self._tokens.get((text, special))
        if cached is not None:
            self._tokens.move_to_end((text, special))
            return cached
        tokens = await self._tokenize.ask(key, (text, special))
        self._tokens[(text, special)] = tokens
        while len(self._tokens) > _TOKEN_CACHE:
            self._tokens.popitem(last=False)
        return tokens

    async def tokens_for(self, context: str, continuation: str) -> tuple[list[int], list[int]]:
        """Context and continuation tokens, split as LlamaCppModel.tokens_for splits them."""
        ctx = await self.tokenize(context, context, True)
        whole = await self.tokenize(context, context + continuation, True)
        if len(whole) > len(ctx) and whole[: len(ctx)] == ctx:
            return ctx, whole[len(ctx):]
        return ctx, await self.tokenize(context, continuation, False)

    async def loglikelihood(self, request: Request) -> Response:
        started = time.perf_counter()
        ctx, cont = await self.tokens_for(request.prompt, request.continuation)
        if not ctx or not cont:
            raise ModelCallError("loglikelihood needs a non-empty context and continuation", retryable=False)
        tokens = ctx + cont
        room = self.max_model_len - 1 if self.max_model_len else len(tokens)  # one generated token
        if len(tokens) > room:  # keep the end of the context, as the local path does
            cut = len(tokens) - room
            if cut >= len(ctx):
                raise ModelCallError(f"continuation of {len(cont)} tokens does not fit max_model_len "
                                     f"{self.max_model_len}", retryable=False)
            ctx, tokens = ctx[cut:], tokens[cut:]
        replica, rows = await self._loglik.ask(request.prompt, tokens)
        picked, greedy = [], True
        for position in range(len(ctx), len(tokens)):
            entry = (rows[position] or {}).get(str(tokens[position]))
            if entry is None:
                raise ModelCallError(f"{replica}: no prompt log-probability for token {tokens[position]} at "
                                     f"position {position}", retryable=False)
            picked.append(float(entry["logprob"]))
            greedy = greedy and int(entry.get("rank") or 0) == 1
        raw = {"context_tokens": len(ctx), "continuation_tokens": cont, "token_logprobs": picked, "replica": replica}
        return Response(logprob=sum(picked), is_greedy=greedy, n_continuation_tokens=len(cont),
                        input_tokens=len(tokens), output_tokens=0, latency_s=time.perf_counter() - started, raw=raw)

    # progress and manifest -----------------------------------------------------------------------
    def progress_note(self) -> str:
        return self.pool.note()

    def replica_counts(self) -> dict[str, Any]:
        return {"replicas": self.pool.counts(), "failovers": self.pool.failovers}

    async def aclose(self) -> None:
        for lane in (self._loglik, self._tokenize, self._generate):
            await lane.aclose()
        await super().aclose()


def _factory(model: str, options: ModelOptions) -> VLLMModel:
    typed = model
    name, revision = split_revision(model)
    if not name:
        raise GapbenchError("--model vllm/: give the served model id, e.g. vllm/Qwen/Qwen3-8B")
    urls = parse_base_urls(options.base_url or os.environ.get("VLLM_BASE_URL"))
    if not urls:
        raise GapbenchError(f"--model vllm/{typed}: give the server with --base-url URL[,URL…] (or VLLM_BASE_URL)")
    api_key = options.api_key or os.environ.get("VLLM_API_KEY") or None
    return VLLMModel(typed, name, revision, urls, api_key, options)


register_provider("vllm", _factory, "a vLLM server (or several replicas, or a router): vllm/MODEL --base-url "
                  "URL[,URL…]; exact log-likelihood from prompt log-probabilities")
