"""Answer extraction from free-form model outputs (English and Chinese).

Public functions:

* :func:`normalize_fullwidth` - NFKC-normalise full-width ASCII forms.
* :func:`extract_choice` - the letter of a multiple-choice answer.
* :func:`extract_number` - the final numeric answer, canonicalised.
* :func:`numbers_equal` - numeric comparison of two answers.

Reasoning traces are split off by `gapbench.models.reasoning.split_reasoning` first.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from gapbench.models.reasoning import split_reasoning

__all__ = ["normalize_fullwidth", "extract_choice",
           "extract_number", "numbers_equal"]

# How much of the reasoning's end is searched when the answer part is empty.
_REASONING_TAIL = 600


def normalize_fullwidth(text: str) -> str:
    """Map full-width ASCII forms (``Ｂ``, ``１８``, ``：``, ``（）``, ``，``) to ASCII.

    Uses Unicode NFKC, which leaves ordinary CJK ideographs and ``。``/``、``
    untouched. Note that NFKC maps the full-width comma ``，`` (U+FF0C) to
    ``,`` and the ideographic space to a plain space.
    """
    return unicodedata.normalize("NFKC", text or "")


def _answer_text(text: str) -> tuple[str, bool]:
    """Answer part of ``text`` (normalised) and whether it is reasoning.

    Falls back to the reasoning when the answer part is empty.
    """
    answer, reasoning = split_reasoning(text or "")
    if answer:
        return normalize_fullwidth(answer), False
    return normalize_fullwidth(reasoning), True


# --------------------------------------------------------------------------
# Multiple choice
# --------------------------------------------------------------------------

_WORD_NEXT = re.compile(r"\s*[A-Za-z]")
_WORD_AFTER = re.compile(r"\s+[a-z]")
_NOT_WRONG = r"(?!\s*(?:是)?\s*(?:错|不|也不|并不|有误))"


def _choice_patterns(letters: str) -> tuple[re.Pattern[str], ...]:
    """Explicit-marker patterns; group ``L`` is the letter (any case)."""
    letter = f"(?P<L>[{letters}{letters.lower()}])(?![A-Za-z])"
    opener = r"[\(\[【]?\s*"
    english = (
        r"(?i:answer)\s*(?i:is|would\s+be|should\s+be|must\s+be|will\s+be|[:=])?"
        r"\s*(?:[:=]\s*)?(?i:option\s+|choice\s+)?" + opener + letter
    )
    chinese = (
        r"(?:答案|选项|选择|选)\s*(?:应该|应当|应|就|一定)?\s*(?:是|为)?\s*:?\s*"
        + opener + letter + _NOT_WRONG
    )
    letter_first = (
        f"(?<![A-Za-z])(?P<L>[{letters}])\\s*(?:选项|项)?\\s*(?:是|为)?"
        r"\s*(?:正确|对(?!应))"
    )
    boxed = r"\\boxed\s*\{\s*(?:\\text(?:bf)?\s*\{)?\s*\(?\s*" + letter
    return tuple(re.compile(p) for p in (english, chinese, letter_first, boxed))


def _explicit_choice(text: str, letters: str) -> str | None:
    """Letter of the last explicit answer marker, or None."""
    best: tuple[int, str] | None = None
    for pattern in _choice_patterns(letters):
        for m in pattern.finditer(text):
            letter = m.group("L")
            # A lower-case letter followed by a word is the article / a word.
            if letter.islower() and _WORD_NEXT.match(text, m.end()):
                continue
            if best is None or m.start("L") > best[0]:
                best = (m.start("L"), letter.upper())
    return best[1] if best else None


def _leading_choice(text: str, letters: str) -> str | None:
    """Letter standing alone at the start: ``B``, ``B.``, ``(B)``, ``B、``..."""
    m = re.match(
        rf"\s*[\(\[【]?\s*([{letters}])\s*(?:[\)\]】.:,、]|$|\n)", text
    )
    return m.group(1) if m else None


def _is_article(text: str, start: int) -> bool:
    """True when the ``A`` at ``start`` looks like the English article."""
    if text[start] != "A":
        return False
    before = text[max(0, start - 40): start].rstrip()
    sentence_start = not before or before[-1] in ".!?\n:"
    return sentence_start and _WORD_AFTER.match(text, start + 1) is not None


def _last_standalone_choice(text: str, letters: str) -> str | None:
    """Last valid upper-case letter not glued to other letters or digits."""
    pattern = re.compile(rf"(?<![A-Za-z0-9_'’])([{letters}])(?![A-Za-z0-9_'’])")
    found = [m for m in pattern.finditer(text) if not _is_article(text, m.start())]
    return found[-1].group(1) if found else None


def extract_choice(text: str, n_choices: int = 4) -> str | None:
    """Upper-case answer letter among the first ``n_choices`` letters, or None.

    Priority: the last explicit marker (``answer is``, ``答案``, ``选``,
    ``选项``, ``C选项正确``, ``\\boxed{}``); else a letter standing alone at the
    start of the answer; else the last standalone upper-case letter, skipping
    a sentence-initial English article ``A``. Markdown ``*`` is ignored.
    """
    if not 1 <= n_choices <= 26:
        raise ValueError("n_choices must be between 1 and 26")
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[:n_choices]
    body, from_reasoning = _answer_text(text)
    body = body.replace("*", "")
    if not body.strip():
        return None
    found = _explicit_choice(body, letters)
    if found:
        return found
    if from_reasoning:
        return _last_standalone_choice(body[-_REASONING_TAIL:], letters)
    return _leading_choice(body, letters) or _last_standalone_choice(body, letters)


# --------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------

_NUMBER_RE = re.compile(
    r"""
    (?<![A-Za-z0-9./])             # not glued to a word or another number
    (?:(?<![A-Za-z0-9)\]])(?P<neg>-))?
    (?:
        (?P<frac>\d+/\d+)(?![\d/]|\.\d)           # plain a/b fraction
      | (?P<int>\d{1,3}(?:,\d{3}(?!\d))+|\d+)     # 1,234,567 or 1234
        (?P<dec>\.\d+)?
    )
    """,
    re.X,
)
_GSM8K_RE = re.compile(r"####")
_BOXED_RE = re.compile(r"\\boxed\s*\{")
_MARKER_RE = re.compile(
    r"(?i:answer)\**\s*(?i:is|was|would\s+be|will\s+be|should\s+be|[:=])"
    r"|答案\s*(?:应该|应当|应|就)?\s*(?:是|为|[:=])"
    r"|(?:^|[\n。])\s*答\s*:",
    re.M,
)
_MARKER_GAP = 40  # max characters between an answer marker and its number


def _canonical(match: re.Match[str]) -> str | None:
    """Canonical string of a :data:`_NUMBER_RE` match."""
    return _format(_to_decimal(match.group(0)))


def _to_decimal(raw: str) -> Decimal | None:
    """Parse ``raw`` (``"1,000"``, ``"$18.00"``, ``"3/4"``, ``"25%"``) to Decimal."""
    s = normalize_fullwidth(raw).strip()
    s = re.sub(r"\\\$|[$,%\s]|\\%|\\!|\\,", "", s).rstrip(".")
    frac = re.fullmatch(r"(-?\d+)/(\d+)", s)
    try:
        if frac:
            den = Decimal(frac.group(2))
            return Decimal(frac.group(1)) / den if den else None
        value = Decimal(s)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _format(value: Decimal | None) -> str | None:
    """Integers without ``.0``; decimals without trailing zeros; no exponent."""
    if value is None:
        return None
    return "0" if value == 0 else format(value.normalize(), "f")


def _from_gsm8k(text: str) -> str | None:
    """Number after the last ``####`` on the same line."""
    starts = [m.end() for m in _GSM8K_RE.finditer(text)]
    if not starts:
        return None
    line_end = text.find("\n", starts[-1])
    line = text[starts[-1]: line_end if line_end >= 0 else len(text)]
    m = _NUMBER_RE.search(line)
    return _canonical(m) if m else None


