"""Bradley–Terry ratings: a hand-computed case, battles simulated from known strengths (recovery and the coverage of
the 95% intervals), style control, and the leaderboard of a real store with arena votes and judge verdicts, by
source, through the CLI and in the report."""

from __future__ import annotations

import json
import math
import time

import jsonschema
import numpy as np
import pytest

from chat_store import write_chat_store
from conftest import gapbench_cli
from gapbench.gap.bradley_terry import (SCALE, Battle, bradley_terry, fit_mle, refit_many, style_difference,
                                        style_features)
from gapbench.cli.main import main
from gapbench.gap.leaderboard import build_leaderboard
from gapbench.report import build_report, render_report
from gapbench.schema.outputs import json_schema
from gapbench.store.db import Store
from gapbench.store.rows import VerdictRow
from gapbench.store.votes import Votes, VoteRow

JUDGE = "openai_gpt-4o.fastchat-pair-v1"


def simulate(strength: dict[str, float], n_prompts: int, per_prompt: int, rng: np.random.Generator,
             tie_share: float = 0.4) -> list[Battle]:
    """Battles whose expected outcome is exactly the BT probability: a tie (½) takes mass evenly from win and loss."""
    models = list(strength)
    out = []
    for p in range(n_prompts):
        for _ in range(per_prompt):
            i, j = rng.choice(len(models), 2, replace=False)
            a, b = models[i], models[j]
            pa = 1 / (1 + 10 ** ((strength[b] - strength[a]) / 400))
            tie = tie_share * min(pa, 1 - pa)
            u = rng.random()
            out.append(Battle(a, b, 1.0 if u < pa - tie / 2 else 0.5 if u < pa + tie / 2 else 0.0, f"p{p}"))
    return out


# ------------------------------------------------------------------------------------------- the fit itself
def test_hand_computed_case_ties_as_half_wins():
    """A-B: 1 win, 2 ties (2 of 3); B-C: 2 of 3; A-C: 4 of 5. These shares fit BT exactly (odds 2, 2 and 4), so the
    maximum likelihood gives B - C = 400 log10 2 = 120.41 and A - C = 400 log10 4 = 240.82 points."""
    battles = ([Battle("A", "B", 1, "p1"), Battle("A", "B", 0.5, "p2"), Battle("A", "B", 0.5, "p3")]
               + [Battle("B", "C", 1, "p4"), Battle("B", "C", 1, "p5"), Battle("B", "C", 0, "p6")]
               + [Battle("A", "C", 1, f"q{i}") for i in range(4)] + [Battle("A", "C", 0, "q4")])
    fit = bradley_terry(battles, anchor="C", anchor_rating=1000, n_boot=0)
    assert fit.rating["C"] == 1000
    assert fit.rating["B"] - 1000 == pytest.approx(400 * math.log10(2), abs=0.01)
    assert fit.rating["A"] - 1000 == pytest.approx(400 * math.log10(4), abs=0.01)
    assert fit.models == ["A", "B", "C"] and fit.record == {"A": (5, 2, 1), "B": (2, 2, 2), "C": (2, 0, 6)}
    assert all(fit.finite.values()) and fit.n_prompts == 11
    # the same data with another anchor: the same gaps, shifted
    again = bradley_terry(battles, anchor="A", anchor_rating=1500, n_boot=0)
    assert again.rating["C"] == pytest.approx(1500 - 400 * math.log10(4), abs=0.01)


def test_newton_refits_agree_with_scipy():
    rng = np.random.default_rng(5)
    X = np.zeros((30, 3))
    for n in range(30):
        i, j = rng.choice(4, 2, replace=False)  # model 3 is the anchor (no column)
        if i < 3:
            X[n, i] += 1
        if j < 3:
            X[n, j] -= 1
    y = rng.choice([0.0, 0.5, 1.0], size=30)
    W = rng.poisson(2.0, size=(6, 30)).astype(float)
    start = fit_mle(X, y, np.ones(30))
    many, ok = refit_many(X, y, W, start)
    assert ok.all()
    for w, beta in zip(W, many):
        assert beta == pytest.approx(fit_mle(X, y, w), abs=1e-5)


