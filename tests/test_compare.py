"""`compare_models`, `compare_groups` and `gapbench compare` on a real SQLite store with synthetic scores."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import numpy as np
import pytest

from gapbench.errors import GapbenchError
from gapbench.gap.compare import compare_groups, compare_models
from gapbench.stats.tests import cell_permutation_test, holm, mcnemar_exact, paired_permutation_test
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
    put(store, D, KN_ZH, {i: i < 36 for i in range(40)})
    put(store, D, KN2_ZH, {i: i < 18 for i in range(20)})
    store.close()
    return path


def test_compare_models_structure_signs_and_pairs(db):
    store = Store(db)
    try:
        r = compare_models(store, A, B, n_boot=N_BOOT)
    finally:
        store.close()
    assert set(r) == {"a", "b", "tasks", "cells", "unpaired"} and (r["a"], r["b"]) == (A, B)
    tasks = {t["task"]: t for t in r["tasks"]}
    assert set(tasks) == {"kn_en", "kn_zh", "kn2_zh", "tr_zh", "rs_en"} and r["unpaired"] == ["only_a"]
    for t in r["tasks"]:
        assert set(t) == {"task", "capability", "language", "method", "n_paired", "score_a", "score_b", "diff",
                          "ci_low", "ci_high", "p_value"}
        assert t["ci_low"] <= t["diff"] <= t["ci_high"] and 0 <= t["p_value"] <= 1
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
    rs = tasks["rs_en"]
    assert (rs["method"], rs["n_paired"], rs["diff"], rs["p_value"]) == ("generate", 8, 0.0, 1.0)

    cells = {(c["capability"], c["language"]): c for c in r["cells"]}
    assert set(cells) == {("knowledge", "en"), ("knowledge", "zh"), ("translation", "zh"), ("reasoning", "en")}
    for c in r["cells"]:
        assert set(c) == {"capability", "language", "diff", "ci_low", "ci_high", "p_holm", "n_tasks"}
        assert c["ci_low"] <= c["diff"] <= c["ci_high"] and 0 <= c["p_holm"] <= 1
    zh = cells[("knowledge", "zh")]
    assert zh["n_tasks"] == 2 and zh["diff"] == pytest.approx((-0.5 + -0.1) / 2)  # tasks weighted equally
    assert cells[("knowledge", "en")]["diff"] == pytest.approx(1 / 3)


def test_cell_p_values_are_holm_adjusted_and_never_below_raw(db):
    store = Store(db)
    try:
        r = compare_models(store, A, B, n_boot=N_BOOT)
        pairs: dict[tuple, list] = {}
        for t in r["tasks"]:
            sa = {x["sample_id"]: x["value"] for x in store.scores(model=A, task=t["task"], method=t["method"])}
            sb = {x["sample_id"]: x["value"] for x in store.scores(model=B, task=t["task"], method=t["method"])}
            common = sorted(sa.keys() & sb.keys())
            assert len(common) == t["n_paired"]
            pairs.setdefault((t["capability"], t["language"]), []).append(
                (np.array([sa[k] for k in common]), np.array([sb[k] for k in common])))
    finally:
        store.close()
    raw = [cell_permutation_test(pairs[(c["capability"], c["language"])], n_perm=N_BOOT) for c in r["cells"]]
    assert [c["p_holm"] for c in r["cells"]] == pytest.approx(holm(raw))
    assert all(c["p_holm"] >= p for c, p in zip(r["cells"], raw))
    single = pairs[("translation", "zh")][0]
    assert raw[[c["capability"] for c in r["cells"]].index("translation")] == paired_permutation_test(*single, n_perm=N_BOOT)


def test_compare_models_task_filter_and_errors(db):
    store = Store(db)
    try:
        r = compare_models(store, A, B, tasks=["kn_zh", "missing_task"], n_boot=N_BOOT)
        assert [t["task"] for t in r["tasks"]] == ["kn_zh"] and r["unpaired"] == ["missing_task"]
        assert compare_models(store, A, B, tasks=["kn_zh"], n_boot=N_BOOT, seed=3) == \
            compare_models(store, A, B, tasks=["kn_zh"], n_boot=N_BOOT, seed=3)  # seeded
        with pytest.raises(GapbenchError, match="--a nobody: no scores in .*models there: local/model-a"):
            compare_models(store, "nobody", B)
        with pytest.raises(GapbenchError, match="no paired items"):
            compare_models(store, A, B, tasks=["only_a"])
    finally:
        store.close()


def test_compare_groups_picks_best_models_per_cell(db):
    store = Store(db)
    try:
        r = compare_groups(store, [A, C], [B, D], n_boot=N_BOOT)
    finally:
        store.close()
    assert set(r) == {"group_a", "group_b", "tasks", "cells", "unpaired"}
    assert r["group_a"] == [A, C] and r["group_b"] == [B, D]
    cells = {(c["capability"], c["language"]): c for c in r["cells"]}
    for c in r["cells"]:
        assert set(c) == {"capability", "language", "best_a", "best_b", "diff", "ci_low", "ci_high", "p_holm",
                          "n_tasks"}
    zh = cells[("knowledge", "zh")]
    assert (zh["best_a"], zh["best_b"], zh["n_tasks"]) == (A, D, 2)  # D: 0.9 and 0.9 beats B
    assert zh["diff"] == pytest.approx(((10 - 36) / 40 + (12 - 18) / 20) / 2) and zh["ci_high"] < 0
    en = cells[("knowledge", "en")]
    assert (en["best_a"], en["best_b"], en["diff"]) == (A, B, pytest.approx(1 / 3))  # D never ran kn_en
    tasks = {t["task"]: t for t in r["tasks"]}
    assert tasks["kn_zh"]["best_b"] == D and tasks["kn_zh"]["score_b"] == pytest.approx(0.9)
    assert r["unpaired"] == ["only_a"]
    raw_floor = [c["p_holm"] for c in r["cells"]]
    assert all(0 <= p <= 1 for p in raw_floor)
    store = Store(db)
    try:
        with pytest.raises(GapbenchError, match="in both groups"):
            compare_groups(store, [A, B], [B])
        with pytest.raises(GapbenchError, match="--group-b nobody: no scores"):
            compare_groups(store, [A], ["nobody"])
    finally:
        store.close()


def test_group_spec_key_value_uses_the_catalog_or_says_it_is_missing(monkeypatch):
    from gapbench.cli.compare import resolve_group_spec

    assert resolve_group_spec(f"{A}, {C}", "--group-a", [A, C]) == [A, C]
    monkeypatch.setitem(sys.modules, "gapbench.catalog", None)  # import fails
    with pytest.raises(GapbenchError, match="--group-a country=China: the model catalog is not available"):
        resolve_group_spec("country=China", "--group-a", [A, B])
    fake = types.ModuleType("gapbench.catalog")
    fake.resolve_group = lambda spec, models: [m for m in models if m.startswith("local/")]
    monkeypatch.setitem(sys.modules, "gapbench.catalog", fake)
    assert resolve_group_spec("country=China", "--group-a", [A, B, C]) == [A, C]
    with pytest.raises(GapbenchError, match="no model in the store matches"):
        resolve_group_spec("country=China", "--group-a", [B])


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
    proc = in_process(capsys, "--a", A, "--b", B, "--db", str(db), "--suite", "demo", "--json")
    assert proc.returncode == 2 and "no paired items" in proc.stderr  # the demo suite's tasks are not stored here
