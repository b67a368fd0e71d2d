"""What judged scores report (they are written by gapbench.judging, not computed by a scoring function):
their metrics, breakdowns and corpus figures, declared like every scorer's, so results read them the same way."""

from __future__ import annotations

from gapbench.judging.recipes import alignbench_summary
from gapbench.scoring.registry import Breakdown, Metric, define_scorer

RATING = Metric("rating", "the judge's rating, 1-10 (MT-Bench: mean of the turn ratings)", scale="1-10")

judge_mt_bench = define_scorer("judge_mt_bench", [
    RATING,
    Metric("turn1", "rating of the first turn, 1-10", scale="1-10"),
    Metric("turn2", "rating of the second turn (judged on the whole conversation), 1-10", scale="1-10"),
], breakdown=Breakdown("category", "mean rating per category"),
    description="MT-Bench single-answer grading by a judge model (FastChat's prompts)")

judge_alignbench = define_scorer("judge_alignbench", [
    RATING,
    *(Metric(f"dim:{d}", f"rating of the dimension {d}, 1-10 (answers of the types that have it)", scale="1-10")
      for d in ("事实正确性", "满足用户需求", "清晰度", "完备性", "逻辑连贯性", "创造性", "丰富度", "公平与可负责程度")),
    Metric("中文推理", "mean of the category means of 数学计算 and 逻辑推理", kind="corpus", scale="1-10"),
    Metric("中文语言", "mean of the category means of the six other categories", kind="corpus", scale="1-10"),
    Metric("总分", "mean of 中文推理 and 中文语言", kind="corpus", scale="1-10"),
], breakdown=Breakdown("category", "mean rating per category"), corpus=alignbench_summary,
    description="AlignBench multi-dimensional grading by a judge model (gapbench's prompt, the authors' dimensions)")

judge_refusal = define_scorer("judge_refusal", [
    Metric("refusal_rate", "share of answers a judge classifies as full or partial refusal"),
    Metric("full_refusal", "share of full refusals (the judge's verdict)"),
    Metric("partial_refusal", "share of partial refusals (the judge's verdict)"),
], breakdown=Breakdown("subset", "refusal rate by subset", max_groups=6, min_groups=2),
    description="XSTest's three verdicts by a judge model (gapbench's bilingual prompt)")
