"""Reading ratings and verdicts out of judge texts, in the formats judges really produce.

Every parser returns None when the text holds no usable judgment (no rating, a refusal to judge, a value
off the scale); the caller retries and finally records an error, never a 0 or a −1.
"""

from __future__ import annotations

import re

from gapbench.models.reasoning import split_reasoning

_NUMBER = r"(\d+(?:\.\d+)?)"
_RATING_PATTERNS = (
    re.compile(r"\[\[\s*" + _NUMBER + r"\s*\]\]"),  # FastChat's format: [[7]]
    re.compile(r"\[\s*" + _NUMBER + r"\s*\]"),  # its backup: [7]
    re.compile(r"(?i)(?:rating|score|评分|得分|分数)\s*(?:is|为|是)?\s*[:：]?\s*\**\s*" + _NUMBER + r"(?:\s*/\s*10)?"),
    re.compile(_NUMBER + r"\s*/\s*10\b"),
)
_VERDICT = re.compile(r"\[\[\s*([ABC])\s*\]\]")


def _answer(text: str) -> str:
    answer, reasoning = split_reasoning(text or "")
    return answer or reasoning


def parse_rating(text: str, low: float = 1.0, high: float = 10.0) -> float | None:
    """The judge's 1-10 rating: the last [[x]] (FastChat), else [x], else 'Rating: x' / 'x/10'. None when absent
    or off the scale."""
    body = _answer(text)
    for pattern in _RATING_PATTERNS:
        found = pattern.findall(body)
        if found:
            value = float(found[-1])
            return value if low <= value <= high else None
    return None


_PAIR = re.compile(r"['\"“”‘’]?([^'\"“”‘’:：,，{}\n]{1,12})['\"“”‘’]?\s*[:：]\s*" + _NUMBER)


def parse_dimensions(text: str, overall: str = "综合得分", low: float = 1.0,
                     high: float = 10.0) -> dict[str, float] | None:
    """AlignBench-style judgments end with a dict of ratings, e.g. {'事实正确性': 7, …, '综合得分': 6}.
    The last {…} that names the overall key wins; its ratings must lie on the scale. None when there is none."""
    body = _answer(text)
    for block in reversed(re.findall(r"\{[^{}]*\}", body)):
        pairs = {k.strip(): float(v) for k, v in _PAIR.findall(block)}
        if overall in pairs and all(low <= v <= high for v in pairs.values()):
            return pairs
    return None


def parse_verdict(text: str) -> str | None:
    """Pairwise verdict: 'A', 'B' or 'tie' ([[C]]), from the last [[A]]/[[B]]/[[C]] of the text. None when absent."""
    found = _VERDICT.findall(_answer(text))
    if not found:
        return None
    return {"A": "A", "B": "B", "C": "tie"}[found[-1]]
