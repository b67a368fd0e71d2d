"""Options shared by several commands, and the one-line error contract."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from gapbench.types import Result

db_option = click.option("--db", "db", default=None, metavar="PATH",
                         help="SQLite store (default: $GAPBENCH_DB, else ./gapbench.db).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
data_dir_option = click.option("--data-dir", "data_dir", default=None, metavar="DIR",
                               help="Benchmark data directory (default: $GAPBENCH_DATA, else ./data).")


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def results_table(results: list[Result], title: str = "Results") -> Table:
    table = Table(title=title)
    extras = any(r.extra for r in results)
    for col in ("model", "task", "lang", "capability", "method", "n", "score", "95% CI", "errors") + (("beside",) if extras else ()):
        table.add_column(col, justify="right" if col in ("n", "score", "errors") else "left")
    for r in results:
        row = [r.model, r.task, r.language, r.capability, r.method, str(r.n), f"{r.score:.3f}",
               f"[{r.ci_low:.3f}, {r.ci_high:.3f}]", str(r.errors)]
        table.add_row(*row, *([describe_extra(r.extra)] if extras else []))
    return table


def describe_extra(extra: dict) -> str:
    parts = []
    if "corpus_bleu" in extra:
        parts.append(f"corpus BLEU {extra['corpus_bleu']:.1f}, chrF {extra['corpus_chrf']:.1f}")
    for subset, v in extra.get("refusal_rate_by_subset", {}).items():
        parts.append(f"{subset}: {v['rate']:.2f} (n={v['n']})")
    for length, v in extra.get("retrieval_by_length", {}).items():
        parts.append(f"{int(length) // 1000}k: {v['rate']:.2f} (n={v['n']})")
    return "; ".join(parts)


def console() -> Console:
    out = Console()
    if not out.is_terminal:  # piped or captured: do not squeeze tables into 80 columns
        out = Console(width=160)
    return out
