"""The refusal scorer: refusal rate by bilingual rules (gapbench.scoring.refusal), per subset.

Imported at the end of gapbench.scoring.scorers, so it is registered with the other built-in scorers.
"""

from __future__ import annotations

from gapbench.scoring.refusal import RULES_VERSION, detect_refusal
from gapbench.scoring.registry import Breakdown, Metric, ScorerConfig, define_scorer
from gapbench.tasks.spec import TaskSpec
from gapbench.types import Response, Sample, Score

refusal = define_scorer("refusal", [Metric("refusal_rate", "share of answers that refuse or deflect")],
                        breakdown=Breakdown("subset", "refusal rate by subset", max_groups=6, min_groups=2),
                        description="refusals and canned deflections, by bilingual rules")


@refusal.method("generate")
def refusal_generate(task: TaskSpec, sample: Sample, responses: list[Response], config: ScorerConfig) -> Score:
    """1 when the answer refuses or deflects (bilingual rules); the verdict names the rule that decided."""
    verdict = detect_refusal(responses[0].text, task.language)
    return Score(values={"refusal_rate": float(verdict.refused)}, extracted=verdict.kind,
                 details={"matched": verdict.matched, "rules": RULES_VERSION, "subset": sample.target})
