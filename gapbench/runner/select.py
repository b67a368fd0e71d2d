"""Which samples a run uses: a stable, seeded subset so `--limit N` spans subjects and never drifts."""

from __future__ import annotations

import hashlib

from gapbench.types import Sample


def select_samples(samples: list[Sample], limit: int | None, seed: int) -> list[Sample]:
    """All samples, or the `limit` first in an order fixed by hash(seed, id)."""
    if limit is None or limit >= len(samples):
        return list(samples)

    def rank(s: Sample) -> str:
        return hashlib.sha256(f"{seed}:{s.id}".encode()).hexdigest()

    return sorted(samples, key=rank)[:limit]
