#!/usr/bin/env bash
# Judged chat on the two bundled models (run by hand): answers to a seeded subset of MT-Bench and AlignBench,
# judged by a bundled local model, a rerun of the judge (0 calls expected), and the judged comparison.
#   bash benchmarks/judged_chat.sh [DB] [LIMIT] [JUDGE]
set -euo pipefail
DB=${1:-judged_chat.db}; LIMIT=${2:-8}; JUDGE=${3:-local/qwen2.5-coder-0.5b}
DATA=${GAPBENCH_DATA:-../shared/data}
G="${GAPBENCH:-gapbench}"
for M in local/qwen2.5-coder-0.5b local/smollm2-135m; do
  /usr/bin/time -f "answers $M: %e s" $G run --model $M --task mt_bench,alignbench --limit $LIMIT --max-tokens 256 \
    --n-ctx 4096 --db $DB --data-dir $DATA --quiet
done
/usr/bin/time -f "judge: %e s" $G judge --judge $JUDGE --task mt_bench.max256,alignbench.max256 --judge-max-tokens 256 \
  --n-ctx 4096 --concurrency 1 --db $DB --data-dir $DATA --json > judge1.json
/usr/bin/time -f "judge again: %e s" $G judge --judge $JUDGE --task mt_bench.max256,alignbench.max256 \
  --judge-max-tokens 256 --n-ctx 4096 --db $DB --data-dir $DATA --json > judge2.json
python3 - <<'PY'
import json
a, b = json.load(open("judge1.json")), json.load(open("judge2.json"))
print("judge calls:", a["model_calls"], "cache hits:", a["cache_hits"], "| rerun calls:", b["model_calls"], "cache hits:", b["cache_hits"])
for s in a["judges"]:
    print(f"  {s['task']} {s['model']}: judged {s['judged']}, unreadable {s['unparseable']} ({s['unparseable_rate']:.0%}), errors {s['errors']}")
for r in a["results"]:
    print(f"  {r['model']} {r['task']}: {r['score']:.2f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}] n={r['n']}")
PY
$G compare --a local/qwen2.5-coder-0.5b --b local/smollm2-135m --db $DB
