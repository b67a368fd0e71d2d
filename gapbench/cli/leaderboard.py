"""`gapbench leaderboard`: Bradley–Terry ratings from arena votes and judges' pairwise verdicts, by source."""

from __future__ import annotations

import sys

import click
from rich.table import Table

from gapbench import settings
from gapbench.cli.common import console, db_option, json_option, print_json
from gapbench.gap.leaderboard import SCOPES, SOURCES, build_leaderboard, scope_label
from gapbench.schema.leaderboard import Leaderboard
from gapbench.store.db import Store


@click.command("leaderboard")
@db_option
@click.option("--source", type=click.Choice(SOURCES), default="both", show_default=True,
              help="human: arena votes; judge: pairwise judge verdicts, one board per judge; both: each source on "
                   "its own; pooled: one fit on all of them together (labelled as such).")
@click.option("--judge", "judges", default=None, metavar="ID[,ID2…]", help="Only these judges (judge ids as stored).")
@click.option("--task", "tasks", default=None, metavar="T[,T2…]", help="Only battles on these tasks.")
@click.option("--by", "scopes", default=",".join(SCOPES), show_default=True, metavar="SCOPE[,…]",
              help="Boards to fit: all prompts, per language, per task.")
@click.option("--anchor", default=None, metavar="MODEL",
              help="The model whose rating is fixed (default: the model in most battles).")
@click.option("--anchor-rating", type=float, default=1000.0, show_default=True, help="The anchor's rating.")
@click.option("--style-control", "style", is_flag=True,
              help="Answer length and Markdown (headers, bold, lists) as covariates, as LMArena's style control.")
@click.option("--bootstrap", "n_boot", type=click.IntRange(0, 100_000), default=1000, show_default=True,
              help="Bootstrap resamples of the prompts for the 95% intervals (0: no intervals).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@json_option
def leaderboard_cmd(db, source, judges, tasks, scopes, anchor, anchor_rating, style, n_boot, seed, as_json):
    """Bradley-Terry ratings (Elo scale, anchored on a named model) with 95% intervals from a bootstrap over
    prompts, from people's arena votes and from judges' pairwise verdicts, each source on its own; per language
    and per task; with the agreement (and Cohen's kappa) of people and judges on the same pairs."""
    with Store.existing(settings.db_path(db)) as store:
        board = build_leaderboard(store, source=source, judges=judges, tasks=tasks, scopes=scopes, anchor=anchor,
                                  anchor_rating=anchor_rating, style=style, n_boot=n_boot, seed=seed)
    if as_json:
        print_json(board.to_json())
        return
    print_leaderboard(board)


def _bound(r) -> str:
    return "" if r.finite else " (bound)"


def print_leaderboard(lb: Leaderboard) -> None:
    out = console()
    for b in lb.boards:
        title = (f"{b.source} · {scope_label(b.scope, b.name)} · anchor {b.anchor} = {b.anchor_rating:g} · {b.n_battles} battles "
                 f"on {b.n_prompts} prompts" + (" · style controlled" if b.style_control else ""))
        table = Table(title=title)
        for col in ("rank", "model", "rating", "95% CI", "wins", "ties", "losses"):
            table.add_column(col, justify="left" if col == "model" else "right")
        for i, r in enumerate(b.ratings, 1):
            interval = f"[{r.ci_low:.0f}, {r.ci_high:.0f}]" if b.n_boot else "—"
            table.add_row(str(i), r.model, f"{r.rating:.0f}{_bound(r)}", interval, str(r.wins), str(r.ties),
                          str(r.losses))
        out.print(table)
        for s in b.style:
            out.print(f"  style {s.feature}: {s.points:+.0f} points per typical difference [{s.ci_low:+.0f}, {s.ci_high:+.0f}]")
    if lb.agreement:
        table = Table(title="Agreement on the same pairs (verdicts a / b / tie; 'both bad' = tie)")
        for col in ("source 1", "source 2", "n", "agreement", "Cohen κ", "n decisive", "decisive agreement"):
            table.add_column(col)
        for a in lb.agreement:
            table.add_row(a.source_1, a.source_2, str(a.n), _pct(a.agreement),
                          "—" if a.kappa is None else f"{a.kappa:.3f}", str(a.n_decisive), _pct(a.decisive_agreement))
        out.print(table)
    out.print(f"method: {lb.method}")
    for note in lb.notes:
        print(f"note: {note}", file=sys.stderr)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"
