"""Agreement coefficients against published worked examples, and degenerate data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from annotate.agreement import (
    ReliabilityData,
    cohen_kappa,
    cohen_kappa_pairs,
    fleiss_kappa,
    gwet_ac,
    krippendorff_alpha,
    percent_agreement,
)

NAN = math.nan

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
# 4 observers × 12 units, values 1-5, with missing data.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]

# Fleiss (1971) as reproduced on Wikipedia's "Fleiss' kappa" page:
# 10 subjects, 14 raters each, counts per category 1..5.
FLEISS_1971 = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


@pytest.fixture
def krippendorff_data() -> ReliabilityData:
    return ReliabilityData.from_matrix(KRIPPENDORFF_2011, coders_in_rows=True)


def table_to_long(table: list[list[int]]) -> tuple[list[int], list[int], list[int]]:
    units, coders, values = [], [], []
    for unit, row in enumerate(table):
        rater = 0
        for category, count in enumerate(row, start=1):
            for _ in range(count):
                units.append(unit)
                coders.append(rater)
                values.append(category)
                rater += 1
    return units, coders, values


@pytest.mark.parametrize(
    ("metric", "expected"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_2011_example(
    krippendorff_data: ReliabilityData, metric: str, expected: float
) -> None:
    result = krippendorff_alpha(krippendorff_data, metric, n_boot=0)  # type: ignore[arg-type]
    assert round(result.value, 3) == expected
    # Unit 12 has a single value, so 11 units and 40 pairable values remain.
    assert result.n_units == 11
    assert result.n_pairable == 40
    assert result.explanation is None


def test_fleiss_1971_example() -> None:
    data = ReliabilityData.from_long(*table_to_long(FLEISS_1971))
    result = fleiss_kappa(data, n_boot=0)
    assert round(result.value, 3) == 0.210
    assert result.n_units == 10
    assert result.n_coders == 14


def test_cohen_wikipedia_example() -> None:
    # 50 proposals: yes/yes 20, yes/no 5, no/yes 10, no/no 15 → κ = 0.4.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    data = ReliabilityData.from_long(list(range(50)) * 2, ["A"] * 50 + ["B"] * 50, a + b)
    result = cohen_kappa(data, "A", "B", n_boot=0)
    assert result.value == pytest.approx(0.4, abs=1e-12)
    assert result.coders == ("A", "B")
    assert result.n_units == 50


@pytest.mark.parametrize(
    ("weights", "expected"),
    # irrCAC 0.4 on its bundled `raw_4raters` data (Gwet's handbook example), computed
    # with `CAC(raw_4raters(), weights=w, categories=[1.0, 2.0, 3.0, 4.0, 5.0]).gwet()`;
    # the AC1 value 0.77544 is also printed in irrCAC's own documentation.
    [
        ("identity", 0.775444068127),
        ("linear", 0.858739136433),
        ("quadratic", 0.914000723552),
        ("ordinal", 0.898939769908),
    ],
)
def test_gwet_irrcac_raw_4raters(
    krippendorff_data: ReliabilityData, weights: str, expected: float
) -> None:
    result = gwet_ac(krippendorff_data, weights, n_boot=0)  # type: ignore[arg-type]
    assert result.value == pytest.approx(expected, abs=1e-11)
    assert result.coefficient == ("gwet_ac1" if weights == "identity" else "gwet_ac2")


def test_generalised_fleiss_and_percent_agreement_match_irrcac(
    krippendorff_data: ReliabilityData,
) -> None:
    # irrCAC documentation on raw_4raters: Fleiss 0.76117, pa 0.81818.
    assert fleiss_kappa(krippendorff_data, units="all", n_boot=0).value == pytest.approx(
        0.761169275422, abs=1e-11
    )
    assert percent_agreement(krippendorff_data, n_boot=0).value == pytest.approx(9 / 11)


def test_modal_fleiss_reports_left_out_units(krippendorff_data: ReliabilityData) -> None:
    result = fleiss_kappa(krippendorff_data, n_boot=0)
    # 8 units carry 4 values (the mode); units 1, 10 and 11 (3, 3 and 2 values) are left out.
    assert result.n_units == 8
    assert result.note.startswith("3 unit(s) rated by another number of coders than the modal 4")


def test_bootstrap_interval_is_seeded_and_brackets_the_estimate(
    krippendorff_data: ReliabilityData,
) -> None:
    first = krippendorff_alpha(krippendorff_data, "interval", n_boot=500, seed=7)
    again = krippendorff_alpha(krippendorff_data, "interval", n_boot=500, seed=7)
    other = krippendorff_alpha(krippendorff_data, "interval", n_boot=500, seed=8)
    assert (first.ci_low, first.ci_high) == (again.ci_low, again.ci_high)
    assert (first.ci_low, first.ci_high) != (other.ci_low, other.ci_high)
    assert first.ci_low < first.value <= first.ci_high <= 1.0
    assert first.n_boot == 500


def test_bootstrap_matches_explicit_resampling_distribution() -> None:
    # The pattern-multinomial shortcut must give the same distribution as resampling units.
    rng = np.random.default_rng(3)
    matrix = rng.integers(1, 4, size=(300, 3)).astype(float)
    matrix[rng.random(matrix.shape) < 0.2] = np.nan
    data = ReliabilityData.from_matrix(matrix)
    ours = krippendorff_alpha(data, "nominal", n_boot=2000, seed=1)
    rated = np.flatnonzero((~np.isnan(matrix)).sum(axis=1) >= 1)
    manual = []
    for _ in range(400):
        pick = rated[rng.integers(0, len(rated), len(rated))]
        value = krippendorff_alpha(ReliabilityData.from_matrix(matrix[pick]), n_boot=0).value
        manual.append(value)
    low, high = np.quantile(manual, [0.025, 0.975])
    assert ours.ci_low == pytest.approx(low, abs=0.03)
    assert ours.ci_high == pytest.approx(high, abs=0.03)


def test_ordinal_levels_drop_out_of_scale_values() -> None:
    data = ReliabilityData.from_long(
        [1, 1, 2, 2, 3, 3], ["a", "b"] * 3, ["A", "B", "C", "F", "E", "E"], levels="ABCDE"
    )
    assert data.categories == ("A", "B", "C", "D", "E")
    assert data.n_values == 5
    assert data.dropped_values == ("F",)
    result = krippendorff_alpha(data, "ordinal", n_boot=0)
    assert result.n_units == 2
    assert "1 value(s) outside the scale (F)" in result.note


def test_from_long_rejects_duplicate_unit_coder() -> None:
    with pytest.raises(ValueError, match=r"unit 1, coder 'a' has more than one value"):
        ReliabilityData.from_long([1, 1], ["a", "a"], ["x", "y"])


def test_from_long_finds_a_repeated_pair_among_records_in_order() -> None:
    # Records in (unit, coder) order take the path without a sort: the repeat is still found.
    with pytest.raises(ValueError, match=r"unit 2, coder 'b' .* \(records 1 and 2\)"):
        ReliabilityData.from_long([1, 2, 2, 3], ["a", "b", "b", "c"], ["x", "y", "x", "y"])


def test_pair_tables_do_not_depend_on_the_order_of_the_records() -> None:
    rng = np.random.default_rng(5)
    units = np.repeat(np.arange(200), 3)
    coders = np.concatenate([rng.choice(6, 3, replace=False) for _ in range(200)])
    values = rng.integers(0, 4, len(units))
    key = units * 6 + coders
    in_order = np.argsort(key, kind="stable")
    shuffled = rng.permutation(len(units))
    a = ReliabilityData.from_long(units[in_order], coders[in_order], values[in_order])
    b = ReliabilityData.from_long(units[shuffled], coders[shuffled], values[shuffled])
    assert a.pair_tables().sum() == 3 * 200  # three pairs a < b in every unit
    np.testing.assert_array_equal(a.pair_tables(), b.pair_tables())
    assert b.record is not None
    np.testing.assert_array_equal(values[shuffled][b.record], np.asarray(b.categories)[b.value])


def test_from_long_over_many_records_allocates_a_few_arrays_of_them() -> None:
    """The agreement report codes millions of labels twice (type and confidence) at once:
    what that allocates, more than the time it takes, sets how long a report waits for
    fresh memory. Records already in (unit, coder) order, nothing missing: the codes are
    kept once (unit, coder, value, record: 32 bytes a record) and the peak stays under
    64 bytes a record (a sort, order array and copies took it to 100)."""
    import tracemalloc

    n = 300_000
    units = np.repeat(np.arange(n // 3) * 7 + 100, 3)
    coders = pd.Series(np.tile(["ann", "bob", "cyd"], n // 3), dtype="str")
    for values, levels in (
        (pd.Series(np.array(["a", "b", "c", "d"])[np.arange(n) % 4], dtype="str"), None),
        (pd.Series(np.arange(n) % 5 + 1, dtype="Int64"), [1, 2, 3, 4, 5]),
    ):
        tracemalloc.start()
        try:
            data = ReliabilityData.from_long(units, coders, values, levels=levels)
            kept, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert data.n_values == n and data.unit_ids.dtype.kind == "i"
        assert kept / n < 40
        assert peak / n < 64


def test_from_long_rejects_length_mismatch() -> None:
    with pytest.raises(ValueError, match="differ in length: 2, 1, 2"):
        ReliabilityData.from_long([1, 2], ["a"], ["x", "y"])


ALL = [
    lambda d: percent_agreement(d, n_boot=50),
    lambda d: krippendorff_alpha(d, "nominal", n_boot=50),
    lambda d: krippendorff_alpha(d, "ordinal", n_boot=50),
    lambda d: krippendorff_alpha(d, "interval", n_boot=50),
    lambda d: fleiss_kappa(d, n_boot=50),
    lambda d: fleiss_kappa(d, units="all", n_boot=50),
    lambda d: gwet_ac(d, n_boot=50),
    lambda d: gwet_ac(d, "quadratic", n_boot=50),
]


@pytest.mark.parametrize("compute", ALL)
def test_empty_input_is_explained(compute) -> None:  # type: ignore[no-untyped-def]
    result = compute(ReliabilityData.from_long([], [], []))
    assert result.value is None
    assert result.explanation == "no values: nothing to compare"


@pytest.mark.parametrize("compute", ALL)
def test_one_coder_is_explained(compute) -> None:  # type: ignore[no-untyped-def]
    result = compute(ReliabilityData.from_long([1, 2, 3], ["a"] * 3, ["x", "y", "x"]))
    assert result.value is None
    assert result.explanation == "only one coder: agreement needs at least two"


@pytest.mark.parametrize("compute", ALL)
def test_no_overlap_is_explained(compute) -> None:  # type: ignore[no-untyped-def]
    data = ReliabilityData.from_long([1, 2, 3, 4], ["a", "a", "b", "b"], ["x", "y", "x", "y"])
    result = compute(data)
    assert result.value is None
    assert "no overlap" in result.explanation


def test_one_category_only() -> None:
    data = ReliabilityData.from_long([1, 1, 2, 2], ["a", "b"] * 2, ["x"] * 4)
    alpha = krippendorff_alpha(data, n_boot=10)
    assert alpha.value is None
    assert "one category" in alpha.explanation
    assert fleiss_kappa(data, n_boot=10).value is None
    assert "one category" in fleiss_kappa(data, n_boot=10).explanation
    assert gwet_ac(data, n_boot=10).value is None
    # Percent agreement is defined (and perfect) even without variation.
    assert percent_agreement(data, n_boot=10).value == 1.0
    kappa = cohen_kappa(data, "a", "b", n_boot=10)
    assert kappa.value is None
    assert "one and the same category" in kappa.explanation


def test_one_observed_level_on_a_wider_scale_gives_defined_ac1() -> None:
    # With a 5-level scale and everyone at 3, AC1 is mathematically 1 (chance agreement 0).
    data = ReliabilityData.from_long([1, 1, 2, 2], ["a", "b"] * 2, [3] * 4, levels=[1, 2, 3, 4, 5])
    assert gwet_ac(data, n_boot=0).value == 1.0


def test_cohen_pairs_include_pairs_without_overlap() -> None:
    data = ReliabilityData.from_long(
        [1, 1, 2, 2, 3], ["a", "b", "a", "b", "c"], ["x", "x", "y", "y", "x"]
    )
    pairs = cohen_kappa_pairs(data, n_boot=0)
    assert [p.coders for p in pairs] == [("a", "b"), ("a", "c"), ("b", "c")]
    assert pairs[0].value == 1.0
    assert pairs[1].value is None
    assert pairs[1].explanation == "coders a and c never labelled the same unit (no overlap)"


def test_unknown_coder_is_named() -> None:
    data = ReliabilityData.from_long([1], ["a"], ["x"])
    with pytest.raises(ValueError, match="unknown coder 'z'"):
        cohen_kappa(data, "a", "z")


def test_result_serialises_to_json(krippendorff_data: ReliabilityData) -> None:
    dumped = krippendorff_alpha(krippendorff_data, n_boot=20).model_dump(mode="json")
    assert dumped["coefficient"] == "krippendorff_alpha"
    assert dumped["metric"] == "nominal"
    assert all(not isinstance(v, float) or math.isfinite(v) for v in dumped.values())


def test_categorical_values_are_ordered_by_value_not_by_their_dtype() -> None:
    values = pd.Categorical(["b", "a", "c", "b"], categories=["c", "b", "a"])
    data = ReliabilityData.from_long([1, 1, 2, 2], ["x", "y", "x", "y"], pd.Series(values))
    plain = ReliabilityData.from_long([1, 1, 2, 2], ["x", "y", "x", "y"], ["b", "a", "c", "b"])
    assert data.categories == plain.categories == ("a", "b", "c")
    assert data.value.tolist() == plain.value.tolist()
