"""Majority vote, median and Dawid–Skene aggregation."""

from __future__ import annotations

import numpy as np
import pytest

from annotate.agreement import ReliabilityData
from annotate.agreement.aggregate import dawid_skene, majority_vote, median_label


def test_majority_vote_reports_ties_with_the_tied_labels() -> None:
    data = ReliabilityData.from_long(
        [1, 1, 1, 2, 2, 3], ["a", "b", "c", "a", "b", "a"], ["x", "x", "y", "x", "y", "z"]
    )
    frame = majority_vote(data).set_index("unit")
    assert frame.loc[1, "label"] == "x"
    assert frame.loc[1, "method"] == "majority"
    assert frame.loc[1, "votes"] == 2
    assert frame.loc[1, "n_votes"] == 3
    assert frame.loc[2, "label"] is None
    assert frame.loc[2, "method"] == "tie"
    assert frame.loc[2, "tied_labels"] == ["x", "y"]
    assert frame.loc[3, "label"] == "z"


def test_adjudicated_labels_win_and_are_marked() -> None:
    data = ReliabilityData.from_long([1, 1, 2, 2], ["a", "b"] * 2, ["x", "x", "x", "y"])
    frame = majority_vote(data, adjudicated={1: "y", 2: "x", 9: "z"}).set_index("unit")
    assert frame.loc[1, "label"] == "y"
    assert frame.loc[1, "method"] == "adjudicated"
    assert frame.loc[2, "label"] == "x"
    assert frame.loc[2, "tied_labels"] is None
    # A statement only an editor labelled still gets its label.
    assert frame.loc[9, "label"] == "z"
    assert frame.loc[9, "n_votes"] == 0


def test_median_is_the_lower_median_and_keeps_splits_visible() -> None:
    data = ReliabilityData.from_long(
        [1, 1, 1, 2, 2, 3, 3, 3, 3],
        ["a", "b", "c", "a", "b", "a", "b", "c", "d"],
        [5, 1, 4, 2, 3, 1, 2, 4, 5],
        levels=[1, 2, 3, 4, 5],
    )
    frame = median_label(data, adjudicated={3: 3}).set_index("unit")
    assert frame.loc[1, "label"] == 4
    assert frame.loc[1, "tied_labels"] is None
    assert frame.loc[2, "label"] == 2
    assert frame.loc[2, "upper_median"] == 3
    assert frame.loc[2, "tied_labels"] == [2, 3]
    assert frame.loc[3, "label"] == 3
    assert frame.loc[3, "method"] == "adjudicated"


def simulate(seed: int) -> tuple[ReliabilityData, np.ndarray, dict[str, float]]:
    """Three careful annotators, one careless, one spammer, 3 classes, 20% missing."""
    rng = np.random.default_rng(seed)
    accuracy = {"good1": 0.9, "good2": 0.85, "good3": 0.8, "careless": 0.55, "spam": 1 / 3}
    n_units, q = 1500, 3
    truth = rng.choice(q, size=n_units, p=[0.5, 0.3, 0.2])
    units, coders, values = [], [], []
    for name, acc in accuracy.items():
        correct = rng.random(n_units) < acc
        wrong = (truth + rng.integers(1, q, size=n_units)) % q
        given = np.where(correct, truth, wrong)
        if name == "spam":
            given = rng.integers(0, q, size=n_units)
        keep = rng.random(n_units) >= 0.2
        units += list(np.flatnonzero(keep))
        coders += [name] * int(keep.sum())
        values += list(given[keep])
    return ReliabilityData.from_long(units, coders, values), truth, accuracy


def test_dawid_skene_recovers_annotator_quality() -> None:
    data, truth, accuracy = simulate(11)
    result = dawid_skene(data, max_iter=200, tol=1e-8)
    assert result.converged
    assert 1 < result.n_iter < 200
    for name, expected in accuracy.items():
        assert result.accuracy[name] == pytest.approx(expected, abs=0.05), name
    assert result.priors["0"] == pytest.approx(0.5, abs=0.04)
    labels = result.labels.set_index("unit")["label"]
    ds_acc = (labels.reindex(range(len(truth))).to_numpy() == truth).mean()
    mv = majority_vote(data).set_index("unit")["label"]
    mv_acc = (mv.reindex(range(len(truth))).to_numpy() == truth).mean()
    assert ds_acc > mv_acc
    assert ds_acc > 0.93
    posterior = result.labels[[f"p_{k}" for k in range(3)]].to_numpy()
    np.testing.assert_allclose(posterior.sum(axis=1), 1.0)


def test_dawid_skene_reports_non_convergence_and_adjudication() -> None:
    data, _, _ = simulate(12)
    result = dawid_skene(data, adjudicated={0: 2}, max_iter=2, tol=0.0)
    assert result.n_iter == 2
    assert not result.converged
    first = result.labels.set_index("unit").loc[0]
    assert first["label"] == 2
    assert first["method"] == "adjudicated"


def test_dawid_skene_smoothing_keeps_probabilities_positive() -> None:
    data = ReliabilityData.from_long([1, 1, 2, 2], ["a", "b"] * 2, ["x", "x", "y", "y"])
    result = dawid_skene(data)
    assert all(p > 0 for matrix in result.confusion.values() for row in matrix for p in row)


def test_dawid_skene_rejects_bad_max_iter() -> None:
    data = ReliabilityData.from_long([1], ["a"], ["x"])
    with pytest.raises(ValueError, match="max_iter must be >= 1"):
        dawid_skene(data, max_iter=0)


def test_empty_data_gives_empty_frames_and_adjudications_still_win() -> None:
    data = ReliabilityData.from_long([], [], [])
    assert majority_vote(data).empty
    assert median_label(data).empty
    frame = majority_vote(data, adjudicated={7: "x"})
    assert frame.to_dict("records")[0]["label"] == "x"
    assert frame.to_dict("records")[0]["method"] == "adjudicated"
    result = dawid_skene(data)
    assert result.labels.empty
    assert result.explanation == "no labels: nothing to estimate"
