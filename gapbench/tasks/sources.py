"""Record sources: Python generators of records for tasks whose items are made, not read.

A task names one with `dataset.source` and passes `dataset.options`; new sources are added by
registration (`@register_source("name")`), not by editing the loader.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable

from gapbench.errors import GapbenchError

Source = Callable[[Path, Any, dict[str, Any]], Iterable[dict[str, Any]]]
_SOURCES: dict[str, Source] = {}


def register_source(name: str):
    def deco(fn: Source) -> Source:
        _SOURCES[name] = fn
        return fn

    return deco


def get_source(name: str) -> Source:
    try:
        return _SOURCES[name]
    except KeyError:
        raise GapbenchError(f"dataset.source: unknown source '{name}' (known: {', '.join(sorted(_SOURCES))})") from None


@register_source("needle")
def needle(data_dir: Path, task: Any, options: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """Needle in a haystack of real WMT22 sentences, in the task's language."""
    from gapbench.tasks.needle import needle_records

    allowed = {"lengths", "depths", "repeats", "seed"}
    unknown = set(options) - allowed
    if unknown:
        raise GapbenchError(f"task {task.name}: dataset.options: unknown option(s) {', '.join(sorted(unknown))} "
                            f"(needle takes {', '.join(sorted(allowed))})")
    return needle_records(data_dir, task.language, **options)
