"""Harness overhead: `gapbench run` against the same llama-cpp-python calls made directly.

Run by hand (not a test):  python benchmarks/overhead.py [--model local/smollm2-135m] [--items 100]

Each side runs in its own process and loads the model once; both build the same chat messages for
the same items (0-shot MMLU, generate) and decode greedily with the same max_tokens. The harness
side is the real `gapbench run` command: it also reads the data, checks the cache, scores, and
commits every response to SQLite. Overhead = harness / direct - 1, best of alternating rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gapbench.models.registry import ModelOptions, create_model
from gapbench.runner.run import build_requests
from gapbench.runner.select import select_samples
from gapbench.tasks.loader import load_samples
from gapbench.tasks.registry import get_task

DATA = Path(os.environ.get("GAPBENCH_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")


def direct(model_name: str, task, samples) -> float:
    """The same generations with llama-cpp-python alone (model load included)."""
    from llama_cpp import Llama

    model = create_model(model_name, ModelOptions(n_ctx=2048))  # only to find the file
    started = time.perf_counter()
    llm = Llama(model_path=model.info.model, n_ctx=2048, n_threads=os.cpu_count(), seed=1234, verbose=False)
    for s in samples:
        request = build_requests(task, "generate", s, [], True)[0]
        llm.reset()
        llm.create_chat_completion(messages=[{"role": r, "content": c} for r, c in request.messages],
                                   max_tokens=request.max_tokens, temperature=0.0, top_p=1.0, seed=1234)
    return time.perf_counter() - started


def harness(model_name: str, task_name: str, items: int) -> tuple[float, int, float]:
    """`gapbench run` in its own process, as a user runs it. Returns (wall seconds, model calls,
    seconds spent inside model calls according to the stored responses)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "gapbench.cli.main", "run", "--model", model_name, "--task",
                               task_name, "--limit", str(items), "--fewshot", "0", "--method", "generate",
                               "--n-ctx", "2048", "--db", str(db), "--data-dir", str(DATA), "--json", "--quiet"],
                              capture_output=True, text=True, check=True)
        elapsed = time.perf_counter() - started
        calls = json.loads(proc.stdout)["model_calls"]
        with sqlite3.connect(db) as con:
            in_calls = con.execute("SELECT SUM(latency_s) FROM responses").fetchone()[0]
    return elapsed, calls, in_calls


def direct_in_child(model_name: str, task_name: str, items: int) -> float:
    """direct() in its own process too, so neither side inherits the other's threads."""
    started = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--direct-only", "--model", model_name, "--task", task_name,
                    "--items", str(items)], check=True)
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="local/smollm2-135m")
    ap.add_argument("--task", default="mmlu")
    ap.add_argument("--items", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds (the machine's speed drifts)")
    ap.add_argument("--direct-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    task = get_task(args.task)
    task = task.model_copy(update={"fewshot": None})
    samples = select_samples(load_samples(task, DATA), args.items, 1234)
    if args.direct_only:
        direct(args.model, task, samples)
        return
    print(f"model {args.model}, task {args.task} (0-shot, generate, max_tokens {task.generation.max_tokens}), "
          f"{len(samples)} items")
    ds, hs = [], []
    for r in range(args.rounds):
        order = ("direct", "harness") if r % 2 == 0 else ("harness", "direct")
        for side in order:
            if side == "direct":
                ds.append(direct_in_child(args.model, args.task, args.items))
                print(f"round {r + 1} direct llama-cpp-python: {ds[-1]:.1f} s ({len(samples) / ds[-1]:.2f} items/s)")
            else:
                h, calls, in_calls = harness(args.model, args.task, args.items)
                hs.append(h)
                print(f"round {r + 1} gapbench run:            {h:.1f} s ({len(samples) / h:.2f} items/s), "
                      f"{calls} calls, {h - in_calls:.1f} s outside model calls ({100 * (h - in_calls) / h:.1f}%)")
    d, h = min(ds), min(hs)
    print(f"best of {args.rounds}: direct {d:.1f} s, gapbench {h:.1f} s, harness overhead {100 * (h / d - 1):+.1f}%")


if __name__ == "__main__":
    main()
