"""How much the annotators of one statement disagree: the key the Review page sorts by.

Computed per statement from its current labels, so storage can keep it up to date on
every save and the editors' queue is an index scan rather than a recomputation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def statement_disagreement(
    source_types: Sequence[str | None], confidences: Sequence[int | None] = ()
) -> float:
    """Share of disagreeing annotator pairs on source type, plus a small confidence term.

    0 means every pair agrees; 1 means no two annotators chose the same type. The
    confidence spread (max - min, scaled to 0..0.1) breaks ties between statements whose
    types agree equally, so a 1-vs-5 confidence split ranks above a 3-vs-4 one.
    """
    types = [t for t in source_types if t is not None]
    n = len(types)
    type_part = 0.0
    if n >= 2:
        agreeing = sum(c * (c - 1) for c in Counter(types).values())
        type_part = 1.0 - agreeing / (n * (n - 1))
    ratings = [c for c in confidences if c is not None]
    spread = (max(ratings) - min(ratings)) if len(ratings) >= 2 else 0
    return round(type_part + min(spread, 10) / 100.0, 6)
