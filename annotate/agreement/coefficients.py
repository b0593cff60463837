"""Agreement coefficients over reliability data, each with a bootstrap interval.

Each coefficient is written as per-unit statistics plus a `finish` function of their sums,
so the point estimate and every bootstrap resample go through the same code
(see bootstrap.py). A unit's statistics depend only on its count vector, so they are
computed once per distinct count vector (a pattern) and weighted by how many units share
it: after one grouping pass, every coefficient costs the number of patterns, not of units.
Undefined values (one category, one coder, nothing pairable) come back
as `value=None` with an explanation instead of NaN or an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypedDict, Unpack

import numpy as np
from pydantic import BaseModel, ConfigDict

from annotate.agreement.bootstrap import bootstrap_ci
from annotate.agreement.reliability import ReliabilityData

Metric = Literal["nominal", "ordinal", "interval", "ratio"]
Weights = Literal["identity", "linear", "quadratic", "ordinal"]
FleissUnits = Literal["modal", "all"]

# Chance agreement this close to 1 means a single category: the ratio is 0/0.
ONE = 1.0 - 1e-12
N_BOOT, SEED, LEVEL = 1000, 42, 0.95


class Bootstrap(TypedDict, total=False):
    """The bootstrap settings every coefficient takes as keywords: `n_boot` resamples of
    the units (default 1000, 0 for no interval), the `seed` that makes them repeatable
    (42) and the interval's `level` (0.95)."""

    n_boot: int
    seed: int
    level: float


class AgreementResult(BaseModel):
    """One coefficient with its percentile bootstrap interval over units."""

    model_config = ConfigDict(extra="forbid")

    coefficient: str
    metric: str | None = None
    weights: str | None = None
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    level: float = 0.95
    n_boot: int = 0
    n_boot_defined: int = 0
    n_units: int
    n_pairable: int
    n_coders: int
    coders: tuple[str, str] | None = None
    explanation: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Plan:
    """Statistics per pattern (column blocks, optionally masked by 0/1 `rows`), how many
    units hold each pattern (`weights`), and how to turn the weighted sums into the
    coefficient. The bootstrap resamples units, i.e. draws counts over the patterns."""

    blocks: tuple[np.ndarray, ...]
    finish: Callable[[np.ndarray], np.ndarray]
    explain: Callable[[np.ndarray], str | None]
    weights: np.ndarray
    rows: np.ndarray | None = None

    def stats(self) -> np.ndarray:
        stats = _stack(*self.blocks)
        if self.rows is not None:
            stats *= self.rows[:, None]
        return stats

    def totals(self) -> np.ndarray:
        return np.atleast_1d(self.weights.astype(np.float64) @ self.stats())

    def patterns(self) -> tuple[np.ndarray, np.ndarray]:
        return self.stats(), self.weights


