"""How often do gapbench's refusal rules agree with people? XSTest's human labels (English) and gapbench's
Chinese labelled set, against XSTest's own string-match classifier (issue #13).

Run by hand (not a test):
    python benchmarks/refusal_agreement.py [--data-dir ../shared/data] [--part heldout|dev|all] [--json]
    python benchmarks/refusal_agreement.py --judge MODEL [--limit N] [--db refusal_judge.db]   # a judge beside the rules

Reference labels: English, the XSTest authors' `final_label` of each of 900 completions (GPT-4 and
Llama-2-70b-chat, two annotators each; where they disagree, the authors' adjudication); Chinese, `label` of
gapbench/data/refusal_zh_labelled.jsonl (written for gapbench, by the team that writes the rules: see its
README). Every set is split by a hash of the prompt (gapbench.scoring.refusal_eval.is_heldout), so all answers
to one prompt fall in one half. English: rules v2 were written from the development half of XSTest's labels and
measured on the held-out half (later versions changed only Chinese rules). Chinese: rules v3 were written from
the failure categories of the whole first set (its held-out half had been read by then); the second set,
gapbench/data/refusal_zh_labelled_b.jsonl, written by a session that had seen neither the rules nor the first
set, was measured whole once with v3; rules v4 were written from the failure categories of its development
half and measured on its held-out half; rules v5 were written from the failure categories of the whole of both
sets, and the third set, gapbench/data/refusal_zh_labelled_c.jsonl (written blind to the rules and to both earlier
sets, after v5), measured whole, is the Chinese measurement of v5. "refused" = full or partial
refusal (XSTest's refusal rate). κ = Cohen's kappa. String match = XSTest's prefix classifier
(paul-rottger/exaggerated-safety, evaluation/classify_completions_strmatch.py), with a Chinese counterpart
written for gapbench; it never says "partial".
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Sequence

from gapbench.errors import GapbenchError
from gapbench.scoring.refusal import RULES_VERSION, VERDICTS, detect_refusal
from gapbench.scoring.refusal_eval import (REFUSED, ZH_LABELLED, ZH_LABELLED_B, ZH_LABELLED_C, Agreement, LabelledAnswer, agreement,
                                          load_xstest_completions, load_zh_labelled, measure, string_match)

SHORT = {"full_compliance": "compliance", "full_refusal": "full refusal", "partial_refusal": "partial"}


def questions(data_dir: Path) -> dict[str, str]:
    """The prompt of every Chinese item, from the tasks' data (the labelled set references them by id)."""
    from gapbench.tasks.loader import load_samples
    from gapbench.tasks.registry import get_task

    out: dict[str, str] = {}
    for task in ("deccp_zh", "deccp_en", "ccp_sensitive"):
        for s in load_samples(get_task(task), data_dir):
            out[f"{task}/{s.id}"] = s.input
    return out


def classifiers(qs: dict[str, str]) -> dict[str, Callable[[LabelledAnswer], str]]:
    return {
        f"rules v{RULES_VERSION}": lambda i: detect_refusal(i.answer, i.language, i.question or qs.get(i.key)).verdict,
        "string match": lambda i: string_match(i.answer),
    }


def pct(x: float) -> str:
    return f"{100 * x:.1f}"


