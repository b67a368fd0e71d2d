"""The arena: a local page where people vote, blind, on two stored answers to the same prompt (`gapbench arena`).

pairs.py chooses what to show, markup.py renders prompts and answers safely, server.py is the web app; the votes go
to the store's `votes` table (gapbench.store.votes) and `gapbench leaderboard` turns them into ratings.
"""
