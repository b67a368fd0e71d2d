"""Local GGUF models through llama-cpp-python: `llamacpp/PATH.gguf` and the bundled `local/` aliases.

Loglikelihood comes from the raw logits that llama.cpp returns for each position (the rows that
`logits_all=True` would put in `llm.scores`, asked for only where needed), never from `echo=True`
prompt logprobs, which are shifted by one token on models that add no BOS token
(abetlen/llama-cpp-python#1983).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import numpy as np

from gapbench import settings
from gapbench.errors import GapbenchError, ModelCallError
from gapbench.models.base import ModelInfo
from gapbench.models.http import tool_calls_in
from gapbench.models.local_assets import LOCAL_MODELS, file_sha256, locate
from gapbench.models.registry import ModelOptions, register_provider
from gapbench.models.reasoning import split_reasoning
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
    """One GGUF file. Calls run one at a time in a worker thread (a llama.cpp context is not shared); with
    `options.batch` K > 1, `generate_many` / `loglikelihood_many` decode several sequences at once
    (gapbench.models.llamacpp_batch.BatchEngine, sharing the loaded weights)."""

    max_concurrency = 1
    in_process = True  # shares the machine's cores: the runner runs such models one after another
    TAIL = 8  # context tokens evaluated again with the continuation (see _logit_rows)

    def __init__(self, name: str, path: Path, options: ModelOptions, chat: bool = True):
        if not path.exists():
            raise GapbenchError(f"--model {name}: GGUF file not found: {path}")
        self.path = path
        self.options = options
        self.n_threads = settings.threads(options.n_threads)
        self.info = ModelInfo(
            name=name, provider="llamacpp", model=str(path), file_sha256=file_sha256(path),
            chat=chat, supports_loglikelihood=True, settings={"n_ctx": options.n_ctx},
            # the batch size is not in the cache key (a batched answer answers the same request), but the
            # manifest records it: llama.cpp's rounding differs slightly with the batch shape
            extra={"file": path.name, "batch": int(options.batch)},
        )
        self.batch = int(options.batch)
        self._engine = None  # BatchEngine, made in the worker thread on first use
        self._llm = None  # one llama.cpp context, created on first use
        self._last_prefix = 0
        self._head: list[int] | None = None  # context evaluated by the last loglikelihood request
        self._lock = asyncio.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama.cpp")

    @property
    def native_tools(self) -> bool:
        """Native function calling where the model's chat template takes `tools` and asks for Hermes-style
        <tool_call>{json}</tool_call> blocks (Qwen2.5), which are read back as tool calls, as llama.cpp's
        server reads them. Other templates: tool tasks use the prompt method."""
        return self.info.chat and "<tool_call>" in (self.llama().metadata.get("tokenizer.chat_template") or "")

    native_tools_note = "its chat template takes no tools (llama-cpp-python returns tool calls only for one forced tool)"

    def llama(self):
        if self._llm is None:
            Llama = _import_llama()
            self._llm = Llama(model_path=str(self.path), n_ctx=self.options.n_ctx, n_threads=self.n_threads,
                              n_threads_batch=self.n_threads, seed=1234, verbose=False)
        return self._llm

    # Model protocol ---------------------------------------------------------------
    async def _in_worker(self, fn, request: Request) -> Response:
        # Always the same OS thread: each thread that calls llama.cpp gets its own OpenMP team,
        # and several spinning teams on two cores made generation several times slower.
        async with self._lock:
            return await asyncio.get_running_loop().run_in_executor(self._worker, fn, request)

    async def generate(self, request: Request) -> Response:
        return await self._in_worker(self._generate_sync, request)

    async def loglikelihood(self, request: Request) -> Response:
        return await self._in_worker(self._loglikelihood_sync, request)

    async def fits(self, request: Request) -> bool:
        """Whether a generate request's prompt and answer fit the context window (tokens counted
        with the model's own tokenizer; chat templates add a few dozen tokens, hence the margin)."""
        if request.kind != "generate":
            return True
        text = (request.prompt or "\n".join(c for _, c in request.messages)) + request.tools
        if len(text.encode("utf-8")) + request.max_tokens + 64 <= self.options.n_ctx:
            return True  # a token is at least one byte: cannot overflow
        n = await self._in_worker(lambda _: len(self.llama().tokenize(text.encode("utf-8"), add_bos=True)), None)
        return n + request.max_tokens + 64 <= self.options.n_ctx

    async def aclose(self) -> None:
        await self._in_worker(lambda _: self._close_sync(), None)
        self._worker.shutdown(wait=True)

    # batched (--batch K > 1) ---------------------------------------------------------
    def engine(self):
        if self._engine is None:
            from gapbench.models.llamacpp_batch import BatchEngine

            self._engine = BatchEngine(self.llama(), self.batch, n_ctx=self.options.n_ctx, chat=self.info.chat,
                                       n_threads=self.n_threads)
        return self._engine

    async def generate_many(self, requests: list[Request],
                            on_response: Callable[[int, Response | Exception], None]) -> list[Response | Exception]:
        """Greedy answers, K sequences at a time (continuous batching); `on_response(i, result)` is called in the
        event loop as each finishes, so the caller can store it at once (a killed run loses only those in flight)."""
        loop = asyncio.get_running_loop()

        def finished(i: int, result: Response | Exception) -> None:
            loop.call_soon_threadsafe(on_response, i, result)

        async with self._lock:
            return await loop.run_in_executor(self._worker, lambda: self.engine().generate(requests, finished))

    async def loglikelihood_many(self, requests: list[Request]) -> list[Response | Exception]:
        """Log-likelihoods with a question's context evaluated once and its choices in one decode; neighbouring
        questions share their few-shot prefix."""
        async with self._lock:
            return await asyncio.get_running_loop().run_in_executor(
                self._worker, lambda: self.engine().loglikelihood(requests))

    def _close_sync(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        if self._llm is not None:
            self._llm.close()
        self._llm = None

    # work -------------------------------------------------------------------------
    def _generate_sync(self, request: Request) -> Response:
        llm = self.llama()
        llm.reset()  # no prefix reuse: the same request gives the same tokens whatever ran before
        self._head = None
        params: dict[str, Any] = dict(max_tokens=request.max_tokens, temperature=request.temperature,
                                      top_p=request.top_p, seed=request.seed, stop=list(request.stop) or None)
        start = time.perf_counter()
        try:
            if request.messages and self.info.chat:
                tools = [{"type": "function", "function": f} for f in json.loads(request.tools)] if request.tools else None
                raw = llm.create_chat_completion(
                    messages=[{"role": r, "content": c} for r, c in request.messages], tools=tools, **params)
                content = raw["choices"][0]["message"].get("content") or ""
                if tools:  # the template's <tool_call> blocks, added to the raw message as tool_calls
                    content = _tool_call_blocks(raw, content)
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
                        finish_reason=raw["choices"][0].get("finish_reason"), tool_calls=tool_calls_in(raw))

    def tokens_for(self, llm, context: str, continuation: str) -> tuple[list[int], list[int]]:
        """Context and continuation tokens, split where tokenising the whole text puts the boundary."""
        ctx = llm.tokenize(context.encode("utf-8"), add_bos=True, special=False)
        whole = llm.tokenize((context + continuation).encode("utf-8"), add_bos=True, special=False)
        if len(whole) > len(ctx) and whole[: len(ctx)] == ctx:
            return ctx, whole[len(ctx):]
        return ctx, llm.tokenize(continuation.encode("utf-8"), add_bos=False, special=False)

    def _decode(self, llm, tokens: list[int], start: int, logits_from: int) -> list[np.ndarray]:
        """Evaluate tokens at positions start…, in n_batch chunks; return the logit rows of positions
        >= logits_from."""
        n_vocab, rows, batch = llm.n_vocab(), [], llm._batch
        for offset in range(0, len(tokens), llm.n_batch):
            chunk = tokens[offset : offset + llm.n_batch]
            b = batch.batch
            b.n_tokens = len(chunk)
            for j, token in enumerate(chunk):
                pos = start + offset + j
                b.token[j], b.pos[j], b.n_seq_id[j], b.logits[j] = token, pos, 1, pos >= logits_from
                b.seq_id[j][0] = 0
            llm._ctx.decode(batch)
            rows += [np.ctypeslib.as_array(llm._ctx.get_logits_ith(j), shape=(n_vocab,)).copy()
                     for j in range(len(chunk)) if start + offset + j >= logits_from]
            llm.input_ids[start + offset : start + offset + len(chunk)] = chunk
            llm.n_tokens = start + offset + len(chunk)
        return rows

    def _logit_rows(self, llm, tokens: list[int], first: int) -> np.ndarray:
        """Logits predicting tokens[first:], i.e. at positions first-1 … len-2.

        Two phases, each a pure function of the request, so a number never depends on which request
        came before (llama.cpp's kernels round differently for other batch shapes):
        1. the context except its last TAIL tokens, without output rows; kept and reused when the
           next request has the very same context (the other choices of one question);
        2. those last context tokens and the continuation, with output rows only where needed, so a
           5-shot prompt does not pay for a vocabulary-sized row at every token. Keeping a few
           context tokens in this batch keeps it off llama.cpp's one-token path, whose rounding
           differs (by up to ~0.2 nats) from evaluating the whole sequence at once.
        """
        need_from = first - 1
        split = max(0, need_from - self.TAIL)
        head, tail = tokens[:split], tokens[split:-1]
        if self._head != head or llm.n_tokens < split:
            llm._ctx.kv_cache_seq_rm(-1, 0, -1)
            llm.n_tokens = 0
            self._decode(llm, head, 0, logits_from=len(tokens))
            self._head = head
            self._last_prefix = 0
        else:
            self._last_prefix = split
        llm._ctx.kv_cache_seq_rm(-1, split, -1)
        llm.n_tokens = split
        return np.stack(self._decode(llm, tail, split, logits_from=need_from))

    def _loglikelihood_sync(self, request: Request) -> Response:
        llm = self.llama()
        start = time.perf_counter()
        ctx, cont = self.tokens_for(llm, request.prompt, request.continuation)
        if not ctx or not cont:
            raise ModelCallError("loglikelihood needs a non-empty context and continuation", retryable=False)
        tokens = ctx + cont
        n_ctx = llm.n_ctx()
        if len(tokens) > n_ctx:  # keep the end of the context, as other harnesses do
            cut = len(tokens) - n_ctx
            ctx, tokens = ctx[cut:], tokens[cut:]
        rows = log_softmax(self._logit_rows(llm, tokens, len(ctx)))
        picked = rows[np.arange(len(cont)), cont]
        greedy = bool(np.all(rows.argmax(axis=-1) == np.asarray(cont)))
        latency = time.perf_counter() - start
        raw = {"context_tokens": len(ctx), "continuation_tokens": cont, "token_logprobs": picked.tolist(),
               "reused_prefix_tokens": self._last_prefix}
        return Response(logprob=float(picked.sum()), is_greedy=greedy, n_continuation_tokens=len(cont),
                        input_tokens=len(tokens) - self._last_prefix, output_tokens=0, latency_s=latency, raw=raw)


_TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)


_FENCED = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.S)


def _json_calls(text: str) -> list:
    try:
        value = json.loads(text)
    except ValueError:
        return []
    items = value if isinstance(value, list) else [value]
    return [c for c in items if isinstance(c, dict) and c.get("name") and "arguments" in c]


def _tool_call_blocks(raw: dict, content: str) -> str:
    """Calls in the answer, {"name": …, "arguments": {…}}, inside the template's <tool_call> tags or, as
    llama.cpp's generic parser also takes them, as the whole answer (a JSON object or list, fenced or not).
    They are put in the raw message as OpenAI-style tool_calls (the content stays as generated); returns
    the text around them."""
    blocks = _TOOL_CALL.findall(content)
    found = [c for block in blocks for c in _json_calls(block)]
    rest = _TOOL_CALL.sub("", content).strip() if blocks else content.strip()
    if not blocks:
        fenced = _FENCED.match(rest)
        found = _json_calls(fenced.group(1) if fenced else rest)
        rest = "" if found else rest
    calls = [{"id": f"call_{i}", "type": "function", "function": {"name": str(c["name"]), "arguments": (
        c["arguments"] if isinstance(c["arguments"], str) else json.dumps(c["arguments"]))}} for i, c in enumerate(found)]
    if calls:
        raw["choices"][0]["message"]["tool_calls"] = calls
    return rest


def _gguf_factory(model: str, options: ModelOptions) -> LlamaCppModel:
    return LlamaCppModel(f"llamacpp/{model}", Path(model).expanduser(), options,
                         chat=not options.extra.get("no_chat", False))


def _local_factory(alias: str, options: ModelOptions) -> LlamaCppModel:
    spec, path = locate(alias)
    return LlamaCppModel(f"local/{alias}", path, options, chat=spec.chat)


register_provider("llamacpp", _gguf_factory, "a GGUF file through llama-cpp-python: llamacpp/PATH.gguf")
register_provider("local", _local_factory,
                  "bundled small models from pip packages: " + ", ".join(f"local/{a}" for a in LOCAL_MODELS))
