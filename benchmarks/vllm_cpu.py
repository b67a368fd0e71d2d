"""Log-likelihood throughput of vllm/ on the CPU build of vLLM: one replica, and two replicas, against the
in-process llama.cpp path, on the bundled SmolLM2-135M (converted to float32 safetensors for vLLM).

    GAPBENCH_VLLM_PYTHON=/work/vllm-venv/bin/python nice .venv/bin/python benchmarks/vllm_cpu.py [--rounds 2]

Each setup answers the same four demo tasks (96 + 96 + 48 + 48 prompts, 96 items) with --method
loglikelihood into a fresh store per round, so nothing comes from the cache; servers are started (and
warmed up with a few requests) before the clock starts. Setups: one replica on both cores, one replica
on one core, two replicas on one core each, and llama.cpp in-process on both cores; then the client
side alone, on 1 and 2 stand-ins of fixed capacity (tests/vllm_standin.py, 100 ms per prompt, one at a
time), which shows what replicas give when each has its own hardware (`--standin-only`: just those).
Prints items/s per round (min / median / max) and a JSON line per setup.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from gapbench.models.local_assets import file_sha256, locate  # noqa: E402
from gapbench.models.registry import ModelOptions  # noqa: E402
from gapbench.runner.run import run_eval  # noqa: E402
from gapbench.store.db import Store  # noqa: E402
from gapbench.tasks.registry import get_task  # noqa: E402
from vllm_engine import EngineServer, converted, engine_python  # noqa: E402

TASKS = ["demo_knowledge_en", "demo_knowledge_zh", "demo_reasoning_en", "demo_reasoning_zh"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_round(model: str, options: ModelOptions, limit: int | None = None) -> tuple[float, int, int]:
    """(seconds, items, model calls) for the demo tasks into a fresh store."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        started = time.perf_counter()
        report = asyncio.run(run_eval([model], [get_task(t) for t in TASKS], store=store, data_dir=Path(tmp),
                                      options=options, method="loglikelihood", limit=limit,
                                      show_progress=False))
        seconds = time.perf_counter() - started
        store.close()
    if report.counters.errors:
        raise SystemExit(f"{model}: {report.counters.errors} errors: {report.counters.messages[:3]}")
    return seconds, sum(r.n for r in report.results), report.counters.model_calls


def measure(label: str, model: str, options: ModelOptions, rounds: int) -> dict:
    load = os.getloadavg()[0]
    runs = [one_round(model, options) for _ in range(rounds)]
    rates = [items / seconds for seconds, items, _ in runs]
    row = {"setup": label, "items": runs[0][1], "prompts": runs[0][2], "items_per_s_min": min(rates),
           "items_per_s_median": statistics.median(rates), "items_per_s_max": max(rates),
           "seconds": [round(s, 1) for s, _, _ in runs],
           "load_before": round(load, 1), "load_after": round(os.getloadavg()[0], 1)}
    print(json.dumps(row), flush=True)
    return row


def with_servers(python: str, model_dir: Path, cores: list[str], label: str, rounds: int, concurrency: int) -> dict:
    servers = [EngineServer(python, model_dir, free_port(), cores=c) for c in cores]
    try:
        for server in servers:
            server.wait()
        urls = ",".join(s.url for s in servers)
        options = ModelOptions(base_url=urls, concurrency=concurrency, timeout_s=300)
        one_round("vllm/smollm2", options, limit=2)  # warm-up
        return measure(label, "vllm/smollm2", options, rounds)
    finally:
        for server in servers:
            server.kill()


def with_standins(n: int, cost_s: float, rounds: int, concurrency: int) -> dict:
    """The client side alone: stand-ins of fixed capacity (one prompt at a time, cost_s each), so n
    replicas are n times the engine, whatever else runs on this machine."""
    from vllm_standin import VLLMStandIn

    servers = [VLLMStandIn(model="smollm2", cost_per_prompt_s=cost_s) for _ in range(n)]
    try:
        options = ModelOptions(base_url=",".join(s.url for s in servers), concurrency=concurrency, timeout_s=300)
        return measure(f"stand-in ({cost_s * 1000:.0f} ms per prompt), {n} replica{'s' if n > 1 else ''}",
                       "vllm/smollm2", options, rounds)
    finally:
        for server in servers:
            server.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--standin-only", action="store_true", help="only the stand-in setups (no engine needed)")
    parser.add_argument("--no-llamacpp", action="store_true", help="leave out the llama.cpp setup")
    parser.add_argument("--standin-ms", type=float, default=100.0,
                        help="stand-in cost per prompt (ms); keep it above the client's own cost per prompt")
    args = parser.parse_args()
    if args.standin_only:
        rows = [with_standins(n, args.standin_ms / 1000, args.rounds, args.concurrency) for n in (1, 2)]
        table(rows)
        return
    python, why = engine_python()
    if python is None:
        raise SystemExit(f"vLLM CPU engine not available: {why}")
    gguf = locate("smollm2-135m")[1]
    model_dir = converted(python, gguf, file_sha256(gguf))
    rows = [
        with_servers(python, model_dir, ["0-1"], "vLLM, 1 replica, 2 cores", args.rounds, args.concurrency),
        with_servers(python, model_dir, ["0"], "vLLM, 1 replica, 1 core", args.rounds, args.concurrency),
        with_servers(python, model_dir, ["0", "1"], "vLLM, 2 replicas, 1 core each", args.rounds, args.concurrency),
    ]
    if not args.no_llamacpp:
        rows.append(measure("llama.cpp in-process, 2 threads", "local/smollm2-135m", ModelOptions(n_threads=2),
                            args.rounds))
    rows += [with_standins(n, args.standin_ms / 1000, args.rounds, args.concurrency) for n in (1, 2)]
    table(rows)


def table(rows: list[dict]) -> None:
    print(f"\n{os.cpu_count()} cores; load average (1 min) before/after each setup in the JSON lines above")
    print("| setup | items | prompts | items/s (min / median / max) |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['setup']} | {r['items']} | {r['prompts']} | {r['items_per_s_min']:.2f} / "
              f"{r['items_per_s_median']:.2f} / {r['items_per_s_max']:.2f} |")


if __name__ == "__main__":
    main()
