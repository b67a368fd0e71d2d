"""FollowBench's rule-checkable items (Jiang et al., 2024), English and Chinese, checked per constraint.

Which items are rule-checkable and how each is checked follows the authors' rule-based evaluation; written
from it, no code copied. `constraints(record, answer, language)` returns one verdict per checkable
constraint: one per level for the summarisation sources and the format items (each level adds one constraint
that can be checked alone), a single verdict for the sources checked as a whole (an exact answer, an entity,
a date, a template). Hard satisfaction = all verdicts true; soft = their mean (for a single verdict the two are
equal, as the authors count rule-checked items in both).

Deliberate departures from the authors' code, each where the code contradicts the instruction the model reads:
format 30 (en) checks level k's constraints in the order the levels add them (the code checks a fixed list in
another order) and '-ly' means words ending in "ly" (the code looks for the literal "-ly"); gigaword (zh) level 5
says 不能出现“在” (the code requires 在), and 阿拉伯数字 means the digits 0-9 (the code rejects 二 as well);
format 22 (zh) levels 2-3 say 不超过三个句子 (≤ 3; levels 4-5 say 少于三句, < 3); in format 22 and 30 the number
markers the instructions ask for (1., **2.) are not sentences (the code counts "1" as a one-word sentence, so
numbered paragraphs could never have sentences of more than 20 words). Answers are stripped of surrounding white
space, and white-space-only pieces are not sentences.
"""

from __future__ import annotations

import ast
import re
import string
from typing import Any, Callable

CHECKED_SOURCES = {"E2E", "WIKIEVENTS", "CONLL2003", "text_editing", "cnn_dailymail", "xsum", "samsum", "gigaword",
                   "arxiv", "BBH_logical", "BBH_time", "self_made_space", "gsm_8k"}
FORMAT_ITEMS = {"en": {22, 30}, "zh": {22}}
ZH_PUNCTUATION = string.punctuation + "，。：’“”"


def rule_checkable(record: dict[str, Any], language: str) -> bool:
    """Levels 1-5 of the example category, of the rule-checked sources and of the format items with rules."""
    level = int(record.get("level", 0))
    if not 1 <= level <= 5:
        return False
    if record.get("category") == "example" or record.get("source") in CHECKED_SOURCES:
        return True
    return record.get("category") == "format" and int(record.get("example_id", -1)) in FORMAT_ITEMS[language]


def _sentences(text: str, language: str) -> list[str]:
    return [s for s in re.split(r"[。！？]" if language == "zh" else r"[.!?]", text) if s.strip()]


def _words(text: str) -> int:
    return len(text.split())


def _has(text: str, word: str, language: str) -> bool:
    return word in text if language == "zh" else re.search(r"\b" + re.escape(word) + r"\b", text) is not None


def _in_sentence(text: str, n: int, word: str, language: str) -> bool:
    sentences = _sentences(text, language)
    return len(sentences) >= n and _has(sentences[n - 1], word, language)


def _length(text: str, language: str) -> int:
    """Words (en) or characters (zh), as the authors measure summary length."""
    return len(text) if language == "zh" else _words(text)


# Each summarisation source: the five constraints its levels add, in order, per language.
Rule = Callable[[str], bool]


def _summaries(lang: str) -> dict[str, list[Rule]]:
    one = lambda t: len(_sentences(t, lang)) == 1  # noqa: E731
    punct = ZH_PUNCTUATION if lang == "zh" else string.punctuation
    if lang == "en":
        return {
            "cnn_dailymail": [lambda t: len(_sentences(t, lang)) == 3,
                              lambda t: all(_words(s) < 15 for s in _sentences(t, lang)),
                              lambda t: all(_in_sentence(t, i + 1, w, lang) for i, w in enumerate(("Potter", "actor", "films"))),
                              lambda t: not _in_sentence(t, 2, "lavish", lang),
                              lambda t: len(_sentences(t, lang)) >= 3
                              and re.search(r"\b(?:has|have)\s+\w+", _sentences(t, lang)[2]) is not None],
            "xsum": [one, lambda t: _words(t) < 20, lambda t: not _has(t, "Newton Stewart", lang),
                     lambda t: re.search(r"\b(?:am|is|are)\s+\w+ing\b", t) is not None, lambda t: _has(t, "operation", lang)],
            "samsum": [one, lambda t: _words(t) < 15, lambda t: _has(t, "stuff", lang),
                       lambda t: re.search("procrast", t, re.I) is None, lambda t: sum(c in punct for c in t) == 1],
            "gigaword": [lambda t: _words(t) == 8, lambda t: not any(c in punct for c in t), lambda t: t.islower(),
                         lambda t: not _has(t, "bus", lang), lambda t: _has(t, "in", lang)],
            "arxiv": [one, lambda t: _words(t) <= 20, lambda t: t.startswith("We"), lambda t: _has(t, "activations", lang),
                      lambda t: not _has(t, "transformer", lang)],
        }
    return {
        "cnn_dailymail": [lambda t: len(_sentences(t, lang)) == 3,
                          lambda t: all(len(s) < 15 for s in _sentences(t, lang)),
                          lambda t: all(_in_sentence(t, i + 1, w, lang) for i, w in enumerate(("波特", "演员", "电影"))),
                          lambda t: not _in_sentence(t, 2, "奢侈", lang),
                          lambda t: _in_sentence(t, 3, "了", lang)],
        "xsum": [one, lambda t: len(t) < 20, lambda t: "牛顿斯图尔特" not in t, lambda t: "在" in t, lambda t: "操作" in t],
        "samsum": [one, lambda t: len(t) < 15, lambda t: "琐碎的" in t, lambda t: "拖沓的" not in t,
                   lambda t: sum(c in punct for c in t) == 1],
        "gigaword": [lambda t: len(t) == 8, lambda t: not any(c in punct for c in t),
                     lambda t: re.search(r"[0-9０-９]", t) is None, lambda t: "公交车" not in t, lambda t: "在" not in t],
        "arxiv": [one, lambda t: len(t) <= 20, lambda t: t.startswith("我们"), lambda t: "激活" in t,
                  lambda t: "transformer" not in t],
    }


