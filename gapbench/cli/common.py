"""Options shared by several commands, and the one-line error contract."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from gapbench.schema.results import Result

db_option = click.option("--db", "db", default=None, metavar="PATH",
                         help="SQLite store (default: $GAPBENCH_DB, else ./gapbench.db).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
data_dir_option = click.option("--data-dir", "data_dir", default=None, metavar="DIR",
                               help="Benchmark data directory (default: $GAPBENCH_DATA, else ./data).")


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def results_table(results: list[Result], title: str = "Results") -> Table:
    table = Table(title=title)
    beside = [describe(r) for r in results]
    for col in ("model", "task", "lang", "capability", "method", "metric", "n", "score", "95% CI", "errors") + (
            ("beside",) if any(beside) else ()):
        table.add_column(col, justify="right" if col in ("n", "score", "errors") else "left")
    for r, text in zip(results, beside):
        score = "—" if r.score is None else f"{r.score:.3f}"
        interval = "—" if r.ci_low is None else f"[{r.ci_low:.3f}, {r.ci_high:.3f}]"
        score = "not judged" if r.score is None and r.note else score
        errors = f"{r.errors} ({r.truncated} truncated)" if r.truncated else str(r.errors)
        row = [r.model, r.task, r.language, r.capability, r.method, r.metric, str(r.n), score, interval, errors]
        table.add_row(*row, *([text] if any(beside) else []))
    return table


def describe(result: Result) -> str:
    """The scorer's other declared figures, in a few words: corpus BLEU/chrF, acc_norm, rate per subset."""
    parts = []
    for name, value in result.metrics.items():
        parts.append(f"{name} {value:.1f}" if name.startswith("corpus_") or name == "bleu" else f"{name} {value:.3f}")
    if result.breakdown is not None:
        for group, g in result.breakdown.groups.items():
            label = f"{int(group) // 1000}k" if result.breakdown.by == "length" and group.isdigit() else group
            parts.append(f"{label}: {g.rate:.2f} (n={g.n})")
    return "; ".join(parts)


def console() -> Console:
    out = Console()
    if not out.is_terminal:  # piped or captured: do not squeeze tables into 80 columns
        out = Console(width=160)
    return out
