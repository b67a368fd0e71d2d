"""Progress on stderr with rich: items done, rate, ETA and tokens, so stdout stays clean for --json."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn


def make_progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[tokens]} tok · {task.fields[calls]} calls · {task.fields[hits]} cached · {task.fields[errors]} err"),
        console=Console(stderr=True),
        disable=not enabled,
        transient=False,
        # No refresh thread: on a small machine it competes with llama.cpp's spinning worker
        # threads and slows generation several-fold. The runner refreshes after each item.
        auto_refresh=False,
    )
