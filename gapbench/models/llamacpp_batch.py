"""Batched local decoding: several sequences per `llama_decode` over one loaded model (issue #12, item 1).

`BatchEngine` shares the weights of a loaded `llama_cpp.Llama` and owns contexts of its own with several
sequence ids: for generation one KV stream per sequence (a token attends to its own sequence only), for
loglikelihood one unified KV buffer, so a sequence's cells can be shared with another by a copy of ids
(`llama_memory_seq_cp`) rather than of data.
- generate: greedy decoding of up to `n_parallel` requests together; a sequence that finishes frees its slot
  and the next request starts in the very next step (continuous batching). Prompts are the exact tokens and
  stop strings that `Llama.create_chat_completion` / `create_completion` would use (captured from
  llama-cpp-python's own code), and stopping follows `Llama._create_completion` (end-of-generation token,
  stop strings, max_tokens, its incomplete-UTF-8 rule), so the text matches the serial path token for token
  wherever the logits' argmax does.
- loglikelihood: the context shared by a question's choices is evaluated once and every choice's continuation
  in one decode; the prefix shared by consecutive questions (a subject's few-shot examples) is evaluated once
  and kept in sequence 0. Log-probabilities come from the logit rows, as in the serial path.
Numbers are a pure function of the request list and `n_parallel`: the schedule depends on token counts only.
llama.cpp's kernels round differently for other batch shapes, so logits differ from the serial path in the
last digits (greedy text can change where two tokens are near-tied); tests/test_batch_decoding.py and
benchmarks/batch_decoding.py measure how much. Only greedy requests (temperature 0) are batched; the caller
keeps the serial path for sampling.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from gapbench.errors import ModelCallError
from gapbench.models.reasoning import split_reasoning
from gapbench.types import Request, Response

TAIL = 8  # context tokens evaluated with the continuation, as LlamaCppModel.TAIL (off the one-token path)
MIN_SHARED = 32  # a prefix shorter than this is not worth keeping in sequence 0
CHOICES_PER_DECODE = 8  # loglikelihood: continuations scored in one decode (sequences 2…)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits.astype(np.float64)
    m = logits.max(axis=-1, keepdims=True)
    return logits - m - np.log(np.exp(logits - m).sum(axis=-1, keepdims=True))


class _Captured(Exception):
    pass


class _PromptRecorder:
    """Runs llama-cpp-python's own prompt building (chat template, BOS rules) and stops where it would start
    generating: the exact prompt tokens and stop strings of the serial path."""

    def __init__(self, llm):
        self._llm = llm
        self.tokens: list[int] | None = None
        self.stop: list[str] = []

    def __getattr__(self, name):
        return getattr(self._llm, name)

    def create_completion(self, **kwargs):
        from llama_cpp import Llama

        stop = kwargs.get("stop")
        self.stop = [] if stop is None else [stop] if isinstance(stop, str) else list(stop)
        return Llama.create_completion(self, **kwargs)

    def _create_completion(self, **kwargs):
        from llama_cpp import Llama

        return Llama._create_completion(self, **kwargs)

    def generate(self, tokens, **kwargs):
        self.tokens = list(tokens)
        raise _Captured


@dataclass
class _Sequence:
    index: int  # position of its request in the input list
    seq_id: int
    prompt: list[int]
    stop: list[bytes]
    max_tokens: int
    started: float
    fed: int = 0  # prompt tokens already in the KV cache
    out: list[int] = field(default_factory=list)
    multibyte_fix: int = 0
    text: bytes | None = None
    finish: str = ""


class BatchEngine:
    """Batched greedy generation and loglikelihood over a loaded `llama_cpp.Llama` (weights shared)."""

    def __init__(self, llm, n_parallel: int, n_ctx: int | None = None, chat: bool = True, n_threads: int | None = None):
        import llama_cpp
        from llama_cpp import _internals

        if n_parallel < 1:
            raise ValueError(f"--batch must be ≥ 1, got {n_parallel}")
        self.llm, self.chat, self.n_parallel = llm, chat, int(n_parallel)
        self.n_ctx_seq = int(n_ctx or llm.n_ctx())  # what one sequence may hold, as the serial path's n_ctx
        self._lib, self._internals, self._threads = llama_cpp, _internals, n_threads
        self._contexts: dict[str, tuple] = {}  # mode -> (context, batch, sequences), made on first use
        self._vocab = llm._model.vocab
        self.n_vocab = llm.n_vocab()
        self._shared: list[int] = []  # tokens held in sequence 0 (a shared prefix)

    def _use(self, mode: str) -> None:
        """Generation: one KV stream per sequence (a token attends to its own sequence's cells only).
        Loglikelihood: one unified buffer, so a copied prefix is shared by id, not duplicated."""
        if mode not in self._contexts:
            params = self._lib.llama_context_params.from_buffer_copy(self.llm.context_params)
            if mode == "generate":
                n_seq, params.kv_unified, params.n_ctx = self.n_parallel, False, self.n_ctx_seq * self.n_parallel
            else:
                n_seq, params.kv_unified, params.n_ctx = 2 + CHOICES_PER_DECODE, True, self.n_ctx_seq + 1024
            params.n_seq_max = n_seq
            if self._threads:
                params.n_threads = params.n_threads_batch = int(self._threads)
            ctx = self._internals.LlamaContext(model=self.llm._model, params=params, verbose=False)
            batch = self._internals.LlamaBatch(n_tokens=int(params.n_batch), embd=0, n_seq_max=n_seq, verbose=False)
            self._contexts[mode] = (ctx, batch, n_seq, int(params.n_batch))
        self._ctx, self._batch, self.n_seq, self.n_batch = self._contexts[mode]

    def close(self) -> None:
        for ctx, batch, _, _ in self._contexts.values():
            batch.close()
            ctx.close()
        self._contexts.clear()

    # low level ------------------------------------------------------------------------------------
    def _decode(self, entries: list[tuple[int, int, int, bool]]) -> list[np.ndarray]:
        """One llama_decode of (token, position, seq_id, wants_logits) entries; the logit rows asked for."""
        b = self._batch.batch
        b.n_tokens = len(entries)
        for j, (token, pos, seq, logits) in enumerate(entries):
            b.token[j], b.pos[j], b.n_seq_id[j], b.logits[j] = token, pos, 1, logits
            b.seq_id[j][0] = seq
        self._ctx.decode(self._batch)
        return [np.ctypeslib.as_array(self._ctx.get_logits_ith(j), shape=(self.n_vocab,)).copy()
                for j, e in enumerate(entries) if e[3]]

    def _fill(self, seq: int, tokens: Sequence[int], start: int, logits_from: int) -> list[np.ndarray]:
        """Evaluate tokens of one sequence at positions start…, in n_batch chunks."""
        rows: list[np.ndarray] = []
        for offset in range(0, len(tokens), self.n_batch):
            chunk = tokens[offset : offset + self.n_batch]
            rows += self._decode([(t, start + offset + j, seq, start + offset + j >= logits_from)
                                  for j, t in enumerate(chunk)])
        return rows

    def _clear(self, seq: int) -> None:
        self._ctx.kv_cache_seq_rm(seq, -1, -1)

    # generation -----------------------------------------------------------------------------------
    def prompt_for(self, request: Request) -> tuple[list[int], list[str]]:
        """The prompt tokens and stop strings `LlamaCppModel` would use for a generate request."""
        from llama_cpp import Llama, llama_chat_format

        llm, rec = self.llm, _PromptRecorder(self.llm)
        stop = list(request.stop) or None
        try:
            if request.messages and self.chat:
                handler = (llm.chat_handler or llm._chat_handlers.get(llm.chat_format)
                           or llama_chat_format.get_chat_completion_handler(llm.chat_format))
                handler(llama=rec, messages=[{"role": r, "content": c} for r, c in request.messages],
                        temperature=request.temperature, top_p=request.top_p, seed=request.seed, stop=stop,
                        max_tokens=request.max_tokens, repeat_penalty=1.0)
            else:
                prompt = request.prompt or "\n\n".join(c for _, c in request.messages)
                rec.stop = stop or []
                next(Llama._create_completion(rec, prompt=prompt, max_tokens=request.max_tokens, stop=stop))
        except _Captured:
            return rec.tokens or [], rec.stop
        except ValueError as e:  # e.g. a prompt longer than the context window
            raise ModelCallError(f"llama.cpp: {e}", retryable=False) from None
        raise RuntimeError("llama-cpp-python did not reach generation")  # pragma: no cover

    def _start(self, index: int, request: Request, seq_id: int) -> _Sequence:
        if request.temperature != 0:
            raise ValueError("BatchEngine decodes greedy requests only (temperature 0)")
        prompt, stop = self.prompt_for(request)
        if len(prompt) >= self.n_ctx_seq:
            raise ModelCallError(f"llama.cpp: Requested tokens ({len(prompt)}) exceed context window of "
                                 f"{self.n_ctx_seq}", retryable=False)
        max_tokens = request.max_tokens if request.max_tokens and request.max_tokens > 0 else self.n_ctx_seq
        max_tokens = min(max_tokens, self.n_ctx_seq - len(prompt))
        self._clear(seq_id)
        return _Sequence(index, seq_id, prompt, [s.encode("utf-8") for s in stop], max_tokens, time.perf_counter())

    def _accept(self, s: _Sequence, token: int) -> bool:
        """Take one sampled token as Llama._create_completion does; True when the sequence is finished."""
        llm = self.llm
        if self._lib.llama_vocab_is_eog(self._vocab, token):
            s.text, s.finish = llm.detokenize(s.out, prev_tokens=s.prompt), "stop"
            return True
        s.out.append(token)
        all_text = llm.detokenize(s.out, prev_tokens=s.prompt)
        for k, char in enumerate(all_text[-3:]):
            k = 3 - k
            for num, pattern in ((2, 192), (3, 224), (4, 240)):
                if num > k and pattern & char == pattern:
                    s.multibyte_fix = num - k
        if s.multibyte_fix > 0:
            s.multibyte_fix -= 1
            return False
        hits = [stop for stop in s.stop if stop in all_text]
        if hits:
            s.text, s.finish = all_text[: all_text.index(hits[0])], "stop"
            return True
        if len(s.out) >= s.max_tokens:
            s.text, s.finish = all_text, "length"
            return True
        return False

    def _response(self, s: _Sequence) -> Response:
        content = (s.text or b"").decode("utf-8", errors="ignore")
        text, reasoning = split_reasoning(content)
        usage = {"prompt_tokens": len(s.prompt), "completion_tokens": len(s.out),
                 "total_tokens": len(s.prompt) + len(s.out)}
        message = {"role": "assistant", "content": content} if self.chat else None
        choice = {"index": 0, "finish_reason": s.finish, **({"message": message} if message else {"text": content})}
        raw = {"object": "chat.completion" if message else "text_completion", "choices": [choice], "usage": usage,
               "batched": {"n_parallel": self.n_parallel}}
        return Response(text=text, reasoning=reasoning, input_tokens=len(s.prompt), output_tokens=len(s.out),
                        latency_s=time.perf_counter() - s.started, raw=raw, finish_reason=s.finish)

    def generate(self, requests: Sequence[Request],
                 on_response: Callable[[int, Response | Exception], None] | None = None) -> list[Response | Exception]:
        """Greedy answers to every request, `n_parallel` at a time with continuous batching. A request that
        cannot run (prompt too long) gets its ModelCallError in its place; `on_response(i, result)` is called
        as each finishes (from this thread), so a caller can commit it at once."""
        results: list[Response | Exception | None] = [None] * len(requests)
        queue = list(enumerate(requests))[::-1]
        self._use("generate")
        free = list(range(self.n_parallel))[::-1]
        active: list[_Sequence] = []
        for seq in range(self.n_seq):
            self._clear(seq)

        def done(index: int, result: Response | Exception) -> None:
            results[index] = result
            if on_response is not None:
                on_response(index, result)

        while queue or active:
            while queue and free:  # admit in request order, into the lowest free slot
                index, request = queue.pop()
                seq = free.pop()
                try:
                    active.append(self._start(index, request, seq))
                except ModelCallError as e:
                    free.append(seq)
                    done(index, e)
            active.sort(key=lambda s: s.seq_id)
            entries, owners, budget = [], [], self.n_batch
            for s in active:  # one token per decoding sequence, then prompt chunks in the room left
                if s.fed == len(s.prompt) and budget > 0:
                    entries.append((s.out[-1], len(s.prompt) + len(s.out) - 1, s.seq_id, True))
                    owners.append(s)
                    budget -= 1
            for s in active:
                if s.fed < len(s.prompt) and budget > 0:
                    take = min(budget, len(s.prompt) - s.fed)
                    for j in range(s.fed, s.fed + take):
                        last = j == len(s.prompt) - 1
                        entries.append((s.prompt[j], j, s.seq_id, last))
                        if last:
                            owners.append(s)
                    s.fed += take
                    budget -= take
            if not entries:
                break
            rows = self._decode(entries)
            finished = [s for s, row in zip(owners, rows) if self._accept(s, int(np.argmax(row)))]
            for s in finished:
                active.remove(s)
                self._clear(s.seq_id)
                free.append(s.seq_id)
                free.sort(reverse=True)
                done(s.index, self._response(s))
        return results  # type: ignore[return-value]

    # loglikelihood --------------------------------------------------------------------------------
    def tokens_for(self, context: str, continuation: str) -> tuple[list[int], list[int]]:
        """Context and continuation tokens, split where tokenising the whole text puts the boundary
        (as LlamaCppModel.tokens_for)."""
        llm = self.llm
        ctx = llm.tokenize(context.encode("utf-8"), add_bos=True, special=False)
        whole = llm.tokenize((context + continuation).encode("utf-8"), add_bos=True, special=False)
        if len(whole) > len(ctx) and whole[: len(ctx)] == ctx:
            return ctx, whole[len(ctx):]
        return ctx, llm.tokenize(continuation.encode("utf-8"), add_bos=False, special=False)

    def loglikelihood(self, requests: Sequence[Request]) -> list[Response | Exception]:
        """Log-probability of each request's continuation given its context. Consecutive requests with the same
        context (a question's choices) share one evaluation of it; a prefix shared with the neighbouring
        questions stays in sequence 0 for the next."""
        items = []
        for r in requests:
            ctx, cont = self.tokens_for(r.prompt, r.continuation)
            if len(ctx) + len(cont) > self.n_ctx_seq:  # keep the end of the context, as the serial path
                ctx = ctx[len(ctx) + len(cont) - self.n_ctx_seq :]
            items.append((ctx, cont))
        groups: list[tuple[list[int], list[int]]] = []  # (context, request indices)
        for i, (ctx, cont) in enumerate(items):
            if groups and groups[-1][0] == ctx:
                groups[-1][1].append(i)
            else:
                groups.append((ctx, [i]))
        results: list[Response | Exception | None] = [None] * len(requests)
        self._use("loglikelihood")
        self._shared = []  # nothing carried over from an earlier call: the numbers depend on this list only
        self._clear(0)
        for g, (ctx, members) in enumerate(groups):
            neighbours = [groups[h][0] for h in (g - 1, g + 1) if 0 <= h < len(groups)]
            shared = max((_common(ctx, other) for other in neighbours), default=0)
            for i in members:
                if not ctx or not items[i][1]:
                    results[i] = ModelCallError("loglikelihood needs a non-empty context and continuation",
                                                retryable=False)
            members = [i for i in members if results[i] is None]
            for start in range(0, len(members), self.n_seq - 2):
                self._question(ctx, [(i, items[i][1]) for i in members[start : start + self.n_seq - 2]],
                               shared, results)
        return results  # type: ignore[return-value]

    def _question(self, ctx: list[int], choices: list[tuple[int, list[int]]], shared: int,
                  results: list) -> None:
        started = time.perf_counter()
        split = max(0, len(ctx) - 1 - TAIL)
        shared = min(shared, split)
        reused = 0
        if shared >= MIN_SHARED:  # sequence 0 holds the prefix shared with the neighbours
            have = _common(self._shared, ctx[:shared])
            if have < shared:
                self._ctx.kv_cache_seq_rm(0, have, -1)
                self._fill(0, ctx[have:shared], have, logits_from=len(ctx) + 1)
                self._shared = ctx[:shared]
            else:
                reused = shared
        else:
            shared = 0
        self._clear(1)
        if shared:
            self._ctx.kv_cache_seq_cp(0, 1, 0, shared)
        self._fill(1, ctx[shared:split], shared, logits_from=len(ctx) + 1)
        entries, spans = [], []
        for k, (_, cont) in enumerate(choices):
            seq = 2 + k
            self._clear(seq)
            self._ctx.kv_cache_seq_cp(1, seq, 0, split)
            tail = (ctx + cont)[split:-1]
            first = len(entries)
            entries += [(t, split + j, seq, split + j >= len(ctx) - 1) for j, t in enumerate(tail)]
            spans.append((first, len(cont)))
        rows = self._decode_many(entries)
        for k, ((index, cont), (_, n)) in enumerate(zip(choices, spans)):
            # tokens evaluated for it, counted as the serial path does: the first choice pays the context
            evaluated = (len(ctx) - reused if k == 0 else len(ctx) - split) + n
            block = log_softmax(np.stack(rows[:n]))
            rows = rows[n:]
            picked = block[np.arange(n), cont]
            results[index] = Response(
                logprob=float(picked.sum()), is_greedy=bool(np.all(block.argmax(axis=-1) == np.asarray(cont))),
                n_continuation_tokens=n, input_tokens=evaluated, output_tokens=0,
                latency_s=(time.perf_counter() - started) / len(choices),
                raw={"context_tokens": len(ctx), "continuation_tokens": cont, "token_logprobs": picked.tolist(),
                     "reused_prefix_tokens": reused, "batched": {"n_parallel": self.n_parallel}})
        for seq in range(1, 2 + len(choices)):
            self._clear(seq)

    def _decode_many(self, entries: list[tuple[int, int, int, bool]]) -> list[np.ndarray]:
        rows: list[np.ndarray] = []
        for offset in range(0, len(entries), self.n_batch):
            rows += self._decode(entries[offset : offset + self.n_batch])
        return rows


def _common(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the common prefix of two token lists."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i
