"""Items per second of batched local decoding (gapbench.models.llamacpp_batch) against today's serial path.

Run by hand (minutes on 2 cores; run it with `nice` on a shared machine):

    python benchmarks/batch_decoding.py --model smollm2-135m --items 16 --batch 1,2,4,8 --rounds 2
    python benchmarks/batch_decoding.py --model qwen2.5-coder-0.5b --mode loglikelihood --items 40

generate: 0-shot GSM8K prompts, greedy, --max-tokens each; K = 1 is `LlamaCppModel`'s own path (one
`create_chat_completion` per item), K > 1 is `BatchEngine.generate` (continuous batching). Both share one
loaded model. Per K: wall time, items/s, output tokens/s, and how many answers differ from K = 1.
loglikelihood: 5-shot MMLU (all choices of each question); serial `LlamaCppModel.loglikelihood` against
`BatchEngine.loglikelihood` (the subject's few-shot prefix once, choices in one batch): wall time, items/s,
largest |Δ log-prob|, how many predicted letters differ. Rounds alternate the order of the sides.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gapbench import settings  # noqa: E402
from gapbench.models.llamacpp import LlamaCppModel  # noqa: E402
from gapbench.models.llamacpp_batch import BatchEngine  # noqa: E402
from gapbench.models.local_assets import locate  # noqa: E402
from gapbench.models.registry import ModelOptions  # noqa: E402
from gapbench.runner.select import select_samples  # noqa: E402
from gapbench.tasks.loader import load_samples  # noqa: E402
from gapbench.tasks.prompts import fewshot_for, generate_request, loglikelihood_requests  # noqa: E402
from gapbench.tasks.registry import get_task  # noqa: E402


def gsm8k_requests(data_dir: Path, items: int, max_tokens: int, chat: bool):
    task = get_task("gsm8k")
    task = task.model_copy(update={"fewshot": None, "generation": task.generation.model_copy(
        update={"max_tokens": max_tokens})})
    samples = select_samples(load_samples(task, data_dir), items, 1234)
    return [generate_request(task, s, [], chat) for s in samples]


def mmlu_requests(data_dir: Path, items: int):
    """(requests, question of each request) for 5-shot MMLU, questions grouped by subject as a run orders them."""
    task = get_task("mmlu")
    samples = select_samples(load_samples(task, data_dir), items, 1234)
    pool = load_samples(task, data_dir, task.fewshot.path) if task.fewshot else []
    requests, owner = [], []
    for q, s in enumerate(sorted(samples, key=lambda s: (s.metadata.get("subject", ""), s.id))):
        rs = loglikelihood_requests(task, s, fewshot_for(task, s, pool))
        requests += rs
        owner += [q] * len(rs)
    return requests, owner


def run_generate(model: LlamaCppModel, requests, k: int):
    start = time.perf_counter()
    if k == 1:
        out = [model._generate_sync(r) for r in requests]
    else:
        engine = BatchEngine(model.llama(), k, n_ctx=model.options.n_ctx, chat=model.info.chat)
        out = engine.generate(requests)
        engine.close()
    return time.perf_counter() - start, out


def run_loglikelihood(model: LlamaCppModel, requests, batched: bool):
    start = time.perf_counter()
    if batched:
        engine = BatchEngine(model.llama(), 1, n_ctx=model.options.n_ctx)
        out = engine.loglikelihood(requests)
        engine.close()
    else:
        out = [model._loglikelihood_sync(r) for r in requests]
    return time.perf_counter() - start, out


def letters(out, owner):
    best: dict[int, tuple[float, int]] = {}
    for i, (r, q) in enumerate(zip(out, owner)):
        best[q] = max(best.get(q, (-1e30, -1)), (r.logprob, i))
    return {q: i for q, (_, i) in best.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--mode", choices=["generate", "loglikelihood"], default="generate")
    ap.add_argument("--items", type=int, default=16)
    ap.add_argument("--batch", default="1,2,4,8")
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--n-ctx", type=int, default=2048)
    ap.add_argument("--data-dir", default=os.environ.get("GAPBENCH_TEST_DATA") or str(REPO.parent / "shared" / "data"))
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    spec, path = locate(args.model)
    options = ModelOptions(n_ctx=args.n_ctx)
    model = LlamaCppModel(f"local/{args.model}", path, options, chat=spec.chat)
    rows: dict[str, dict] = {}
    print(f"{args.model}, {args.mode}, {args.items} items, threads {settings.threads(None)}, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    if args.mode == "generate":
        requests = gsm8k_requests(Path(args.data_dir), args.items, args.max_tokens, model.info.chat)
        ks = [int(k) for k in args.batch.split(",")]
        reference = None
        for rnd in range(args.rounds):
            for k in (ks if rnd % 2 == 0 else ks[::-1]):
                wall, out = run_generate(model, requests, k)
                if k == 1 and reference is None:
                    reference = [r.text for r in out]
                row = rows.setdefault(str(k), {"walls": [], "tokens": sum(r.output_tokens for r in out)})
                row["walls"].append(wall)
                row["texts"] = [r.text for r in out]
                print(f"round {rnd + 1} K={k}: {wall:.1f} s, {len(requests) / wall:.3f} items/s, "
                      f"{row['tokens'] / wall:.1f} tok/s", flush=True)
        for k, row in rows.items():
            row["differ_from_k1"] = sum(a != b for a, b in zip(row.pop("texts"), reference or []))
    else:
        requests, owner = mmlu_requests(Path(args.data_dir), args.items)
        outs = {}
        for rnd in range(args.rounds):
            for batched in ((False, True) if rnd % 2 == 0 else (True, False)):
                wall, out = run_loglikelihood(model, requests, batched)
                outs[batched] = out
                name = "batched" if batched else "serial"
                rows.setdefault(name, {"walls": []})["walls"].append(wall)
                print(f"round {rnd + 1} {name}: {wall:.1f} s, {args.items / wall:.3f} questions/s", flush=True)
        delta = max(abs(a.logprob - b.logprob) for a, b in zip(outs[False], outs[True]))
        la, lb = letters(outs[False], owner), letters(outs[True], owner)
        rows["batched"]["max_abs_logprob_diff"] = delta
        rows["batched"]["letters_differ"] = sum(la[q] != lb[q] for q in la)
    for name, row in rows.items():
        walls = row["walls"]
        row.update(min_s=min(walls), median_s=statistics.median(walls), max_s=max(walls),
                   items_per_s=args.items / statistics.median(walls))
    print(json.dumps(rows, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
