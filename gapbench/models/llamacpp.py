"""Local GGUF models through llama-cpp-python: `llamacpp/PATH.gguf` and the bundled `local/` aliases.

Loglikelihood comes from the raw logits (`logits_all=True`, `llm.scores`), never from `echo=True`
prompt logprobs, which are shifted by one token on models that add no BOS token
(abetlen/llama-cpp-python#1983).
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from gapbench.errors import GapbenchError, ModelCallError
from gapbench.models.base import ModelInfo
from gapbench.models.local_assets import LOCAL_MODELS, file_sha256, locate
from gapbench.models.registry import ModelOptions, register_provider
from gapbench.scoring.extract import split_reasoning
from gapbench.types import Request, Response


def _import_llama():
    try:
        from llama_cpp import Llama
    except ImportError:
        raise GapbenchError("local models need llama-cpp-python: pip install 'gapbench[local]'") from None
    return Llama


def log_softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits.astype(np.float64)
    m = logits.max(axis=-1, keepdims=True)
    return logits - m - np.log(np.exp(logits - m).sum(axis=-1, keepdims=True))


class LlamaCppModel:
    """One GGUF file. Calls run one at a time in a worker thread (a llama.cpp context is not shared)."""

    max_concurrency = 1

    def __init__(self, name: str, path: Path, options: ModelOptions, chat: bool = True):
        if not path.exists():
            raise GapbenchError(f"--model {name}: GGUF file not found: {path}")
        self.path = path
        self.options = options
        self.n_threads = options.n_threads or int(os.environ.get("GAPBENCH_THREADS", 0)) or os.cpu_count() or 1
        self.info = ModelInfo(
            name=name, provider="llamacpp", model=str(path), file_sha256=file_sha256(path),
            chat=chat, supports_loglikelihood=True,
            extra={"file": path.name, "n_ctx": options.n_ctx},
        )
        self._gen = None  # Llama for generation
        self._ll = None  # Llama with logits_all=True for loglikelihood
        self._lock = asyncio.Lock()

    # llama.cpp contexts, created on first use ------------------------------------------
    def _load(self, logits_all: bool):
        Llama = _import_llama()
        return Llama(model_path=str(self.path), n_ctx=self.options.n_ctx, n_threads=self.n_threads,
                     n_threads_batch=self.n_threads, logits_all=logits_all, seed=1234, verbose=False)

    def generation_llama(self):
        if self._gen is None:
            self._gen = self._load(False)
        return self._gen

    def loglikelihood_llama(self):
        if self._ll is None:
            self._ll = self._load(True)
        return self._ll

    # Model protocol ---------------------------------------------------------------
    async def generate(self, request: Request) -> Response:
        async with self._lock:
            return await asyncio.to_thread(self._generate_sync, request)

    async def loglikelihood(self, request: Request) -> Response:
        async with self._lock:
            return await asyncio.to_thread(self._loglikelihood_sync, request)

    async def aclose(self) -> None:
        for llm in (self._gen, self._ll):
            if llm is not None and hasattr(llm, "close"):
                llm.close()
        self._gen = self._ll = None

    # work -------------------------------------------------------------------------
    def _generate_sync(self, request: Request) -> Response:
        llm = self.generation_llama()
        params: dict[str, Any] = dict(max_tokens=request.max_tokens, temperature=request.temperature,
                                      top_p=request.top_p, seed=request.seed, stop=list(request.stop) or None)
        start = time.perf_counter()
        try:
            if request.messages and self.info.chat:
                raw = llm.create_chat_completion(
                    messages=[{"role": r, "content": c} for r, c in request.messages], **params)
                content = raw["choices"][0]["message"].get("content") or ""
            else:
                prompt = request.prompt or "\n\n".join(c for _, c in request.messages)
                raw = llm.create_completion(prompt=prompt, **params)
                content = raw["choices"][0]["text"]
        except ValueError as e:  # e.g. prompt longer than the context window
            raise ModelCallError(f"llama.cpp: {e}", retryable=False) from None
        latency = time.perf_counter() - start
        text, reasoning = split_reasoning(content)
        usage = raw.get("usage") or {}
        return Response(text=text, reasoning=reasoning, input_tokens=usage.get("prompt_tokens", 0),
                        output_tokens=usage.get("completion_tokens", 0), latency_s=latency, raw=raw,
                        finish_reason=raw["choices"][0].get("finish_reason"))

    def tokens_for(self, llm, context: str, continuation: str) -> tuple[list[int], list[int]]:
        """Context and continuation tokens, split where tokenising the whole text puts the boundary."""
        ctx = llm.tokenize(context.encode("utf-8"), add_bos=True, special=False)
        whole = llm.tokenize((context + continuation).encode("utf-8"), add_bos=True, special=False)
        if len(whole) > len(ctx) and whole[: len(ctx)] == ctx:
            return ctx, whole[len(ctx):]
        return ctx, llm.tokenize(continuation.encode("utf-8"), add_bos=False, special=False)

    def _loglikelihood_sync(self, request: Request) -> Response:
        llm = self.loglikelihood_llama()
        start = time.perf_counter()
        ctx, cont = self.tokens_for(llm, request.prompt, request.continuation)
        if not ctx or not cont:
            raise ModelCallError("loglikelihood needs a non-empty context and continuation", retryable=False)
        tokens = ctx + cont
        n_ctx = llm.n_ctx()
        if len(tokens) > n_ctx:  # keep the end of the context, as other harnesses do
            cut = len(tokens) - n_ctx
            ctx, tokens = ctx[cut:], tokens[cut:]
        # Reuse the evaluated prefix shared with the previous request (the same question, another choice).
        prefix = 0
        limit = min(llm.n_tokens, len(tokens) - 1)
        previous = llm.input_ids
        while prefix < limit and previous[prefix] == tokens[prefix]:
            prefix += 1
        llm.n_tokens = prefix
        llm.eval(tokens[prefix:])
        rows = log_softmax(np.asarray(llm.scores[len(ctx) - 1 : len(tokens) - 1]))
        picked = rows[np.arange(len(cont)), cont]
        greedy = bool(np.all(rows.argmax(axis=-1) == np.asarray(cont)))
        latency = time.perf_counter() - start
        raw = {"context_tokens": len(ctx), "continuation_tokens": cont, "token_logprobs": picked.tolist(),
               "reused_prefix_tokens": prefix}
        return Response(logprob=float(picked.sum()), is_greedy=greedy, n_continuation_tokens=len(cont),
                        input_tokens=len(tokens) - prefix, output_tokens=0, latency_s=latency, raw=raw)


def _gguf_factory(model: str, options: ModelOptions) -> LlamaCppModel:
    return LlamaCppModel(f"llamacpp/{model}", Path(model).expanduser(), options,
                         chat=not options.extra.get("no_chat", False))


def _local_factory(alias: str, options: ModelOptions) -> LlamaCppModel:
    spec, path = locate(alias)
    return LlamaCppModel(f"local/{alias}", path, options, chat=spec.chat)


register_provider("llamacpp", _gguf_factory, "a GGUF file through llama-cpp-python: llamacpp/PATH.gguf")
register_provider("local", _local_factory,
                  "bundled small models from pip packages: " + ", ".join(f"local/{a}" for a in LOCAL_MODELS))
