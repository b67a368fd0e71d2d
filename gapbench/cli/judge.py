"""`gapbench judge`: a judge model scores the chat answers already in the store (no answering model is asked)."""

from __future__ import annotations

import asyncio
import sys

import click
from rich.table import Table

from gapbench import settings
from gapbench.cli.common import console, data_dir_option, db_option, json_option, print_json, results_table
from gapbench.errors import GapbenchError
from gapbench.judging.flow import run_judging
from gapbench.models.registry import ModelOptions
from gapbench.schema.judging import JudgeReport
from gapbench.store.db import Store
from gapbench.tasks.registry import builtin_tasks, get_task

CHAT_TASKS = "mt_bench,alignbench"


def stored_task(name: str):
    """The task spec of a stored task name: a built-in, or a renamed setup of one (mt_bench.max64)."""
    base = name.split(".")[0]
    if name == base or base not in builtin_tasks():
        return get_task(name)
    return get_task(base).model_copy(update={"name": name})


def judge_options(fn):
    """The options that say who judges and how (shared with `gapbench run --judge`)."""
    for option in reversed([
        click.option("--judge-temperature", type=click.FloatRange(0, 2), default=0.0, show_default=True,
                     help="The judge's temperature (part of its identity)."),
        click.option("--judge-max-tokens", type=click.IntRange(min=16), default=1024, show_default=True,
                     help="Tokens the judge may write per judgment."),
        click.option("--judge-attempts", type=click.IntRange(1, 10), default=3, show_default=True,
                     help="Attempts per judgment before an unreadable one is recorded as an error."),
    ]):
        fn = option(fn)
    return fn


@click.command("judge")
@click.option("--judge", "judge_model", required=True, metavar="MODEL",
              help="The judge: any model gapbench calls (openai/gpt-4o, deepseek/…, local/…, openai/M with --base-url).")
@click.option("--task", "tasks", default=CHAT_TASKS, show_default=True, metavar="T[,T2…]",
              help="Tasks to judge: chat (mt_bench, alignbench) or refusals (xstest, ccp_sensitive, deccp_en, deccp_zh).")
@click.option("--model", "models", default=None, metavar="M[,M2…]", help="Only these answering models (default: all stored).")
@click.option("--pairwise", is_flag=True, help="Compare --a and --b on each prompt, in both orders (position swap).")
@click.option("--a", "model_a", default=None, metavar="MODEL", help="With --pairwise: model A.")
@click.option("--b", "model_b", default=None, metavar="MODEL", help="With --pairwise: model B.")
@click.option("--repeat", type=click.IntRange(min=0), default=0, metavar="N",
              help="Judge the first N answers of each model again at another seed: the judge's self-consistency.")
@judge_options
@db_option
@data_dir_option
@click.option("--base-url", default=None, help="Server of an openai/ judge (default: $OPENAI_BASE_URL or the preset).")
@click.option("--concurrency", type=click.IntRange(1, 256), default=4, show_default=True, help="Judge calls in flight.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=1), default=300.0, show_default=True, help="Seconds per call.")
@click.option("--retries", type=click.IntRange(0, 20), default=5, show_default=True, help="Retries per failed call.")
@click.option("--n-ctx", type=click.IntRange(min=256), default=8192, show_default=True, help="A local judge's context size.")
@click.option("--retry-errors", is_flag=True, help="Ask again judge calls that failed permanently before.")
@json_option
def judge_cmd(judge_model, tasks, models, pairwise, model_a, model_b, repeat, judge_temperature, judge_max_tokens,
              judge_attempts, db, data_dir, base_url, concurrency, timeout_s, retries, n_ctx, retry_errors, as_json):
    """Score stored chat answers with a judge model: MT-Bench as FastChat grades it (1-10 per turn, reference-
    guided for maths, reasoning and coding), AlignBench by its dimensions (1-10 each and overall). Judged scores
    are stored as the task TASK@JUDGE and read by results, compare, claims and the report; a rerun makes no
    judge call. With --pairwise, --a and --b are compared prompt by prompt in both orders."""
    pair = None
    if pairwise:
        if not (model_a and model_b):
            raise GapbenchError("--pairwise: give --a and --b")
        pair = (model_a, model_b)
    elif model_a or model_b:
        raise GapbenchError("--a/--b: only with --pairwise")
    specs = [stored_task(t.strip()) for t in tasks.split(",") if t.strip()]
    options = ModelOptions(base_url=base_url, timeout_s=timeout_s, max_retries=retries, concurrency=concurrency,
                           n_ctx=n_ctx)
    with Store.existing(settings.db_path(db)) as store:
        report = asyncio.run(run_judging(
            store, settings.data_dir(data_dir), judge_model, options, specs,
            models=[m.strip() for m in models.split(",")] if models else None, pair=pair, repeat=repeat,
            temperature=judge_temperature, max_tokens=judge_max_tokens, attempts=judge_attempts,
            retry_errors=retry_errors))
    if as_json:
        print_json(report.to_json())
        return
    print_judge_report(report)


def print_judge_report(report: JudgeReport) -> None:
    out = console()
    if report.results:
        out.print(results_table(report.results, title="Judged scores (ratings 1-10)"))
    table = Table(title="Judges: judged answers and unreadable judgments")
    for col in ("judge", "task", "model", "judged", "unreadable", "rate", "errors"):
        table.add_column(col)
    for s in report.judges:
        table.add_row(s.judge, s.task, s.model, str(s.judged), str(s.unparseable), f"{s.unparseable_rate:.1%}",
                      str(s.errors))
    out.print(table)
    if report.pairwise is not None:
        wins = Table(title="Pairwise: win rate of A over B (ties and swapped disagreements count ½), 95% interval")
        for col in ("judge", "A vs B", "scope", "n", "win rate", "95% CI", "position bias"):
            wins.add_column(col)
        for w in report.pairwise.win_rates:
            wins.add_row(w.judge, f"{w.a} vs {w.b}", f"{w.scope}: {w.name}", str(w.n_prompts), f"{w.win_rate:.3f}",
                         f"[{w.ci_low:.3f}, {w.ci_high:.3f}]", f"{w.position_bias:.0%}")
        out.print(wins)
    if report.agreement:
        agree = Table(title="Judge agreement (ratings: Spearman ρ; verdicts: Cohen κ)")
        for col in ("kind", "task", "judge 1", "judge 2", "n", "value", "exact"):
            agree.add_column(col)
        for a in report.agreement:
            agree.add_row(a.kind, a.task, a.judge_1, a.judge_2, str(a.n), "—" if a.value is None else f"{a.value:.3f}",
                          "—" if a.exact_agreement is None else f"{a.exact_agreement:.1%}")
        out.print(agree)
    out.print(f"judge calls: {report.model_calls} · cache hits: {report.cache_hits}")
    for note in report.notes[:10]:
        print(f"note: {note}", file=sys.stderr)