def test_ratings_recovered_within_their_intervals():
    truth = {"gpt": 0.0, "claude": 40.0, "qwen": -30.0, "deepseek": 15.0, "glm": -120.0, "kimi": 90.0}
    fit = bradley_terry(simulate(truth, 800, 3, np.random.default_rng(11)), anchor="gpt", n_boot=500, seed=1)
    for m, t in truth.items():
        assert fit.ci_low[m] <= 1000 + t <= fit.ci_high[m], (m, fit.rating[m], t)
        assert abs(fit.rating[m] - 1000 - t) < 45
    assert fit.models[0] == "kimi" and fit.models[-1] == "glm"
    widths = [fit.ci_high[m] - fit.ci_low[m] for m in truth if m != "gpt"]
    assert all(30 < w < 150 for w in widths), widths


def test_intervals_cover_the_truth_about_95_percent():
    """150 simulated leaderboards (5 models, 300 battles on 100 prompts each): every free model's interval is checked
    against its true rating. A heavier run: benchmarks/bt_simulation.py."""
    truth = {"m0": 0.0, "m1": 50.0, "m2": 100.0, "m3": -80.0, "m4": 200.0}
    rng = np.random.default_rng(2024)
    hits = total = 0
    for rep in range(150):
        fit = bradley_terry(simulate(truth, 100, 3, rng), anchor="m0", n_boot=200, seed=rep)
        for m in ("m1", "m2", "m3", "m4"):
            hits += fit.ci_low[m] <= 1000 + truth[m] <= fit.ci_high[m]
            total += 1
    assert 0.92 <= hits / total <= 0.98, hits / total


def test_style_control_separates_length_from_the_model():
    """Three equally good models whose answers differ in length; voters prefer the longer answer. Without style
    control the long-winded model rates higher; with it the models are level and length takes the credit."""
    rng = np.random.default_rng(3)
    base = {"long": 900, "mid": 600, "short": 300}
    battles = []
    for p in range(300):
        for _ in range(2):
            a, b = (str(m) for m in rng.choice(list(base), 2, replace=False))
            fa = style_features("x" * int(base[a] * rng.lognormal(0, 0.8)) + "\n- item\n**bold**")
            fb = style_features("x" * int(base[b] * rng.lognormal(0, 0.8)) + "\n- item\n**bold**")
            z = style_difference(fa, fb)
            battles.append(Battle(a, b, float(rng.random() < 1 / (1 + math.exp(-2 * z[0]))), f"p{p}", z))
    plain = bradley_terry(battles, "mid", n_boot=200)
    styled = bradley_terry(battles, "mid", style=True, n_boot=200)
    assert plain.ci_low["long"] > 1000 and plain.ci_high["short"] < 1000  # length read as quality
    for m in ("long", "short"):
        assert styled.ci_low[m] < 1000 < styled.ci_high[m], (m, styled.rating[m])
    assert set(styled.style) == {"length"}  # headers, bold and lists never differ here: left out
    coef, lo, hi = styled.style["length"]
    assert lo > 0 and coef > 50


def test_a_model_that_won_everything_is_marked_and_unconnected_models_are_left_out():
    battles = ([Battle("top", "x", 1, f"a{i}") for i in range(5)] + [Battle("x", "y", o, f"b{i}") for i, o in
                                                                      enumerate((1, 0, 0.5, 1))]
               + [Battle("island", "other", 1, "c0")])
    fit = bradley_terry(battles, anchor="x", n_boot=100)
    assert fit.finite == {"top": False, "x": True, "y": True}
    assert fit.left_out == ["island", "other"] and "island" not in fit.rating
    assert fit.rating["top"] > fit.rating["x"] + 1000  # no finite MLE: only a bound, held by the weak prior


# ------------------------------------------------------------------------------------------- from the store
MODELS = ["deepseek/deepseek-chat", "openai/gpt-4o", "qwen/qwen-max"]
STRENGTH = {"openai/gpt-4o": 1.0, "deepseek/deepseek-chat": 0.6, "qwen/qwen-max": 0.0}


def _vote(votes: Votes, rows, voter, task, sid, a, b, verdict, left=None):
    ra, rb = rows[(a, task, sid)], rows[(b, task, sid)]
    return votes.add(VoteRow(voter=voter, task=task, sample_id=sid, language=ra.language, model_a=a, model_b=b,
                             keys_a=ra.cache_keys, keys_b=rb.cache_keys, left_model=left or a, prompt=("q",),
                             verdict=verdict, shown_at=time.time()))


