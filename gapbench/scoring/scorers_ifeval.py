"""Instruction following: IFEval's verifiable instructions (ifeval, ifeval_zh) and FollowBench's rule-checkable
constraints (followbench_en, followbench_zh). The checkers live in gapbench.scoring.instructions.

IFEval reports four figures (Zhou et al., 2023): prompt-level accuracy (every instruction of a prompt followed)
and instruction-level accuracy, each strict (the response as it is) and loose (also accepted after removing
markdown '*' or the first/last line). Instruction-level accuracy is reported twice: as an item metric (the share
of a prompt's instructions followed, averaged over prompts: it has an interval) and, as the paper does, pooled
over all instructions (inst_strict_micro, inst_loose_micro: corpus metrics).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Sequence

from gapbench.errors import GapbenchError
from gapbench.models.reasoning import split_reasoning
from gapbench.scoring.instructions import check, check_loose
from gapbench.scoring.instructions.followbench import constraints, rule_checkable
from gapbench.scoring.registry import Breakdown, Metric, ScorerConfig, define_scorer
from gapbench.tasks.sources import register_source
from gapbench.tasks.spec import TaskSpec
from gapbench.types import Response, Sample, Score


def _pooled(items: Sequence[tuple[str, dict]], language: str) -> dict[str, float]:
    """The paper's instruction-level accuracy: instructions followed over all instructions of all prompts."""
    strict = [v for _, d in items for v in d["strict"]]
    loose = [v for _, d in items for v in d["loose"]]
    return {"inst_strict_micro": sum(strict) / len(strict) if strict else 0.0,
            "inst_loose_micro": sum(loose) / len(loose) if loose else 0.0}


ifeval = define_scorer("ifeval", [
    Metric("prompt_strict", "share of prompts with every instruction followed (strict)"),
    Metric("prompt_loose", "share of prompts with every instruction followed (loose: also after removing markdown "
                           "'*' or the first/last line)"),
    Metric("inst_strict", "share of a prompt's instructions followed (strict), mean over prompts"),
    Metric("inst_loose", "share of a prompt's instructions followed (loose), mean over prompts"),
    Metric("inst_strict_micro", "share of all instructions followed (strict), pooled over prompts as the paper "
                                "reports it", kind="corpus"),
    Metric("inst_loose_micro", "share of all instructions followed (loose), pooled over prompts", kind="corpus"),
], breakdown=Breakdown("n_instructions", "the headline by number of instructions in the prompt", max_groups=8),
    corpus=_pooled, description="verifiable instructions (IFEval): prompt- and instruction-level, strict and loose")


def _instructions(sample: Sample) -> list[tuple[str, dict[str, Any]]]:
    ids, kwargs = sample.metadata.get("instruction_id_list"), sample.metadata.get("kwargs")
    if not isinstance(ids, list) or not isinstance(kwargs, list) or len(ids) != len(kwargs) or not ids:
        raise GapbenchError(f"{sample.metadata.get('_origin', sample.id)}: an instruction-following record needs "
                            "'instruction_id_list' and 'kwargs' lists of the same, non-zero length")
    return list(zip(ids, kwargs))


@ifeval.method("generate")
def ifeval_generate(task: TaskSpec, sample: Sample, responses: list[Response], config: ScorerConfig) -> Score:
    answer, _ = split_reasoning(responses[0].text)
    pairs = _instructions(sample)
    try:
        strict = [check(i, k, answer) for i, k in pairs]
        loose = [check_loose(i, k, answer) for i, k in pairs]
    except GapbenchError as e:
        raise GapbenchError(f"{sample.metadata.get('_origin', sample.id)}: {e}") from None
    return Score(values={"prompt_strict": float(all(strict)), "prompt_loose": float(all(loose)),
                         "inst_strict": sum(strict) / len(strict), "inst_loose": sum(loose) / len(loose)},
                 extracted=answer[:200],
                 details={"instructions": [i for i, _ in pairs], "strict": strict, "loose": loose,
                          "n_instructions": len(pairs)})


followbench = define_scorer("followbench", [
    Metric("hsr", "hard satisfaction: share of items with every checked constraint met"),
    Metric("ssr", "soft satisfaction: share of an item's checked constraints met, mean over items"),
], breakdown=Breakdown("level", "the headline by constraint level (1-5 constraints)", min_groups=1),
    description="FollowBench's rule-checkable constraints, per level 1-5: hard and soft satisfaction")


@followbench.method("generate")
def followbench_generate(task: TaskSpec, sample: Sample, responses: list[Response], config: ScorerConfig) -> Score:
    answer, _ = split_reasoning(responses[0].text)
    verdicts = constraints(sample.metadata, answer, task.language)
    return Score(values={"hsr": float(all(verdicts)), "ssr": sum(verdicts) / len(verdicts)}, extracted=answer[:200],
                 details={"level": int(sample.metadata["level"]), "category": sample.metadata.get("category"),
                          "source": sample.metadata.get("source"), "constraints": verdicts})


@register_source("followbench")
def followbench_records(data_dir: Path, task: Any, options: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """The rule-checkable items (levels 1-5) of every <category>_constraints.json in options['path']."""
    unknown = set(options) - {"path"}
    if unknown or "path" not in options:
        raise GapbenchError(f"task {task.name}: dataset.options: followbench takes 'path' (a folder of "
                            f"*_constraints.json files){', not ' + ', '.join(sorted(unknown)) if unknown else ''}")
    folder = Path(data_dir) / str(options["path"])
    files = sorted(folder.glob("*_constraints.json"))
    if not files:
        raise GapbenchError(f"data file not found: {folder}/*_constraints.json (set --data-dir or $GAPBENCH_DATA)")
    for f in files:
        try:
            records = json.loads(f.read_text(encoding="utf-8"))
        except ValueError as e:
            raise GapbenchError(f"{f}: not valid JSON ({e})") from None
        for rec in records:
            if rule_checkable(rec, task.language):
                yield rec
