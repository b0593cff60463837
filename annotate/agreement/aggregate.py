"""One label per statement from several annotators' labels.

Every function returns one row per unit with a `method` column saying where the label
came from. An editor's adjudication always wins (`method="adjudicated"`); a tie is
reported as a tie with the tied labels and never broken silently.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from annotate.agreement.reliability import ReliabilityData

Reference: TypeAlias = Mapping[Hashable, Any] | pd.Series

COLUMNS = ["unit", "label", "method", "tied_labels", "votes", "n_votes"]


def _reference(reference: Reference | None) -> pd.Series:
    if reference is None:
        return pd.Series(dtype=object)
    series = pd.Series(reference) if not isinstance(reference, pd.Series) else reference
    return series[series.notna()]


def _rated_units(data: ReliabilityData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    counts = data.counts()
    m = counts.sum(axis=1)
    rated = np.flatnonzero(m >= 1)
    return rated, counts[rated], m[rated]


def _apply_adjudications(
    frame: pd.DataFrame, data: ReliabilityData, reference: Reference | None
) -> pd.DataFrame:
    """Adjudicated labels replace the computed ones; adjudicated-only units are added."""
    adjudicated = _reference(reference)
    if adjudicated.empty:
        return frame
    frame = frame.set_index("unit", drop=False)
    for unit, label in adjudicated.items():
        if unit not in frame.index:
            frame.loc[unit, ["unit", "n_votes", "votes"]] = [unit, 0, 0]
        frame.loc[unit, "label"] = label
        frame.loc[unit, "method"] = "adjudicated"
        frame.at[unit, "tied_labels"] = None
    return frame.reset_index(drop=True)


def _empty(data: ReliabilityData, adjudicated: Reference | None, extra: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS + extra})
    return _apply_adjudications(frame, data, adjudicated)


def majority_vote(data: ReliabilityData, adjudicated: Reference | None = None) -> pd.DataFrame:
    """Most frequent label per unit; ties give `label=None, method="tie"` and the tied labels.

    Columns: unit, label, method ("majority" | "tie" | "adjudicated"), tied_labels,
    votes (for the winning label), n_votes.
    """
    if data.n_values == 0:
        return _empty(data, adjudicated, [])
    rated, counts, m = _rated_units(data)
    top = counts.max(axis=1) if len(rated) else np.zeros(0)
    is_top = counts == top[:, None]
    n_top = is_top.sum(axis=1)
    winner = np.argmax(is_top, axis=1)
    categories = np.asarray(data.categories, dtype=object)
    labels = pd.Series(
        np.where(n_top == 1, categories[winner] if len(rated) else [], None), dtype=object
    )
    tied = [
        [categories[k] for k in np.flatnonzero(row)] if count > 1 else None
        for row, count in zip(is_top, n_top, strict=True)
    ]
    frame = pd.DataFrame(
        {
            "unit": data.unit_ids[rated],
            "label": labels,
            "method": np.where(n_top == 1, "majority", "tie"),
            "tied_labels": pd.Series(tied, dtype=object),
            "votes": top.astype(int),
            "n_votes": m.astype(int),
        },
        columns=COLUMNS,
    )
    return _apply_adjudications(frame, data, adjudicated)


def median_label(data: ReliabilityData, adjudicated: Reference | None = None) -> pd.DataFrame:
    """Median of an ordinal rating per unit: the *lower* median.

    The lower median is always a level some annotator actually gave, and with an even
    split it leans towards less confidence, the safer side for a credibility judgement.
    When the two middle ratings differ both are listed in `tied_labels` (and the upper one
    in `upper_median`), so the split stays visible.
    """
    if data.n_values == 0:
        return _empty(data, adjudicated, ["upper_median"])
    rated, counts, m = _rated_units(data)
    cum = np.cumsum(counts, axis=1)
    lower = np.argmax(cum >= ((m - 1) // 2 + 1)[:, None], axis=1)
    upper = np.argmax(cum >= (m // 2 + 1)[:, None], axis=1)
    categories = np.asarray(data.categories, dtype=object)
    split = lower != upper
    frame = pd.DataFrame(
        {
            "unit": data.unit_ids[rated],
            "label": categories[lower] if len(rated) else [],
            "method": "median",
            "tied_labels": pd.Series(
                [
                    [categories[lo], categories[up]] if s else None
                    for lo, up, s in zip(lower, upper, split, strict=True)
                ],
                dtype=object,
            ),
            "votes": counts[np.arange(len(rated)), lower].astype(int),
            "n_votes": m.astype(int),
        },
        columns=COLUMNS,
    )
    frame["upper_median"] = categories[upper] if len(rated) else []
    return _apply_adjudications(frame, data, adjudicated)


@dataclass(frozen=True)
class DawidSkeneResult:
    """Dawid & Skene (1979) estimates.

    `confusion[coder][true][given]` is the probability that the coder gives `given` when
    the true label is `true`; `labels` has one row per unit with the posterior of each
    label in `p_<label>` columns.
    """

    labels: pd.DataFrame
    priors: dict[str, float]
    confusion: dict[str, list[list[float]]]
    accuracy: dict[str, float]
    n_iter: int
    converged: bool
    log_likelihood: float
    explanation: str | None = None


def dawid_skene(
    data: ReliabilityData,
    adjudicated: Reference | None = None,
    *,
    max_iter: int = 100,
    tol: float = 1e-6,
    smoothing: float = 0.01,
) -> DawidSkeneResult:
    """EM over per-annotator confusion matrices, started from the majority-vote shares.

    `smoothing` is added to every confusion count and prior count so no probability is
    ever exactly 0 (one odd label would otherwise veto a class forever). Adjudicated units
    are held at their adjudicated label during EM. Stops when the log-likelihood gains less
    than `tol` (relative) or after `max_iter` iterations.
    """
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter}")
    if data.n_values == 0:
        return DawidSkeneResult(
            labels=_empty(data, adjudicated, ["posterior"]),
            priors={},
            confusion={},
            accuracy={},
            n_iter=0,
            converged=False,
            log_likelihood=0.0,
            explanation="no labels: nothing to estimate",
        )
    q, n_coders = data.n_categories, data.n_coders
    rated, counts, m = _rated_units(data)
    position = np.full(data.n_units, -1)
    position[rated] = np.arange(len(rated))
    u, j, v = position[data.unit], data.coder, data.value
    posterior = counts / m[:, None] if len(rated) else np.zeros((0, q))
    clamp = _clamp(data, adjudicated, position)
    if clamp is not None:
        posterior[clamp[0]] = np.eye(q)[clamp[1]]
    log_lik_prev = -np.inf
    converged = False
    n_iter = 0
    log_lik = -np.inf
    priors = np.full(q, 1.0 / max(q, 1))
    confusion = np.full((n_coders, q, q), 1.0 / max(q, 1))
    for iteration in range(1, max_iter + 1):
        n_iter = iteration
        # M-step: class priors and each coder's confusion matrix from soft labels.
        priors = (posterior.sum(axis=0) + smoothing) / (len(rated) + q * smoothing)
        conf = np.zeros((n_coders, q, q))
        for k in range(q):
            conf[:, k, :] = np.bincount(
                j * q + v, weights=posterior[u, k], minlength=n_coders * q
            ).reshape(n_coders, q)
        conf += smoothing
        confusion = conf / conf.sum(axis=2, keepdims=True)
        # E-step: posterior over the true label of each unit.
        log_conf = np.log(confusion)
        log_post = np.tile(np.log(priors), (len(rated), 1))
        for k in range(q):
            log_post[:, k] += np.bincount(u, weights=log_conf[j, k, v], minlength=len(rated))
        top = log_post.max(axis=1, keepdims=True)
        norm = np.exp(log_post - top).sum(axis=1, keepdims=True)
        log_lik = float((top + np.log(norm)).sum())
        posterior = np.exp(log_post - top) / norm
        if clamp is not None:
            posterior[clamp[0]] = np.eye(q)[clamp[1]]
        if abs(log_lik - log_lik_prev) <= tol * max(1.0, abs(log_lik)):
            converged = True
            break
        log_lik_prev = log_lik
    labels_arr = np.asarray(data.categories, dtype=object)
    best = np.argmax(posterior, axis=1) if len(rated) else np.zeros(0, dtype=int)
    frame = pd.DataFrame(
        {
            "unit": data.unit_ids[rated],
            "label": labels_arr[best] if len(rated) else [],
            "method": "dawid_skene",
            "tied_labels": pd.Series([None] * len(rated), dtype=object),
            "votes": counts[np.arange(len(rated)), best].astype(int),
            "n_votes": m.astype(int),
            "posterior": posterior.max(axis=1) if len(rated) else [],
        }
    )
    for k, label in enumerate(data.categories):
        frame[f"p_{label}"] = posterior[:, k]
    frame = _apply_adjudications(frame, data, adjudicated)
    names = [str(c) for c in data.coder_ids]
    return DawidSkeneResult(
        labels=frame,
        priors={str(c): float(p) for c, p in zip(data.categories, priors, strict=True)},
        confusion={n: confusion[i].tolist() for i, n in enumerate(names)},
        accuracy={n: float((priors * np.diag(confusion[i])).sum()) for i, n in enumerate(names)},
        n_iter=n_iter,
        converged=converged,
        log_likelihood=log_lik,
    )


def _clamp(
    data: ReliabilityData, adjudicated: Reference | None, position: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    known = _reference(adjudicated)
    if known.empty:
        return None
    unit_pos = {unit: i for i, unit in enumerate(data.unit_ids)}
    lookup = {label: k for k, label in enumerate(data.categories)}
    rows, cols = [], []
    for unit, label in known.items():
        i = unit_pos.get(unit)
        if i is not None and position[i] >= 0 and label in lookup:
            rows.append(position[i])
            cols.append(lookup[label])
    if not rows:
        return None
    return np.asarray(rows), np.asarray(cols)
