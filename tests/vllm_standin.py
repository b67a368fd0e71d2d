"""A local server on 127.0.0.1 that speaks the part of vLLM's OpenAI server gapbench uses, for CI where
the engine cannot run: GET /v1/models and /version, POST /tokenize (a prompt or chat messages), POST
/v1/completions (text or token-id prompts, a list of them, `prompt_logprobs`), POST /v1/chat/completions.

Its "model" is arithmetic, not a network: a word-piece tokenizer (a leading space belongs to the next
word, so "Answer: " + "Paris" tokenises differently from "Answer: Paris" and exercises the split
fallback) and a log-probability per (previous token, token) pair from a hash. `expected_logprob` computes
the same from text alone, for the tests to check against. The test can kill it mid-call (connections
reset, as a crashed server does), drain it (503 on everything) or slow it down.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler

from fakeserver import ThreadingHTTPServer

BOS = 1
_PIECE = re.compile(r" ?[A-Za-z]+| ?[0-9]| ?[^\sA-Za-z0-9]|\s")


def tokenize(text: str, special: bool = True) -> list[int]:
    ids = [2 + zlib.crc32(p.encode()) % 50000 for p in _PIECE.findall(text)]
    return ([BOS] if special else []) + ids


def logprob(prev: int, token: int) -> float:
    return -0.01 - (zlib.crc32(f"{prev}:{token}".encode()) % 997) / 100.0


def rank(prev: int, token: int) -> int:
    return 1 + zlib.crc32(f"r{prev}:{token}".encode()) % 3


def expected_logprob(context: str, continuation: str) -> tuple[float, bool]:
    """(sum of log-probs, greedy) as gapbench's split should find them on this stand-in."""
    ctx, whole = tokenize(context), tokenize(context + continuation)
    cont = whole[len(ctx):] if whole[: len(ctx)] == ctx and len(whole) > len(ctx) else tokenize(continuation, False)
    tokens = ctx + cont
    pairs = [(tokens[i - 1], tokens[i]) for i in range(len(ctx), len(tokens))]
    return sum(logprob(a, b) for a, b in pairs), all(rank(a, b) == 1 for a, b in pairs)


