"""Do the leaderboard's Bradley–Terry intervals cover the true ratings? Simulated battles with a known truth (#10).

Run by hand (not a test):  python benchmarks/bt_simulation.py [--reps 400] [--boot 300] [--only sizes,prompts]

sizes: 6 models (true ratings -120 … +90 around the anchor), battles between random pairs, 3 per prompt, ties
  taking 40% of the smaller side's mass (so the expected outcome is exactly the BT probability). Coverage of the
  95% interval of each free model's rating, pooled over the 5 free models, for the symmetric interval gapbench
  reports and the percentile interval (LMArena's), from 60 to 1,800 battles. Also the mean error and width.
prompts: the same, but each prompt favours some models (a per-prompt, per-model effect of sd 200 points; 6 battles
  per prompt), so battles on one prompt are correlated. The truth is the BT fit on 400,000 such battles. The
  bootstrap over prompts (gapbench) against a bootstrap over single battles, which ignores the pairing.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from gapbench.gap.bradley_terry import Battle, bradley_terry

TRUTH = {"anchor": 0.0, "m1": 40.0, "m2": -30.0, "m3": 15.0, "m4": -120.0, "m5": 90.0}


def outcome(pa: float, rng: np.random.Generator, tie_share: float = 0.4) -> float:
    tie = tie_share * min(pa, 1 - pa)
    u = rng.random()
    return 1.0 if u < pa - tie / 2 else 0.5 if u < pa + tie / 2 else 0.0


def battles(n_prompts: int, per_prompt: int, rng: np.random.Generator, prompt_sd: float = 0.0,
            by_battle: bool = False) -> list[Battle]:
    models = list(TRUTH)
    out = []
    for p in range(n_prompts):
        effect = {m: rng.normal(0, prompt_sd) if prompt_sd else 0.0 for m in models}
        for k in range(per_prompt):
            i, j = rng.choice(len(models), 2, replace=False)
            a, b = models[i], models[j]
            diff = TRUTH[a] + effect[a] - TRUTH[b] - effect[b]
            pa = 1 / (1 + 10 ** (-diff / 400))
            out.append(Battle(a, b, outcome(pa, rng), f"p{p}" if not by_battle else f"p{p}.{k}"))
    return out


def coverage(make, truth: dict[str, float], reps: int, n_boot: int, seed: int, interval: str) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    hits, err, width, total = 0, 0.0, 0.0, 0
    for rep in range(reps):
        fit = bradley_terry(make(rng), "anchor", anchor_rating=0.0, n_boot=n_boot, seed=rep, interval=interval)
        for m, t in truth.items():
            if m == "anchor" or m not in fit.rating:
                continue
            hits += fit.ci_low[m] <= t <= fit.ci_high[m]
            err += abs(fit.rating[m] - t)
            width += fit.ci_high[m] - fit.ci_low[m]
            total += 1
    return {"coverage": hits / total, "mae": err / total, "width": width / total}


def table(title: str, header: list[str], rows: list[list]) -> None:
    print(f"\n## {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |")


def sizes(reps: int, n_boot: int) -> None:
    rows = []
    for n_prompts in (20, 30, 100, 300, 600):
        make = lambda rng, n=n_prompts: battles(n, 3, rng)  # noqa: E731
        sym = coverage(make, TRUTH, reps, n_boot, 1, "symmetric")
        pct = coverage(make, TRUTH, reps, n_boot, 1, "percentile")
        rows.append([3 * n_prompts, sym["coverage"], pct["coverage"], f"{sym['mae']:.0f}", f"{sym['width']:.0f}"])
    table(f"Coverage of the 95% interval, independent battles ({reps} runs, {n_boot} resamples, 5 free models)",
          ["battles", "symmetric (gapbench)", "percentile", "mean |error| (points)", "mean width (points)"], rows)


def population_truth(prompt_sd: float, per_prompt: int) -> dict[str, float]:
    fit = bradley_terry(battles(400_000 // per_prompt, per_prompt, np.random.default_rng(99), prompt_sd), "anchor",
                        anchor_rating=0.0, n_boot=0)
    return fit.rating


def prompts(reps: int, n_boot: int) -> None:
    sd, per = 200.0, 6
    truth = population_truth(sd, per)
    rows = []
    for n_prompts in (50, 150):
        by_prompt = coverage(lambda rng, n=n_prompts: battles(n, per, rng, sd), truth, reps, n_boot, 2, "symmetric")
        by_battle = coverage(lambda rng, n=n_prompts: battles(n, per, rng, sd, by_battle=True), truth, reps, n_boot,
                             2, "symmetric")
        rows.append([per * n_prompts, n_prompts, by_prompt["coverage"], by_battle["coverage"],
                     f"{by_prompt['width']:.0f}", f"{by_battle['width']:.0f}"])
    shown = ", ".join(f"{m} {v:+.0f}" for m, v in truth.items() if m != "anchor")
    table(f"Battles paired on prompts (prompt effect sd {sd:.0f} points, {per} battles per prompt; population truth: "
          f"{shown}; {reps} runs)",
          ["battles", "prompts", "bootstrap over prompts (gapbench)", "over battles", "width (prompts)",
           "width (battles)"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=400)
    parser.add_argument("--boot", type=int, default=300)
    parser.add_argument("--only", default="sizes,prompts")
    args = parser.parse_args()
    started = time.perf_counter()
    for name in args.only.split(","):
        {"sizes": sizes, "prompts": prompts}[name.strip()](args.reps, args.boot)
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
