"""Bilingual needle-in-a-haystack records: one secret passphrase hidden in real WMT22 text.

Long-input capability (the "Kimi handles long context" claim). The haystack is consecutive WMT22
general-test source segments (zh for Chinese, en for English) read from the data directory, never copied.
Every record is a plain dict; `question` is the whole user prompt and `answer` the 6-digit passphrase.

Lengths are *estimated* tokens (`estimate_tokens`), not any model's real count; the runner skips items that
do not fit a model's real context with that model's tokenizer.
"""

from __future__ import annotations

import math
import os
import random
import re
from pathlib import Path
from typing import Sequence

from gapbench.errors import GapbenchError

HAYSTACK_FILES = {
    "zh": "wmt22_zh_en/generaltest2022.zh-en.src.zh.txt",
    "en": "wmt22_zh_en/generaltest2022.en-zh.src.en.txt",
}
JOINERS = {"en": " ", "zh": ""}
INSTRUCTIONS = {
    "en": "Below is a long document. Read it and answer the question at the end.",
    "zh": "下面是一篇长文档。请阅读后回答文末的问题。",
}
NEEDLES = {
    "en": "The secret passphrase for the {city} archive is {code}.",
    "zh": "{city}档案馆的秘密口令是{code}。",
}
QUESTIONS = {
    "en": "What is the secret passphrase for the {city} archive? Answer with the passphrase only.",
    "zh": "{city}档案馆的秘密口令是什么？只回答口令。",
}
# (English, Chinese) names; record i of a call uses the same city and code in both languages.
CITIES = (
    ("Lisbon", "里斯本"), ("Oslo", "奥斯陆"), ("Cairo", "开罗"), ("Lima", "利马"), ("Nairobi", "内罗毕"),
    ("Toronto", "多伦多"), ("Sydney", "悉尼"), ("Madrid", "马德里"), ("Vienna", "维也纳"),
    ("Dublin", "都柏林"),
    ("Helsinki", "赫尔辛基"), ("Warsaw", "华沙"), ("Athens", "雅典"), ("Prague", "布拉格"),
    ("Stockholm", "斯德哥尔摩"), ("Istanbul", "伊斯坦布尔"), ("Mumbai", "孟买"), ("Seoul", "首尔"),
    ("Kyoto", "京都"), ("Hangzhou", "杭州"), ("Chengdu", "成都"), ("Harbin", "哈尔滨"), ("Kunming", "昆明"),
    ("Budapest", "布达佩斯"),
)

# Token estimate, calibrated on these two files with Qwen2.5's tokenizer: English ~4.7 chars/token,
# Chinese ~0.67 tokens per CJK character. ~4 chars/token and 0.7/CJK char err slightly high (safe side).
CHARS_PER_TOKEN = 4.0
TOKENS_PER_CJK = 0.7
TOLERANCE = 0.03  # the whole prompt's estimate lands within 3% of the target length
MIN_LENGTH = 200  # instruction + needle + question alone are ~40-55 estimated tokens

_CJK = re.compile(
    "[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f]"
)


def _weight(text: str) -> float:
    cjk = len(_CJK.findall(text))
    return (len(text) - cjk) / CHARS_PER_TOKEN + cjk * TOKENS_PER_CJK


def estimate_tokens(text: str) -> int:
    """A rough, tokenizer-free token count: non-CJK chars / 4 + CJK chars (incl. full-width punctuation) * 0.7."""
    return round(_weight(text))


def _fail(message: str) -> GapbenchError:
    return GapbenchError(f"needle: {message}")


