"""Scorers turn (sample, responses) into a Score. Pure and cheap: re-scoring needs no model call."""

from __future__ import annotations

import math
import re
import secrets
import unicodedata
from typing import Callable

from gapbench.scoring.extract import extract_choice, extract_number, numbers_equal, split_reasoning
from gapbench.tasks.loader import LETTERS
from gapbench.tasks.spec import TaskSpec
from gapbench.types import Response, Sample, Score

Scorer = Callable[[TaskSpec, Sample, list[Response]], Score]
ALLOW_UNSANDBOXED = False  # set by `gapbench run --allow-unsandboxed-code`
_SCORERS: dict[tuple[str, str], Scorer] = {}


def register_scorer(name: str, method: str):
    def deco(fn: Scorer) -> Scorer:
        _SCORERS[(name, method)] = fn
        return fn

    return deco


def get_scorer(name: str, method: str) -> Scorer:
    try:
        return _SCORERS[(name, method)]
    except KeyError:
        raise KeyError(f"scorer '{name}' does not support method '{method}'") from None


@register_scorer("choice", "generate")
def choice_generate(task: TaskSpec, sample: Sample, responses: list[Response]) -> Score:
    letter = extract_choice(responses[0].text, n_choices=len(sample.choices) or 4)
    return Score(value=float(letter == sample.target), extracted=letter)


@register_scorer("choice", "loglikelihood")
def choice_loglikelihood(task: TaskSpec, sample: Sample, responses: list[Response]) -> Score:
    """Highest total log-probability wins (acc); acc_norm (per character) is kept in details."""
    logprobs = [r.logprob if r.logprob is not None else -math.inf for r in responses]
    best = max(range(len(logprobs)), key=lambda i: logprobs[i])
    lengths = [max(1, len(c)) for c in sample.choices]
    norm = [lp / n for lp, n in zip(logprobs, lengths)]
    best_norm = max(range(len(norm)), key=lambda i: norm[i])
    return Score(
        value=float(LETTERS[best] == sample.target),
        extracted=LETTERS[best],
        details={"logprobs": logprobs, "acc_norm": float(LETTERS[best_norm] == sample.target)},
    )


@register_scorer("numeric", "generate")
def numeric(task: TaskSpec, sample: Sample, responses: list[Response]) -> Score:
    value = extract_number(responses[0].text)
    return Score(value=float(numbers_equal(value, sample.target)), extracted=value)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"[\s\.。!！]+$", "", text)


@register_scorer("exact", "generate")
def exact(task: TaskSpec, sample: Sample, responses: list[Response]) -> Score:
    answer, _ = split_reasoning(responses[0].text)
    return Score(value=float(_normalise(answer) == _normalise(sample.target)), extracted=answer[:200])


@register_scorer("regex", "generate")
def regex(task: TaskSpec, sample: Sample, responses: list[Response]) -> Score:
    answer, _ = split_reasoning(responses[0].text)
    pattern = task.answer_pattern or re.escape(sample.target)
    m = re.search(pattern, answer, re.I)
    return Score(value=float(m is not None), extracted=m.group(0) if m else None)


@register_scorer("contains", "generate")
def contains(task: TaskSpec, sample: Sample, responses: list[Response]) -> Score:
    """The gold text appears in the answer (spaces, commas and case ignored): e.g. a retrieved needle."""
    answer, _ = split_reasoning(responses[0].text)
    squash = lambda t: re.sub(r"[\s,，]", "", _normalise(t))  # noqa: E731
    return Score(value=float(squash(sample.target) in squash(answer)), extracted=answer[:200])


@register_scorer("answered", "generate")
def answered(task: TaskSpec, sample: Sample, responses: list[Response]) -> Score:
    """Chat tasks before judging: 1 when every turn got a non-empty answer; the answers stay stored."""
    texts = [split_reasoning(r.text)[0].strip() for r in responses]
    return Score(value=float(all(texts)), extracted=texts[-1][:200] if texts else None,
                 details={"turns": len(texts), "chars": [len(t) for t in texts]})


