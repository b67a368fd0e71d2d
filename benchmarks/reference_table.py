"""Print the README's reference-score table from one or more stores (run by hand after the reference runs).

    python benchmarks/reference_table.py ref.db [ref2.db …]

Per (model, task): n, score, 95% interval (as `gapbench results`), and the model time behind those
scores: the summed latency of the stored responses they were computed from.
"""

from __future__ import annotations

import json
import sys

from gapbench.store.db import Store
from gapbench.store.results import results_from_store
from gapbench.cli.common import describe_extra


def main(paths: list[str]) -> None:
    print("| model | task | lang | capability | method | n | score | 95% CI | model time | beside |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for path in paths:
        store = Store(path)
        latency = {k: v for k, v in store.conn.execute("SELECT cache_key, latency_s FROM responses")}
        for r in results_from_store(store):
            keys = [k for (ks,) in store.conn.execute(
                "SELECT cache_keys FROM scores WHERE model=? AND task=? AND method=?", (r.model, r.task, r.method))
                for k in json.loads(ks)]
            seconds = sum(latency.get(k) or 0 for k in set(keys))
            print(f"| {r.model.removeprefix('local/')} | {r.task} | {r.language} | {r.capability} | {r.method} | {r.n} "
                  f"| {r.score:.3f} | [{r.ci_low:.3f}, {r.ci_high:.3f}] | {seconds:.0f} s | {describe_extra(r.extra)} |")
        store.close()


if __name__ == "__main__":
    main(sys.argv[1:])
