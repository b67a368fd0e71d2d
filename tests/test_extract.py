"""Tests for gapbench.scoring.extract (English and Chinese model outputs)."""

from __future__ import annotations

import pytest

from gapbench.scoring.extract import (
    extract_choice,
    extract_number,
    normalize_fullwidth,
    numbers_equal,
)
from gapbench.models.reasoning import split_reasoning

# --------------------------------------------------------------------------
# split_reasoning
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("<think>maybe A</think>The answer is D", ("The answer is D", "maybe A")),
        ("<THINK>\nx\n</THINK>\n\nB", ("B", "x")),
        ("<thinking>plan</thinking> 42", ("42", "plan")),
        ("<think>a</think>mid<think>b</think>end", ("mid\nend", "a\nb")),
        ("<think>ran out of tokens, maybe 7", ("", "ran out of tokens, maybe 7")),
        ("first 16-3-4=9</think>\n\n**18**", ("**18**", "first 16-3-4=9")),
        ("  plain answer  ", ("plain answer", "")),
        ("", ("", "")),
    ],
)
def test_split_reasoning(text, expected):
    assert split_reasoning(text) == expected


# --------------------------------------------------------------------------
# normalize_fullwidth
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Ｂ", "B"),
        ("ａｂｃ", "abc"),
        ("１８", "18"),
        ("（Ｃ）：．", "(C):."),
        ("答案：１８", "答案:18"),
        ("所以她每天赚钱。", "所以她每天赚钱。"),  # CJK and 。 untouched
        ("中文、「引号」", "中文、「引号」"),
        ("１，０００", "1,000"),  # U+FF0C is a full-width form: becomes ","
    ],
)
def test_normalize_fullwidth(text, expected):
    assert normalize_fullwidth(text) == expected


# --------------------------------------------------------------------------
# extract_choice
# --------------------------------------------------------------------------

CHOICE_CASES = [
    # English, required forms
    ("B", "B"),
    ("B.", "B"),
    ("(B)", "B"),
    ("**B**", "B"),
    ("Answer: B", "B"),
    ("The answer is B", "B"),
    ("the correct answer is (C) because it is the only prime", "C"),
    ("Ｂ", "B"),
    ("B. Paris is the capital", "B"),
    ("Let me think... A seems plausible but the answer is C.", "C"),
    ("<think>maybe A</think>The answer is D", "D"),
    ("**Answer:** B", "B"),
    ("\\boxed{B}", "B"),
    ("I think it's B) 42", "B"),
    # Chinese, required forms
    ("答案：B", "B"),
    ("答案是B", "B"),
    ("答案是 B 。", "B"),
    ("选B", "B"),
    ("应选C", "C"),
    ("我选择D", "D"),
    ("正确答案为 C", "C"),
    ("答案：(C)", "C"),
    ("C选项正确", "C"),
    ("选项B", "B"),
    ("故选：A", "A"),
    ("选项A", "A"),
    ("A项", "A"),
    ("答案为A", "A"),
    ("答案应该是A", "A"),
    ("正确选项是B", "B"),
    # Other leading forms
    ("B)", "B"),
    ("B:", "B"),
    ("B、", "B"),
    ("[D]", "D"),
    # More realistic outputs
    ("The answer is A.", "A"),
    ("Answer: (d)", "D"),
    ("答案：（Ｃ）", "C"),
    ("\\boxed{\\text{C}}", "C"),
    ("Option A is wrong because of X. Option C is right.", "C"),
    ("The answer is B. Wait, re-checking... the answer is D.", "D"),
    ("A选项错误，B选项错误，C选项正确，D选项错误。故选C。", "C"),
    ("选项B正确，选项A错误", "B"),
    ("分析：A项说法错误，D项正确。", "D"),
    ("<think>\n选项A看起来对，但其实答案是B\n</think>\n\n**答案：B**", "B"),
    ("Okay.</think>\n\nThe correct answer is (A).", "A"),
    ("<think>Comparing the options, the answer is C", "C"),  # truncated output
    ("<think>long reasoning... options left: (B)", "B"),
    ("<think>The answer is B... no, wait.</think>C", "C"),
    ("The answer is B?</think>\n\nFinal: (A)", "A"),
]


@pytest.mark.parametrize("text, expected", CHOICE_CASES)
def test_extract_choice(text, expected):
    assert extract_choice(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "I don't know",
        "Because of the heat.",  # letters inside words never count
        "A seems plausible",  # only the English article
        "我不知道",
        "<think>hmm</think>",
        "The answer is E",  # E is not among 4 choices
        "The answer is a bit unclear",
        "Answer: Brazil",
    ],
)
def test_extract_choice_none(text):
    assert extract_choice(text) is None


