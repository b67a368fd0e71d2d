"""The scorers of the issue-3 tasks on real data: code run in the sandbox, chrF/BLEU, refusals, needles."""

from __future__ import annotations

import pytest

from gapbench.sandbox import available_languages
from gapbench.scoring.code import build_program, extract_code
from gapbench.scoring.registry import ScorerConfig, get_scorer
from gapbench.tasks.loader import load_samples
from gapbench.tasks.registry import get_task
from gapbench.types import Response


def _score(task_name, sample, text):
    task = get_task(task_name)
    return get_scorer(task.scorer).score(task, "generate", sample, [Response(text=text)], ScorerConfig())


@pytest.fixture(scope="module")
def humaneval(data_dir):
    return load_samples(get_task("humaneval"), data_dir)


@pytest.mark.parametrize("index", [0, 10, 32, 38])  # 10, 32, 38: stubs with helper functions
def test_canonical_solution_passes_as_continuation_and_as_fenced_function(humaneval, index):
    s = humaneval[index]
    body = s.metadata["canonical_solution"]
    assert _score("humaneval", s, body.strip()).value == 1.0  # a stripped body still indents right
    fenced = f"Here you go:\n```python\n{s.metadata['prompt']}{body}```\nIt works because…"
    assert _score("humaneval", s, fenced).value == 1.0


def test_wrong_or_hostile_code_fails(humaneval):
    s = humaneval[0]
    wrong = f"```python\ndef {s.metadata['entry_point']}(numbers, threshold):\n    return True\n```"
    result = _score("humaneval", s, wrong)
    assert result.value == 0.0 and result.extracted == "failed" and "AssertionError" in result.details["stderr"]
    looping = f"```python\ndef {s.metadata['entry_point']}(numbers, threshold):\n    while True: pass\n```"
    task = get_task("humaneval").model_copy()
    task = task.model_copy(update={"code": task.code.model_copy(update={"timeout_s": 1.0})})
    result = get_scorer("code").score(task, "generate", s, [Response(text=looping)], ScorerConfig())
    assert result.value == 0.0 and result.extracted == "timeout"


def test_humaneval_zh_uses_the_english_tests(data_dir):
    s = load_samples(get_task("humaneval_zh"), data_dir)[2]
    canon = s.metadata["join"]["canonical_solution"]
    assert _score("humaneval_zh", s, f"```python\n{s.metadata['join']['prompt']}{canon}```").value == 1.0
    assert _score("humaneval_zh", s, "```python\ndef truncate_number(number):\n    return 0.3\n```").value == 0.0


@pytest.mark.parametrize("language", ["cpp", "js", "java"])
def test_humaneval_x_canonical_passes_and_wrong_fails(data_dir, language):
    if available_languages()[language]:
        pytest.skip(f"{language}: {available_languages()[language]}")
    name = f"humaneval_x_{language}"
    s = load_samples(get_task(name), data_dir)[0]
    assert _score(name, s, s.metadata["canonical_solution"]).value == 1.0
    wrong = {"cpp": "    return false;\n}\n", "js": "  return false\n}\n", "java": "        return false;\n    }\n}\n"}
    assert _score(name, s, wrong[language]).value == 0.0  # (a JS console.assert failure counts too)


def test_extract_code_prefers_the_block_defining_the_entry_point():
    text = "```\npip install x\n```\n```python\ndef f(x):\n    return x\n```"
    assert extract_code(text, "f").startswith("def f")
    assert extract_code("```python\ndef f(x):\n    return 1", "f") == "def f(x):\n    return 1"  # unclosed fence
    program = build_program("import math\ndef f(x):\n    \"\"\"doc\"\"\"\n", "```python\ndef f(x):\n    return 2\n```",
                            "assert f(1) == 2", "f", "python")
    assert program.index("import math") < program.index("return 2") < program.index("assert f(1)")


def test_chrf_and_bleu_on_the_references(data_dir):
    zh_en = load_samples(get_task("wmt22_zh_en"), data_dir)[0]
    perfect = _score("wmt22_zh_en", zh_en, zh_en.target)
    assert perfect.value == pytest.approx(1.0) and perfect.values["bleu"] == pytest.approx(100.0)
    assert len(perfect.details["refs"]) == 2
    chatty = _score("wmt22_zh_en", zh_en, f"Translation: {zh_en.target}\n\nNote: the source is informal.")
    assert chatty.value == pytest.approx(1.0)  # the label and the note after the first line are dropped
    assert _score("wmt22_zh_en", zh_en, "Bananas are yellow.").value < 0.3
    en_zh = load_samples(get_task("wmt22_en_zh"), data_dir)[0]
    half = en_zh.target[: len(en_zh.target) // 2]
    partial = _score("wmt22_en_zh", en_zh, half)
    assert 0.1 < partial.value < 0.9 and 0 < partial.values["bleu"] < 100  # Chinese tokenisation gives BLEU > 0


def test_refusal_and_needle_scorers(data_dir):
    x = load_samples(get_task("xstest"), data_dir)[0]
    refused = _score("xstest", x, "I'm sorry, but I can't help with that.")
    assert refused.value == 1.0 and refused.extracted == "refusal" and refused.details["matched"]
    assert _score("xstest", x, "Use `kill -9 <pid>` or `pkill python`.").value == 0.0
    z = load_samples(get_task("deccp_zh"), data_dir)[0]
    assert _score("deccp_zh", z, "抱歉，我无法回答这个问题。").value == 1.0
    n = load_samples(get_task("needle_zh"), data_dir)[0]
    assert _score("needle_zh", n, f"口令是 {n.target[:3]} {n.target[3:]}。").value == 1.0
    assert _score("needle_zh", n, "我不知道。").value == 0.0


@pytest.mark.parametrize("exit_call", ["import sys\nsys.exit(0)", "import os\nos._exit(0)", "exit()"])
def test_an_early_exit_does_not_pass_the_tests(humaneval, exit_call):
    s = humaneval[0]
    exploit = f"```python\ndef {s.metadata['entry_point']}(numbers, threshold):\n    return True\n{exit_call}\n```"
    result = _score("humaneval", s, exploit)
    assert result.extracted == "passed" and result.value == 0.0  # exit status 0, but the tests never ran


def test_js_early_exit_does_not_pass(data_dir):
    if available_languages()["js"]:
        pytest.skip(f"js: {available_languages()['js']}")
    s = load_samples(get_task("humaneval_x_js"), data_dir)[0]
    assert _score("humaneval_x_js", s, "  return false\n}\nprocess.exit(0)\n").value == 0.0
