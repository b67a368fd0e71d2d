"""Instruction checkers by id: each takes the response and the instruction's arguments, and says whether the
response follows it. Strict and loose following (Zhou et al., 2023) are computed here for any checker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from gapbench.errors import GapbenchError

RELATIONS = ("less than", "at least")


@dataclass(frozen=True)
class Checker:
    id: str
    args: tuple[str, ...]  # the keyword arguments the instruction carries (kwargs in the data)
    check: Callable[..., bool]  # check(response, **args) -> followed
    description: str


CHECKERS: dict[str, Checker] = {}


def checker(instruction_id: str, *args: str):
    """Register a checker function under an instruction id; its docstring is its description."""
    def deco(fn: Callable[..., bool]) -> Callable[..., bool]:
        CHECKERS[instruction_id] = Checker(instruction_id, args, fn, " ".join((fn.__doc__ or "").split()))
        return fn

    return deco


def compare(count: int, relation: str, threshold: int) -> bool:
    """IFEval's two relations: 'less than' (count < threshold) and 'at least' (count >= threshold)."""
    if relation == "less than":
        return count < int(threshold)
    if relation == "at least":
        return count >= int(threshold)
    raise GapbenchError(f"instruction relation {relation!r} is not one of {', '.join(RELATIONS)}")


def _arguments(instruction_id: str, kwargs: dict[str, Any] | None) -> tuple[Checker, dict[str, Any]]:
    found = CHECKERS.get(instruction_id)
    if found is None:
        raise GapbenchError(f"unknown instruction id {instruction_id!r} (known: {', '.join(sorted(CHECKERS))})")
    given = {k: v for k, v in (kwargs or {}).items() if v is not None}
    missing = [a for a in found.args if a not in given]
    if missing:
        raise GapbenchError(f"instruction {instruction_id}: kwargs lack {', '.join(missing)}")
    return found, {a: given[a] for a in found.args}


def check(instruction_id: str, kwargs: dict[str, Any] | None, response: str) -> bool:
    """Strict: the response as given. An empty response follows nothing (as upstream)."""
    found, args = _arguments(instruction_id, kwargs)
    return bool(response.strip()) and bool(found.check(response, **args))


def loose_variants(response: str) -> list[str]:
    """The paper's loose transformations: the response itself, without markdown '*', without its first line,
    without its last line, without both, and each of those three without '*' (eight texts)."""
    lines = response.split("\n")
    cut = ["\n".join(lines[1:]).strip(), "\n".join(lines[:-1]).strip(), "\n".join(lines[1:-1]).strip()]
    return [response, response.replace("*", ""), *cut, *(t.replace("*", "") for t in cut)]


def check_loose(instruction_id: str, kwargs: dict[str, Any] | None, response: str) -> bool:
    """Loose: followed by any of the eight variants."""
    found, args = _arguments(instruction_id, kwargs)
    return any(text.strip() and found.check(text, **args) for text in loose_variants(response))
