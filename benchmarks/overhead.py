"""Harness overhead: `gapbench run` against the same llama-cpp-python calls made directly.

Run by hand (not a test):  python benchmarks/overhead.py [--model local/smollm2-135m] [--items 100]

Both sides load the model once, build the same chat messages for the same items (0-shot MMLU,
generate) and decode greedily with the same max_tokens; the harness side also reads the data,
checks the cache, scores, and commits every response to SQLite. Overhead = harness / direct - 1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from gapbench.models.registry import ModelOptions, create_model
from gapbench.runner.run import build_requests, run_eval
from gapbench.runner.select import select_samples
from gapbench.store.db import Store
from gapbench.tasks.loader import load_samples
from gapbench.tasks.registry import get_task

DATA = Path(os.environ.get("GAPBENCH_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")


def direct(model_name: str, task, samples) -> float:
    """The same generations with llama-cpp-python alone."""
    from llama_cpp import Llama

    model = create_model(model_name, ModelOptions(n_ctx=2048))  # only to find the file and chat flag
    started = time.perf_counter()
    llm = Llama(model_path=model.info.model, n_ctx=2048, n_threads=os.cpu_count(), seed=1234, verbose=False)
    for s in samples:
        request = build_requests(task, "generate", s, [], True)[0]
        llm.reset()
        llm.create_chat_completion(messages=[{"role": r, "content": c} for r, c in request.messages],
                                   max_tokens=request.max_tokens, temperature=0.0, top_p=1.0, seed=1234)
    return time.perf_counter() - started


def harness(model_name: str, task, items: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        started = time.perf_counter()
        report = asyncio.run(run_eval([model_name], [task], store=store, data_dir=DATA,
                                      options=ModelOptions(n_ctx=2048), method="generate", limit=items,
                                      fewshot=0, show_progress=False))
        elapsed = time.perf_counter() - started
        store.close()
    return elapsed, report.counters.model_calls


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="local/smollm2-135m")
    ap.add_argument("--task", default="mmlu")
    ap.add_argument("--items", type=int, default=100)
    args = ap.parse_args()
    task = get_task(args.task)
    task = task.model_copy(update={"fewshot": None})
    samples = select_samples(load_samples(task, DATA), args.items, 1234)
    d = direct(args.model, task, samples)
    h, calls = harness(args.model, task, args.items)
    print(f"model {args.model}, task {args.task} (0-shot, generate, max_tokens {task.generation.max_tokens}), "
          f"{len(samples)} items, {calls} model calls")
    print(f"direct llama-cpp-python: {d:.1f} s ({len(samples) / d:.2f} items/s)")
    print(f"gapbench run:            {h:.1f} s ({len(samples) / h:.2f} items/s)")
    print(f"harness overhead:        {100 * (h / d - 1):+.1f}%")


if __name__ == "__main__":
    main()
