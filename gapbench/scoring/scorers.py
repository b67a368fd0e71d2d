"""The built-in scorers: each declares its metrics (gapbench.scoring.registry) and scores one sample.

Pure and cheap: re-scoring needs no model call (code runs in the sandbox, beside the model).
"""

from __future__ import annotations

import math
import re
import secrets
import unicodedata
from typing import Sequence

from gapbench.models.reasoning import split_reasoning
from gapbench.scoring.extract import extract_choice, extract_number, numbers_equal
from gapbench.scoring.registry import Breakdown, Metric, ScorerConfig, define_scorer
from gapbench.tasks.spec import TaskSpec
from gapbench.types import LETTERS, Response, Sample, Score

ACCURACY = Metric("accuracy", "share of items answered correctly")

choice = define_scorer("choice", [
    ACCURACY,
    Metric("acc_norm", "accuracy when each choice's log-probability is divided by its length in characters",
           methods=("loglikelihood",)),
], description="multiple choice: the generated letter, or the choice with the highest log-likelihood")
numeric = define_scorer("numeric", [ACCURACY], description="the final number equals the target")
exact = define_scorer("exact", [ACCURACY], description="the normalised answer equals the target")
regex = define_scorer("regex", [ACCURACY], description="the answer matches the task's answer_pattern")
contains = define_scorer("contains", [ACCURACY], description="the target appears in the answer")
needle = define_scorer("needle", [Metric("retrieval", "share of needles retrieved")],
                       breakdown=Breakdown("length", "retrieval by haystack length (tokens)"),
                       description="the hidden passphrase appears in the answer; per haystack length")
answered = define_scorer("answered", [Metric("answered", "share of conversations with every turn answered")],
                         description="chat before judging: answers are stored for a judge (gapbench judge)",
                         measures=False)


@choice.method("generate")
def choice_generate(task: TaskSpec, sample: Sample, responses: list[Response], config: ScorerConfig) -> Score:
    letter = extract_choice(responses[0].text, n_choices=len(sample.choices) or 4)
    return Score(values={"accuracy": float(letter == sample.target)}, extracted=letter)


@choice.method("loglikelihood")
def choice_loglikelihood(task: TaskSpec, sample: Sample, responses: list[Response], config: ScorerConfig) -> Score:
    """Highest total log-probability wins (acc); acc_norm (per character) is kept in details."""
    logprobs = [r.logprob if r.logprob is not None else -math.inf for r in responses]
    best = max(range(len(logprobs)), key=lambda i: logprobs[i])
    lengths = [max(1, len(c)) for c in sample.choices]
    norm = [lp / n for lp, n in zip(logprobs, lengths)]
    best_norm = max(range(len(norm)), key=lambda i: norm[i])
    return Score(
        values={"accuracy": float(LETTERS[best] == sample.target),
                "acc_norm": float(LETTERS[best_norm] == sample.target)},
        extracted=LETTERS[best],
        details={"logprobs": logprobs},
    )


@numeric.method("generate")
def numeric_generate(task: TaskSpec, sample: Sample, responses: list[Response], config: ScorerConfig) -> Score:
    value = extract_number(responses[0].text)
    return Score(values={"accuracy": float(numbers_equal(value, sample.target))}, extracted=value)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"[\s\.。!！]+$", "", text)


@exact.method("generate")
def exact_generate(task: TaskSpec, sample: Sample, responses: list[Response], config: ScorerConfig) -> Score:
    answer, _ = split_reasoning(responses[0].text)
    return Score(values={"accuracy": float(_normalise(answer) == _normalise(sample.target))}, extracted=answer[:200])


@regex.method("generate")
def regex_generate(task: TaskSpec, sample: Sample, responses: list[Response], config: ScorerConfig) -> Score:
    answer, _ = split_reasoning(responses[0].text)
    pattern = task.answer_pattern or re.escape(sample.target)
    m = re.search(pattern, answer, re.I)
    return Score(values={"accuracy": float(m is not None)}, extracted=m.group(0) if m else None)


def _contained(target: str, text: str) -> tuple[float, str]:
    """1.0 when the gold text appears in the answer (spaces, commas and case ignored), and the answer."""
    answer, _ = split_reasoning(text)
    squash = lambda t: re.sub(r"[\s,，]", "", _normalise(t))  # noqa: E731
    return float(squash(target) in squash(answer)), answer[:200]


@contains.method("generate")
def contains_generate(task: TaskSpec, sample: Sample, responses: list[Response], config: ScorerConfig) -> Score:
    value, answer = _contained(sample.target, responses[0].text)
    return Score(values={"accuracy": value}, extracted=answer)