def table(title: str, header: list[str], rows: list[list]) -> None:
    print(f"\n### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(v) for v in row) + " |")


def agreement_rows(groups: dict[str, Sequence[LabelledAnswer]], clf: dict[str, Callable]) -> tuple[list, dict]:
    rows, figures = [], {}
    for group, items in groups.items():
        for name, fn in clf.items():
            a = measure(items, fn)
            figures[f"{group}/{name}"] = asdict(a)
            rows.append([group, name, a.n, f"{a.refused_accuracy:.3f}", f"{a.refused_kappa:.3f}", f"{a.accuracy:.3f}",
                         f"{a.kappa:.3f}", pct(a.rate), pct(a.human_rate), f"{100 * a.rate_gap:+.1f}",
                         f"{pct(a.full_rate)} / {pct(a.partial_rate)}", f"{pct(a.human_full_rate)} / {pct(a.human_partial_rate)}"]
                        + ([f"{a.accepted:.3f}"] if a.accepted is not None and items[0].language == "zh" else []))
    return rows, figures


HEADER = ["set", "classifier", "n", "agree (refused?)", "κ (refused?)", "agree (3 verdicts)", "κ (3)",
          "refusal rate %", "human rate %", "gap (points)", "full / partial %", "human full / partial %"]


def confusion(a: Agreement, title: str) -> None:
    rows = [[f"people: {SHORT[h]}"] + [a.confusion[h][p] for p in VERDICTS] for h in VERDICTS]
    table(title, ["", *(f"rules: {SHORT[p]}" for p in VERDICTS)], rows)


def subset_rates(items: Sequence[LabelledAnswer], clf: dict[str, Callable], subset: Callable[[LabelledAnswer], str],
                 title: str) -> dict:
    by: dict[str, list[LabelledAnswer]] = {}
    for i in items:
        by.setdefault(subset(i), []).append(i)
    rows, figures = [], {}
    for name, group in sorted(by.items()):
        human = sum(i.label in REFUSED for i in group) / len(group)
        rates = {c: sum(fn(i) in REFUSED for i in group) / len(group) for c, fn in clf.items()}
        figures[name] = {"n": len(group), "human": human, **rates}
        rows.append([name, len(group), pct(human), *(pct(r) for r in rates.values())])
    table(title, ["subset", "n", "human %", *(f"{c} %" for c in clf)], rows)
    return figures


def english(data_dir: Path, part: str, clf: dict) -> dict:
    items = [i for i in load_xstest_completions(data_dir) if _in_part(i, part)]
    print(f"\n## English: XSTest v2 labelled completions, {part} ({len(items)} of 900)")
    groups = {"GPT-4": [i for i in items if i.group == "gpt4"], "Llama-2-70b-chat": [i for i in items if i.group == "llama2"],
              "both": items}
    rows, figures = agreement_rows(groups, clf)
    table("Agreement with the human label", HEADER, rows)
    agreed = [i for i in items if i.annotators_agree]
    rows2, figures["annotators agree"] = agreement_rows({f"both annotators agree ({len(agreed)})": agreed}, clf)
    table("Only the items on which the two annotators agree", HEADER, rows2)
    a1 = [i.other_labels[0] for i in items]
    a2 = [i.other_labels[1] for i in items]
    people = agreement(a1, a2)
    figures["annotator 1 vs 2"] = asdict(people)
    print(f"\nPeople with each other (annotator 2 against annotator 1): agree (refused?) {people.refused_accuracy:.3f}, "
          f"κ {people.refused_kappa:.3f}; 3 verdicts {people.accuracy:.3f}, κ {people.kappa:.3f}.")
    rules = next(iter(clf))
    for group, sub in groups.items():
        confusion(measure(sub, clf[rules]), f"Confusion, {group} ({rules}; rows people, columns rules)")
    figures["rates by subset"] = subset_rates(
        items, clf, lambda i: "unsafe (contrast)" if i.category.startswith("contrast") else "safe",
        "Refusal rate by XSTest subset (safe: over-refusal; unsafe: should refuse)")
    return figures


# The Chinese labelled sets: (key in --json, name beside a judge, path, title, split into halves like the
# English set, or measured whole)
ZH_SETS = (
    ("zh", "Chinese, first set", ZH_LABELLED, "gapbench's first labelled set", True),
    # written without sight of the rules
    ("zh_independent", "Chinese, independent set", ZH_LABELLED_B,
     "the independent labelled set (refusal_zh_labelled_b.jsonl)", True),
    # written blind to rules v5 and to both earlier sets: every item is held out
    ("zh_third", "Chinese, third set", ZH_LABELLED_C, "the third labelled set (refusal_zh_labelled_c.jsonl)", False),
)


def chinese(part: str, clf: dict, path: Path, title: str, split: bool) -> dict:
    every = load_zh_labelled(path)
    if split:
        items = [i for i in every if _in_part(i, part)]
        print(f"\n## Chinese: {title}, {part} ({len(items)} of {len(every)})")
    else:
        items = every
        print(f"\n## Chinese: {title}, whole ({len(items)}): the measurement of rules v5")
    groups = {"deccp_zh": [i for i in items if i.group == "deccp_zh"],
              "ccp_sensitive (zh answers)": [i for i in items if i.group == "ccp_sensitive"],
              "deccp_en (zh answers)": [i for i in items if i.group == "deccp_en"], "all": items}
    groups = {k: v for k, v in groups.items() if v}
    rows, figures = agreement_rows(groups, clf)
    table("Agreement with the label (last column: the verdict is the label or its second reading)",
          HEADER + ["label or second"], rows)
    rules = next(iter(clf))
    confusion(measure(items, clf[rules]), f"Confusion, all ({rules}; rows label, columns rules)")
    by_cat: dict[str, Counter] = {}
    for i in items:
        by_cat.setdefault(f"{i.category} ({SHORT[i.label]})", Counter())[clf[rules](i)] += 1
    table(f"{rules} verdicts per category of answer", ["category (label)", *(SHORT[v] for v in VERDICTS)],
          [[k, *(c[v] for v in VERDICTS)] for k, c in sorted(by_cat.items())])
    figures["verdicts per category"] = {k: dict(c) for k, c in by_cat.items()}
    marked = [(i.party_line, detect_refusal(i.answer, "zh", i.question).party_line is not None) for i in items]
    tp = sum(a and b for a, b in marked)
    figures["party line"] = {"labelled": sum(a for a, _ in marked), "detected": sum(b for _, b in marked), "both": tp}
    print(f"\nParty line: {sum(a for a, _ in marked)} labelled, {sum(b for _, b in marked)} marked by the rules, "
          f"{tp} both (precision {tp / max(1, sum(b for _, b in marked)):.2f}, recall {tp / max(1, sum(a for a, _ in marked)):.2f}).")
    figures["rates by subset"] = subset_rates(items, clf, lambda i: i.group, "Refusal rate by prompt set")
    return figures


def judge_verdicts(items: Sequence[LabelledAnswer], qs: dict[str, str], judge_name: str, db: Path,
                   n_ctx: int, concurrency: int, max_tokens: int) -> dict[str, str | None]:
    """The judge's verdict of each item (None: unreadable after its attempts), asked through gapbench's own
    cache: a rerun with the same --db makes no judge call."""
    import asyncio

    from gapbench.judging.recipes import Ask
    from gapbench.judging.single import Judge, ask_judge
    from gapbench.models.registry import ModelOptions, create_model
    from gapbench.runner.runner import Counters, Runner
    from gapbench.scoring.refusal_judge import PROMPT_VERSION, parse_refusal_verdict, refusal_judge_messages
    from gapbench.store.db import Store

    store = Store(db)
    runner = Runner(store, concurrency, show_progress=False)
    judge = Judge(judge_name, PROMPT_VERSION, 0.0, max_tokens)
    counters = Counters()

    async def go() -> dict[str, str | None]:
        model = create_model(judge_name, ModelOptions(n_ctx=n_ctx, concurrency=concurrency))
        sem = asyncio.Semaphore(max(1, concurrency))
        out: dict[str, str | None] = {}

        async def one(i: LabelledAnswer) -> None:
            ask = Ask("verdict", refusal_judge_messages(i.question or qs.get(i.key, ""), i.answer, i.language),
                      parse_refusal_verdict)
            async with sem:
                out[i.item_id], _, _, _ = await ask_judge(runner, model, judge, ask, counters)

        try:
            await asyncio.gather(*(one(i) for i in items))
        finally:
            await model.aclose()
        return out

    verdicts = asyncio.run(go())
    store.close()
    print(f"\njudge {judge.id}: {counters.model_calls} calls, {counters.cache_hits} cache hits, "
          f"{sum(v is None for v in verdicts.values())} of {len(verdicts)} unreadable")
    return verdicts


def judged(data_dir: Path, clf: dict, qs: dict[str, str], args) -> dict:
    """The judge beside the rules and string match, on the same held-out items of each set (--limit each)."""
    import hashlib

    def seeded(items: list[LabelledAnswer], split: bool = True) -> list[LabelledAnswer]:
        held = sorted((i for i in items if i.heldout or not split),
                      key=lambda i: hashlib.sha256(i.item_id.encode()).hexdigest())
        return held[: args.limit] if args.limit else held

    sets = {"English (XSTest)": seeded(load_xstest_completions(data_dir))}
    for _, name, path, _, split in ZH_SETS:
        if path.exists():
            sets[name] = seeded(load_zh_labelled(path), split)
    figures, rows = {}, []
    for name, items in sets.items():
        verdicts = judge_verdicts(items, qs, args.judge, Path(args.db), args.n_ctx, args.concurrency,
                                  args.judge_max_tokens)
        readable = [i for i in items if verdicts.get(i.item_id)]
        sides = {f"judge {args.judge}": lambda i: verdicts[i.item_id], **clf}
        for side, fn in sides.items():
            a = measure(readable, fn)
            figures[f"{name}/{side}"] = asdict(a)
            rows.append([name, side, a.n, f"{a.refused_accuracy:.3f}", f"{a.refused_kappa:.3f}", f"{a.accuracy:.3f}",
                         pct(a.rate), pct(a.human_rate), f"{100 * a.rate_gap:+.1f}"])
        rules = next(iter(clf))
        both = agreement([verdicts[i.item_id] for i in readable], [clf[rules](i) for i in readable])
        figures[f"{name}/judge vs rules"] = asdict(both)
        rows.append([name, f"judge vs {rules}", both.n, f"{both.refused_accuracy:.3f}", f"{both.refused_kappa:.3f}",
                     f"{both.accuracy:.3f}", "", "", ""])
    table(f"Judge {args.judge} beside the rules, held-out items ({'first ' + str(args.limit) + ' of each set, seeded' if args.limit else 'all'})",
          ["set", "classifier", "n", "agree (refused?)", "κ (refused?)", "agree (3 verdicts)", "refusal rate %",
           "human rate %", "gap (points)"], rows)
    return figures


def _in_part(item: LabelledAnswer, part: str) -> bool:
    return part == "all" or item.heldout == (part == "heldout")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=os.environ.get("GAPBENCH_TEST_DATA") or os.environ.get("GAPBENCH_DATA")
                    or "../shared/data")
    ap.add_argument("--part", choices=("heldout", "dev", "all"), default="heldout")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object instead")
    ap.add_argument("--judge", metavar="MODEL", help="also classify the held-out answers with this judge model "
                    "(gapbench's refusal-judge prompt, through the cache in --db) and set it beside the rules")
    ap.add_argument("--limit", type=int, default=0, help="with --judge: at most this many held-out items per set")
    ap.add_argument("--db", default="refusal_judge.db", help="with --judge: the store that caches the judge's answers")
    ap.add_argument("--n-ctx", type=int, default=4096, help="with --judge: a local judge's context window")
    ap.add_argument("--concurrency", type=int, default=8, help="with --judge: requests in flight (API judges)")
    ap.add_argument("--judge-max-tokens", type=int, default=256, help="with --judge: the judge's answer budget")
    args = ap.parse_args()
    data_dir = Path(args.data_dir)
    try:
        qs = questions(data_dir)
    except GapbenchError as e:  # the benchmark data missing or unreadable: one line, exit 2
        print(f"refusal_agreement.py: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    clf = classifiers(qs)
    if args.judge:
        figures = judged(data_dir, clf, qs, args)
        if args.json:
            print(json.dumps(figures, indent=1, ensure_ascii=False))
        return
    if args.json:
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            figures = {"rules": RULES_VERSION, "part": args.part, "en": english(data_dir, args.part, clf)}
            for key, _, path, title, split in ZH_SETS:
                if path.exists():
                    figures[key] = chinese(args.part, clf, path, title, split)
        print(json.dumps(figures, indent=1, ensure_ascii=False))
        return
    print(f"# Refusal rules v{RULES_VERSION} against people's labels ({args.part} half)")
    english(data_dir, args.part, clf)
    for _, _, path, title, split in ZH_SETS:
        if path.exists():
            chinese(args.part, clf, path, title, split)


if __name__ == "__main__":
    main()
