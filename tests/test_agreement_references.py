"""Randomised comparison with the reference libraries, to 1e-9, on data with missing values.

References: `krippendorff.alpha`, `statsmodels.stats.inter_rater.fleiss_kappa`,
`sklearn.metrics.cohen_kappa_score` and irrCAC's `CAC` (Gwet AC1/AC2, generalised Fleiss).
irrCAC is always given the full category list: under pandas 3 it otherwise counts NaN as a
category of its own.
"""

from __future__ import annotations

import warnings
from itertools import combinations

import krippendorff
import numpy as np
import pandas as pd
import pytest
from irrCAC.raw import CAC
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from annotate.agreement import (
    ReliabilityData,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac,
    krippendorff_alpha,
)

TOL = 1e-9
DATASETS_PER_CASE = 15
CASES = 20  # 300 random data sets in all
FAST_CASES = 4  # the daily loop (`make test-fast`) runs these; `make test` runs every case
ALL_CASES = [
    pytest.param(case, marks=() if case < FAST_CASES else pytest.mark.slow) for case in range(CASES)
]


def random_matrix(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Units × coders with values 1..q and NaN for missing, sometimes skewed."""
    n_units = int(rng.integers(4, 60))
    n_coders = int(rng.integers(2, 7))
    q = int(rng.integers(2, 7))
    p = rng.dirichlet(np.full(q, rng.choice([0.3, 1.0, 5.0])))
    truth = rng.choice(q, size=n_units, p=p)
    noisy = rng.random((n_units, n_coders)) < rng.uniform(0.1, 0.8)
    values = np.where(noisy, rng.choice(q, size=(n_units, n_coders), p=p), truth[:, None])
    matrix = (values + 1).astype(float)
    matrix[rng.random(matrix.shape) < rng.uniform(0.0, 0.5)] = np.nan
    return matrix, q


def close_or_both_undefined(ours: float | None, reference: float) -> None:
    if ours is None:
        assert not np.isfinite(reference), f"we say undefined, the reference says {reference}"
    else:
        assert ours == pytest.approx(reference, abs=TOL)


def ours_from(matrix: np.ndarray, q: int) -> ReliabilityData:
    return ReliabilityData.from_matrix(matrix, levels=[float(k) for k in range(1, q + 1)])


@pytest.mark.parametrize("case", ALL_CASES)
def test_krippendorff_alpha_matches_krippendorff_package(case: int) -> None:
    rng = np.random.default_rng(1000 + case)
    for _ in range(DATASETS_PER_CASE):
        matrix, q = random_matrix(rng)
        data = ours_from(matrix, q)
        observed = np.unique(matrix[~np.isnan(matrix)])
        pairable = (~np.isnan(matrix)).sum(axis=1) >= 2
        for metric in ("nominal", "ordinal", "interval", "ratio"):
            ours = krippendorff_alpha(data, metric, n_boot=0).value
            if len(np.unique(matrix[pairable][~np.isnan(matrix[pairable])])) < 2:
                assert ours is None
                continue
            reference = krippendorff.alpha(
                reliability_data=matrix.T, level_of_measurement=metric, value_domain=observed
            )
            close_or_both_undefined(ours, reference)


@pytest.mark.parametrize("case", ALL_CASES)
def test_cohen_kappa_matches_sklearn(case: int) -> None:
    rng = np.random.default_rng(2000 + case)
    for _ in range(DATASETS_PER_CASE):
        matrix, q = random_matrix(rng)
        data = ours_from(matrix, q)
        labels = [float(k) for k in range(1, q + 1)]
        for a, b in combinations(range(matrix.shape[1]), 2):
            both = ~np.isnan(matrix[:, a]) & ~np.isnan(matrix[:, b])
            for ours_w, sk_w in (
                ("identity", None),
                ("linear", "linear"),
                ("quadratic", "quadratic"),
            ):
                ours = cohen_kappa(data, a, b, ours_w, n_boot=0).value  # type: ignore[arg-type]
                if not both.any():
                    assert ours is None
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    reference = cohen_kappa_score(
                        matrix[both, a], matrix[both, b], labels=labels, weights=sk_w
                    )
                close_or_both_undefined(ours, reference)


def modal_table(matrix: np.ndarray, q: int) -> np.ndarray:
    """Counts table (units × categories) of the units rated by the modal number of coders."""
    rated = ~np.isnan(matrix)
    m = rated.sum(axis=1)
    sizes, freq = np.unique(m[m >= 2], return_counts=True)
    size = sizes[np.argmax(freq)]
    rows = matrix[m == size]
    return np.stack([(rows == k).sum(axis=1) for k in range(1, q + 1)], axis=1)


@pytest.mark.parametrize("case", ALL_CASES)
def test_fleiss_kappa_matches_statsmodels_and_irrcac(case: int) -> None:
    rng = np.random.default_rng(3000 + case)
    for _ in range(DATASETS_PER_CASE):
        matrix, q = random_matrix(rng)
        data = ours_from(matrix, q)
        if ((~np.isnan(matrix)).sum(axis=1) >= 2).sum() == 0:
            assert fleiss_kappa(data, n_boot=0).value is None
            continue
        if len(np.unique(matrix[~np.isnan(matrix)])) < 2:
            # One category: chance agreement is 1 and kappa is 0/0 (irrCAC's rounding says 1).
            assert fleiss_kappa(data, units="all", n_boot=0).value is None
            continue
        table = modal_table(matrix, q)
        with np.errstate(divide="ignore", invalid="ignore"):
            reference = sm_fleiss_kappa(table, method="fleiss")
        close_or_both_undefined(fleiss_kappa(data, n_boot=0).value, reference)
        categories = [float(k) for k in range(1, q + 1)]
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            general = CAC(pd.DataFrame(matrix), categories=categories, digits=15).fleiss()
        close_or_both_undefined(
            fleiss_kappa(data, units="all", n_boot=0).value,
            general["est"]["coefficient_value"],
        )


@pytest.mark.parametrize("case", ALL_CASES)
def test_gwet_matches_irrcac(case: int) -> None:
    rng = np.random.default_rng(4000 + case)
    for _ in range(DATASETS_PER_CASE):
        matrix, q = random_matrix(rng)
        data = ours_from(matrix, q)
        if ((~np.isnan(matrix)).sum(axis=1) >= 2).sum() == 0:
            assert gwet_ac(data, n_boot=0).value is None
            continue
        categories = [float(k) for k in range(1, q + 1)]
        for weights in ("identity", "linear", "quadratic", "ordinal"):
            with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cac = CAC(pd.DataFrame(matrix), weights=weights, categories=categories, digits=15)
                reference = cac.gwet()["est"]["coefficient_value"]
            ours = gwet_ac(data, weights, n_boot=0).value  # type: ignore[arg-type]
            close_or_both_undefined(ours, reference)
