"""Per-label, per-annotator, per-pair and per-statement breakdowns."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest
from test_agreement import KRIPPENDORFF_2011

from annotate.agreement import ReliabilityData, cohen_kappa, confusion_counts, krippendorff_alpha
from annotate.agreement.breakdowns import (
    coder_agreement,
    coincidence_matrix,
    confusion_matrix,
    confusion_vs_reference,
    label_agreement,
    ranked_disagreements,
    top_confusions,
    unit_disagreement_table,
)
from annotate.agreement.coefficients import Metric


@pytest.fixture
def data() -> ReliabilityData:
    return ReliabilityData.from_matrix(KRIPPENDORFF_2011, coders_in_rows=True)


def test_coincidence_matrix_matches_krippendorff_2011(data: ReliabilityData) -> None:
    # The coincidence matrix printed in Krippendorff (2011), section C.
    expected = [
        [7, 4 / 3, 1 / 3, 1 / 3, 0],
        [4 / 3, 10, 4 / 3, 1 / 3, 0],
        [1 / 3, 4 / 3, 8, 1 / 3, 0],
        [1 / 3, 1 / 3, 1 / 3, 4, 0],
        [0, 0, 0, 0, 3],
    ]
    np.testing.assert_allclose(coincidence_matrix(data), expected, atol=1e-12)


def test_label_alpha_equals_alpha_of_binarised_data(data: ReliabilityData) -> None:
    matrix = np.array(KRIPPENDORFF_2011, dtype=float)
    for row in label_agreement(data):
        k = float(row.label)
        binary = np.where(np.isnan(matrix), np.nan, (matrix == k).astype(float))
        reference = krippendorff.alpha(reliability_data=binary, level_of_measurement="nominal")
        assert row.alpha_binary == pytest.approx(reference, abs=1e-12)
    by_label = {r.label: r for r in label_agreement(data)}
    # o_11 / n_1 = 7 / 9; value 5 is only ever matched by 5.
    assert by_label["1"].specific_agreement == pytest.approx(7 / 9)
    assert [r.n_values for r in by_label.values()] == [9, 13, 10, 5, 3]
    assert by_label["5"].specific_agreement == 1.0
    assert by_label["5"].most_confused_with is None
    assert by_label["1"].most_confused_with == "2"


def test_top_confusions_rank_off_diagonal_pairs(data: ReliabilityData) -> None:
    confusions = top_confusions(data)
    assert [(c.label_a, c.label_b) for c in confusions[:2]] == [("1", "2"), ("2", "3")]
    assert confusions[0].pairs == pytest.approx(8 / 3)
    assert sum(c.share_of_disagreement for c in confusions) == pytest.approx(1.0)


def test_coder_agreement_against_others_and_adjudication() -> None:
    units = [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4]
    coders = ["a", "b", "c"] * 3 + ["a", "b"]
    values = ["x", "x", "y", "y", "y", "y", "x", "x", "x", "y", "x"]
    data = ReliabilityData.from_long(units, coders, values)
    rows = {r.coder: r for r in coder_agreement(data, reference={1: "x", 2: "y", 4: "x"})}
    # a agrees with both others on units 2 and 3, with one of two on unit 1, and with
    # nobody on unit 4: (0.5 + 1 + 1 + 0) / 4.
    assert rows["a"].agreement_with_others == pytest.approx(2.5 / 4)
    assert rows["c"].agreement_with_others == pytest.approx((0 + 1 + 1) / 3)
    # Alpha without a coder is alpha on the other coders' values alone.
    without_c = krippendorff_alpha(data.without_coder(2), n_boot=0).value
    assert rows["c"].alpha_without == pytest.approx(without_c)
    overall = krippendorff_alpha(data, n_boot=0).value
    assert rows["c"].alpha_change_without == pytest.approx(without_c - overall)
    assert rows["a"].n_adjudicated == 3
    assert rows["a"].agreement_with_adjudicated == pytest.approx(2 / 3)
    assert rows["b"].agreement_with_adjudicated == 1.0
    assert rows["b"].kappa_vs_adjudicated == 1.0


def test_kappa_vs_others_equals_cohen_with_two_coders() -> None:
    rng = np.random.default_rng(5)
    matrix = rng.integers(1, 4, size=(80, 2)).astype(float)
    data = ReliabilityData.from_matrix(matrix)
    rows = coder_agreement(data)
    cohen = cohen_kappa(data, 0, 1, n_boot=0).value
    assert rows[0].kappa_vs_others == pytest.approx(cohen, abs=1e-12)
    assert rows[1].kappa_vs_others == pytest.approx(cohen, abs=1e-12)


def test_confusion_matrices() -> None:
    data = ReliabilityData.from_long(
        [1, 1, 2, 2, 3, 3], ["a", "b"] * 3, ["x", "y", "x", "x", "y", "y"]
    )
    table = confusion_matrix(data, "a", "b")
    assert table.loc["x", "y"] == 1
    assert table.loc["x", "x"] == 1
    assert table.loc["y", "y"] == 1
    assert table.to_numpy().sum() == 3
    versus = confusion_vs_reference(data, "a", {1: "y", 2: "x"})
    assert versus.loc["x", "y"] == 1
    assert versus.loc["x", "x"] == 1
    assert versus.to_numpy().sum() == 2


def test_ranked_disagreements_order_by_share_then_entropy() -> None:
    units = [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 4]
    coders = ["a", "b", "c", "d"] * 2 + ["a", "b", "a", "b"]
    values = ["x", "x", "y", "y", "x", "y", "z", "w", "x", "x", "x", "y"]
    data = ReliabilityData.from_long(units, coders, values)
    ranked = ranked_disagreements(data)
    # Unit 2: four different labels (disagreement 1, entropy 2 bits) beats unit 4 (1, 1 bit).
    assert [r.unit for r in ranked] == ["2", "4", "1"]
    assert ranked[0].disagreement == 1.0
    assert ranked[0].entropy == pytest.approx(2.0)
    assert ranked[1].entropy == pytest.approx(1.0)
    assert ranked[2].disagreement == pytest.approx(1 - 4 / 12)
    assert ranked[0].values == {"a": "x", "b": "y", "c": "z", "d": "w"}


def _random_data(seed: int, *, levels: list[int] | None = None) -> ReliabilityData:
    """Sparse labels: 300 units, 7 coders, 1-5 values per unit, some coders absent."""
    rng = np.random.default_rng(seed)
    units, coders, values = [], [], []
    for unit in range(300):
        for coder in rng.choice(7, size=rng.integers(1, 6), replace=False):
            units.append(unit)
            coders.append(f"c{coder}")
            values.append(int(rng.choice(5, p=[0.4, 0.3, 0.15, 0.1, 0.05])) + 1)
    return ReliabilityData.from_long(units, coders, values, levels=levels)


@pytest.mark.parametrize("metric", ["nominal", "ordinal", "interval"])
def test_alpha_without_each_coder_equals_alpha_of_the_data_without_them(metric: Metric) -> None:
    data = _random_data(3, levels=[1, 2, 3, 4, 5])
    rows = coder_agreement(data, metric=metric)
    for j, row in enumerate(rows):
        expected = krippendorff_alpha(data.without_coder(j), metric, n_boot=0).value
        assert row.alpha_without == pytest.approx(expected, abs=1e-12)
        # and the oracle agrees on the reduced data
        grid = np.full((data.n_coders, data.n_units), np.nan)
        grid[data.coder, data.unit] = np.asarray(data.categories, dtype=float)[data.value]
        grid[j] = np.nan
        oracle = krippendorff.alpha(reliability_data=grid, level_of_measurement=metric)
        assert row.alpha_without == pytest.approx(oracle, abs=1e-9)


def test_kappa_vs_others_equals_the_pairwise_definition() -> None:
    """Each value paired with each other value of its unit, weight 1/(m-1)."""
    data = _random_data(5)
    q = data.n_categories
    grid = data.matrix()
    rows = coder_agreement(data, weights="identity")
    for j, row in enumerate(rows):
        table = np.zeros((q, q))
        for u in range(data.n_units):
            mine = grid[u, j]
            others = [grid[u, k] for k in range(data.n_coders) if k != j and grid[u, k] >= 0]
            if mine < 0 or not others:
                continue
            for v in others:
                table[mine, v] += 1.0 / len(others)
        total = table.sum()
        po = np.trace(table) / total
        pe = (table.sum(axis=1) / total) @ (table.sum(axis=0) / total)
        assert row.n_shared == round(total)
        assert row.agreement_with_others == pytest.approx(po, abs=1e-12)
        assert row.kappa_vs_others == pytest.approx((po - pe) / (1 - pe), abs=1e-12)


def test_pair_tables_equal_the_confusion_of_each_coder_pair() -> None:
    data = _random_data(9)
    grid = data.matrix()
    q = data.n_categories
    for a in range(data.n_coders):
        for b in range(data.n_coders):
            if a == b:
                continue
            both = (grid[:, a] >= 0) & (grid[:, b] >= 0)
            expected = np.zeros((q, q), dtype=np.int64)
            np.add.at(expected, (grid[both, a], grid[both, b]), 1)
            assert (confusion_counts(data, a, b) == expected).all()


@pytest.mark.parametrize("limit", [1, 7, 50, 1000])
def test_ranked_disagreements_follow_the_per_unit_table(limit: int) -> None:
    """Ties of disagreement and entropy (many here) keep statement order."""
    data = _random_data(11)
    table = unit_disagreement_table(data)
    expected = table[table["disagreement"] > 0].head(limit)
    ranked = ranked_disagreements(data, limit=limit)
    assert [r.unit for r in ranked] == [str(data.unit_ids[i]) for i in expected["unit_index"]]
    assert [r.disagreement for r in ranked] == expected["disagreement"].tolist()
    grid = data.matrix()
    for row, unit in zip(ranked, expected["unit_index"], strict=True):
        assert list(row.values) == [str(data.coder_ids[j]) for j in np.flatnonzero(grid[unit] >= 0)]