def _validate(language: str, lengths: Sequence[int], depths: Sequence[float], repeats: int, seed: int) -> None:
    if language not in HAYSTACK_FILES:
        raise _fail(f"language must be one of {', '.join(sorted(HAYSTACK_FILES))}, got {language!r}")
    if isinstance(lengths, (str, bytes)) or not lengths:
        raise _fail("lengths must be a non-empty list of token counts")
    for n in lengths:
        if isinstance(n, bool) or not isinstance(n, int) or n < MIN_LENGTH:
            raise _fail(f"length {n!r} must be an integer of at least {MIN_LENGTH} tokens")
    if isinstance(depths, (str, bytes)) or not depths:
        raise _fail("depths must be a non-empty list of numbers in [0, 1]")
    for d in depths:
        if isinstance(d, bool) or not isinstance(d, (int, float)) or not 0.0 <= d <= 1.0:
            raise _fail(f"depth {d!r} must be a number in [0, 1] (0 = start, 1 = end)")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise _fail(f"repeats must be a positive integer, got {repeats!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise _fail(f"seed must be an integer, got {seed!r}")


def _read_haystack(data_dir: Path, language: str) -> list[str]:
    path = Path(data_dir) / HAYSTACK_FILES[language]
    if not path.is_file():
        raise _fail(f"haystack file not found: {path} (set --data-dir or $GAPBENCH_DATA to the benchmark data)")
    with open(path, encoding="utf-8-sig") as fh:
        sentences = [line.strip() for line in fh if line.strip()]
    if not sentences:
        raise _fail(f"haystack file is empty: {path}")
    return sentences


def _window(weights: list[float], joiner: float, start: int, budget: float, tol: float) -> tuple[int, int]:
    """(start, count) of consecutive sentences (wrapping) whose weight is closest to budget.

    Starts at `start`; if no count lands within tol there, the start slides forward one sentence at a time.
    """
    n = len(weights)
    best = (math.inf, start, 1)
    for shift in range(n):
        s = (start + shift) % n
        total, k = 0.0, 0
        while k == 0 or total < budget:
            total += weights[(s + k) % n] + joiner
            k += 1
        last = weights[(s + k - 1) % n] + joiner
        err, count = abs(total - budget), k
        if k > 1 and abs(total - last - budget) < err:
            err, count = abs(total - last - budget), k - 1
        if err <= tol:
            return s, count
        best = min(best, (err, s, count))
    return best[1], best[2]


def _needle_index(weights: list[float], depth: float) -> int:
    """The sentence boundary (0..len) whose estimated-token offset is closest to depth * total."""
    goal = depth * sum(weights)
    best_j, best_err, offset = 0, goal, 0.0
    for j, w in enumerate(weights, 1):
        offset += w
        if abs(offset - goal) < best_err:
            best_j, best_err = j, abs(offset - goal)
    return best_j


def needle_records(data_dir: str | os.PathLike, language: str, *,
                   lengths: Sequence[int] = (1000, 4000, 16000, 32000),
                   depths: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0), repeats: int = 2,
                   seed: int = 0) -> list[dict]:
    """One record per (length, depth, repeat), in that nesting order; deterministic in all arguments.

    Design: records with the same repeat share one haystack start (per language and seed), so depths and
    lengths vary against the same text; record i of a call gets the same city and code in en and zh (same
    seed and grid), so the two languages are paired. Codes are distinct within a call; cities are distinct
    while the call has at most len(CITIES) records, then cycle. Ids are unique within one call only.
    """
    _validate(language, lengths, depths, repeats, seed)
    sentences = _read_haystack(Path(data_dir), language)
    joiner = JOINERS[language]
    weights = [_weight(s) for s in sentences]
    joiner_w = _weight(joiner)

    grid = [(length, float(depth), r) for length in lengths for depth in depths for r in range(repeats)]
    ids = [f"len{length}-d{depth:.2f}-r{r}" for length, depth, r in grid]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise _fail(f"duplicate record id {dup}: lengths and depths (to 2 decimals) must be distinct")

    # String seeds are hashed with SHA-512 by random.Random: stable across runs, unlike hash().
    codes = random.Random(f"gapbench-needle:{seed}:codes").sample(range(100_000, 1_000_000), len(grid))
    cities = list(CITIES)
    random.Random(f"gapbench-needle:{seed}:cities").shuffle(cities)
    starts = [random.Random(f"gapbench-needle:{language}:{seed}:start:{r}").randrange(len(sentences))
              for r in range(repeats)]
    city_col = 0 if language == "en" else 1

    # The haystack depends on (length, repeat) only, not on the needle: sized for the mean needle and question.
    instruction = INSTRUCTIONS[language]
    needle_w = [_weight(NEEDLES[language].format(city=c[city_col], code="100000")
                        + QUESTIONS[language].format(city=c[city_col])) for c in CITIES]
    fixed = _weight(instruction + "\n\n\n\n") + sum(needle_w) / len(needle_w)
    windows: dict[tuple[int, int], tuple[int, int]] = {}

    records = []
    for i, ((length, depth, r), rid) in enumerate(zip(grid, ids)):
        city, code = cities[i % len(cities)][city_col], str(codes[i])
        needle = NEEDLES[language].format(city=city, code=code)
        ask = QUESTIONS[language].format(city=city)
        if (length, r) not in windows:
            windows[length, r] = _window(weights, joiner_w, starts[r], length - fixed, TOLERANCE * length)
        start, count = windows[length, r]
        idx = [(start + k) % len(sentences) for k in range(count)]
        at = _needle_index([weights[j] + joiner_w for j in idx], depth)
        body = [sentences[j] for j in idx]
        body.insert(at, needle)
        question = f"{instruction}\n\n{joiner.join(body)}\n\n{ask}"
        records.append({
            "id": rid, "question": question, "answer": code, "language": language,
            "length": length, "depth": depth, "repeat": r, "approx_tokens": estimate_tokens(question),
            "needle": needle, "city": city, "needle_index": at, "haystack_start": start,
            "haystack_sentences": count, "source": HAYSTACK_FILES[language],
        })
    return records