def _unnumbered(text: str) -> str:
    """The text without the number markers (1., **2.) that open its lines: they are not sentences."""
    return re.sub(r"(?m)^(\s*(?:\*\*)?)\d+\.\s*", r"\1", text)


def _format_22(text: str, level: int, lang: str) -> list[bool]:
    """Three paragraphs (four at level 5, where the closing words stand alone), few sentences each, long
    sentences, numbered paragraphs, a closing phrase."""
    paragraphs = text.split("\n\n")
    long_enough = (lambda s: len(s) > 20) if lang == "zh" else (lambda s: _words(s) > 20)
    most = 3 if lang == "zh" and level <= 3 else 2  # ≤ 3 sentences (不超过三个), else < 3
    closing = "这些是建议" if lang == "zh" else "Those are suggestions"
    checks = [len(paragraphs) == (4 if level == 5 else 3),
              len(paragraphs) >= 3 and all(len(_sentences(_unnumbered(p), lang)) <= most for p in paragraphs[:3]),
              all(long_enough(s) for s in _sentences(_unnumbered(text), lang)),
              all(re.match(r"\d+\.", p.lstrip()) for p in paragraphs if p.strip()),
              text.endswith(closing)]
    return checks[:level]


def _format_30(text: str, level: int) -> list[bool]:
    """A ministerial speech: the ** marker; each numbered point under 2 sentences; sentences of 10-15 words; no
    -ly words; five points each a **N. keyword:** then its detail (in the order the levels add them)."""
    points = [_unnumbered(line) for line in text.splitlines() if re.match(r"\s*(?:\*\*)?\d+\.", line)]
    plain = _unnumbered(text).replace("**", "")
    sentences = [s for s in re.split(r"(?<!\w\.\w.)(?<![A-Z][a-z]\.)(?<=\.|\?|!)\s", plain) if s.strip()]
    checks = ["**" in text,
              all(len(_sentences(p.replace("**", ""), "en")) < 2 for p in points),
              all(10 <= _words(s) <= 15 for s in sentences),
              not any(w.lower().endswith("ly") for w in re.findall(r"[A-Za-z]+", text)),
              len(re.findall(r"\*\*\d.+?:", text)) == 5]
    return checks[:level]


def _example(template: str, text: str) -> bool:
    """The answer fills the template's {answer} (one line) and matches everything else literally."""
    body = template.removeprefix("{instruction}\n").replace("{{", "{").replace("}}", "}")
    pattern = ".*".join(re.escape(piece) for piece in body.split("{answer}"))
    return re.fullmatch(pattern, text) is not None


def _last(pattern: str, text: str) -> str | None:
    found = re.findall(pattern, text)
    return found[-1] if found else None


def constraints(record: dict[str, Any], answer: str, language: str) -> list[bool]:
    """One verdict per checkable constraint of a rule-checkable item (see the module's docstring)."""
    text, target, level = answer.strip(), str(record.get("target", "")), int(record["level"])
    source = record.get("source")
    if record.get("category") == "example":
        return [_example(target.strip(), text)]
    summaries = _summaries(language)
    if source in summaries:  # mixed-category items, whose category field lists the kinds of their constraints
        return [rule(text) for rule in summaries[source][:level]]
    if source in ("E2E", "text_editing"):
        return [text == target]
    if source == "WIKIEVENTS":
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        return [bool(lines) and all(line in target.split("\n") for line in lines)]
    if source == "CONLL2003":
        return [text in ast.literal_eval(target)]
    if source == "BBH_logical":
        return [_last(r"\([A-Z]\)", text) == target]
    if source == "BBH_time":
        return [_last(r"\d{2}/\d{2}/\d{4}", text) == target]
    if source == "self_made_space":
        return [target in text]
    if source == "gsm_8k":
        return [_last(r"\d+美元" if language == "zh" else r"\$\d+", text) == target]
    if record.get("category") == "format":
        return _format_22(text, level, language) if int(record["example_id"]) == 22 else _format_30(text, level)
    raise ValueError(f"FollowBench item {record.get('category')}/{source} has no rule")
