"""`gapbench demo`: a quick bilingual suite on a Chinese and a US local model, with the zh and en gap."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

import click

from gapbench.cli.common import console, db_option, json_option, print_json, results_table
from gapbench import settings
from gapbench.errors import GapbenchError
from gapbench.models.registry import ModelOptions
from gapbench.runner.run import run_eval
from gapbench.gap.compare import task_pairs
from gapbench.stats.paired import cell_bootstrap
from gapbench.store.db import Store
from gapbench.tasks.loader import dataset_files
from gapbench.tasks.registry import get_task

MODEL_A = "local/qwen2.5-coder-0.5b"  # Alibaba, China
MODEL_B = "local/smollm2-135m"  # Hugging Face, US
REAL_SUITE = ["mmlu", "cmmlu", "wsc273", "cluewsc", "mgsm_en", "mgsm_zh"]
DEMO_SUITE = ["demo_knowledge_en", "demo_knowledge_zh", "demo_reasoning_en", "demo_reasoning_zh",
              "demo_math_en", "demo_math_zh"]


def _has_data(tasks, data_dir) -> bool:
    try:
        return all(dataset_files(t.dataset, data_dir) for t in tasks)
    except GapbenchError:
        return False


def language_gaps(store: Store, tasks: dict[str, str], a: str, b: str) -> list[dict]:
    """Per language: mean over tasks of the paired difference a − b on the items both scored (tasks weighted
    equally, the same cell statistic as `gapbench compare`). `tasks`: {task name as stored: language}."""
    by_lang: dict[str, list] = defaultdict(list)
    for name, language in tasks.items():
        by_lang[language] += [(xa, xb) for _, xa, xb in task_pairs(store, a, b, [name])]
    gaps = []
    for lang, pairs in sorted(by_lang.items()):
        diff, low, high = cell_bootstrap(pairs)
        gaps.append({"language": lang, "a": a, "b": b, "diff": diff, "ci_low": low, "ci_high": high,
                     "n_paired": int(sum(len(xa) for xa, _ in pairs)), "n_tasks": len(pairs)})
    return gaps


@click.command("demo")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Items per task.")
@db_option
@click.option("--data-dir", default=None, metavar="DIR",
              help="Use real benchmarks from DIR (default: $GAPBENCH_DATA or ./data when present, else the shipped demo set).")
@json_option
def demo_cmd(limit, db, data_dir, as_json):
    """Quick bilingual suite: Qwen2.5-Coder-0.5B (China) vs SmolLM2-135M (US), zh and en, ~20 items per task."""
    started = time.perf_counter()
    data = settings.data_dir(data_dir)
    real = [get_task(n) for n in REAL_SUITE]
    if _has_data(real, data):
        tasks, used = real, f"benchmark data in {data} ({', '.join(REAL_SUITE)}; 0-shot)"
    elif data_dir:
        raise GapbenchError(f"--data-dir {data}: missing files for the demo suite ({', '.join(REAL_SUITE)})")
    else:
        tasks, used = [get_task(n) for n in DEMO_SUITE], "the bilingual demo set shipped with gapbench (written for gapbench)"
    out = console()
    if not as_json:
        out.print(f"[bold]Data:[/bold] {used}")
    store = Store(settings.db_path(db))
    try:
        report = asyncio.run(run_eval([MODEL_A, MODEL_B], tasks, store=store, data_dir=data,
                                      options=ModelOptions(n_ctx=2048), limit=limit, fewshot=0,
                                      prefer_loglikelihood=True, show_progress=not as_json))
        gaps = language_gaps(store, {r.task: r.language for r in report.results}, MODEL_A, MODEL_B)
    finally:
        store.close()
    elapsed = time.perf_counter() - started
    if as_json:
        print_json({**report.to_json(), "data": used, "gaps": gaps, "seconds": round(elapsed, 1)})
        return
    out.print(results_table(report.results, title="gapbench demo"))
    for g in gaps:
        out.print(f"[bold]{g['language']} gap[/bold] ({MODEL_A} − {MODEL_B}): {g['diff']:+.3f} "
                  f"[95% CI {g['ci_low']:+.3f}, {g['ci_high']:+.3f}] over {g['n_paired']} paired items in {g['n_tasks']} tasks")
    c = report.counters
    out.print(f"model calls: {c.model_calls} · cache hits: {c.cache_hits} · errors: {c.errors} · {elapsed:.0f} s · store: {store.path}")
