"""Reasoning traces apart from answers: providers store `<think>` blocks as reasoning, never as the answer.

This belongs to the model layer (every provider needs it); scoring imports it from here.
"""

from __future__ import annotations

import re

_OPEN_RE = re.compile(r"<think(?:ing)?\s*>", re.I)
_CLOSE_RE = re.compile(r"</think(?:ing)?\s*>", re.I)


def split_reasoning(text: str) -> tuple[str, str]:
    """Split ``text`` into ``(answer, reasoning)``, both stripped.

    * every ``<think>...</think>`` / ``<thinking>...</thinking>`` block is
      reasoning (case-insensitive, any number of blocks);
    * a ``</think>`` before any opening tag means the opening tag was in the
      prompt (DeepSeek-R1 distills): everything before it is reasoning;
    * an unterminated ``<think>`` means everything after it is reasoning
      (the model ran out of tokens), so the answer is what precedes it.
    """
    if not text:
        return "", ""
    parts: list[str] = []
    close, opening = _CLOSE_RE.search(text), _OPEN_RE.search(text)
    if close and (opening is None or close.start() < opening.start()):
        parts.append(text[: close.start()])
        text = text[close.end():]

    kept: list[str] = []
    pos = 0
    while True:  # linear scan: a regex with (.*?) is quadratic on many tags
        opening = _OPEN_RE.search(text, pos)
        if opening is None:
            kept.append(text[pos:])
            break
        kept.append(text[pos: opening.start()])
        close = _CLOSE_RE.search(text, opening.end())
        if close is None:  # unterminated: the rest is reasoning
            parts.append(text[opening.end():])
            break
        parts.append(text[opening.end(): close.start()])
        pos = close.end()
    text = _CLOSE_RE.sub("\n", "\n".join(kept))  # stray closing tags
    reasoning = "\n".join(p.strip() for p in parts if p.strip())
    return text.strip(), reasoning
