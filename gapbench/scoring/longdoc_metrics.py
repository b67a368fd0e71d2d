"""The answer metrics of LongBench (Chinese) and L-Eval (English), written anew from their descriptions
(THUDM/LongBench metrics.py, MIT; OpenLMLab/LEval Evaluation/, GPL-3.0: described, not copied).

- LongBench qa_f1_zh: jieba word segments of answer and reference, each segment lower-cased with Chinese
  and ASCII punctuation and whitespace removed, empty ones dropped; token F1, max over references.
- LongBench passage_retrieval_zh: N from the reference "段落N"; of all numbers in the answer, the share
  equal to N (0 without numbers).
- L-Eval f1: SQuAD token F1 (lower-case, no punctuation, no articles a/an/the), max over references.
- L-Eval exam: option letters from answer and reference, exact set match = 1, a strict subset of the
  correct letters = 0.25 (Coursera's several correct options); sci_fi: the first true/false word against
  the reference's answer "according to the novel"; topic retrieval: the reference topic, lower-cased
  without spaces, inside the answer.
"""

from __future__ import annotations

import re
import string
from collections import Counter

CN_PUNCTUATION = ("！？｡。＂＃＄％＆＇（）＊＋，－／：；＜＝＞＠［＼］＾＿｀｛｜｝～｟｠｢｣､、〃》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟"
                  "〰〾〿–—‘’‛“”„‟…‧﹏.")
_ZH_DROP = set(CN_PUNCTUATION) | set(string.punctuation)


def token_f1(prediction: list[str], reference: list[str]) -> float:
    common = Counter(prediction) & Counter(reference)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(prediction), same / len(reference)
    return 2 * precision * recall / (precision + recall)


def _zh_tokens(text: str) -> list[str]:
    import jieba

    jieba.setLogLevel(60)  # jieba prints its dictionary loading to stderr otherwise
    tokens = ("".join(ch for ch in t.lower() if ch not in _ZH_DROP and not ch.isspace()) for t in jieba.cut(text, cut_all=False))
    return [t for t in tokens if t]


def qa_f1_zh(prediction: str, references: list[str]) -> float:
    pred = _zh_tokens(prediction)
    return max(token_f1(pred, _zh_tokens(ref)) for ref in references)


def passage_retrieval_zh(prediction: str, reference: str) -> float:
    m = re.search(r"段落(\d+)", reference)
    if m is None:
        return 0.0
    numbers = re.findall(r"\d+", prediction)
    return sum(n == m.group(1) for n in numbers) / len(numbers) if numbers else 0.0


def _en_normal(text: str) -> list[str]:
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    return re.sub(r"\b(a|an|the)\b", " ", text).split()


def qa_f1_en(prediction: str, references: list[str]) -> float:
    pred = _en_normal(prediction)
    return max(token_f1(pred, _en_normal(ref)) for ref in references)


def option_letters(answer: str, several: bool) -> str:
    """The letters A-D an answer picks, as L-Eval reads them: a leading letter (or run of letters when an
    item may have several correct options), else letters standing alone ("B.", "(C)"), else the first."""
    answer = answer.strip()
    if not answer:
        return ""
    if not several:
        return next((ch for ch in answer if ch in "ABCD"), "")
    lead = re.match(r"[A-D]+", answer)
    if lead and len(lead.group(0)) > 1:
        return "".join(sorted(set(lead.group(0))))
    alone = re.findall(r"(?:^|[\s(])([A-D])(?=[\s.),]|$)", answer.split("Question")[0])
    letters = "".join(sorted(set(alone))) or (lead.group(0) if lead else "")
    return letters or next((ch for ch in answer if ch in "ABCD"), "")


def reference_letters(reference: str) -> str:
    return re.sub(r"[^A-D]", "", reference.split()[0]) if reference.split() else ""


def exam_options(prediction: str, reference: str, several: bool) -> float:
    pred, gold = option_letters(prediction, several), reference_letters(reference)
    if not pred or not gold:
        return 0.0
    if pred == gold:
        return 1.0
    return 0.25 if set(pred) < set(gold) else 0.0


def true_false(text: str) -> str | None:
    for word in text.lower().split():
        if "true" in word:
            return "true"
        if "false" in word:
            return "false"
    return None


def exam_sci_fi(prediction: str, reference: str) -> float:
    """Loyalty to the novel: the reference's first part ("True [fact: False]" -> true)."""
    gold = true_false(reference.split("[fact:")[0])
    return float(gold is not None and true_false(prediction) == gold)


def exam_topic(prediction: str, reference: str) -> float:
    squash = lambda t: t.lower().replace(" ", "")  # noqa: E731
    return float(squash(reference) in squash(prediction))
