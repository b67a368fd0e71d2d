"""Tool calling scorers (capability tool_use): BFCL's AST check and ACEBench's checks.

Each supports two methods that are never paired with each other: `tools` (the provider's native function
calling) and `prompt` (the functions described in the prompt, the calls parsed from the text).
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from typing import Sequence

from gapbench.errors import GapbenchError
from gapbench.scoring.registry import Breakdown, Metric, ScorerConfig, define_scorer
from gapbench.scoring.tools_ace import check_normal, check_special
from gapbench.scoring.tools_bfcl import check_calls
from gapbench.scoring.tools_parse import NotACall, calls_of, show_calls
from gapbench.tasks.prompts import tool_docs
from gapbench.tasks.spec import TaskSpec
from gapbench.tasks.template import lookup
from gapbench.types import Response, Sample, Score

ACCURACY = Metric("accuracy", "share of items whose calls (or the answer without a call) are right")


def _category_accuracy(items: Sequence[tuple[str, dict]]) -> dict[str, float]:
    by: dict[str, list[float]] = defaultdict(list)
    for _, details in items:
        by[str(details.get("category"))].append(float(details.get("correct", 0.0)))
    return {k: sum(v) / len(v) for k, v in by.items()}


def _bfcl_corpus(items: Sequence[tuple[str, dict]], language: str) -> dict[str, float]:
    per = _category_accuracy(items)
    return {"category_mean": sum(per.values()) / len(per)} if per else {}


bfcl = define_scorer("bfcl", [
    ACCURACY,
    Metric("category_mean", "unweighted mean of the per-category accuracies (BFCL's summary)", kind="corpus"),
], breakdown=Breakdown("category", "accuracy per BFCL category", max_groups=16), corpus=_bfcl_corpus,
    description="BFCL: calls checked against possible_answer (name, required parameters, types, values; "
                "order-free for parallel); irrelevance = no call")


def _answers(task: TaskSpec, sample: Sample) -> object:
    truth = (sample.metadata.get("join") or {}).get("ground_truth")
    if truth is None:
        raise GapbenchError(f"task {task.name}: item {sample.id} has no ground_truth (dataset.join)")
    return truth


def _category(sample: Sample) -> str:
    return str(sample.metadata.get("subject") or sample.id.rsplit("_", 1)[0])


def _bfcl_score(task: TaskSpec, sample: Sample, responses: list[Response], config: ScorerConfig,
                method: str) -> Score:
    category = _category(sample)
    docs = tool_docs(task, sample)
    raw_docs = lookup(sample.metadata, task.tools.functions)  # the checker reads the declared (not hinted) types
    language = task.tools.language
    try:
        calls = calls_of(responses[0], method, [d["name"] for d in docs], raw_values=language != "python")
    except NotACall as e:
        calls, error = [], f"no calls: {e}"
    else:
        error = None
    if "irrelevance" in category:
        correct = not calls
        reason = None if correct else f"made {len(calls)} call(s) where none applies"
    elif error:
        correct, reason = False, error
    else:
        reason = check_calls(raw_docs, calls, _answers(task, sample), language)
        correct = reason is None
    return Score(values={"accuracy": float(correct)}, extracted=show_calls(calls) if calls else (error or ""),
                 details={"category": category, "correct": float(correct), "calls": len(calls), "error": reason})


bfcl.method("prompt")(partial(_bfcl_score, method="prompt"))
bfcl.method("tools")(partial(_bfcl_score, method="tools"))

# ACEBench's leaderboard weights (normal 0.578, special 0.2676, agent 0.1545); without the agent part the
# overall renormalises the other two.
ACE_WEIGHTS = {"normal": 0.578, "special": 0.2676}


def _ace_corpus(items: Sequence[tuple[str, dict]], language: str) -> dict[str, float]:
    per = _category_accuracy(items)
    out = {}
    for group in ACE_WEIGHTS:
        rates = [v for k, v in per.items() if k.startswith(group)]
        if rates:
            out[group] = sum(rates) / len(rates)
    if len(out) == len(ACE_WEIGHTS):
        out["overall"] = sum(ACE_WEIGHTS[g] * out[g] for g in out) / sum(ACE_WEIGHTS.values())
    return out


acebench = define_scorer("acebench", [
    ACCURACY,
    Metric("normal", "unweighted mean of the normal categories' accuracies (ACEBench's 'normal')", kind="corpus"),
    Metric("special", "unweighted mean of the special categories' accuracies (ACEBench's 'special')", kind="corpus"),
    Metric("overall", "0.578 normal + 0.2676 special, renormalised (no agent part)", kind="corpus"),
], breakdown=Breakdown("category", "accuracy per ACEBench category", max_groups=16), corpus=_ace_corpus,
    description="ACEBench: normal calls checked against the ground truth; special answers must name the problem")


def _ace_score(task: TaskSpec, sample: Sample, responses: list[Response], config: ScorerConfig,
               method: str) -> Score:
    category = _category(sample)
    truth = _answers(task, sample)
    docs = tool_docs(task, sample)
    text = responses[0].text
    calls: list = []
    if category.startswith("special"):
        try:
            calls = calls_of(responses[0], "tools", [d["name"] for d in docs]) if method == "tools" else []
        except NotACall:
            calls = []
        reason = check_special(category, text, truth) if not calls else f"made {len(calls)} call(s)"
        extracted = text[:300]
    else:
        try:
            calls = calls_of(responses[0], method, [d["name"] for d in docs])
            reason = check_normal(docs, calls, truth)
        except NotACall as e:
            reason = f"no calls: {e}"
        extracted = show_calls(calls) if calls else text[:300]
    correct = reason is None
    return Score(values={"accuracy": float(correct)}, extracted=extracted,
                 details={"category": category, "correct": float(correct), "calls": len(calls), "error": reason})


acebench.method("prompt")(partial(_ace_score, method="prompt"))
acebench.method("tools")(partial(_ace_score, method="tools"))
