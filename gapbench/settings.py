"""Settings that come from the environment, resolved in one place.

| variable          | what                                   | default                      |
|-------------------|----------------------------------------|------------------------------|
| GAPBENCH_DB       | the SQLite store                       | ./gapbench.db                |
| GAPBENCH_DATA     | the benchmark data directory           | ./data                       |
| GAPBENCH_MODELS   | where joined GGUF files are cached     | ~/.cache/gapbench/models     |
| GAPBENCH_THREADS  | CPU threads of local models            | all cores                    |

A command-line flag always wins over its variable. API keys and base URLs of providers are read by the
provider presets (`gapbench.models.presets`), never here, and never stored.
"""

from __future__ import annotations

import os
from pathlib import Path


def db_path(flag: str | os.PathLike | None = None) -> Path:
    """--db, else $GAPBENCH_DB, else ./gapbench.db."""
    return Path(flag or os.environ.get("GAPBENCH_DB") or "gapbench.db")


def data_dir(flag: str | os.PathLike | None = None) -> Path:
    """--data-dir, else $GAPBENCH_DATA, else ./data."""
    return Path(flag or os.environ.get("GAPBENCH_DATA") or "data")


def models_dir() -> Path:
    """$GAPBENCH_MODELS, else ~/.cache/gapbench/models (created)."""
    path = Path(os.environ.get("GAPBENCH_MODELS") or Path.home() / ".cache" / "gapbench" / "models")
    path.mkdir(parents=True, exist_ok=True)
    return path


def threads(flag: int | None = None) -> int:
    """--threads, else $GAPBENCH_THREADS, else every core."""
    value = os.environ.get("GAPBENCH_THREADS", "")
    return flag or (int(value) if value.strip().isdigit() and int(value) > 0 else 0) or os.cpu_count() or 1
