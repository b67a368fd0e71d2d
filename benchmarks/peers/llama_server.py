"""llama-cpp-python's OpenAI-compatible server, as the peers use it (issue #12, cases (a) and (b)).

Run with the server virtualenv's python (`peers.py setup` makes it: llama-cpp-python[server], the same version as
gapbench's). Two changes to the stock `python -m llama_cpp.server`, both to make the sides comparable:
- `repeat_penalty` defaults to 1.0 (the server's default is 1.1; gapbench's in-process path and every harness's
  own llama.cpp backend use 1.0), so a side that cannot send it gets the same greedy decoding;
- vLLM-style `/tokenizer_info`, `/tokenize`, `/detokenize` routes over the loaded model's own tokenizer, which
  lm-eval's `tokenizer_backend=remote` needs for loglikelihood (to find where the continuation starts).
Every other argument is the stock server's: `--model PATH --n_ctx 4096 --n_threads 2 --port N …`.
"""

from __future__ import annotations

import os

import uvicorn
from fastapi import Body
from llama_cpp.server import __main__ as stock
from llama_cpp.server import app as app_module
from llama_cpp.server import types

for request_model in (types.CreateCompletionRequest, types.CreateChatCompletionRequest):
    request_model.model_fields["repeat_penalty"].default = 1.0
    request_model.model_rebuild(force=True)


def _llama():
    return app_module._llama_proxy(None)


def add_tokenizer_routes(app) -> None:
    @app.get("/tokenizer_info")
    def tokenizer_info() -> dict:
        llama = _llama()
        eos = llama.token_eos()
        bos = llama.token_bos()
        text = lambda t: llama.detokenize([t], special=True).decode("utf-8", "replace") if t >= 0 else None  # noqa: E731
        return {"eos_token": text(eos), "bos_token": text(bos) if llama._model.add_bos_token() else None,
                "pad_token": None}

    @app.post("/tokenize")
    def tokenize(body: dict = Body(...)) -> dict:
        tokens = _llama().tokenize(body["prompt"].encode("utf-8"), add_bos=bool(body.get("add_special_tokens")),
                                   special=True)
        return {"tokens": tokens, "count": len(tokens)}

    @app.post("/detokenize")
    def detokenize(body: dict = Body(...)) -> dict:
        return {"prompt": _llama().detokenize(body["tokens"], special=True).decode("utf-8", "replace")}


def main() -> None:
    stock_run = uvicorn.run

    def run(app, **kwargs):
        add_tokenizer_routes(app)
        stock_run(app, **kwargs)

    stock.uvicorn.run = run
    os.environ.setdefault("HOST", "127.0.0.1")
    stock.main()


if __name__ == "__main__":
    main()
