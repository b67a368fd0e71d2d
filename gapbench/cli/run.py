"""`gapbench run`: evaluate models on tasks; responses are cached, so a rerun resumes."""

from __future__ import annotations

import asyncio
import sys

import click

from gapbench import settings
from gapbench.cli.common import console, data_dir_option, db_option, json_option, print_json, results_table
from gapbench.cli.judge import judge_options, print_judge_report
from gapbench.errors import GapbenchError
from gapbench.judging.flow import merge_reports, run_judging
from gapbench.models.registry import ModelOptions
from gapbench.runner.run import DEFAULT_SEED, run_eval
from gapbench.store.db import Store

DEFAULT_BATCH = 4  # local models: items decoded together (notes/issue12.md: K = 4 measured best on 2 cores)
from gapbench.tasks.registry import get_suite, get_task


def split_list(value: str, flag: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise GapbenchError(f"{flag}: give at least one name")
    return items


def print_precision(out, p) -> None:
    """Where a task stopped under --precision, and the anytime-valid interval of each estimand."""
    why = f"±{p.target:g} reached" if p.reached else f"±{p.target:g} not reached: every item asked"
    out.print(f"precision {p.task}: {why} · items used {p.items_used} of {p.items_total} · "
              f"items saved {p.items_saved} · calls saved {p.calls_saved}"
              + (f" · {p.items_dropped} failed items left out" if p.items_dropped else ""))
    for e in p.estimands:
        label = " − ".join(e.models) if len(e.models) > 1 else f"{e.models[0]} score"
        value = "n/a" if e.estimate is None else f"{e.estimate:+.3f}" if len(e.models) > 1 else f"{e.estimate:.3f}"
        out.print(f"  {label}: {value} [{e.low:+.3f}, {e.high:+.3f}] (anytime-valid 95%, n={e.n}, "
                  f"±{e.half_width:.3f})")


@click.command("run")
@click.option("--model", "models", required=True, metavar="M[,M2…]",
              help="provider/model, e.g. local/qwen2.5-coder-0.5b, openai/gpt-4o, deepseek/deepseek-chat.")
@click.option("--task", "tasks", default=None, metavar="T[,T2…]", help="Built-in task names or task files (.yaml/.toml).")
@click.option("--suite", default=None, metavar="NAME",
              help="A named group of tasks: quick, core-en, core-zh, full, demo (see `gapbench tasks`).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most N items per task (a fixed, seeded subset).")
@click.option("--method", type=click.Choice(["generate", "loglikelihood", "prompt", "tools"]), default=None,
              help="Multiple choice by generated letter or by log-likelihood; tool tasks: functions in the prompt "
                   "or native tool calling (default: the task's first the model supports).")
@click.option("--max-tokens", type=click.IntRange(min=1), default=None,
              help="Cap every answer at N tokens (cheaper smoke runs; changes the requests, so not comparable).")
@click.option("--fewshot", type=click.IntRange(min=0, max=32), default=None,
              help="Override the number of worked examples (default: the task's).")
@db_option
@data_dir_option
@click.option("--concurrency", type=click.IntRange(min=1, max=256), default=4, show_default=True,
              help="Ceiling of requests in flight per provider endpoint (API models): the limit starts at 4, grows "
                   "while requests succeed and every slot is busy, shrinks on 429/503. Local models take no concurrency (see --batch).")
@click.option("--rpm", type=click.IntRange(min=1), default=None, metavar="N",
              help="At most N requests a minute per provider endpoint (API models; for providers that publish a limit).")
@click.option("--tpm", type=click.IntRange(min=1), default=None, metavar="N",
              help="At most N tokens a minute per provider endpoint (estimated when sent, corrected by the usage).")
@click.option("--precision", type=click.FloatRange(min=0, max=1, min_open=True), default=None, metavar="H",
              help="Stop a task once the answer is known to ±H: items are asked in the task's seeded order (the one "
                   "--limit cuts from) until the anytime-valid 95% interval of the paired gap of every two models "
                   "(of the score, with one model) is narrower than ±H. A rerun continues from the cache.")
@click.option("--base-url", default=None, metavar="URL[,URL…]",
              help="Server for openai/ models (default: $OPENAI_BASE_URL or the preset). vllm/ models take a comma "
                   "list of replicas of one model (default: $VLLM_BASE_URL); URL?cap=N caps the requests in flight there.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=1), default=120.0, show_default=True,
              help="Seconds per request.")
@click.option("--retries", type=click.IntRange(min=0, max=20), default=5, show_default=True,
              help="Retries per request (exponential backoff with jitter; Retry-After honoured).")
@click.option("--n-ctx", type=click.IntRange(min=256), default=4096, show_default=True, help="Local models: context size.")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="Local models: CPU threads (default: all cores).")
@click.option("--batch", type=click.IntRange(min=1, max=64), default=DEFAULT_BATCH, show_default=True, metavar="K",
              help="Local models: decode K items together on one llama.cpp context (greedy single-turn answers; "
                   "log-likelihood questions share their context and few-shot prefix); 1 decodes one at a time. "
                   "Answers are cached under the same keys whatever K (the manifest records it); llama.cpp rounds "
                   "slightly differently for other batch shapes, so a near-tied greedy token can flip.")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
              help="Seed of the item subset that --limit picks, and of sampled answers (tasks with temperature > 0). "
                   "Greedy requests (temperature 0, most tasks) do not depend on it.")
