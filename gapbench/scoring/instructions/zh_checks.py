"""Chinese-aware checkers for ifeval_zh: the IFEval constraint types whose English definition does not carry
over to Chinese (words, sentences, commas, word boundaries, fixed English phrases), plus full-width punctuation.

Every other IFEval type (keywords, placeholders, postscript, bullets, highlights, JSON, title, ***-paragraphs,
two responses, repeat prompt, end phrase, letter frequency, response language) is checked by the same
checker as in English: its definition does not depend on the language.
"""

from __future__ import annotations

import re

from gapbench.scoring.instructions.registry import checker, compare
from gapbench.scoring.instructions.text import HAN, count_chars_zh, sentences_zh

# Leading marks that do not belong to a paragraph's first word: spaces, quotes, brackets, markdown.
_LEADING_MARKS = " \t\"'“”‘’「」『』《》（）()【】[]*#>-_~"


@checker("length_constraints:number_characters", "num_chars", "relation")
def number_characters(response: str, num_chars: int, relation: str) -> bool:
    """字数 'less than' / 'at least' N: each Han character counts one, each run of Latin letters or digits one."""
    return compare(count_chars_zh(response), relation, num_chars)


@checker("length_constraints:number_sentences_zh", "num_sentences", "relation")
def number_sentences_zh(response: str, num_sentences: int, relation: str) -> bool:
    """'less than' / 'at least' N Chinese sentences (each ends at 。！？!? or an ellipsis)."""
    return compare(len(sentences_zh(response)), relation, num_sentences)


@checker("length_constraints:nth_paragraph_first_word_zh", "num_paragraphs", "nth_paragraph", "first_word")
def nth_paragraph_first_word_zh(response: str, num_paragraphs: int, nth_paragraph: int, first_word: str) -> bool:
    """Exactly N paragraphs separated by blank lines, and paragraph i begins with the given word (Chinese has no
    spaces between words: the paragraph's text, after leading quotes, brackets and markdown marks, starts with it)."""
    parts = [p for p in re.split(r"\n\s*\n", response) if p.strip()]
    i = int(nth_paragraph)
    if len(parts) != int(num_paragraphs) or i > len(parts):
        return False
    return parts[i - 1].strip().lstrip(_LEADING_MARKS).lower().startswith(first_word.strip().lower())


@checker("keywords:forbidden_words_zh", "forbidden_words")
def forbidden_words_zh(response: str, forbidden_words: list[str]) -> bool:
    """None of the words appears anywhere (Chinese words have no boundaries to match; case-insensitive)."""
    text = response.lower()
    return not any(w.lower() in text for w in forbidden_words)


@checker("punctuation:no_comma_zh")
def no_comma_zh(response: str) -> bool:
    """不要使用逗号: neither the Chinese comma ，(nor ﹐) nor the ASCII comma. The enumeration comma 、(顿号) is
    not a comma and stays allowed."""
    return not re.search(r"[,，﹐]", response)


_HALF_WIDTH_AFTER_HAN = re.compile(f"[{HAN}]\\s*[,.!?;:]")


@checker("punctuation:fullwidth_punctuation_zh")
def fullwidth_punctuation_zh(response: str) -> bool:
    """Chinese text takes full-width punctuation: no ASCII , . ! ? ; : right after a Han character (English
    words, numbers such as 3.5 and URLs elsewhere are unaffected)."""
    return _HALF_WIDTH_AFTER_HAN.search(response) is None


CONSTRAINED_OPTIONS_ZH = ("我的答案是肯定的。", "我的答案是否定的。", "我的答案是不确定的。")


@checker("detectable_format:constrained_response_zh")
def constrained_response_zh(response: str) -> bool:
    """The response contains one of: 我的答案是肯定的。/ 我的答案是否定的。/ 我的答案是不确定的。"""
    return any(option in response.strip() for option in CONSTRAINED_OPTIONS_ZH)


@checker("detectable_format:multiple_sections_zh", "section_unit", "num_sections")
def multiple_sections_zh(response: str, section_unit: str, num_sections: int) -> bool:
    """At least N sections, each begun by 第X<unit> (第1部分, 第二部分, …; X in Arabic or Chinese numerals)."""
    pattern = r"第\s?[0-9一二三四五六七八九十百]+\s?" + re.escape(section_unit.strip())
    return len(re.findall(pattern, response)) >= int(num_sections)


@checker("startend:quotation_zh")
def quotation_zh(response: str) -> bool:
    """The whole response is wrapped in double quotation marks: "…" or “…”."""
    text = response.strip()
    return len(text) > 1 and ((text[0], text[-1]) in (('"', '"'), ("“", "”")))
