"""Long-document scorers (capability long_input, beside the needle tasks): LongBench's Chinese
MultiFieldQA-zh (F1 over jieba segments) and PassageRetrieval-zh, L-Eval's English closed-ended
(exact match) and short-answer QA (F1) subsets.

Items whose prompt does not fit the model's context window are skipped by the runner (never scored as
failures); the breakdown reports the score per document length, so what was skipped shows as a missing
bucket. Lengths are gapbench's model-independent token estimate of the document.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Sequence

from gapbench.models.reasoning import split_reasoning
from gapbench.scoring import longdoc_metrics as lm
from gapbench.scoring.registry import Breakdown, Metric, ScorerConfig, define_scorer
from gapbench.tasks.needle import estimate_tokens
from gapbench.tasks.spec import TaskSpec
from gapbench.types import Response, Sample, Score

BUCKETS = (4000, 8000, 16000, 32000, 64000)  # upper bounds, estimated tokens
LENGTH = Breakdown("length", "score by document length (estimated tokens, upper bound of the bucket)")
LEVAL_EXAM_SUBSETS = ("coursera", "quality", "tpo", "sci_fi", "topic_retrieval_longchat")
LEVAL_QA_SUBSETS = ("natural_question", "multidoc_qa", "scientific_qa", "financial_qa", "legal_contract_qa")


def length_bucket(document: str) -> str:
    n = estimate_tokens(document)
    return str(next((b for b in BUCKETS if n <= b), f"{BUCKETS[-1]}+"))


def _document(sample: Sample) -> str:
    """The long text of an item: LongBench's `context`, L-Eval's `input`."""
    return str(sample.metadata.get("context") or sample.metadata.get("input") or "")


def _answer(responses: list[Response]) -> str:
    return split_reasoning(responses[0].text)[0].strip()


def _details(sample: Sample, **extra) -> dict:
    return {"length": length_bucket(_document(sample)), "subset": sample.metadata.get("subject"), **extra}


def _per_subset(subsets: Sequence[str], key: str):
    def corpus(items: Sequence[tuple[str, dict]], language: str) -> dict[str, float]:
        by: dict[str, list[float]] = defaultdict(list)
        for _, details in items:
            by[str(details.get("subset"))].append(float(details.get(key, 0.0)))
        return {s: sum(by[s]) / len(by[s]) for s in subsets if by.get(s)}

    return corpus


longbench_f1 = define_scorer("longbench_qa_f1_zh", [
    Metric("f1", "token F1 over jieba word segments, max over references (LongBench's qa_f1_zh)")],
    breakdown=LENGTH, description="LongBench MultiFieldQA-zh: F1 over Chinese word segments (jieba)")
longbench_retrieval = define_scorer("longbench_retrieval_zh", [
    Metric("retrieval", "share of the numbers in the answer that name the right paragraph (LongBench)")],
    breakdown=LENGTH, description="LongBench PassageRetrieval-zh: the paragraph number of a summary")
leval_exam = define_scorer("leval_exam", [
    Metric("exact_match", "L-Eval exam score: option letters (0.25 for a strict subset), true/false, topic"),
    *(Metric(s, f"exact match on the {s} subset", kind="corpus") for s in LEVAL_EXAM_SUBSETS),
], breakdown=LENGTH, corpus=_per_subset(LEVAL_EXAM_SUBSETS, "exact_match"),
    description="L-Eval closed-ended tasks scored by exact match as L-Eval does")
leval_f1 = define_scorer("leval_f1", [
    Metric("f1", "SQuAD token F1, max over references (L-Eval's f1)"),
    *(Metric(s, f"F1 on the {s} subset", kind="corpus") for s in LEVAL_QA_SUBSETS),
], breakdown=LENGTH, corpus=_per_subset(LEVAL_QA_SUBSETS, "f1"),
    description="L-Eval short-answer QA (documents marked for f1) scored by token F1")


def _references(sample: Sample) -> list[str]:
    answers = sample.metadata.get("answers")
    return [str(a) for a in answers] if isinstance(answers, list) and answers else [sample.target]


@longbench_f1.method("generate")
def longbench_f1_generate(task: TaskSpec, sample: Sample, responses: list[Response], config: ScorerConfig) -> Score:
    answer = _answer(responses)
    value = lm.qa_f1_zh(answer, _references(sample))
    return Score(values={"f1": value}, extracted=answer[:200], details=_details(sample, f1=value))


@longbench_retrieval.method("generate")
def longbench_retrieval_generate(task: TaskSpec, sample: Sample, responses: list[Response],
                                 config: ScorerConfig) -> Score:
    answer = _answer(responses)
    value = max(lm.passage_retrieval_zh(answer, ref) for ref in _references(sample))
    return Score(values={"retrieval": value}, extracted=answer[:200], details=_details(sample, retrieval=value))


@leval_exam.method("generate")
def leval_exam_generate(task: TaskSpec, sample: Sample, responses: list[Response], config: ScorerConfig) -> Score:
    answer, subset = _answer(responses), str(sample.metadata.get("subject"))
    if subset == "sci_fi":
        value = lm.exam_sci_fi(answer, sample.target)
    elif subset.startswith("topic_retrieval"):
        value = lm.exam_topic(answer, sample.target)
    else:
        value = lm.exam_options(answer, sample.target, several=subset == "coursera")
    return Score(values={"exact_match": value}, extracted=answer[:200], details=_details(sample, exact_match=value))


@leval_f1.method("generate")
def leval_f1_generate(task: TaskSpec, sample: Sample, responses: list[Response], config: ScorerConfig) -> Score:
    answer = _answer(responses)
    value = lm.qa_f1_en(answer, [sample.target])
    return Score(values={"f1": value}, extracted=answer[:200], details=_details(sample, f1=value))