@click.option("--retry-errors", is_flag=True,
              help="Ask again requests that failed permanently before (HTTP 400, context too long, unknown model); "
                   "by default they stay errors and are not re-sent on every run.")
@click.option("--allow-unsandboxed-code", is_flag=True,
              help="Run model-written code even where the sandbox (network namespace) is unavailable. Dangerous.")
@click.option("--judge", "judge_model", default=None, metavar="MODEL",
              help="Chat tasks (mt_bench, alignbench): have this model judge the answers after the run "
                   "(as `gapbench judge`).")
@click.option("--refusal-judge", "refusal_judge", default=None, metavar="MODEL",
              help="Refusal tasks (xstest, ccp_sensitive, deccp_*): have this model classify each answer as well "
                   "(XSTest's three verdicts); stored apart from the rules' verdicts, their agreement reported.")
@judge_options
@json_option
@click.option("--quiet", is_flag=True, help="No progress bar.")
def run_cmd(models, tasks, suite, limit, method, max_tokens, fewshot, db, data_dir, concurrency, rpm, tpm, precision,
            base_url, timeout_s, retries, n_ctx, threads, batch,
            seed, retry_errors, allow_unsandboxed_code, judge_model, refusal_judge, judge_temperature,
            judge_max_tokens, judge_attempts, as_json, quiet):
    """Run tasks on models and print accuracy with 95% intervals.

    Every response is stored in SQLite as it arrives; running the same command again
    makes no model call for what is stored, and resumes an interrupted run.
    """
    if not tasks and not suite:
        raise GapbenchError("give --task and/or --suite")
    names = split_list(tasks, "--task") if tasks else []
    if suite:
        found = get_suite(suite)
        names += [t for t in found["tasks"] if t not in names]
        limit = limit if limit is not None else found["limit"]
    specs = [get_task(t) for t in names]
    if max_tokens is not None:  # a capped run is another task: it never replaces or pairs with full runs
        specs = [t if max_tokens >= t.generation.max_tokens else t.model_copy(update={"name": f"{t.name}.max{max_tokens}", "generation": t.generation.model_copy(
                     update={"max_tokens": max_tokens})}) for t in specs]
    options = ModelOptions(base_url=base_url, timeout_s=timeout_s, max_retries=retries, concurrency=concurrency,
                           rpm=rpm, tpm=tpm, n_ctx=n_ctx, n_threads=threads, batch=batch)
    store = Store(settings.db_path(db))
    try:
        report = asyncio.run(run_eval(split_list(models, "--model"), specs, store=store,
                                      data_dir=settings.data_dir(data_dir), options=options, method=method,
                                      limit=limit, seed=seed, fewshot=fewshot, show_progress=not quiet and not as_json,
                                      allow_unsandboxed_code=allow_unsandboxed_code,
                                      retry_errors=retry_errors, precision=precision))
        judged = None
        for judge, capability in ((judge_model, "chat"), (refusal_judge, "refusals")):
            chosen = [t for t in specs if t.capability == capability]
            if judge and chosen:
                report_j = asyncio.run(run_judging(
                    store, settings.data_dir(data_dir), judge, options, chosen, models=split_list(models, "--model"),
                    temperature=judge_temperature, max_tokens=judge_max_tokens, attempts=judge_attempts,
                    retry_errors=retry_errors))
                judged = report_j if judged is None else merge_reports(judged, report_j)
    finally:
        store.close()
    summary = report.summary()
    summary.judged = judged
    if as_json:
        print_json(summary.to_json())
        return
    out = console()
    out.print(results_table(report.results))
    c = report.counters
    out.print(f"model calls: {c.model_calls} · cache hits: {c.cache_hits} · errors: {c.errors} · store: {store.path}")
    for p in report.precision:
        print_precision(out, p)
    if c.skipped:
        out.print(f"skipped: {c.skipped} items longer than the context window")
    for model in dict.fromkeys(r.model for r in report.results):
        mine = [r for r in report.results if r.model == model]
        cut = sum(r.truncated for r in mine)
        if cut:
            asked = sum(r.n + r.errors for r in mine)
            out.print(f"{model}: {cut} of {asked} answers truncated at the token limit (errors, not scores; "
                      "thinking models need a reasoning budget: see `gapbench models`)")
    for message in c.messages[:10]:
        print(f"note: {message}" if "skipped" in message else f"error: {message}", file=sys.stderr)
    if len(c.messages) > 10:
        print(f"… and {len(c.messages) - 10} more (transient errors are asked again on the next run)", file=sys.stderr)
    if judged is not None:
        print_judge_report(judged)
