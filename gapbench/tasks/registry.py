"""Find tasks: built-in YAML files shipped in the package, or a user's own task file by path."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from gapbench.errors import GapbenchError
from gapbench.tasks.spec import TaskSpec

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"


def _first_error(e: ValidationError) -> str:
    err = e.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "(top level)"
    return f"field '{field}': {err['msg']}"


def load_task_file(path: Path) -> TaskSpec:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise GapbenchError(f"task file {path}: {e.strerror}") from None
    try:
        if path.suffix == ".toml":
            import tomllib

            data = tomllib.loads(text)
        else:
            data = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise GapbenchError(f"task file {where}: not valid YAML/TOML ({getattr(e, 'problem', e)})") from None
    if not isinstance(data, dict):
        raise GapbenchError(f"task file {path}: expected a mapping of fields")
    try:
        spec = TaskSpec.model_validate(data)
    except ValidationError as e:
        raise GapbenchError(f"task file {path}: {_first_error(e)}") from None
    from gapbench.scoring.registry import check_task  # the scorers know what they support

    try:
        check_task(spec)
    except GapbenchError as e:
        raise GapbenchError(f"task file {path}: {e}") from None
    return spec


@lru_cache(maxsize=None)
def builtin_tasks() -> dict[str, Path]:
    return {p.stem: p for p in sorted(BUILTIN_DIR.glob("*.yaml"))}


def get_task(name_or_path: str) -> TaskSpec:
    """A built-in task by name, or a task file by path (.yaml, .yml, .toml)."""
    if name_or_path.endswith((".yaml", ".yml", ".toml")) or "/" in name_or_path:
        return load_task_file(Path(name_or_path))
    path = builtin_tasks().get(name_or_path)
    if path is None:
        raise GapbenchError(f"--task: unknown task '{name_or_path}' (see `gapbench tasks`)")
    return load_task_file(path)


def task_hash(task: TaskSpec) -> str:
    """Hash of the task definition (templates, mapping, scorer): part of the run manifest."""
    return hashlib.sha256(task.model_dump_json().encode()).hexdigest()[:16]


def data_hash(files: list[Path]) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


SUITES_FILE = Path(__file__).resolve().parent / "suites.yaml"


@lru_cache(maxsize=None)
def suites() -> dict[str, dict]:
    """Named groups of tasks: {name: {"description", "limit", "tasks"}}."""
    data = yaml.safe_load(SUITES_FILE.read_text(encoding="utf-8"))
    return {name: {"description": s.get("description", ""), "limit": s.get("limit"), "tasks": list(s["tasks"])}
            for name, s in data.items()}


def get_suite(name: str) -> dict:
    found = suites().get(name)
    if found is None:
        raise GapbenchError(f"--suite: unknown suite '{name}' (known: {', '.join(suites())})")
    return found
