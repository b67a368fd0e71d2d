"""Long documents (issue #11, item 3): the LongBench and L-Eval metrics on hand-made Chinese and English
answers, the L-Eval layout (one document, many questions), and each scorer end to end on real items with a
bundled local model, items longer than the context skipped and reported per length."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import gapbench_cli
from gapbench.scoring import longdoc_metrics as lm
from gapbench.scoring.scorers_longdoc import length_bucket
from gapbench.store.db import Store
from gapbench.tasks.loader import load_samples
from gapbench.tasks.registry import get_task


def test_qa_f1_zh_over_jieba_segments():
    refs = ["厦门大学。"]
    assert lm.qa_f1_zh("厦门大学", refs) == 1.0  # punctuation and whitespace do not count
    assert lm.qa_f1_zh("  厦门大学！", refs) == 1.0
    assert lm.qa_f1_zh("厦门 大学", refs) == 0.0  # as LongBench: segmented first, so a space splits the word
    partial = lm.qa_f1_zh("在厦门大学举办", refs)
    assert 0.0 < partial < 1.0
    assert lm.qa_f1_zh("北京大学", refs) < partial
    assert lm.qa_f1_zh("", refs) == 0.0
    assert lm.qa_f1_zh("北京大学", ["厦门大学", "北京大学"]) == 1.0  # best reference


def test_passage_retrieval_zh_share_of_right_numbers():
    assert lm.passage_retrieval_zh("段落27", "段落27") == 1.0
    assert lm.passage_retrieval_zh("答案是段落27和段落3", "段落27") == 0.5
    assert lm.passage_retrieval_zh("段落3", "段落27") == 0.0
    assert lm.passage_retrieval_zh("我不知道", "段落27") == 0.0


def test_qa_f1_en_squad_normalisation():
    assert lm.qa_f1_en("The April 25, 2018.", ["April 25 , 2018"]) == 1.0
    assert 0.0 < lm.qa_f1_en("It started on April 25", ["April 25 , 2018"]) < 1.0
    assert lm.qa_f1_en("ten", ["10"]) == 0.0


@pytest.mark.parametrize("answer, gold, several, score", [
    ("B", "B", False, 1.0), ("B. Their subconscious", "(B) Their subconscious knew", False, 1.0),
    ("C", "(B) Their subconscious knew", False, 0.0), ("BD", "BD", True, 1.0), ("B", "BD", True, 0.25),
    ("A and D", "BD", True, 0.0), ("", "B", False, 0.0),
])
def test_leval_option_exact_match(answer, gold, several, score):
    assert lm.exam_options(answer, gold, several) == score


def test_leval_sci_fi_and_topic_retrieval():
    assert lm.exam_sci_fi("True, according to the novel.", "True [fact: False]") == 1.0
    assert lm.exam_sci_fi("False", "True [fact: False]") == 0.0
    assert lm.exam_sci_fi("I am not sure", "True [fact: False]") == 0.0
    assert lm.exam_topic("The first topic was the role of Art in society.", "The role of art in society") == 1.0
    assert lm.exam_topic("space tourism", "The role of art in society") == 0.0


def test_leval_layout_one_item_per_question(data_dir):
    exam = load_samples(get_task("leval_exam"), data_dir)
    qa = load_samples(get_task("leval_qa"), data_dir)
    assert len(exam) == 857 and len(qa) == 582  # L-Eval's exam questions; its questions marked for F1
    assert len({s.id for s in exam}) == 857 and exam[0].id == "coursera/0" and exam[0].target == "C"
    assert {s.metadata["evaluation"] for s in qa} == {"f1"}
    assert len(load_samples(get_task("longbench_multifieldqa_zh"), data_dir)) == 200
    assert length_bucket("字" * 100) == "4000" and length_bucket("word " * 200_000) == "64000+"


def shortest(path: Path, field: str, where=lambda r: True) -> dict:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return min((r for r in records if where(r)), key=lambda r: len(r[field]))


def one_item_data(data_dir: Path, tmp_path: Path) -> Path:
    """A data directory holding the shortest real item of each long-document task (one question each)."""
    root = tmp_path / "data"
    picks = {
        "longbench_zh/multifieldqa_zh.jsonl": shortest(data_dir / "longbench_zh/multifieldqa_zh.jsonl", "context"),
        "longbench_zh/passage_retrieval_zh.jsonl": shortest(data_dir / "longbench_zh/passage_retrieval_zh.jsonl", "context"),
        "leval/Closed-ended-tasks/tpo.jsonl": shortest(data_dir / "leval/Closed-ended-tasks/tpo.jsonl", "input"),
        "leval/Open-ended-tasks/multidoc_qa.jsonl": shortest(data_dir / "leval/Open-ended-tasks/multidoc_qa.jsonl", "input",
                                                             lambda r: r["evaluation"] == "f1"),
    }
    retrieval = picks["longbench_zh/passage_retrieval_zh.jsonl"]
    gold = int(retrieval["answers"][0].removeprefix("段落"))
    paragraphs = [p for p in retrieval["context"].split("\n\n") if p.strip()]
    # the real item, kept to the gold paragraph and its four predecessors (numbers unchanged): 30 paragraphs
    # are 8,211 SmolLM2 tokens, minutes of prefill on two cores
    retrieval["context"] = "\n\n".join(paragraphs[max(0, gold - 5):gold])
    assert retrieval["context"].rstrip().split("\n\n")[-1].startswith(f"段落{gold}：")
    for rel, rec in picks.items():
        if "instructions" in rec:
            rec = {**rec, "instructions": rec["instructions"][:1], "outputs": rec["outputs"][:1]}
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    return root


TASKS = "longbench_multifieldqa_zh,longbench_passage_retrieval_zh,leval_exam,leval_qa"


def test_each_scorer_end_to_end_and_over_long_items_skipped(data_dir, tmp_path, smollm2_path):
    data = one_item_data(data_dir, tmp_path)
    db = tmp_path / "g.db"
    proc = gapbench_cli("run", "--model", "local/smollm2-135m", "--task", TASKS, "--n-ctx", "8192",
                        "--data-dir", str(data), "--db", str(db), "--json", timeout=2400)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["errors"] == 0 and out["skipped"] == 0
    by_task = {r["task"]: r for r in out["results"]}
    assert set(by_task) == set(TASKS.split(","))
    metric_of = {"longbench_multifieldqa_zh": lm.qa_f1_zh, "longbench_passage_retrieval_zh": None,
                 "leval_exam": None, "leval_qa": lm.qa_f1_en}
    with Store(db) as store:
        for task, result in by_task.items():
            scored = store.scores(task=task)
            assert result["n"] == len(scored) == 1
            row = scored[0]
            assert result["breakdown"]["by"] == "length" and list(result["breakdown"]["groups"]) == [row.details["length"]]
            assert 0.0 <= row.value <= 1.0
            if metric_of[task] is not None:  # the stored score is the metric of the stored answer
                assert row.value == pytest.approx(metric_of[task](row.extracted, [row.target]))
    # a window too small for every document: items skipped (not errors), no score
    small = gapbench_cli("run", "--model", "local/smollm2-135m", "--task", "longbench_passage_retrieval_zh",
                         "--n-ctx", "512", "--data-dir", str(data), "--db", str(tmp_path / "small.db"), "--json")
    assert small.returncode == 0, small.stderr
    skipped = json.loads(small.stdout)
    assert skipped["skipped"] == 1 and skipped["errors"] == 0 and skipped["results"][0]["n"] == 0
    assert any("longer than the context window" in note for note in skipped["notes"])
