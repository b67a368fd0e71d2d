"""`compare_models`, `compare_groups` and `gapbench compare` on a real SQLite store with synthetic scores."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import numpy as np
import pytest

from gapbench.errors import GapbenchError
from gapbench.gap.compare import compare_groups, compare_models, group_comparison
from gapbench.schema.comparison import Comparison, GroupComparison
from gapbench.stats.power import minimum_detectable
from gapbench.stats.tests import (benjamini_hochberg, cell_permutation_test, holm, mcnemar_exact,
                                  paired_permutation_test)
from gapbench.store.db import Store
from gapbench.tasks.spec import TaskSpec
from gapbench.types import Score

A, B, C, D = "local/model-a", "openai/model-b", "local/model-c", "openai/model-d"
N_BOOT = 500


def spec(name: str, capability: str, language: str) -> TaskSpec:
    return TaskSpec.model_validate({"name": name, "version": 1, "capability": capability, "language": language,
                                    "dataset": {"path": f"{name}.jsonl"}, "prompt": {"template": "{question}"},
                                    "scorer": "choice", "methods": ["generate", "loglikelihood"]})


def put(store: Store, model: str, task: TaskSpec, values: dict[int, float], method: str = "generate") -> None:
    run = store.start_run(model, task.name, method, {"model": model, "task": task.name})
    for i, v in values.items():
        store.put_score(run, model, task, method, "hash1", f"{task.name}-{i:03d}", "A", Score(value=float(v)),
                        [f"key-{model}-{task.name}-{i}"])
    store.finish_run(run, model_calls=len(values), cache_hits=0, errors=0)


KN_EN, KN_ZH = spec("kn_en", "knowledge", "en"), spec("kn_zh", "knowledge", "zh")
KN2_ZH, TR_ZH = spec("kn2_zh", "knowledge", "zh"), spec("tr_zh", "translation", "zh")
RS_EN, ONLY_A = spec("rs_en", "reasoning", "en"), spec("only_a", "reasoning", "zh")


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "scores.db"
    store = Store(path)
    # kn_en: 60 shared items, A right on 50, B on 30 (A ⊇ B): diff +1/3, 20 discordant pairs all for A.
    # A has 5 more items, B 10 more: none of them is paired.
    put(store, A, KN_EN, {i: i < 50 for i in range(65)})
    put(store, B, KN_EN, {i: i < 30 for i in list(range(60)) + list(range(100, 110))})
    # Under loglikelihood too, but with fewer pairs: generate wins (most pairs).
    put(store, A, KN_EN, {i: 1 for i in range(10)}, method="loglikelihood")
    put(store, B, KN_EN, {i: 0 for i in range(10)}, method="loglikelihood")
    # kn_zh: 40 items, A right on 10, B on 30: diff −0.5.  kn2_zh: 20 items, A 12, B 14: diff −0.1.
    put(store, A, KN_ZH, {i: i < 10 for i in range(40)})
    put(store, B, KN_ZH, {i: i < 30 for i in range(40)})
    put(store, A, KN2_ZH, {i: i < 12 for i in range(20)})
    put(store, B, KN2_ZH, {i: i < 14 for i in range(20)})
    # tr_zh: continuous (chrF-like) scores, A = B + 0.1 with noise: permutation test.
    rng = np.random.default_rng(0)
    base = rng.uniform(0.2, 0.6, 30)
    put(store, A, TR_ZH, dict(enumerate(base + 0.1 + rng.normal(0, 0.02, 30))))
    put(store, B, TR_ZH, dict(enumerate(base)))
    # rs_en: 8 pairs under each method: a tie, so "generate" is used (there A = B).
    put(store, A, RS_EN, {i: i % 2 for i in range(8)})
    put(store, B, RS_EN, {i: i % 2 for i in range(8)})
    put(store, A, RS_EN, {i: 1 for i in range(8)}, method="loglikelihood")
    put(store, B, RS_EN, {i: 0 for i in range(8)}, method="loglikelihood")
    # only_a: B never ran it.
    put(store, A, ONLY_A, {i: 1 for i in range(5)})
    # Groups: C (with A) is worse than A; D (with B) beats B on knowledge/zh only and never ran kn_en.
    put(store, C, KN_ZH, {i: i < 5 for i in range(40)})
    put(store, C, KN_EN, {i: i < 20 for i in range(60)})
    put(store, D, KN_ZH, {i: 1 for i in range(40)})
    put(store, D, KN2_ZH, {i: i < 18 for i in range(20)})
    store.close()
    return path


def test_compare_models_structure_signs_and_pairs(db):
    store = Store(db)
    try:
        report = compare_models(store, A, B, n_boot=N_BOOT)
    finally:
        store.close()
    assert isinstance(report, Comparison)
    r = report.to_json()
    assert set(r) == {"a", "b", "tasks", "cells", "unpaired", "power_note", "roles"} and (r["a"], r["b"]) == (A, B)
    tasks = {t["task"]: t for t in r["tasks"]}
    assert set(tasks) == {"kn_en", "kn_zh", "kn2_zh", "tr_zh", "rs_en"} and r["unpaired"] == ["only_a"]
    for t in r["tasks"]:
        assert set(t) == {"task", "capability", "language", "method", "n_paired", "score_a", "score_b", "diff",
                          "ci_low", "ci_high", "p_value", "ci_method"}
        assert t["ci_low"] <= t["diff"] <= t["ci_high"] and t["ci_low"] < t["ci_high"] and 0 <= t["p_value"] <= 1
        assert t["diff"] == pytest.approx(t["score_a"] - t["score_b"])
    kn = tasks["kn_en"]
    assert (kn["method"], kn["n_paired"], kn["language"], kn["capability"]) == ("generate", 60, "en", "knowledge")
    assert kn["score_a"] == pytest.approx(50 / 60) and kn["score_b"] == pytest.approx(30 / 60)
    assert kn["diff"] == pytest.approx(1 / 3) and kn["ci_low"] > 0  # a − b, not b − a
    assert kn["p_value"] == pytest.approx(mcnemar_exact([1] * 20, [0] * 20)) == pytest.approx(2 * 0.5 ** 20)
    assert tasks["kn_zh"]["diff"] == pytest.approx(-0.5) and tasks["kn_zh"]["ci_high"] < 0
    assert tasks["kn_zh"]["p_value"] < 1e-4
    tr = tasks["tr_zh"]
    assert tr["n_paired"] == 30 and tr["diff"] == pytest.approx(0.1, abs=0.02) and tr["ci_low"] > 0
    assert tr["p_value"] == pytest.approx(1 / (N_BOOT + 1))  # permutation test, +1 correction
    assert (tr["ci_method"], kn["ci_method"]) == ("bootstrap-t", "paired 0/1 (MOVER)")
    rs = tasks["rs_en"]
    assert (rs["method"], rs["n_paired"], rs["diff"], rs["p_value"]) == ("generate", 8, 0.0, 1.0)
    assert rs["ci_low"] < 0 < rs["ci_high"]  # identical answers on 8 items: no evidence of a zero gap either

    cells = {(c["capability"], c["language"]): c for c in r["cells"]}
    assert set(cells) == {("knowledge", "en"), ("knowledge", "zh"), ("translation", "zh"), ("reasoning", "en")}
    for c in r["cells"]:
        assert set(c) == {"capability", "language", "diff", "ci_low", "ci_high", "p_holm", "p_bh", "n_tasks",
                          "n_paired", "mde_80", "power_note"}
        assert c["ci_low"] <= c["diff"] <= c["ci_high"] and c["ci_low"] < c["ci_high"]
        assert 0 <= c["p_bh"] <= c["p_holm"] <= 1
        # the gap a lone real effect needs to be found 80% of the time after the correction over 4 cells
        assert c["mde_80"] == pytest.approx(minimum_detectable(c["ci_low"], c["ci_high"], 4))
        assert (c["power_note"] is not None) == (c["mde_80"] > 0.05)
    zh = cells[("knowledge", "zh")]
    assert zh["n_tasks"] == 2 and zh["diff"] == pytest.approx((-0.5 + -0.1) / 2)  # tasks weighted equally
    assert zh["n_paired"] == 60 and zh["ci_high"] < 0
    assert cells[("knowledge", "en")]["diff"] == pytest.approx(1 / 3)
    # 8 items with identical answers cannot rule out a 30-point gap: said in the cell and in the summary
    assert cells[("reasoning", "en")]["mde_80"] > 0.3 and "points" in cells[("reasoning", "en")]["power_note"]
    assert r["power_note"].startswith("Power: gaps under") and "reasoning/en" in r["power_note"]


def test_cell_p_values_are_holm_adjusted_and_never_below_raw(db):
    store = Store(db)
    try:
        r = compare_models(store, A, B, n_boot=N_BOOT).to_json()
        pairs: dict[tuple, list] = {}
        for t in r["tasks"]:
            sa = {x.sample_id: x.value for x in store.scores(model=A, task=t["task"], method=t["method"])}
            sb = {x.sample_id: x.value for x in store.scores(model=B, task=t["task"], method=t["method"])}
            common = sorted(sa.keys() & sb.keys())
            assert len(common) == t["n_paired"]
            pairs.setdefault((t["capability"], t["language"]), []).append(
                (np.array([sa[k] for k in common]), np.array([sb[k] for k in common])))
    finally:
        store.close()
    raw = [cell_permutation_test(pairs[(c["capability"], c["language"])], n_perm=N_BOOT) for c in r["cells"]]
    assert [c["p_holm"] for c in r["cells"]] == pytest.approx(holm(raw))
    assert [c["p_bh"] for c in r["cells"]] == pytest.approx(benjamini_hochberg(raw))
    assert all(c["p_holm"] >= c["p_bh"] >= p for c, p in zip(r["cells"], raw))
    single = pairs[("translation", "zh")][0]
    assert raw[[c["capability"] for c in r["cells"]].index("translation")] == paired_permutation_test(*single, n_perm=N_BOOT)


def test_compare_models_task_filter_and_errors(db):
    store = Store(db)
    try:
        r = compare_models(store, A, B, tasks=["kn_zh", "missing_task"], n_boot=N_BOOT)
        assert [t.task for t in r.tasks] == ["kn_zh"] and r.unpaired == ["missing_task"]
        assert compare_models(store, A, B, tasks=["kn_zh"], n_boot=N_BOOT, seed=3) == \
            compare_models(store, A, B, tasks=["kn_zh"], n_boot=N_BOOT, seed=3)  # seeded
        with pytest.raises(GapbenchError, match="--a nobody: no scores in .*models there: local/model-a"):
            compare_models(store, "nobody", B)
        with pytest.raises(GapbenchError, match="no paired items"):
            compare_models(store, A, B, tasks=["only_a"])
    finally:
        store.close()


def measured(task: str, n: int) -> list[int]:
    """Item numbers of the test half, by the documented rule (sha256 of task NUL sample id, odd first byte)."""
    return [i for i in range(n) if hashlib.sha256(f"{task}\0{task}-{i:03d}".encode()).digest()[0] % 2]


def test_compare_groups_choose_on_one_half_and_measure_on_the_other(db):
    store = Store(db)
    try:
        report = compare_groups(store, [A, C], [B, D], n_boot=N_BOOT)
    finally:
        store.close()
    assert isinstance(report, GroupComparison)
    r = report.to_json()
    assert set(r) == {"group_a", "group_b", "selection", "tasks", "cells", "unpaired", "power_note"}
    assert r["group_a"] == [A, C] and r["group_b"] == [B, D]
    cells = {(c["capability"], c["language"]): c for c in r["cells"]}
    for c in r["cells"]:
        assert set(c) == {"capability", "language", "best_a", "best_b", "selection", "diff", "ci_low", "ci_high",
                          "p_holm", "p_bh", "n_tasks", "n_paired", "n_selection", "mde_80", "power_note"}
        assert c["ci_low"] <= c["diff"] <= c["ci_high"] and 0 <= c["p_bh"] <= c["p_holm"] <= 1
    # knowledge/zh: two models a side, so split. D (all right) beats B on the selection half.
    zh = cells[("knowledge", "zh")]
    assert (zh["best_a"], zh["best_b"], zh["n_tasks"], zh["selection"]) == (A, D, 2, "split")
    kn_zh, kn2_zh = measured("kn_zh", 40), measured("kn2_zh", 20)
    gap_kn_zh = np.mean([(i < 10) - 1.0 for i in kn_zh])
    gap_kn2_zh = np.mean([(i < 12) - (i < 18) for i in kn2_zh])
    assert zh["diff"] == pytest.approx((gap_kn_zh + gap_kn2_zh) / 2) and zh["ci_high"] < 0
    assert zh["n_paired"] == len(kn_zh) + len(kn2_zh) and zh["n_selection"] == 60 - zh["n_paired"]
    # knowledge/en: A and C against B alone (D never ran kn_en): still split, measured on kn_en's test half
    en = cells[("knowledge", "en")]
    kn_en = measured("kn_en", 60)
    assert (en["best_a"], en["best_b"], en["selection"]) == (A, B, "split")
    assert en["diff"] == pytest.approx(np.mean([(i < 50) - (i < 30) for i in kn_en])) and en["n_paired"] == len(kn_en)
    # one model a side: nothing is chosen, every item is measured
    rs = cells[("reasoning", "en")]
    assert (rs["selection"], rs["n_paired"], rs["n_selection"], rs["diff"]) == ("none", 8, 0, 0.0)
    tasks = {t["task"]: t for t in r["tasks"]}
    assert tasks["kn_zh"]["best_b"] == D and tasks["kn_zh"]["score_b"] == 1.0
    assert tasks["kn_zh"]["score_a"] == pytest.approx(np.mean([i < 10 for i in kn_zh]))  # test half only
    assert (tasks["kn_zh"]["n_selection"], tasks["kn_zh"]["n_test"]) == (40 - len(kn_zh), len(kn_zh))
    assert r["unpaired"] == ["only_a"]
    sel = r["selection"]
    assert sel["method"] == "split" and "sha256" in sel["rule"]
    assert sel["selection_items"] == sum(t["n_selection"] for t in r["tasks"])
    assert sel["test_items"] == sum(t["n_test"] for t in r["tasks"])
    store = Store(db)
    try:
        with pytest.raises(GapbenchError, match="in both groups"):
            compare_groups(store, [A, B], [B])
        with pytest.raises(GapbenchError, match="--group-b nobody: no scores"):
            compare_groups(store, [A], ["nobody"])
    finally:
        store.close()


def loaded(values: dict[str, float], task: str = "t") -> dict:
    return {task: {"generate": {"capability": "knowledge", "language": "en", "values": values}}}


def test_group_choice_sees_only_the_selection_half():
    ids = [f"q{i}" for i in range(400)]
    test = {i for i in ids if hashlib.sha256(f"t\0{i}".encode()).digest()[0] % 2}
    # M1 is right on every selection item and wrong on every test item. M2 is right on every test item and on
    # a fifth of the selection items: better overall (a choice on all items would take M2), worse on selection.
    m1 = {i: float(i not in test) for i in ids}
    m2 = {i: float(i in test or k % 5 == 0) for k, i in enumerate(ids)}
    x = {i: float(k % 2) for k, i in enumerate(ids)}
    assert np.mean(list(m2.values())) > np.mean(list(m1.values()))
    r = group_comparison({"M1": loaded(m1), "M2": loaded(m2), "X": loaded(x)}, ["M1", "M2"], ["X"], ["t"],
                         n_boot=200)
    cell = r.cells[0]
    assert (cell.best_a, cell.selection, cell.n_paired) == ("M1", "split", len(test))
    assert cell.diff == pytest.approx(-np.mean([x[i] for i in test]))  # M1 scores 0 on every measured item
    assert r.tasks[0].score_a == 0.0


def test_one_model_a_side_is_the_plain_paired_comparison(db):
    store = Store(db)
    try:
        groups = compare_groups(store, [A], [B], n_boot=N_BOOT)
        pair = compare_models(store, A, B, n_boot=N_BOOT)
    finally:
        store.close()
    assert all(c.selection == "none" and c.n_selection == 0 for c in groups.cells)
    assert groups.selection.selection_items == 0
    for g, c in zip(groups.cells, pair.cells):
        assert (g.capability, g.language, g.n_paired) == (c.capability, c.language, c.n_paired)
        assert (g.diff, g.ci_low, g.ci_high, g.p_holm, g.p_bh) == pytest.approx((c.diff, c.ci_low, c.ci_high,
                                                                                 c.p_holm, c.p_bh))


def test_group_spec_is_a_list_or_a_catalog_lookup():
    from gapbench.cli.compare import resolve_group_spec

    assert resolve_group_spec(f"{A}, {C}", "--group-a", [A, C]) == [A, C]
    stored = ["local/qwen2.5-coder-0.5b", "local/smollm2-135m", "openai/gpt-4o"]
    assert resolve_group_spec("country=China", "--group-a", stored) == ["local/qwen2.5-coder-0.5b"]
    assert set(resolve_group_spec("country=US", "--group-b", stored)) == {"local/smollm2-135m", "openai/gpt-4o"}
    with pytest.raises(GapbenchError, match="none of the stored models matches"):
        resolve_group_spec("country=China", "--group-a", ["openai/gpt-4o"])


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gapbench.cli.main", "compare", *args], capture_output=True,
                          text=True, timeout=120)


def assert_one_line_error(proc, *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_cli_json_and_table(db):
    proc = cli("--a", A, "--b", B, "--db", str(db), "--json", "--n-boot", str(N_BOOT))
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["a"] == A and {t["task"] for t in r["tasks"]} == {"kn_en", "kn_zh", "kn2_zh", "tr_zh", "rs_en"}
    assert r["unpaired"] == ["only_a"]
    proc = cli("--a", A, "--b", B, "--db", str(db), "--task", "kn_en,kn_zh", "--n-boot", str(N_BOOT))
    assert proc.returncode == 0, proc.stderr
    assert "+0.333 [+0." in proc.stdout and "-0.500 [-0." in proc.stdout and "kn2_zh" not in proc.stdout
    proc = cli("--group-a", f"{A},{C}", "--group-b", f"{B},{D}", "--db", str(db), "--json", "--n-boot", str(N_BOOT))
    assert proc.returncode == 0, proc.stderr
    assert {(c["language"], c["best_b"]) for c in json.loads(proc.stdout)["cells"] if c["capability"] == "knowledge"} \
        == {("en", B), ("zh", D)}


def test_cli_one_line_errors(db, tmp_path):
    assert_one_line_error(cli("--a", "nobody", "--b", B, "--db", str(db)), "--a nobody: no scores in", A)
    assert_one_line_error(cli("--a", A, "--b", B, "--db", str(tmp_path / "none.db")), "no such store")


def in_process(capsys, *args: str) -> subprocess.CompletedProcess:
    """The same entry point in this process (cheaper than a child process per case)."""
    from gapbench.cli.main import main

    try:
        main(["compare", *args])
        code = 0
    except SystemExit as e:
        code = e.code
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out.out, out.err)


def test_cli_more_errors_and_group_table_in_process(db, capsys):
    assert_one_line_error(in_process(capsys, "--a", A, "--b", B, "--db", str(db), "--task", "only_a"),
                          "no paired items")
    assert_one_line_error(in_process(capsys, "--a", A, "--db", str(db)), "--b: missing")
    assert_one_line_error(in_process(capsys, "--a", A, "--b", B, "--group-a", A, "--db", str(db)), "not both")
    assert_one_line_error(in_process(capsys, "--a", A, "--b", B, "--suite", "nosuch", "--db", str(db)),
                          "unknown suite")
    assert_one_line_error(in_process(capsys, "--group-a", A, "--group-b", "x/y", "--db", str(db)),
                          "--group-b x/y: no scores")
    proc = in_process(capsys, "--group-a", f"{A},{C}", "--group-b", f"{B},{D}", "--db", str(db), "--n-boot",
                      str(N_BOOT))
    assert proc.returncode == 0 and "model-d" in proc.stdout and "Not in any paired comparison: only_a" in proc.stdout
    assert "selection items" in proc.stdout and "p (Holm)" in proc.stdout and "Power: gaps under" in proc.stdout
    proc = in_process(capsys, "--a", A, "--b", B, "--db", str(db), "--n-boot", str(N_BOOT), "--fdr")
    assert proc.returncode == 0 and proc.stdout.index("p (BH)") < proc.stdout.index("p (Holm)")
    proc = in_process(capsys, "--a", A, "--b", B, "--db", str(db), "--suite", "demo", "--json")
    assert proc.returncode == 2 and "no paired items" in proc.stderr  # the demo suite's tasks are not stored here
