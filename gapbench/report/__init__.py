"""`gapbench report`: one self-contained HTML file (or Markdown, or JSON) of everything in the store.

build.py turns the store into a plain dict; render.py renders that dict. The dict (every section optional
except meta; `meta.unavailable` maps a missing section to the reason it is missing):

    meta:          title, generated_at, db, gapbench_version, a, b, pair, disagreements_total, unavailable
    leaderboard:   [{model, country, task, language, capability, metric, n, score, ci_low, ci_high,
                     method, errors, description, run_ids}]
    gap_matrix:    {a, b, cells: [{capability, language, diff, ci_low, ci_high, p_holm, n_tasks}],
                    tasks: [{task, capability, language, n_paired, score_a, score_b, diff, ci_low, ci_high, p_value}]}
    lag:           {metric, leader, follower, mean_months, min_months, max_months,
                    series: [{date, lag_months, ci_low, ci_high}], frontiers: {group: [{date, value, model}]}}
    generations:   [{model, generation, generations_behind, newest}]
    claims:        [{claim, model, source, date, claimed, verdict, evidence}]
    cost:          [{model, task, method, input_tokens, output_tokens, n_responses, cost_usd, pricing, score,
                     score_per_dollar}]
    disagreements: [{task, method, sample_id, question, target, a_answer, b_answer, a_score, b_score,
                     a_extracted, b_extracted, a_run_id, b_run_id, a_cache_keys, b_cache_keys}]
    manifests:     [{run_id, model, task, method, started_at, finished_at, model_calls, cache_hits, errors, manifest}]
"""

from gapbench.report.build import SECTIONS, build_report
from gapbench.report.render import FORMATS, render_html, render_json, render_markdown
from gapbench.report.render import render as render_report  # the name `render` stays the submodule

__all__ = ["SECTIONS", "FORMATS", "build_report", "render_report", "render_html", "render_json", "render_markdown"]
