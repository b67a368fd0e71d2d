"""Verifiable instructions: IFEval's 25 types, their Chinese-aware counterparts, and FollowBench's rules.

    from gapbench.scoring.instructions import CHECKERS, check, check_loose
    check("punctuation:no_comma", {}, "No commas here.")  # True
"""

from gapbench.scoring.instructions import ifeval_checks, zh_checks  # noqa: F401  (register the checkers)
from gapbench.scoring.instructions.registry import CHECKERS, check, check_loose, loose_variants

__all__ = ["CHECKERS", "check", "check_loose", "loose_variants"]
