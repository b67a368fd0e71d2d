"""Shared fixtures: the real benchmark data beside the repo, and the real tiny GGUF models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("GAPBENCH_TEST_DATA") or REPO.parent / "shared" / "data")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA / "mmlu").is_dir():
        pytest.fail(f"benchmark data not found at {DATA}; set GAPBENCH_TEST_DATA")
    return DATA


@pytest.fixture(scope="session")
def smollm2_path() -> Path:
    from gapbench.models.local_assets import locate

    return locate("smollm2-135m")[1]


@pytest.fixture(scope="session")
def qwen_path() -> Path:
    from gapbench.models.local_assets import locate

    return locate("qwen2.5-coder-0.5b")[1]


def gapbench_cli(*args: str, env: dict | None = None, timeout: float = 600, cwd: Path | None = None,
                 input: str | None = None) -> subprocess.CompletedProcess:
    """Run the real `gapbench` command in a child process."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "gapbench.cli.main", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=cwd, input=input)
