"""Judged scores: a judge model rates stored answers (single-answer grading) or compares two models'
answers to the same prompt in both orders (pairwise with position swap).

A judge is any model gapbench can call; its calls go through the same cache, retry and failure path as
every model call. A judge's identity (model, prompt version, temperature) is part of every judged score:
judged scores are stored as a task of their own (`mt_bench@<judge id>`), so scores of different judges
are never mixed or paired.
"""
