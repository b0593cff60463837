"""Cohen's kappa for coder pairs, unweighted or weighted, with a bootstrap interval.

A pair's units collapse to the cells of its confusion table, so the bootstrap draws
multinomial counts over at most q² cells whatever the number of units.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from itertools import combinations
from typing import Unpack

import numpy as np

from annotate.agreement.bootstrap import one_blas_thread
from annotate.agreement.coefficients import (
    ONE,
    AgreementResult,
    Bootstrap,
    Plan,
    Weights,
    agreement_weights,
    with_interval,
)
from annotate.agreement.reliability import ReliabilityData


def confusion_counts(data: ReliabilityData, coder_a: int, coder_b: int) -> np.ndarray:
    """q × q counts of (value of coder a, value of coder b) over units both labelled."""
    if coder_a == coder_b:
        mine = data.value[data.coder == coder_a]
        return np.diag(np.bincount(mine, minlength=data.n_categories))
    tables = data.pair_tables()
    if coder_a < coder_b:
        return tables[coder_a, coder_b]
    return tables[coder_b, coder_a].T


def cohen_kappa(
    data: ReliabilityData,
    coder_a: object,
    coder_b: object,
    weights: Weights = "identity",
    **boot: Unpack[Bootstrap],
) -> AgreementResult:
    """Cohen's kappa for two coders over the units both labelled (weighted for ordinal)."""
    ia, ib = data.coder_index(coder_a), data.coder_index(coder_b)
    return _cohen(data, ia, ib, weights, boot)


def _cohen(
    data: ReliabilityData,
    ia: int,
    ib: int,
    weights: Weights,
    boot: Bootstrap,
) -> AgreementResult:
    q = data.n_categories
    table = confusion_counts(data, ia, ib).ravel()
    w = agreement_weights(q, weights)
    cells = np.flatnonzero(table)
    rows, cols = np.divmod(cells, q) if q else (cells, cells)
    eye = np.eye(q)
    stats = (
        np.column_stack([np.ones(len(cells)), w[rows, cols], eye[rows], eye[cols]])
        if len(cells)
        else np.zeros((0, 2 + 2 * q))
    )
    counts = table[cells]

    def finish(t: np.ndarray) -> np.ndarray:
        n = t[:, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            po = t[:, 1] / n
            pa, pb = t[:, 2 : 2 + q] / n[:, None], t[:, 2 + q :] / n[:, None]
            pe = np.einsum("bi,ij,bj->b", pa, w, pb)
            return np.where((n > 0) & (pe < ONE), (po - pe) / (1.0 - pe), np.nan)

    names = (str(data.coder_ids[ia]), str(data.coder_ids[ib]))

    def explain(t: np.ndarray) -> str | None:
        if t[0] == 0:
            return f"coders {names[0]} and {names[1]} never labelled the same unit (no overlap)"
        if np.isfinite(finish(t[None, :])[0]):
            return None
        return "both coders used one and the same category: chance agreement is 1, kappa undefined"

    n = int(table.sum())
    return with_interval(
        boot,
        Plan((stats,), finish, explain, counts),
        coefficient="cohen_kappa",
        weights=weights,
        n_units=n,
        n_pairable=2 * n,
        n_coders=2,
        coders=names,
    )


def cohen_kappa_pairs(
    data: ReliabilityData,
    weights: Weights = "identity",
    **boot: Unpack[Bootstrap],
) -> list[AgreementResult]:
    """Cohen's kappa for every pair of coders (pairs with no overlap are reported too).

    The pairs' bootstrap draws are independent and numpy draws them without the GIL, so
    the pairs run on every core; the results are the same as one pair at a time.
    """
    data.pair_tables()  # one pass over the values for all pairs, before the threads

    def one(pair: tuple[int, int]) -> AgreementResult:
        return _cohen(data, *pair, weights, boot)

    pairs = list(combinations(range(data.n_coders), 2))
    if len(pairs) < 8 or boot.get("n_boot") == 0:
        return [one(pair) for pair in pairs]
    with one_blas_thread(), ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(pool.map(one, pairs))
