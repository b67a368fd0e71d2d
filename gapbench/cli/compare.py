"""`gapbench compare`: the paired gap between two models (or the best of two groups), per task and per cell."""

from __future__ import annotations

import click
from rich.table import Table

from gapbench.cli.common import console, db_option, json_option, print_json
from gapbench.errors import GapbenchError
from gapbench.gap.compare import compare_groups, compare_models
from gapbench.schema.comparison import Comparison, GroupComparison
from gapbench import settings
from gapbench.store.db import Store


def _names(value: str, flag: str) -> list[str]:
    items = list(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    if not items:
        raise GapbenchError(f"{flag}: give at least one name")
    return items


def _task_names(tasks: str | None, suite: str | None) -> list[str] | None:
    """Task names as stored in the scores: built-in names as given, task files by the name inside them."""
    if not tasks and not suite:
        return None
    names = []
    if tasks:
        for t in _names(tasks, "--task"):
            if t.endswith((".yaml", ".yml", ".toml")) or "/" in t:
                from gapbench.tasks.registry import get_task

                t = get_task(t).name
            names.append(t)
    if suite:
        from gapbench.tasks.registry import get_suite

        names += get_suite(suite)["tasks"]
    return list(dict.fromkeys(names))


def resolve_group_spec(spec: str, flag: str, models: list[str]) -> list[str]:
    """A comma list of stored model names, or key=value (e.g. country=China) looked up in the model catalog."""
    if "=" not in spec:
        return _names(spec, flag)
    from gapbench.catalog import resolve_group

    try:
        return list(resolve_group(spec, models))  # raises when no stored model matches
    except GapbenchError as e:
        raise GapbenchError(f"{flag}: {e}") from None


def signed(x: float | None) -> str:
    return "—" if x is None else f"{x:+.3f}"


def gap_text(row) -> str:
    """'+0.120 [+0.050, +0.190]' for a row with diff, ci_low and ci_high (a model or a dict)."""
    get = row.get if isinstance(row, dict) else lambda k: getattr(row, k)
    if get("diff") is None:
        return "no paired items"
    return f"{signed(get('diff'))} [{signed(get('ci_low'))}, {signed(get('ci_high'))}]"


def p_text(p: float | None) -> str:
    if p is None:
        return "—"
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


def score_text(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def points(x: float | None) -> str:
    return "—" if x is None else f"{100 * min(x, 1.0):.0f}"


def _table(title: str, columns: list[str], rows: list[list[str]], right: set[str]) -> Table:
    table = Table(title=title)
    for col in columns:
        table.add_column(col, justify="right" if col in right else "left")
    for row in rows:
        table.add_row(*row)
    return table


def _p_columns(fdr: bool) -> tuple[list[str], str]:
    """The two corrected p columns, headline first, and the title's words for them."""
    if fdr:
        return ["p (BH)", "p (Holm)"], "Benjamini–Hochberg (false discovery rate) across cells, Holm beside it"
    return ["p (Holm)", "p (BH)"], "Holm across cells, Benjamini–Hochberg (false discovery rate) beside it"


def _p_values(cell, fdr: bool) -> list[str]:
    return [p_text(cell.p_bh), p_text(cell.p_holm)] if fdr else [p_text(cell.p_holm), p_text(cell.p_bh)]


def _notes(out, summary: str | None) -> None:
    """The comparison's power line (each cell's own is in --json; its MDE is in the table)."""
    if summary:
        out.print(summary)


def print_models(report: Comparison, fdr: bool = False) -> None:
    out = console()
    out.print(f"[bold]A[/bold] = {report.a}   [bold]B[/bold] = {report.b}   diff = A − B on the items both "
              "answered, 95% interval")
    out.print(_table(
        "Per task (interval: paired 0/1 MOVER or bootstrap-t; p: exact McNemar for 0/1 scores, sign-flip "
        "permutation otherwise; uncorrected)",
        ["task", "capability", "lang", "method", "n paired", "A", "B", "diff [95% CI]", "p"],
        [[t.task, t.capability, t.language, t.method, str(t.n_paired), f"{t.score_a:.3f}", f"{t.score_b:.3f}",
          gap_text(t), p_text(t.p_value)] for t in report.tasks],
        {"n paired", "A", "B", "diff [95% CI]", "p"}))
    p_cols, p_words = _p_columns(fdr)
    out.print(_table(
        f"Per capability × language (tasks weighted equally; p: stratified sign-flip, {p_words}; "
        "MDE: smallest gap in points found with 80% power)",
        ["capability", "lang", "tasks", "n paired", "diff [95% CI]", *p_cols, "MDE"],
        [[c.capability, c.language, str(c.n_tasks), str(c.n_paired), gap_text(c), *_p_values(c, fdr),
          points(c.mde_80)] for c in report.cells],
        {"tasks", "n paired", "diff [95% CI]", *p_cols, "MDE"}))
    _notes(out, report.power_note)
    print_roles(out, report.roles)
    if report.unpaired:
        out.print(f"No paired items (not compared): {', '.join(report.unpaired)}")


def print_roles(out, roles) -> None:
    """Two lines per language: the gap as a chatbot and as a productivity tool, and whether they differ."""
    if roles is None or not roles.gaps:
        return
    out.print("[bold]As a chatbot and as a productivity tool[/bold] (a − b, shares of the scale; chatbot: judged "
              "chat; productivity: instruction following, tool use, long input, code, maths)")
    for g in roles.gaps:
        out.print(f"  {g.language} {g.role}: {gap_text(g)} over {len(g.tasks)} task(s), {g.n_paired} paired items")
    for c in roles.contrasts:
        verdict = "they differ" if c.differ else "no significant difference"
        out.print(f"  {c.language} productivity − chatbot: {gap_text(c)}: {verdict}")
    if roles.note:
        out.print(f"  ({roles.note})")


def print_groups(report: GroupComparison, fdr: bool = False) -> None:
    out = console()
    out.print(f"[bold]Group A[/bold]: {', '.join(report.group_a)}")
    out.print(f"[bold]Group B[/bold]: {', '.join(report.group_b)}")
    sel = report.selection
    out.print(f"Selection: where a group has several models, its best is chosen on one half of the items and the "
              f"gap measured on the other ({sel.rule}): {sel.selection_items} selection items, "
              f"{sel.test_items} test items.")
    out.print(_table(
        "Best model of each group per task (chosen on the selection half, mean score on the test half)",
        ["task", "capability", "lang", "method", "split", "best A", "score", "best B", "score"],
        [[t.task, t.capability, t.language, t.method, t.selection, t.best_a or "—", score_text(t.score_a),
          t.best_b or "—", score_text(t.score_b)] for t in report.tasks],
        {"score"}))
    p_cols, p_words = _p_columns(fdr)
    out.print(_table(
        f"Best A − best B per capability × language (test items, tasks weighted equally; p: stratified sign-flip, "
        f"{p_words}; MDE: smallest gap in points found with 80% power)",
        ["capability", "lang", "best A", "best B", "split", "tasks", "n test", "diff [95% CI]", *p_cols, "MDE"],
        [[c.capability, c.language, c.best_a, c.best_b, c.selection, str(c.n_tasks), str(c.n_paired), gap_text(c),
          *_p_values(c, fdr), points(c.mde_80)] for c in report.cells],
        {"tasks", "n test", "diff [95% CI]", *p_cols, "MDE"}))
    _notes(out, report.power_note)
    if report.unpaired:
        out.print(f"Not in any paired comparison: {', '.join(report.unpaired)}")


@click.command("compare")
@click.option("--a", "model_a", default=None, metavar="MODEL", help="Model A, as stored (e.g. local/qwen2.5-coder-0.5b).")
@click.option("--b", "model_b", default=None, metavar="MODEL", help="Model B; the gap is A − B.")
@click.option("--group-a", default=None, metavar="SPEC",
              help="Instead of --a: comma list of stored models, or key=value from the model catalog (country=China).")
@click.option("--group-b", default=None, metavar="SPEC", help="Instead of --b: as --group-a.")
@click.option("--task", "tasks", default=None, metavar="T[,T2…]", help="Only these tasks (default: all stored).")
@click.option("--suite", default=None, metavar="NAME", help="Only the tasks of this suite (see `gapbench tasks`).")
@click.option("--n-boot", type=click.IntRange(min=100), default=10000, show_default=True,
              help="Bootstrap resamples and random sign flips.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap and permutation tests.")
@click.option("--fdr", is_flag=True,
              help="Headline the Benjamini–Hochberg (false discovery rate) p across cells instead of Holm's "
                   "(both are always computed and in --json).")
@db_option
@json_option
def compare_cmd(model_a, model_b, group_a, group_b, tasks, suite, n_boot, seed, fdr, db, as_json):
    """Paired gap A − B on the items both models answered: per task and per capability × language cell, with
    95% intervals (0/1 scores: MOVER on the discordant pairs; continuous: bootstrap-t), p-values (McNemar /
    sign-flip; Holm and Benjamini–Hochberg across cells) and the smallest gap each cell could find (MDE).

    Groups (--group-a/--group-b): best model of A against best of B per cell. Where a group has more than one
    model in a cell, each group's best is chosen on a fixed half of the items (by a hash of task and sample id)
    and the gap is measured on the other half, so picking the winner does not bias the gap or its p-value;
    --json says so under "selection" and per cell."""
    pair, groups = (model_a, model_b), (group_a, group_b)
    if any(pair) and any(groups):
        raise GapbenchError("give --a and --b, or --group-a and --group-b, not both")
    if not (all(pair) or all(groups)):
        if any(pair):
            raise GapbenchError(f"{'--b' if model_a else '--a'}: missing (give both --a and --b)")
        if any(groups):
            raise GapbenchError(f"{'--group-b' if group_a else '--group-a'}: missing (give both --group-a and --group-b)")
        raise GapbenchError("give --a and --b, or --group-a and --group-b")
    names = _task_names(tasks, suite)
    store = Store.existing(settings.db_path(db))
    try:
        if all(pair):
            report = compare_models(store, model_a, model_b, tasks=names, n_boot=n_boot, seed=seed)
        else:
            models = store.models()
            ga = resolve_group_spec(group_a, "--group-a", models)
            gb = resolve_group_spec(group_b, "--group-b", models)
            report = compare_groups(store, ga, gb, tasks=names, n_boot=n_boot, seed=seed)
    finally:
        store.close()
    if as_json:
        print_json(report.to_json())
    elif all(pair):
        print_models(report, fdr)
    else:
        print_groups(report, fdr)