def _boxed_contents(text: str) -> list[str]:
    """Contents of every ``\\boxed{...}`` (balanced braces)."""
    contents = []
    for m in _BOXED_RE.finditer(text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        contents.append(text[m.end(): i - 1 if depth == 0 else i])
    return contents


def _clean_latex(content: str) -> str:
    """Turn ``\\frac{a}{b}`` into ``a/b`` and drop ``\\text``, ``\\$``, ``{,}``."""
    s = re.sub(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", r"\1/\2", content)
    s = s.replace("{,}", ",").replace("\\,", "").replace("\\!", "")
    s = re.sub(r"\\(?:text|textbf|mathrm|mbox)\s*\{([^{}]*)\}", r" \1 ", s)
    return s.replace("\\$", " ").replace("$", " ").replace("\\%", "%")


def _from_boxed(text: str) -> str | None:
    """First number inside the last ``\\boxed{}`` that contains one."""
    for content in reversed(_boxed_contents(text)):
        m = _NUMBER_RE.search(_clean_latex(content))
        if m:
            return _canonical(m)
    return None


def _from_marker(text: str) -> str | None:
    """Number following the last "answer is" / "答案是" marker."""
    for marker in reversed(list(_MARKER_RE.finditer(text))):
        m = _NUMBER_RE.search(text, marker.end())  # lookbehind sees before pos
        if m and m.start() - marker.end() <= _MARKER_GAP:
            return _canonical(m)
    return None


def extract_number(text: str) -> str | None:
    """Final numeric answer of ``text`` as a canonical string, or None.

    Priority: ``#### N`` (GSM8K), the last ``\\boxed{}``, the last
    "answer is"/"答案是"/"答案：" marker, else the last number in the text.
    Canonical form: ``"1,234"`` -> ``"1234"``, ``"3.50"`` -> ``"3.5"``,
    ``"18.0"`` -> ``"18"``, ``"3/4"`` -> ``"0.75"``, ``"25%"`` -> ``"25"``.
    """
    body, _ = _answer_text(text)
    if not body.strip():
        return None
    for finder in (_from_gsm8k, _from_boxed, _from_marker):
        found = finder(body)
        if found is not None:
            return found
    numbers = list(_NUMBER_RE.finditer(body))
    return _canonical(numbers[-1]) if numbers else None


def numbers_equal(a: str | None, b: str | None, rel_tol: float = 1e-6) -> bool:
    """True when ``a`` and ``b`` denote the same number (within ``rel_tol``).

    Both sides go through the same parsing as :func:`extract_number`'s
    canonical form, so ``"18"`` equals ``"18.00"`` and ``"1,000"`` equals
    ``"1000"``. None or an unparsable string is never equal to anything.
    """
    if a is None or b is None:
        return False
    x, y = _to_decimal(str(a)), _to_decimal(str(b))
    if x is None or y is None:
        return False
    if x == y:
        return True
    return abs(x - y) <= Decimal(str(rel_tol)) * max(abs(x), abs(y))