def _verdict(store, task, sid, turn, first_model, second_model, verdict, language):
    store.put_verdict(VerdictRow(judge=JUDGE, task=task, sample_id=sid, turn=turn, model_a=first_model,
                                 model_b=second_model, first=verdict, second=verdict, verdict=verdict,
                                 language=language, category=None))


@pytest.fixture(scope="module")
def voted_store(tmp_path_factory):
    """Three models on 12 mt_bench (en, two turns) and 12 alignbench (zh) prompts; two people voted on every pair,
    a judge gave verdicts (per turn) with its models in the order --a/--b, not name order."""
    db = write_chat_store(tmp_path_factory.mktemp("lb") / "g.db", MODELS, 12, ("mt_bench", "alignbench"))
    rng = np.random.default_rng(7)
    with Store(db) as store:
        votes = Votes(store)
        rows = {(r.model, r.task, r.sample_id): r for r in store.scores()}
        for task in ("mt_bench", "alignbench"):
            for i in range(12):
                sid = f"{task}-{i}"
                for a, b in (MODELS[0], MODELS[1]), (MODELS[0], MODELS[2]), (MODELS[1], MODELS[2]):
                    p = 1 / (1 + math.exp(STRENGTH[b] - STRENGTH[a]))
                    for voter in ("ann", "bo"):
                        u = rng.random()
                        _vote(votes, rows, voter, task, sid, a, b,
                              "a" if u < 0.8 * p else "b" if u < 0.8 else "both_bad" if u < 0.9 else "tie")
                    for turn in ("turn1", "turn2") if task == "mt_bench" else ("turn1",):
                        v = "a" if rng.random() < p else "b"
                        _verdict(store, task, sid, turn, b, a, {"a": "b", "b": "a"}[v], rows[(a, task, sid)].language)
    return db


def test_sources_are_kept_apart_and_both_bad_is_a_tie(voted_store):
    with Store(voted_store) as store:
        n_votes = len(Votes(store).all())
        both_bad = sum(v.verdict == "both_bad" for v in Votes(store).all())
        ties = sum(v.verdict == "tie" for v in Votes(store).all())
        n_verdicts = len(store.verdicts())
        lb = build_leaderboard(store, n_boot=200)
        pooled = build_leaderboard(store, source="pooled", scopes="all", n_boot=0)
    boards = {(b.source, b.scope, b.name): b for b in lb.boards}
    human, judge = boards[("human", "all", "all")], boards[(f"judge:{JUDGE}", "all", "all")]
    assert human.n_battles == n_votes == 2 * 24 * 3 and judge.n_battles == n_verdicts == 12 * 3 * 3
    assert sum(r.ties for r in human.ratings) == 2 * (both_bad + ties) and both_bad > 0  # both bad = a tie
    assert human.n_prompts == judge.n_prompts == 24
    assert set(boards) >= {("human", "language", "zh"), ("human", "task", "mt_bench"),
                           (f"judge:{JUDGE}", "language", "en")}
    assert boards[("human", "language", "zh")].n_battles == n_votes / 2
    for b in (human, judge):  # the judge's reversed order is read right: the strongest model is first
        assert [r.model for r in b.ratings][0] == "openai/gpt-4o" and b.anchor == lb.boards[0].anchor
    assert [b.source for b in pooled.boards] == [f"pooled: human + judge:{JUDGE}"]
    assert pooled.boards[0].n_battles == n_votes + n_verdicts