@register_scorer("refusal", "generate")
def refusal(task: TaskSpec, sample: Sample, responses: list[Response]) -> Score:
    """1 when the answer refuses or deflects (bilingual rules); the verdict names the rule that decided."""
    from gapbench.scoring.refusal import RULES_VERSION, detect_refusal

    verdict = detect_refusal(responses[0].text, task.language)
    return Score(value=float(verdict.refused), extracted=verdict.kind,
                 details={"matched": verdict.matched, "rules": RULES_VERSION})


def _first_line(text: str) -> str:
    answer, _ = split_reasoning(text)
    lines = [line.strip() for line in answer.strip().splitlines() if line.strip()]
    line = lines[0] if lines else ""
    line = re.sub(r"^(?:translation|译文|翻译)\s*[:：]\s*", "", line, flags=re.I)
    return line.strip().strip('"“”「」')


@register_scorer("chrf", "generate")
def chrf(task: TaskSpec, sample: Sample, responses: list[Response]) -> Score:
    """Sentence chrF (0–1) against the target and every `ref_*` field; sentence BLEU beside it (Chinese tokenisation for zh)."""
    from sacrebleu.metrics import BLEU, CHRF

    hypothesis = _first_line(responses[0].text)
    refs = [sample.target] + [str(sample.metadata[k]) for k in sorted(sample.metadata) if k.startswith("ref_")]
    chrf_score = CHRF().sentence_score(hypothesis, refs).score / 100
    bleu = BLEU(tokenize="zh" if task.language == "zh" else "13a", effective_order=True)
    return Score(value=chrf_score, extracted=hypothesis,
                 details={"bleu": bleu.sentence_score(hypothesis, refs).score, "refs": refs})


def _entry_point_of(stub: str) -> str:
    """The function a stub declares last (HumanEval-X records name no entry point)."""
    names = re.findall(r"(\w+)\s*(?:=\s*\(|\()", stub.split("*/")[-1])
    return names[-1] if names else ""


@register_scorer("code", "generate")
def code(task: TaskSpec, sample: Sample, responses: list[Response]) -> Score:
    """pass@1: the model's code and the task's tests run in the sandbox; passed = exit status 0."""
    from gapbench.sandbox.run import run_code
    from gapbench.scoring.code import build_program
    from gapbench.tasks.prompts import sample_values
    from gapbench.tasks.template import lookup, render

    spec = task.code
    values = sample_values(task, sample)
    stub = str(lookup(values, spec.prompt_field))
    entry_point = render(spec.entry_point, values) or _entry_point_of(stub)
    # The tests must run to their end: a fresh token printed after them defeats an early exit(0) in the
    # model's code (Python and JavaScript, whose tests are top-level code).
    token = f"gapbench-tests-done-{secrets.token_hex(8)}"
    finish = {"python": f"\n__import__('os').write(1, b'\\n{token}\\n')\n",
              "js": f"\nrequire('fs').writeSync(1, '\\n{token}\\n')\n"}.get(spec.language)
    check = render(spec.check, {**values, "entry_point": entry_point}) if spec.language == "python" else ""
    program = build_program(stub, split_reasoning(responses[0].text)[0], render(spec.test, values), entry_point,
                            spec.language, check + (finish or ""))
    result = run_code(program, spec.language, timeout_s=spec.timeout_s, allow_unsandboxed=ALLOW_UNSANDBOXED)
    if result.status == "refused":  # not the model's fault: an error, retried on the next run
        raise RuntimeError(f"sandbox refused to run the code: {result.stderr.strip()[:200]}")
    passed = result.status == "passed" and not (spec.language == "js" and "Assertion failed" in result.stderr)
    passed = passed and (finish is None or token in result.stdout)
    return Score(value=float(passed), extracted=result.status,
                 details={"returncode": result.returncode, "stderr": result.stderr[-2000:],
                          "duration_s": round(result.duration_s, 3)})


code.blocking = True  # runs beside the model in a worker thread