@needle.method("generate")
def needle_generate(task: TaskSpec, sample: Sample, responses: list[Response], config: ScorerConfig) -> Score:
    value, answer = _contained(sample.target, responses[0].text)
    return Score(values={"retrieval": value}, extracted=answer, details={"length": sample.metadata.get("length")})


@answered.method("generate")
def answered_generate(task: TaskSpec, sample: Sample, responses: list[Response], config: ScorerConfig) -> Score:
    """Chat tasks before judging: 1 when every turn got a non-empty answer; the answers stay stored."""
    texts = [split_reasoning(r.text)[0].strip() for r in responses]
    return Score(values={"answered": float(all(texts))}, extracted=texts[-1][:200] if texts else None,
                 details={"turns": len(texts), "chars": [len(t) for t in texts]})


def _first_line(text: str) -> str:
    answer, _ = split_reasoning(text)
    lines = [line.strip() for line in answer.strip().splitlines() if line.strip()]
    line = lines[0] if lines else ""
    line = re.sub(r"^(?:translation|译文|翻译)\s*[:：]\s*", "", line, flags=re.I)
    return line.strip().strip('"“”「」')


def corpus_scores(items: Sequence[tuple[str, dict]], language: str) -> dict[str, float]:
    """Corpus BLEU and chrF (sacrebleu, `zh` tokeniser for Chinese) over every item's first-line answer
    and its references, as WMT reports them."""
    from sacrebleu.metrics import BLEU, CHRF

    hyps = [extracted or "" for extracted, _ in items]
    n_refs = min(len(d["refs"]) for _, d in items)
    refs = [[d["refs"][i] for _, d in items] for i in range(n_refs)]
    return {"corpus_bleu": round(BLEU(tokenize="zh" if language == "zh" else "13a").corpus_score(hyps, refs).score, 2),
            "corpus_chrf": round(CHRF().corpus_score(hyps, refs).score, 2)}


chrf = define_scorer("chrf", [
    Metric("chrF", "sentence chrF against every reference, 0-1"),
    Metric("bleu", "sentence BLEU (smoothed), 0-100", scale="0-100"),
    Metric("corpus_bleu", "corpus BLEU over all items, 0-100", kind="corpus", scale="0-100"),
    Metric("corpus_chrf", "corpus chrF over all items, 0-100", kind="corpus", scale="0-100"),
], corpus=corpus_scores, description="translation: chrF and BLEU against the references (sacrebleu)")


@chrf.method("generate")
def chrf_generate(task: TaskSpec, sample: Sample, responses: list[Response], config: ScorerConfig) -> Score:
    """Sentence chrF (0–1) against the target and every `ref_*` field; sentence BLEU beside it (Chinese tokenisation for zh)."""
    from sacrebleu.metrics import BLEU, CHRF

    hypothesis = _first_line(responses[0].text)
    refs = [sample.target] + [str(sample.metadata[k]) for k in sorted(sample.metadata) if k.startswith("ref_")]
    chrf_score = CHRF().sentence_score(hypothesis, refs).score / 100
    bleu = BLEU(tokenize="zh" if task.language == "zh" else "13a", effective_order=True)
    return Score(values={"chrF": chrf_score, "bleu": bleu.sentence_score(hypothesis, refs).score},
                 extracted=hypothesis, details={"refs": refs})


def _entry_point_of(stub: str) -> str:
    """The function a stub declares last (HumanEval-X records name no entry point)."""
    names = re.findall(r"(\w+)\s*(?:=\s*\(|\()", stub.split("*/")[-1])
    return names[-1] if names else ""


code = define_scorer("code", [Metric("pass@1", "share of answers whose code passes the tests")], blocking=True,
                     description="the model's code and the task's tests run in the sandbox")


@code.method("generate")
def code_generate(task: TaskSpec, sample: Sample, responses: list[Response], config: ScorerConfig) -> Score:
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
    result = run_code(program, spec.language, timeout_s=spec.timeout_s, allow_unsandboxed=config.allow_unsandboxed_code)
    if result.status == "refused":  # not the model's fault: an error, retried on the next run
        raise RuntimeError(f"sandbox refused to run the code: {result.stderr.strip()[:200]}")
    passed = result.status == "passed" and not (spec.language == "js" and "Assertion failed" in result.stderr)
    passed = passed and (finish is None or token in result.stdout)
    return Score(values={"pass@1": float(passed)}, extracted=result.status,
                 details={"returncode": result.returncode, "stderr": result.stderr[-2000:],
                          "duration_s": round(result.duration_s, 3)})


from gapbench.scoring import refusal_scorer  # noqa: F401,E402  (registers the refusal scorer)
