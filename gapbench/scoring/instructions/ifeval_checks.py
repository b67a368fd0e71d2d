"""The 25 verifiable instruction types of IFEval (Zhou et al., 2023), checked as the paper defines them.

Written from the paper's definitions and the behaviour of its reference checker; no code copied. Where the
reference checker's behaviour is specific (a regular expression, a tokeniser) the docstring says what is done.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from gapbench.scoring.instructions.registry import checker, compare
from gapbench.scoring.instructions.text import (capital_words, count_sentences_en, count_words, detect_language,
                                                same_language)

# --- keywords -------------------------------------------------------------------------------------------


@checker("keywords:existence", "keywords")
def keywords_existence(response: str, keywords: list[str]) -> bool:
    """Every keyword appears in the response (case-insensitive)."""
    return all(re.search(re.escape(k), response, re.I) for k in keywords)


@checker("keywords:frequency", "keyword", "frequency", "relation")
def keyword_frequency(response: str, keyword: str, frequency: int, relation: str) -> bool:
    """The keyword appears 'less than' / 'at least' N times (case-insensitive occurrences)."""
    return compare(len(re.findall(re.escape(keyword.strip()), response, re.I)), relation, frequency)


@checker("keywords:forbidden_words", "forbidden_words")
def forbidden_words(response: str, forbidden_words: list[str]) -> bool:
    """None of the words appears as a whole word (case-insensitive)."""
    return not any(re.search(r"\b" + re.escape(w) + r"\b", response, re.I) for w in forbidden_words)


@checker("keywords:letter_frequency", "letter", "let_frequency", "let_relation")
def letter_frequency(response: str, letter: str, let_frequency: int, let_relation: str) -> bool:
    """The letter (either case) appears 'less than' / 'at least' N times."""
    return compare(Counter(response.lower())[letter.strip().lower()], let_relation, let_frequency)


# --- language ---------------------------------------------------------------------------------------------


@checker("language:response_language", "language")
def response_language(response: str, language: str) -> bool:
    """langdetect finds the requested language (ISO 639-1) in the whole response; undetectable text passes."""
    found = detect_language(response)
    return found is None or same_language(found, language)


# --- length constraints ---------------------------------------------------------------------------------


@checker("length_constraints:number_sentences", "num_sentences", "relation")
def number_sentences(response: str, num_sentences: int, relation: str) -> bool:
    """'less than' / 'at least' N sentences, as the English Punkt model splits them."""
    return compare(count_sentences_en(response), relation, num_sentences)


@checker("length_constraints:number_words", "num_words", "relation")
def number_words(response: str, num_words: int, relation: str) -> bool:
    """'less than' / 'at least' N words (runs of word characters)."""
    return compare(count_words(response), relation, num_words)


def divided_paragraphs(response: str) -> list[str] | None:
    """Paragraphs separated by the markdown divider ***; None when an inner paragraph is empty."""
    parts = re.split(r"\s?\*\*\*\s?", response)
    if any(not p.strip() for p in parts[1:-1]):
        return None
    return [p for p in parts if p.strip()]


@checker("length_constraints:number_paragraphs", "num_paragraphs")
def number_paragraphs(response: str, num_paragraphs: int) -> bool:
    """Exactly N paragraphs separated by the markdown divider *** (an empty one inside fails; empty ends are dropped)."""
    parts = divided_paragraphs(response)
    return parts is not None and len(parts) == int(num_paragraphs)


def blank_line_paragraphs(response: str) -> tuple[list[str], int]:
    """The pieces between blank lines ('\\n\\n') and how many of them are not empty."""
    parts = re.split(r"\n\n", response)
    return parts, sum(1 for p in parts if p.strip())


@checker("length_constraints:nth_paragraph_first_word", "num_paragraphs", "nth_paragraph", "first_word")
def nth_paragraph_first_word(response: str, num_paragraphs: int, nth_paragraph: int, first_word: str) -> bool:
    """Exactly N paragraphs separated by blank lines, and paragraph i starts with the word (case-insensitive;
    leading quotes and the punctuation . , ? ! ' " after the word are ignored)."""
    parts, count = blank_line_paragraphs(response)
    i = int(nth_paragraph)
    if i > count or not parts[i - 1].strip():
        return False
    word = parts[i - 1].strip().split()[0].lstrip("'").lstrip('"')
    word = re.split(r"[.,?!'\"]", word, maxsplit=1)[0].lower()
    return count == int(num_paragraphs) and word == first_word.lower()


# --- detectable content ---------------------------------------------------------------------------------


@checker("detectable_content:number_placeholders", "num_placeholders")
def number_placeholders(response: str, num_placeholders: int) -> bool:
    """At least N placeholders in square brackets, such as [address]."""
    return len(re.findall(r"\[.*?\]", response)) >= int(num_placeholders)


@checker("detectable_content:postscript", "postscript_marker")
def postscript(response: str, postscript_marker: str) -> bool:
    """The postscript marker appears (case-insensitive; anywhere, as the reference checker finds it): P.S. and
    P.P.S tolerate a space after each period; other markers are matched literally."""
    marker = postscript_marker.strip()
    pattern = {"P.P.S": r"p\.\s?p\.\s?s", "P.S.": r"p\.\s?s\."}.get(marker, re.escape(marker.lower()))
    return re.search(pattern, response.lower()) is not None


# --- detectable format ----------------------------------------------------------------------------------


@checker("detectable_format:number_bullet_lists", "num_bullets")
def number_bullet_lists(response: str, num_bullets: int) -> bool:
    """Exactly N markdown bullet points: lines starting with '* ' (not '**') or '-'."""
    stars = re.findall(r"^\s*\*[^*].*$", response, re.M)
    dashes = re.findall(r"^\s*-.*$", response, re.M)
    return len(stars) + len(dashes) == int(num_bullets)


CONSTRAINED_OPTIONS = ("My answer is yes.", "My answer is no.", "My answer is maybe.")


@checker("detectable_format:constrained_response")
def constrained_response(response: str) -> bool:
    """The response contains one of: My answer is yes. / My answer is no. / My answer is maybe."""
    return any(option in response.strip() for option in CONSTRAINED_OPTIONS)


def count_highlights(response: str) -> int:
    """Non-empty *highlighted* spans on one line, plus each non-empty **bold** span once more (as upstream)."""
    single = [h for h in re.findall(r"\*[^\n*]*\*", response) if h.strip("*").strip()]
    double = [h for h in re.findall(r"\*\*[^\n*]*\*\*", response) if h[2:-2].strip()]
    return len(single) + len(double)


@checker("detectable_format:number_highlighted_sections", "num_highlights")
def number_highlighted_sections(response: str, num_highlights: int) -> bool:
    """At least N sections highlighted with markdown, *like this*."""
    return count_highlights(response) >= int(num_highlights)


@checker("detectable_format:multiple_sections", "section_spliter", "num_sections")
def multiple_sections(response: str, section_spliter: str, num_sections: int) -> bool:
    """At least N sections, each begun by the splitter word and a number (SECTION 1, Section 2, …)."""
    pattern = r"\s?" + re.escape(section_spliter.strip()) + r"\s?\d+\s?"
    return len(re.split(pattern, response)) - 1 >= int(num_sections)


@checker("detectable_format:json_format")
def json_format(response: str) -> bool:
    """The whole response parses as JSON, optionally inside a ``` (or ```json) fence."""
    text = response.strip()
    for fence in ("```json", "```Json", "```JSON", "```"):
        if text.startswith(fence):
            text = text[len(fence):]
            break
    text = text.removesuffix("```").strip()
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@checker("detectable_format:title")
def title(response: str) -> bool:
    """A title in double angular brackets on one line, such as <<poem of joy>>, with something inside."""
    return any(t.lstrip("<").rstrip(">").strip() for t in re.findall(r"<<[^\n]+>>", response))


# --- combination ----------------------------------------------------------------------------------------


@checker("combination:two_responses")
def two_responses(response: str) -> bool:
    """Exactly two different responses separated by six asterisks ******."""
    parts = response.split("******")
    if any(not p.strip() for p in parts[1:-1]):
        return False
    kept = [p.strip() for p in parts if p.strip()]
    return len(kept) == 2 and kept[0] != kept[1]


@checker("combination:repeat_prompt", "prompt_to_repeat")
def repeat_prompt(response: str, prompt_to_repeat: str) -> bool:
    """The response begins with the request repeated word for word (case-insensitive, outer spaces ignored)."""
    return response.strip().lower().startswith(prompt_to_repeat.strip().lower())


# --- start and end --------------------------------------------------------------------------------------


@checker("startend:end_checker", "end_phrase")
def end_checker(response: str, end_phrase: str) -> bool:
    """The response ends with the exact phrase (case-insensitive; outer spaces and double quotes ignored)."""
    return response.strip().strip('"').lower().endswith(end_phrase.strip().lower())


@checker("startend:quotation")
def quotation(response: str) -> bool:
    """The whole response is wrapped in double quotation marks "…"."""
    text = response.strip()
    return len(text) > 1 and text[0] == '"' and text[-1] == '"'


# --- case -----------------------------------------------------------------------------------------------


@checker("change_case:english_capital")
def english_capital(response: str) -> bool:
    """All letters are capitals and langdetect finds English (undetectable text passes)."""
    return response.isupper() and detect_language(response) in (None, "en")


@checker("change_case:english_lowercase")
def english_lowercase(response: str) -> bool:
    """All letters are lower case and langdetect finds English (undetectable text passes)."""
    return response.islower() and detect_language(response) in (None, "en")


@checker("change_case:capital_word_frequency", "capital_frequency", "capital_relation")
def capital_word_frequency(response: str, capital_frequency: int, capital_relation: str) -> bool:
    """Words in all capital letters appear 'less than' / 'at least' N times."""
    return compare(capital_words(response), capital_relation, capital_frequency)


# --- punctuation ----------------------------------------------------------------------------------------


@checker("punctuation:no_comma")
def no_comma(response: str) -> bool:
    """No comma (,) anywhere in the response."""
    return "," not in response
