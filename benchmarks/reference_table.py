"""Print the README's reference-score table from one or more stores (run by hand after the reference runs).

    python benchmarks/reference_table.py ref.db [ref2.db …]

Per (model, task): n, score, 95% interval (as `gapbench results`), and the model time behind those
scores: the summed latency of the stored responses they were computed from.
"""

from __future__ import annotations

import sys

from gapbench.store.db import Store
from gapbench.store.results import results_from_store
from gapbench.cli.common import describe


def main(paths: list[str]) -> None:
    print("| model | task | lang | capability | method | n | score | 95% CI | model time | beside |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for path in paths:
        store = Store(path)
        for r in results_from_store(store):
            keys = {k for row in store.scores(model=r.model, task=r.task, method=r.method) for k in row.cache_keys}
            seconds = sum(resp.latency_s for resp in store.responses(keys).values())
            print(f"| {r.model.removeprefix('local/')} | {r.task} | {r.language} | {r.capability} | {r.method} | {r.n} "
                  f"| {r.score:.3f} | [{r.ci_low:.3f}, {r.ci_high:.3f}] | {seconds:.0f} s | {describe(r)} |")
        store.close()


if __name__ == "__main__":
    main(sys.argv[1:])