class VLLMStandIn:
    def __init__(self, model: str = "standin/tiny", max_model_len: int = 2048, root: str | None = None,
                 chat_template: bool = True, delay_s: float = 0.0, id_offset: int = 0, cost_per_prompt_s: float = 0.0):
        self.model, self.max_model_len, self.root = model, max_model_len, root or f"/models/{model}"
        self.chat_template, self.delay_s, self.id_offset = chat_template, delay_s, id_offset
        self.log: list[dict] = []  # every request: path, body, status (None: never answered)
        self.answered_prompts: list[tuple[int, ...]] = []  # token-id prompts whose 200 was written
        self.drained = False
        self.cost_per_prompt_s = cost_per_prompt_s  # an engine of fixed capacity: prompts computed one at a time
        self._engine = threading.Lock()
        self.active_prompts = self.peak_prompts = 0  # prompts being computed now / at most (with delay_s)
        self.killed = threading.Event()
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                with standin._lock:
                    standin._connections.add(self.connection)

            def finish(self):
                with standin._lock:
                    standin._connections.discard(self.connection)
                try:
                    super().finish()
                except OSError:
                    pass

            def do_GET(self):
                self._reply(*standin.handle("GET", self.path, {}))

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._reply(*standin.handle("POST", self.path, json.loads(raw or b"{}")))

            def _reply(self, status, body, entry=None):
                if standin.killed.is_set():
                    self.close_connection = True
                    return
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    self.wfile.flush()
                except OSError:
                    return
                if entry is not None:
                    entry["status"] = status
                    if status == 200 and entry["path"] == "/v1/completions":
                        prompts = entry["body"].get("prompt")
                        if isinstance(prompts, list) and prompts and isinstance(prompts[0], list):
                            standin.answered_prompts += [tuple(p) for p in prompts]

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    # the engine ------------------------------------------------------------------------------------
    def _tok(self, text: str, special: bool = True) -> list[int]:
        return [t if t == BOS else t + self.id_offset for t in tokenize(text, special)]  # offset: another vocab

    def handle(self, method: str, path: str, body: dict) -> tuple:
        entry = {"t": time.monotonic(), "method": method, "path": path, "body": body, "status": None}
        self.log.append(entry)
        if self.drained:
            return 503, {"error": {"message": "server is draining"}}, entry
        if path == "/v1/models":
            return 200, {"object": "list", "data": [{"id": self.model, "object": "model", "root": self.root,
                                                     "max_model_len": self.max_model_len}]}, entry
        if path == "/version":
            return 200, {"version": "0.0-standin"}, entry
        if body.get("model") != self.model:
            return 404, {"error": {"message": f"The model `{body.get('model')}` does not exist."}}, entry
        if self.delay_s and path != "/tokenize":
            prompt = body.get("prompt")
            n = len(prompt) if isinstance(prompt, list) and prompt and isinstance(prompt[0], list) else 1
            with self._lock:
                self.active_prompts += n
                self.peak_prompts = max(self.peak_prompts, self.active_prompts)
            time.sleep(self.delay_s)
            with self._lock:
                self.active_prompts -= n
        if path == "/tokenize":
            if "messages" in body:
                if not self.chat_template:
                    return 400, {"error": {"message": "no chat template"}}, entry
                text = "".join(f"<{m['role']}>{m['content']}" for m in body["messages"]) + "<assistant>"
                return 200, {"tokens": self._tok(text), "count": 0, "max_model_len": self.max_model_len}, entry
            tokens = self._tok(body["prompt"], body.get("add_special_tokens", True))
            return 200, {"tokens": tokens, "count": len(tokens), "max_model_len": self.max_model_len}, entry
        if path == "/v1/completions":
            return self._completions(body, entry)
        if path == "/v1/chat/completions":
            last = body["messages"][-1]["content"]
            text = f"echo: {last[-40:]}"
            return 200, {"id": "chat-1", "object": "chat.completion", "model": self.model,
                         "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                      "finish_reason": "stop"}],
                         "usage": {"prompt_tokens": len(self._tok(last)), "completion_tokens": 3}}, entry
        return 404, {"error": {"message": f"no route {path}"}}, entry

    def _completions(self, body: dict, entry: dict) -> tuple:
        prompt = body["prompt"]
        prompts = prompt if isinstance(prompt, list) and prompt and isinstance(prompt[0], list) else [prompt]
        if self.cost_per_prompt_s:
            with self._engine:
                time.sleep(self.cost_per_prompt_s * len(prompts))
        choices = []
        for index, p in enumerate(prompts):
            ids = self._tok(p) if isinstance(p, str) else [int(t) for t in p]
            if len(ids) + int(body.get("max_tokens") or 16) > self.max_model_len:
                return 400, {"error": {"message": f"This model's maximum context length is {self.max_model_len}"}}, entry
            choice = {"index": index, "text": " the", "finish_reason": "length", "logprobs": None}
            if body.get("prompt_logprobs") is not None:
                rows = [None]
                for i in range(1, len(ids)):
                    a, b = ids[i - 1], ids[i]
                    rows.append({str(b): {"logprob": logprob(a, b), "rank": rank(a, b), "decoded_token": "?"}})
                choice["prompt_logprobs"] = rows
            choices.append(choice)
        return 200, {"id": "cmpl-1", "object": "text_completion", "model": self.model, "choices": choices,
                     "usage": {"prompt_tokens": sum(len(p) for p in prompts), "completion_tokens": len(prompts)}}, entry

    # test controls ---------------------------------------------------------------------------------
    def kill(self) -> None:
        """Die as a crashed server does: stop listening and reset every open connection."""
        self.killed.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        with self._lock:
            for conn in list(self._connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                    conn.close()
                except OSError:
                    pass

    def close(self) -> None:
        if not self.killed.is_set():
            self.kill()