def test_agreement_of_people_and_judges_by_hand(tmp_path):
    """P1: ann a, bo b; judge a, a. P2: ann both bad; judge a then b (mean ½: tie). P3: ann b; judge a, a.
    P4: ann tie; judge b, b. People vs judge: (a,a) (b,a) (tie,tie) (b,a) (tie,b): 2 of 5 agree; κ = (0.4 − 0.28) /
    0.72 = 1/6; decisive (a,a) (b,a) (b,a): 1 of 3. Ann vs Bo on P1: 1 comparison, no agreement."""
    db = write_chat_store(tmp_path / "g.db", MODELS[:2], 4, ("mt_bench",))
    a, b = MODELS[0], MODELS[1]
    with Store(db) as store:
        votes = Votes(store)
        rows = {(r.model, r.task, r.sample_id): r for r in store.scores()}
        for i, human, judge in ((0, "a", "aa"), (1, "both_bad", "ab"), (2, "b", "aa"), (3, "tie", "bb")):
            sid = f"mt_bench-{i}"
            _vote(votes, rows, "ann", "mt_bench", sid, a, b, human)
            for turn, v in zip(("turn1", "turn2"), judge):
                _verdict(store, "mt_bench", sid, turn, a, b, v, "en")
        _vote(votes, rows, "bo", "mt_bench", "mt_bench-0", a, b, "b", left=b)
        lb = build_leaderboard(store, scopes="all", n_boot=0)
    agree = {(x.source_1, x.source_2): x for x in lb.agreement}
    people = agree[("human (one voter)", "human (another voter)")]
    assert (people.n, people.agreement, people.n_decisive) == (1, 0.0, 1)
    pj = agree[("human", f"judge:{JUDGE}")]
    assert pj.n == 5 and pj.agreement == pytest.approx(0.4) and pj.kappa == pytest.approx(1 / 6)
    assert pj.n_decisive == 3 and pj.decisive_agreement == pytest.approx(1 / 3)


def test_cli_table_json_and_one_line_errors(voted_store, tmp_path, capsys):
    proc = gapbench_cli("leaderboard", "--db", str(voted_store), "--anchor", "qwen/qwen-max", "--bootstrap", "100",
                        "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    jsonschema.validate(out, json_schema()["outputs"]["leaderboard"])  # the documented shape
    first = out["boards"][0]
    assert first["source"] == "human" and first["anchor"] == "qwen/qwen-max"
    anchor_row = next(r for r in first["ratings"] if r["model"] == "qwen/qwen-max")
    assert anchor_row["rating"] == anchor_row["ci_low"] == anchor_row["ci_high"] == 1000
    assert out["agreement"] and "bootstrap over prompts" in out["method"]
    # the same command in this process (the CLI's own entry point): the table, then mistakes in one line, exit 2
    main(["leaderboard", "--db", str(voted_store), "--by", "all", "--bootstrap", "50", "--style-control"])
    table = capsys.readouterr().out
    assert "human · all prompts" in table and f"judge:{JUDGE}" in table and "Cohen κ" in table and "style" in table
    empty = write_chat_store(tmp_path / "empty.db", MODELS, 2)
    for args, needle in ((["--db", str(empty)], "--source both: the store holds no arena votes and no pairwise"),
                         (["--db", str(voted_store), "--anchor", "nope/x"], "--anchor nope/x: no battle"),
                         (["--db", str(voted_store), "--judge", "other"], "--judge other: no pairwise verdicts"),
                         (["--db", str(voted_store), "--task", "gsm8k"], "--task gsm8k: no votes or verdicts"),
                         (["--db", str(voted_store), "--by", "country"], "--by country: one of all, language, task")):
        with pytest.raises(SystemExit) as done:
            main(["leaderboard", *args])
        err = capsys.readouterr().err
        assert done.value.code == 2 and needle in err and err.count("\n") == 1, err


def test_report_section_with_chart_only_when_there_are_votes(voted_store, tmp_path):
    with Store(voted_store) as store:
        report = build_report(store)  # validated against the Report schema inside
    assert {b["source"] for b in report["ratings"]["boards"]} == {"human", f"judge:{JUDGE}"}
    page = render_report(report, "html")
    section = page[page.index('<section id="ratings">'):]
    section = section[:section.index("</section>")]
    n_boards = len(report["ratings"]["boards"])
    assert section.count("<svg") == n_boards and 'href="#ratings"' in page
    assert "Cohen's κ" in section and "openai/gpt-4o" in section
    md = render_report(report, "md")
    assert "## Ratings: people and judges" in md and f"| judge:{JUDGE} | all prompts |" in md
    plain = write_chat_store(tmp_path / "plain.db", MODELS, 2)
    with Store(plain) as store:
        without = build_report(store)
    assert "ratings" not in without and "ratings" not in without["meta"]["unavailable"]
    assert 'id="ratings"' not in render_report(without, "html")