@pytest.mark.parametrize(
    "text, n_choices, expected",
    [
        ("C", 2, None),
        ("The answer is C", 2, None),
        ("The answer is C", 3, "C"),
        ("答案是E", 5, "E"),
        ("答案是E", 4, None),
        ("B", 2, "B"),
    ],
)
def test_extract_choice_n_choices(text, n_choices, expected):
    assert extract_choice(text, n_choices=n_choices) == expected


# --------------------------------------------------------------------------
# extract_number
# --------------------------------------------------------------------------

NUMBER_CASES = [
    # required forms
    ("#### 42", "42"),
    ("\\boxed{18}", "18"),
    ("\\boxed{\\$1,000}", "1000"),
    ("\\boxed{1,000}", "1000"),
    ("答案是 18", "18"),
    ("答案：18", "18"),
    ("答案为18", "18"),
    ("The answer is 18", "18"),
    ("the final answer is $18.00", "18"),
    ("1,234,567", "1234567"),
    ("1, 2, 3", "3"),
    ("-5", "-5"),
    ("3.50", "3.5"),
    ("18.0", "18"),
    ("$18", "18"),
    ("18元", "18"),
    ("18 dollars", "18"),
    ("25%", "25"),
    ("3/4", "0.75"),
    ("The answer is 18.", "18"),
    ("答案：１８", "18"),
    ("007", "7"),
    ("0.50", "0.5"),
    # realistic model outputs
    (
        "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\n"
        "She makes 9 * 2 = $<<9*2=18>>18 every day at the farmer's market.\n"
        "#### 18",
        "18",
    ),
    ("所以她每天赚18美元。答案是18。", "18"),
    ("<think>Eggs left: 16-3-4=9, each $2 ...</think>\n\n**18**", "18"),
    (
        "First, 16 - 3 - 4 = 9 eggs remain. 9 × 2 = 18.\n"
        "Therefore, the final answer is $\\boxed{18}$.",
        "18",
    ),
    ("每天剩下 16-3-4=9 个鸡蛋，每个2美元，9×2=18（美元）。\n答：她每天赚18美元。", "18"),
    ("解：3+5=8，8×2=16\n答案：１６元", "16"),
    ("The temperature dropped to -5 degrees, so x = -5.", "-5"),
    ("He paid $1,250.50 in total.", "1250.5"),
    ("The answer is: **42**", "42"),
    ("So the probability is 3/4.", "0.75"),
    ("The answer is 12. Check: 12 + 3 = 15, correct.", "12"),
    ("\\boxed{\\frac{1}{4}}", "0.25"),
    ("\\boxed{18 \\text{ dollars}}", "18"),
    ("\\boxed{1{,}000}", "1000"),
    ("She needs 20% more, i.e. 1.2 times.\n#### 240", "240"),
    ("Okay, 5 + 7 = 12.</think>The total is 12 apples.", "12"),
    ("<think>So 48/2 = 24 clips in May, 48 + 24 = 72", "72"),  # truncated
    ("这个问题分3步。第一步 2+2=4。最终答案为 ４", "4"),
    ("COVID-19 cases rose by 25% to 500", "500"),
    ("<think>Maybe the answer is 9?</think>\n\nShe earns 18 dollars.", "18"),
    ("The answer is what we compute below, step by step, carefully: 3 + 4 = 7", "7"),
]


@pytest.mark.parametrize("text, expected", NUMBER_CASES)
def test_extract_number(text, expected):
    assert extract_number(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "I don't know",
        "我不知道答案。",
        "<think>no idea</think>",
        "The answer is B",
        "\\boxed{x}",
    ],
)
def test_extract_number_none(text):
    assert extract_number(text) is None


# --------------------------------------------------------------------------
# numbers_equal
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ("18", "18.00", True),
        ("1,000", "1000", True),
        ("0.75", "3/4", True),
        ("$18", "18", True),
        ("-5", "-5.0", True),
        ("1000000", "1000000.5", True),  # within rel_tol=1e-6
        ("18", "19", False),
        ("18", "-18", False),
        ("0.1", "0.1001", False),
        (None, "18", False),
        ("18", None, False),
        (None, None, False),
        ("abc", "abc", False),
        ("0", "0.0", True),
    ],
)
def test_numbers_equal(a, b, expected):
    assert numbers_equal(a, b) is expected


def test_numbers_equal_rel_tol():
    assert numbers_equal("100", "101", rel_tol=0.02)
    assert not numbers_equal("100", "101", rel_tol=0.001)


def test_extract_number_roundtrip_equal():
    assert numbers_equal(extract_number("the final answer is $18.00"), "18")
    assert not numbers_equal(extract_number("I don't know"), "18")