def with_interval(
    boot: Bootstrap,
    plan: Plan,
    *,
    coefficient: str,
    n_units: int,
    n_pairable: int,
    n_coders: int,
    **extra: object,
) -> AgreementResult:
    """The coefficient of `plan` with its bootstrap interval and its counts."""
    n_boot, seed = boot.get("n_boot", N_BOOT), boot.get("seed", SEED)
    level = boot.get("level", LEVEL)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    totals = plan.totals()[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        value = float(plan.finish(totals)[0])
    explanation = plan.explain(totals[0])
    defined = np.isfinite(value)
    low, high, n_defined = None, None, 0
    if not defined:
        explanation = explanation or "the coefficient is undefined for these data"
    elif n_boot > 0:
        pattern_stats, pattern_counts = plan.patterns()
        low, high, n_defined = bootstrap_ci(
            pattern_stats, pattern_counts, plan.finish, n_boot=n_boot, seed=seed, level=level
        )
    return AgreementResult(
        coefficient=coefficient,
        value=value if defined else None,
        ci_low=low,
        ci_high=high,
        level=level,
        n_boot=n_boot,
        n_boot_defined=n_defined,
        n_units=n_units,
        n_pairable=n_pairable,
        n_coders=n_coders,
        explanation=explanation,
        **extra,
    )


# --- shared per-unit pieces -------------------------------------------------------------


def _unit_table(data: ReliabilityData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct count vectors of the units holding at least one value, their totals,
    and how many units hold each (see `ReliabilityData.patterns`)."""
    counts, weights, _ = data.patterns()
    return counts, _rowsum(counts), weights.astype(np.float64)


def _rowsum(a: np.ndarray) -> np.ndarray:
    """Row sums of a tall, narrow matrix (a matrix-vector product beats a short-axis reduce)."""
    return a @ np.ones(a.shape[1]) if a.shape[1] else np.zeros(a.shape[0])


def _stack(*columns: np.ndarray) -> np.ndarray:
    """Columns and column blocks side by side in one preallocated float64 matrix."""
    blocks = [c[:, None] if c.ndim == 1 else c for c in columns]
    out = np.empty((len(blocks[0]), sum(b.shape[1] for b in blocks)), dtype=np.float64)
    start = 0
    for block in blocks:
        out[:, start : start + block.shape[1]] = block
        start += block.shape[1]
    return out


def _coders_in_use(data: ReliabilityData) -> int:
    return int((np.bincount(data.coder, minlength=data.n_coders) > 0).sum())


def _nothing_pairable(data: ReliabilityData) -> str:
    if data.n_values == 0:
        return "no values: nothing to compare"
    if _coders_in_use(data) < 2:
        return "only one coder: agreement needs at least two"
    return "no unit was labelled by two or more coders (no overlap)"


def agreement_weights(q: int, weights: Weights) -> np.ndarray:
    """Agreement weights on category ranks (ordinal levels carry order, not distances)."""
    ranks = np.arange(q, dtype=np.float64)
    diff = np.abs(ranks[:, None] - ranks[None, :])
    if weights == "identity" or q < 2:
        return np.eye(q)
    if weights == "linear":
        return 1.0 - diff / (q - 1)
    if weights == "quadratic":
        return 1.0 - (diff / (q - 1)) ** 2
    if weights == "ordinal":
        steps = diff + 1
        raw = steps * (steps - 1) / 2
        return 1.0 - raw / raw.max()
    raise ValueError(f"unknown weights {weights!r}; use identity, linear, quadratic or ordinal")


# --- percent agreement ------------------------------------------------------------------


def percent_agreement(data: ReliabilityData, **boot: Unpack[Bootstrap]) -> AgreementResult:
    """Mean over units with two or more values of the share of coder pairs that agree."""
    counts, m, units = _unit_table(data)
    pairable = m >= 2
    share = np.zeros_like(m)
    pairs = m * (m - 1)
    agreeing = _rowsum(counts * (counts - 1.0))
    share[pairable] = agreeing[pairable] / pairs[pairable]

    def finish(t: np.ndarray) -> np.ndarray:
        return np.where(t[:, 0] > 0, t[:, 1] / np.where(t[:, 0] > 0, t[:, 0], 1), np.nan)

    def explain(t: np.ndarray) -> str | None:
        return None if t[0] > 0 else _nothing_pairable(data)

    return with_interval(
        boot,
        Plan((pairable.astype(np.float64), share), finish, explain, units),
        coefficient="percent_agreement",
        weights="identity",
        n_units=_count(units, pairable),
        n_pairable=_count(units * m, pairable),
        n_coders=_coders_in_use(data),
    )


# --- Krippendorff's alpha ----------------------------------------------------------------


def _fixed_distances(data: ReliabilityData, metric: Metric) -> np.ndarray:
    q = data.n_categories
    if metric == "nominal":
        return 1.0 - np.eye(q)
    v = data.numeric_values()
    if metric == "interval":
        return (v[:, None] - v[None, :]) ** 2
    if metric == "ratio":
        total = v[:, None] + v[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(total != 0, (v[:, None] - v[None, :]) / total, 0.0)
        return ratio**2
    raise ValueError(f"unknown metric {metric!r}; use nominal, ordinal, interval or ratio")


def _ordinal_distances(marginals: np.ndarray, iu: np.ndarray, ju: np.ndarray) -> np.ndarray:
    """Krippendorff's ordinal δ² for the pairs (iu < ju), one row per resample."""
    cum = np.cumsum(marginals, axis=1)
    between = cum[:, ju] - cum[:, iu] + marginals[:, iu]
    return (between - (marginals[:, iu] + marginals[:, ju]) / 2.0) ** 2


@dataclass(frozen=True)
class AlphaParts:
    """Krippendorff's alpha as per-row statistics of count vectors plus `finish`, so a
    caller can total any set of count vectors (e.g. the units without one coder's values)
    and finish them the same way."""

    row_stats: Callable[[np.ndarray], np.ndarray]
    finish: Callable[[np.ndarray], np.ndarray]


def alpha_parts(data: ReliabilityData, metric: Metric) -> AlphaParts:
    """The statistics whose weighted sums define alpha for `metric` (pairable rows only)."""
    q = data.n_categories
    if metric == "ordinal":
        iu, ju = np.triu_indices(q, k=1)
        n_pairs = len(iu)

        def row_stats(counts: np.ndarray) -> np.ndarray:
            _, inv = _pair_weights(counts)
            coincidences = counts[:, iu] * counts[:, ju] * inv[:, None]
            return _stack(coincidences, counts) * (inv > 0)[:, None]

        def disagreement(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            marg = t[:, n_pairs:]
            delta = _ordinal_distances(marg, iu, ju)
            observed = 2.0 * (t[:, :n_pairs] * delta).sum(axis=1)
            expected = 2.0 * (marg[:, iu] * marg[:, ju] * delta).sum(axis=1)
            return observed, expected
    else:
        delta = _fixed_distances(data, metric)

        def row_stats(counts: np.ndarray) -> np.ndarray:
            m, inv = _pair_weights(counts)
            if metric == "nominal":
                # Σ_ck n_c n_k (1 - [c = k]) = m² - Σ_k n_k²: no units × categories product.
                observed_u = (m * m - _rowsum(counts * counts)) * inv
            else:
                observed_u = _rowsum((counts @ delta) * counts) * inv
            return _stack(observed_u, counts) * (inv > 0)[:, None]

        def disagreement(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            marg = t[:, 1:]
            return t[:, 0], np.einsum("bi,ij,bj->b", marg, delta, marg)

    def finish(t: np.ndarray) -> np.ndarray:
        observed, expected = disagreement(t)
        n = t[:, -q:].sum(axis=1) if q else np.zeros(len(t))
        ok = (expected > 0) & (n > 1)
        return np.where(ok, 1.0 - (n - 1.0) * observed / np.where(ok, expected, 1.0), np.nan)

    return AlphaParts(row_stats, finish)


def _pair_weights(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's number of values m, and 1/(m - 1) where the row is pairable (else 0)."""
    m = _rowsum(counts)
    inv = np.zeros_like(m)
    pairable = m >= 2
    inv[pairable] = 1.0 / (m[pairable] - 1.0)
    return m, inv


def krippendorff_alpha(
    data: ReliabilityData,
    metric: Metric = "nominal",
    **boot: Unpack[Bootstrap],
) -> AgreementResult:
    """Krippendorff's alpha from the coincidence matrix, any number of coders, missing data.

    Only per-pattern count vectors are formed (patterns × categories), never units × units.
    """
    counts, m, units = _unit_table(data)
    q = data.n_categories
    pairable = m >= 2
    parts = alpha_parts(data, metric)

    def explain(t: np.ndarray) -> str | None:
        if not pairable.any():
            return _nothing_pairable(data)
        used = int((t[-q:] > 0).sum())
        if used < 2:
            return (
                "all pairable values fall in one category: there is no variation, so "
                "alpha is undefined (expected disagreement is 0)"
            )
        return None

    return with_interval(
        boot,
        Plan((parts.row_stats(counts),), parts.finish, explain, units),
        coefficient="krippendorff_alpha",
        metric=metric,
        n_units=_count(units, pairable),
        n_pairable=_count(units * m, pairable),
        n_coders=_coders_in_use(data),
        note=_dropped_note(data),
    )


def _count(weights: np.ndarray, mask: np.ndarray) -> int:
    """A weighted count over the patterns selected by `mask` (whole units or values)."""
    return round(float(weights[mask].sum()))


def _dropped_note(data: ReliabilityData) -> str | None:
    if not data.n_dropped:
        return None
    return (
        f"{data.n_dropped} value(s) outside the scale ({', '.join(data.dropped_values)}) "
        "were treated as missing"
    )


# --- Fleiss' kappa and Gwet's AC1/AC2 ----------------------------------------------------


def fleiss_kappa(
    data: ReliabilityData,
    *,
    units: FleissUnits = "modal",
    **boot: Unpack[Bootstrap],
) -> AgreementResult:
    """Fleiss' kappa.

    `units="modal"`: Fleiss (1971) proper, over the units rated by the modal number of
    coders (among units with two or more); other units are left out and counted in
    `note`. `units="all"`: the generalisation to varying numbers of coders used by Gwet's
    handbook and irrCAC (agreement over units with two or more values, category shares
    averaged over all rated units).
    """
    counts, m, weights = _unit_table(data)
    q = data.n_categories
    pairable = m >= 2
    note = _dropped_note(data)
    if units == "modal":
        if pairable.any():
            freq = np.bincount(m[pairable].astype(np.int64), weights=weights[pairable])
            size = float(np.argmax(freq))
        else:
            size = 2.0
        keep = m == size
        left_out = _count(weights, pairable) - _count(weights, keep)
        if left_out:
            note = _join(
                note,
                f"{left_out} unit(s) rated by another number of coders than the modal "
                f"{int(size)} were left out",
            )
        # Only the modal units enter, so only they are resampled by the bootstrap.
        kept = counts[keep]
        unit_weights = weights[keep]
        blocks: tuple[np.ndarray, ...] = (np.ones(len(kept)), _rowsum(kept * kept), kept)
        offset = 2

        def finish_modal(t: np.ndarray) -> np.ndarray:
            n_u = t[:, 0]
            with np.errstate(divide="ignore", invalid="ignore"):
                p_bar = (t[:, 1] - n_u * size) / (n_u * size * (size - 1.0))
                shares = t[:, 2:] / (n_u * size)[:, None]
                p_e = (shares**2).sum(axis=1)
                return np.where((n_u > 0) & (p_e < ONE), (p_bar - p_e) / (1.0 - p_e), np.nan)

        finish: Callable[[np.ndarray], np.ndarray] = finish_modal

        n_used, n_pairable = _count(weights, keep), _count(weights * m, keep)
    elif units == "all":
        blocks, finish = _generalised_stats(counts, m, np.eye(q), chance="fleiss")
        unit_weights = weights
        offset = 3
        n_used, n_pairable = _count(weights, pairable), _count(weights * m, pairable)
    else:
        raise ValueError(f"units must be 'modal' or 'all', got {units!r}")

    def explain(t: np.ndarray) -> str | None:
        if not pairable.any():
            return _nothing_pairable(data)
        if np.count_nonzero(t[offset:] > 0) < 2:
            return "all values fall in one category: chance agreement is 1, kappa undefined"
        return None

    return with_interval(
        boot,
        Plan(blocks, finish, explain, unit_weights),
        coefficient="fleiss_kappa",
        weights="identity",
        n_units=n_used,
        n_pairable=n_pairable,
        n_coders=_coders_in_use(data),
        note=_join(note, f"units: {units}"),
    )


def _join(a: str | None, b: str) -> str:
    return b if a is None else f"{a}; {b}"


def _generalised_stats(
    counts: np.ndarray, m: np.ndarray, w: np.ndarray, chance: Literal["fleiss", "gwet"]
) -> tuple[tuple[np.ndarray, ...], Callable[[np.ndarray], np.ndarray]]:
    """Per-unit statistics shared by generalised Fleiss and Gwet (Gwet 2014, ch. 2-3)."""
    q = counts.shape[1]
    pairable = m >= 2
    weighted = counts @ w.T
    pa_u = np.zeros_like(m)
    agreeing = _rowsum(counts * (weighted - 1.0))
    pa_u[pairable] = agreeing[pairable] / (m[pairable] * (m[pairable] - 1.0))
    shares = counts / m[:, None]
    blocks = (pairable.astype(np.float64), pa_u, np.ones_like(m), shares)
    w_sum = float(w.sum())

    def finish(t: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            pa = t[:, 1] / t[:, 0]
            pi = t[:, 3:] / t[:, 2][:, None]
            if chance == "fleiss":
                pe = np.einsum("bi,ij,bj->b", pi, w, pi)
            elif q >= 2:
                pe = w_sum * (pi * (1.0 - pi)).sum(axis=1) / (q * (q - 1))
            else:
                pe = np.ones(len(t))
            return np.where((t[:, 0] > 0) & (pe < ONE), (pa - pe) / (1.0 - pe), np.nan)

    return blocks, finish


def gwet_ac(
    data: ReliabilityData,
    weights: Weights = "identity",
    **boot: Unpack[Bootstrap],
) -> AgreementResult:
    """Gwet's AC1 (identity weights) or AC2 (weighted), any number of coders, missing data."""
    counts, m, units = _unit_table(data)
    q = data.n_categories
    pairable = m >= 2
    blocks, finish = _generalised_stats(counts, m, agreement_weights(q, weights), chance="gwet")

    def explain(t: np.ndarray) -> str | None:
        if not pairable.any():
            return _nothing_pairable(data)
        if q < 2:
            return "only one category on the scale: chance agreement is 1, AC undefined"
        return None

    return with_interval(
        boot,
        Plan(blocks, finish, explain, units),
        coefficient="gwet_ac1" if weights == "identity" else "gwet_ac2",
        weights=weights,
        n_units=_count(units, pairable),
        n_pairable=_count(units * m, pairable),
        n_coders=_coders_in_use(data),
        note=_dropped_note(data),
    )
