"""Agreement statistics: our time against the reference packages, measured in one run.

Generates seeded reliability data (units × 5 coders, 20% missing) at 10k, 100k and 1M
units and prints one table: figure, size, our time, each reference's time on the same
figure and the ratio ours / fastest reference (below 1 means faster). Every tool starts
from the same units × coders matrix, so building our data structure is inside our time.
A reference whose time, extrapolated from the previous size, would exceed 60 s is skipped.
Then the whole `build_report` (1,000 bootstrap resamples) is timed for 100k statements.

Run: .venv/bin/python bench/agreement.py [--sizes 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
from irrCAC.raw import CAC
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotate.agreement import (
    ReliabilityData,
    cohen_kappa_pairs,
    fleiss_kappa,
    krippendorff_alpha,
)
from annotate.agreement.report import build_report

CODERS = 5
MISSING = 0.20
TYPES = 10
LEVELS = 5
LIMIT_S = 60.0
SEED = 42


def simulate(n_units: int, q: int, seed: int) -> np.ndarray:
    """Units × coders codes 1..q: a skewed true label, each coder right ~75% of the time."""
    rng = np.random.default_rng(seed)
    p = np.sort(rng.dirichlet(np.ones(q)))[::-1]
    truth = rng.choice(q, size=n_units, p=p)
    noise = rng.choice(q, size=(n_units, CODERS), p=p)
    values = np.where(rng.random((n_units, CODERS)) < 0.75, truth[:, None], noise) + 1.0
    values[rng.random(values.shape) < MISSING] = np.nan
    return values


def best_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_mb(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def modal_table(matrix: np.ndarray, q: int) -> np.ndarray:
    m = (~np.isnan(matrix)).sum(axis=1)
    sizes, freq = np.unique(m[m >= 2], return_counts=True)
    rows = matrix[m == sizes[np.argmax(freq)]]
    return np.stack([(rows == k).sum(axis=1) for k in range(1, q + 1)], axis=1)


def sklearn_pairs(matrix: np.ndarray) -> list[float]:
    out = []
    for a, b in combinations(range(matrix.shape[1]), 2):
        both = ~np.isnan(matrix[:, a]) & ~np.isnan(matrix[:, b])
        out.append(cohen_kappa_score(matrix[both, a], matrix[both, b]))
    return out


def irrcac(matrix: np.ndarray, q: int, method: str) -> float:
    cac = CAC(pd.DataFrame(matrix), categories=[float(k) for k in range(1, q + 1)])
    return getattr(cac, method)()["est"]["coefficient_value"]


def figures(types: np.ndarray, conf: np.ndarray) -> dict[str, tuple[Callable, dict]]:
    """figure → (our function, {reference name: reference function})."""

    def ours(matrix: np.ndarray, compute: Callable[[ReliabilityData], object]) -> Callable:
        return lambda: compute(ReliabilityData.from_matrix(matrix))

    return {
        "alpha nominal": (
            ours(types, lambda d: krippendorff_alpha(d, "nominal", n_boot=0)),
            {
                "krippendorff": lambda: krippendorff.alpha(
                    reliability_data=types.T, level_of_measurement="nominal"
                ),
                "irrCAC": lambda: irrcac(types, TYPES, "krippendorff"),
            },
        ),
        "alpha ordinal": (
            ours(conf, lambda d: krippendorff_alpha(d, "ordinal", n_boot=0)),
            {
                "krippendorff": lambda: krippendorff.alpha(
                    reliability_data=conf.T, level_of_measurement="ordinal"
                ),
            },
        ),
        "fleiss (modal units)": (
            ours(types, lambda d: fleiss_kappa(d, n_boot=0)),
            {"statsmodels": lambda: sm_fleiss_kappa(modal_table(types, TYPES))},
        ),
        "fleiss (all units)": (
            ours(types, lambda d: fleiss_kappa(d, units="all", n_boot=0)),
            {"irrCAC": lambda: irrcac(types, TYPES, "fleiss")},
        ),
        "cohen, 10 pairs": (
            ours(types, lambda d: cohen_kappa_pairs(d, n_boot=0)),
            {"sklearn": lambda: sklearn_pairs(types)},
        ),
    }


def report_labels(n_units: int, seed: int) -> pd.DataFrame:
    types = simulate(n_units, TYPES, seed)
    conf = simulate(n_units, LEVELS, seed + 1)
    conf[np.isnan(types)] = np.nan
    rated = ~np.isnan(types)
    unit, coder = np.nonzero(rated)
    rng = np.random.default_rng(seed)
    names = np.array([f"type_{k}" for k in range(1, TYPES + 1)], dtype=object)
    documents = unit // 25
    return pd.DataFrame(
        {
            "statement_id": unit,
            "annotator": np.array([f"annotator{c}" for c in range(CODERS)])[coder],
            "source_type": names[types[rated].astype(int) - 1],
            "confidence": conf[rated],
            "suggestion_shown": rng.random(len(unit)) < 0.5,
            "document_id": documents,
            "outlet": np.where(documents % 3 == 0, "AFP", "Le Monde"),
            "published": [dt.date(2024, 1, 1)] * len(unit),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--report-units", type=int, default=100_000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    header = f"{'figure':<22}{'units':>10}{'ours s':>10}{'peak MB':>9}  references (s)"
    print(header + "  ratio")
    print("-" * 100)
    previous: dict[tuple[str, str], tuple[int, float]] = {}
    for size in args.sizes:
        types = simulate(size, TYPES, SEED)
        conf = simulate(size, LEVELS, SEED + 1)
        repeat = 3  # best of three: one run at 1M units is at the mercy of page faults
        for figure, (ours, refs) in figures(types, conf).items():
            ours_s = best_time(ours, repeat)
            mem = peak_mb(ours)
            cells, ref_times = [], []
            for name, ref in refs.items():
                last = previous.get((figure, name))
                estimate = last[1] * size / last[0] if last else 0.0
                if estimate > LIMIT_S:
                    cells.append(f"{name} skipped (est. {estimate:.0f} s)")
                    previous[(figure, name)] = (size, estimate)
                    continue
                ref_s = best_time(ref, repeat)
                previous[(figure, name)] = (size, ref_s)
                ref_times.append(ref_s)
                cells.append(f"{name} {ref_s:.3f}")
            ratio = f"{ours_s / min(ref_times):.3f}" if ref_times else "n/a"
            line = f"{figure:<22}{size:>10,}{ours_s:>10.3f}{mem:>9.0f}  {', '.join(cells)}"
            print(f"{line}  {ratio}", flush=True)

    labels = report_labels(args.report_units, SEED)
    start = time.perf_counter()
    build_report(labels, n_boot=1000, seed=SEED)
    report_s = time.perf_counter() - start
    report_mb = peak_mb(lambda: build_report(labels, n_boot=1000, seed=SEED + 1))
    print("-" * 100)
    print(
        f"build_report, {args.report_units:,} statements × {CODERS} annotators "
        f"({len(labels):,} labels), 1,000 resamples: {report_s:.2f} s "
        f"(goal < 10 s), peak traced {report_mb:.0f} MB"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS: {rss:.0f} MB")


if __name__ == "__main__":
    main()
