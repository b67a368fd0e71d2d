"""Every built-in task loads from the real data; bad task files and data give one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gapbench.errors import GapbenchError
from gapbench.runner.select import select_samples
from gapbench.tasks.loader import load_samples
from gapbench.types import LETTERS
from gapbench.tasks.prompts import fewshot_for, generate_request, loglikelihood_requests
from gapbench.tasks.registry import builtin_tasks, get_task, load_task_file

EXPECTED_COUNTS = {"mmlu": 14042, "cmmlu": 11582, "ceval": 1346, "gsm8k": 1319, "mgsm_en": 250, "mgsm_zh": 250,
                   "cluewsc": 976, "wsc273": 273}


@pytest.mark.parametrize("name", sorted(builtin_tasks()))
def test_builtin_task_loads_and_renders(name, data_dir):
    task = get_task(name)
    samples = load_samples(task, data_dir)
    if name in EXPECTED_COUNTS:
        assert len(samples) == EXPECTED_COUNTS[name]
    assert len({s.id for s in samples}) == len(samples)
    pool = load_samples(task, data_dir, task.fewshot.path) if task.fewshot else []
    for s in select_samples(samples, 5, 1234):
        if task.scorer == "choice":
            assert len(s.choices) >= 2 and s.target in LETTERS[: len(s.choices)]
        elif task.scorer == "numeric":
            from gapbench.scoring.extract import extract_number, numbers_equal

            assert numbers_equal(extract_number(f"The answer is {s.target}."), s.target)  # 9/20, 25%, 1,000
        elif task.scorer in ("chrf", "contains"):
            assert s.target.strip()
        elif task.scorer == "code":
            assert task.code is not None and s.input.strip()
        shots = fewshot_for(task, s, pool)
        if task.fewshot:
            assert len(shots) == task.fewshot.k and all(x.metadata.get("subject") == s.metadata.get("subject") for x in shots)
        req = generate_request(task, s, shots, chat=True)
        assert req.messages[-1][0] == "user" and s.input.strip()[:20] in req.messages[-1][1]
        assert "{" + "question" + "}" not in req.messages[-1][1] and req.max_tokens == task.generation.max_tokens
        assert "{" + "question" + "}" not in req.messages[-1][1]
        if "loglikelihood" in task.methods:
            lls = loglikelihood_requests(task, s, shots)
            assert len(lls) == len(s.choices) and all(r.continuation for r in lls)


def test_chinese_tasks_have_chinese_prompts(data_dir):
    for name in ("cmmlu", "ceval", "mgsm_zh", "cluewsc"):
        task = get_task(name)
        s = load_samples(task, data_dir)[0]
        text = generate_request(task, s, [], chat=True).messages[-1][1]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text.replace(s.input, "")), name


def test_select_samples_is_stable_and_spans_subjects(data_dir):
    task = get_task("mmlu")
    samples = load_samples(task, data_dir)
    a = select_samples(samples, 20, 1234)
    assert [s.id for s in a] == [s.id for s in select_samples(list(reversed(samples)), 20, 1234)]
    assert len({s.metadata["subject"] for s in a}) > 10


def test_demo_zh_and_en_are_parallel():
    for kind in ("knowledge", "math", "reasoning"):
        en = load_samples(get_task(f"demo_{kind}_en"), Path("."))
        zh = load_samples(get_task(f"demo_{kind}_zh"), Path("."))
        assert [s.id for s in en] == [s.id for s in zh] and [s.target for s in en] == [s.target for s in zh]
        assert len(en) >= 20


def _task_file(tmp_path: Path, data_path: Path, **overrides) -> Path:
    spec = {"name": "mine", "version": 1, "capability": "knowledge", "language": "en",
            "dataset": {"path": str(data_path), "choices": "{choices}"},
            "prompt": {"template": "{question}\n{choices}\nAnswer:"}, "scorer": "choice"}
    spec.update(overrides)
    path = tmp_path / "task.yaml"
    import yaml

    path.write_text(yaml.safe_dump(spec, allow_unicode=True))
    return path


def _jsonl(tmp_path: Path, *lines: dict | str) -> Path:
    """A data file of JSON lines; a str is written as it is (to make a broken line)."""
    data = tmp_path / "items.jsonl"
    data.write_text("".join((ln if isinstance(ln, str) else json.dumps(ln)) + "\n" for ln in lines))
    return data


def test_malformed_jsonl_line_is_named(tmp_path):
    data = _jsonl(tmp_path, {"question": "q", "choices": ["a", "b"], "answer": "A"}, "{not json")
    task = load_task_file(_task_file(tmp_path, data))
    with pytest.raises(GapbenchError, match=r"items\.jsonl:2: malformed JSON"):
        load_samples(task, tmp_path)


def test_bad_task_field_is_named(tmp_path):
    path = _task_file(tmp_path, tmp_path / "x.jsonl", scorer="nonsense")
    with pytest.raises(GapbenchError, match=r"field 'scorer'"):
        load_task_file(path)
    path = _task_file(tmp_path, tmp_path / "x.jsonl", capability="vibes")
    with pytest.raises(GapbenchError, match=r"field 'capability'"):
        load_task_file(path)


def test_missing_record_field_is_named(tmp_path):
    data = _jsonl(tmp_path, {"q": "x", "choices": ["a", "b"], "answer": "A"})
    task = load_task_file(_task_file(tmp_path, data))
    with pytest.raises(GapbenchError, match=r"items\.jsonl:1: record has no field 'question'"):
        load_samples(task, tmp_path)


def test_missing_data_file(tmp_path):
    with pytest.raises(GapbenchError, match="data file not found"):
        load_samples(get_task("mmlu"), tmp_path)


def test_url_source_is_fetched_when_the_file_is_not_local(tmp_path):
    """Online users: a task with `url` downloads the same file (here from a server on 127.0.0.1)."""
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    served = tmp_path / "served"
    served.mkdir()
    (served / "items.jsonl").write_text(json.dumps({"question": "2+2?", "answer": "4"}) + "\n", encoding="utf-8")
    handler = partial(SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/items.jsonl"
        path = _task_file(tmp_path, Path("not-here/items.jsonl"), scorer="numeric", capability="maths",
                          dataset={"path": "not-here/items.jsonl", "url": url})
        samples = load_samples(load_task_file(path), tmp_path)
        assert [(s.input, s.target) for s in samples] == [("2+2?", "4")]
    finally:
        httpd.shutdown()
