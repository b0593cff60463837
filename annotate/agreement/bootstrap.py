"""Bootstrap over units, vectorised over resamples.

Every coefficient here is a function of *sums* of per-unit statistics, and a unit's
statistics depend only on its pattern of values (its count vector, or its cell for a coder
pair). Resampling n units with replacement is therefore the same as drawing multinomial
counts over the distinct patterns: one matrix product then gives the sums of every
resample, and the cost depends on the number of patterns, not of units.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractContextManager

import numpy as np

Finish = Callable[[np.ndarray], np.ndarray]

# Above this many distinct patterns, drawing unit indices beats per-pattern binomials.
_MULTINOMIAL_MAX_PATTERNS = 20_000
_CHUNK_CELLS = 20_000_000
# Draws are cached per (patterns, n_boot, seed): the coefficients of one variable share
# their count patterns, so a report draws once per variable and all its intervals come
# from the same resamples.
_CACHE_MAX_CELLS = 8_000_000
_CACHE_TOTAL_CELLS = 16_000_000
_CACHE_ENTRIES = 32
_draw_cache: OrderedDict[tuple[str, int, int], np.ndarray] = OrderedDict()
_draw_lock = threading.Lock()


def one_blas_thread() -> AbstractContextManager[object]:
    """Run the block with numpy's matrix products on one thread each. The report already
    runs its variables and its coder pairs on every core; OpenBLAS would start its own
    threads for each product on top of them, and its waiting threads then take the cores
    from the work (a report over 3M labels needed half again as much processor time)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def collapse(stats: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group unit rows by pattern key: (one stats row per pattern, units per pattern)."""
    if len(key) == 0:
        return stats[:0], np.zeros(0, dtype=np.int64)
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    return stats[first], counts.astype(np.int64)


def count_pattern_key(counts: np.ndarray) -> np.ndarray:
    """An integer key per row of a units × categories count matrix (equal rows, equal keys)."""
    if counts.size == 0:
        return np.zeros(counts.shape[0], dtype=np.int64)
    base = int(counts.max()) + 1
    q = counts.shape[1]
    if q * np.log2(base) < 62:
        weights = base ** np.arange(q, dtype=np.int64)
        return counts.astype(np.int64) @ weights
    _, inverse = np.unique(counts, axis=0, return_inverse=True)
    return inverse.ravel().astype(np.int64)


def resample_sums(
    pattern_stats: np.ndarray, pattern_counts: np.ndarray, n_boot: int, seed: int
) -> np.ndarray:
    """Sums of the per-unit statistics for `n_boot` resamples of the units (n_boot × p)."""
    rng = np.random.default_rng(seed)
    n = int(pattern_counts.sum())
    n_patterns = len(pattern_counts)
    out = np.empty((n_boot, pattern_stats.shape[1]), dtype=np.float64)
    if n == 0 or n_boot == 0:
        out[:] = 0.0
        return out
    chunk = max(1, min(n_boot, _CHUNK_CELLS // max(n_patterns, n, 1)))
    if n_patterns <= _MULTINOMIAL_MAX_PATTERNS:
        if n_boot * n_patterns <= _CACHE_MAX_CELLS:
            return _cached_draws(pattern_counts, n_boot, seed) @ pattern_stats
        p = pattern_counts / n
        for start in range(0, n_boot, chunk):
            size = min(chunk, n_boot - start)
            draws = rng.multinomial(n, p, size=size).astype(np.float64)
            out[start : start + size] = draws @ pattern_stats
        return out
    unit_pattern = np.repeat(np.arange(n_patterns), pattern_counts)
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        idx = unit_pattern[rng.integers(0, n, size=(size, n))]
        idx += (np.arange(size) * n_patterns)[:, None]
        weights = np.bincount(idx.ravel(), minlength=size * n_patterns)
        out[start : start + size] = weights.reshape(size, n_patterns) @ pattern_stats
    return out


def _cached_draws(pattern_counts: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    digest = hashlib.blake2b(np.ascontiguousarray(pattern_counts).tobytes()).hexdigest()
    key = (digest, n_boot, seed)
    with _draw_lock:
        if key in _draw_cache:
            _draw_cache.move_to_end(key)
            return _draw_cache[key]
    n = int(pattern_counts.sum())
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, pattern_counts / n, size=n_boot).astype(np.float64)
    with _draw_lock:
        _draw_cache[key] = draws
        while len(_draw_cache) > _CACHE_ENTRIES or (
            sum(d.size for d in _draw_cache.values()) > _CACHE_TOTAL_CELLS
        ):
            _draw_cache.popitem(last=False)
    return draws


def percentile_ci(values: np.ndarray, level: float) -> tuple[float | None, float | None, int]:
    """Percentile interval over the resamples where the coefficient is defined."""
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return None, None, 0
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(finite, [tail, 1.0 - tail])
    return float(low), float(high), len(finite)


def bootstrap_ci(
    pattern_stats: np.ndarray,
    pattern_counts: np.ndarray,
    finish: Finish,
    *,
    n_boot: int,
    seed: int,
    level: float,
) -> tuple[float | None, float | None, int]:
    """(low, high, resamples where defined) of `finish` applied to resampled sums."""
    if n_boot <= 0:
        return None, None, 0
    sums = resample_sums(pattern_stats, pattern_counts, n_boot, seed)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = finish(sums)
    return percentile_ci(values, level)
