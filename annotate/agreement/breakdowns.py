"""Where agreement breaks down: per label, per annotator, per pair and per statement.

The overall coefficient tells editors whether the scheme works; these tables tell them
which label definitions to sharpen, which annotator to talk to and which statements to
adjudicate first.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from annotate.agreement.coefficients import (
    AlphaParts,
    Metric,
    Weights,
    agreement_weights,
    alpha_parts,
)
from annotate.agreement.cohen import confusion_counts
from annotate.agreement.reliability import ReliabilityData


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LabelAgreement(_Row):
    """Agreement on one category: how often a value in it is matched by another coder."""

    label: str
    n_values: int
    specific_agreement: float | None
    alpha_binary: float | None
    most_confused_with: str | None


class Confusion(_Row):
    """An off-diagonal cell of the coincidence matrix: pairs of values that disagree."""

    label_a: str
    label_b: str
    pairs: float
    share_of_disagreement: float


class CoderAgreement(_Row):
    """One annotator against the others and against the adjudicated labels."""

    coder: str
    n_units: int
    n_shared: int
    agreement_with_others: float | None
    kappa_vs_others: float | None
    alpha_without: float | None
    alpha_change_without: float | None
    n_adjudicated: int = 0
    agreement_with_adjudicated: float | None = None
    kappa_vs_adjudicated: float | None = None


class UnitDisagreement(_Row):
    """One statement's disagreement: 1 - share of agreeing pairs, then entropy (bits)."""

    unit: str
    n_values: int
    disagreement: float
    entropy: float
    values: dict[str, str]


def coincidence_matrix(data: ReliabilityData) -> np.ndarray:
    """Krippendorff's coincidence matrix o_ck over pairable units (q × q)."""
    counts, units, _ = data.patterns()
    m = counts.sum(axis=1)
    pairable = m >= 2
    c, w = counts[pairable], units[pairable] / (m[pairable] - 1.0)
    return (c * w[:, None]).T @ c - np.diag((c * w[:, None]).sum(axis=0))


def label_agreement(data: ReliabilityData) -> list[LabelAgreement]:
    """Per category: specific agreement o_kk / n_k and alpha for that category vs the rest."""
    o = coincidence_matrix(data)
    n_k = o.sum(axis=1)
    n = n_k.sum()
    counts, units, _ = data.patterns()
    m = counts.sum(axis=1)
    pairable = m >= 2
    c, mp, n_u = counts[pairable], m[pairable], units[pairable]
    observed = n_u @ (2.0 * c * (mp[:, None] - c) / (mp[:, None] - 1.0))
    expected = 2.0 * n_k * (n - n_k)
    off = o - np.diag(np.diag(o))
    rows = []
    for k, label in enumerate(data.categories):
        alpha = None
        if expected[k] > 0:
            alpha = float(1.0 - (n - 1.0) * observed[k] / expected[k])
        partner = None
        if off[k].sum() > 0:
            partner = str(data.categories[int(np.argmax(off[k]))])
        rows.append(
            LabelAgreement(
                label=str(label),
                n_values=round(float(n_k[k])),
                specific_agreement=float(o[k, k] / n_k[k]) if n_k[k] > 0 else None,
                alpha_binary=alpha,
                most_confused_with=partner,
            )
        )
    return rows


def top_confusions(data: ReliabilityData, limit: int = 20) -> list[Confusion]:
    """Label pairs ranked by how many disagreeing value pairs they hold."""
    o = coincidence_matrix(data)
    iu, ju = np.triu_indices(data.n_categories, k=1)
    pairs = o[iu, ju] + o[ju, iu]
    total = pairs.sum()
    order = np.argsort(-pairs, kind="stable")
    return [
        Confusion(
            label_a=str(data.categories[iu[i]]),
            label_b=str(data.categories[ju[i]]),
            pairs=float(pairs[i]),
            share_of_disagreement=float(pairs[i] / total),
        )
        for i in order[:limit]
        if pairs[i] > 0
    ]


def reference_codes(
    data: ReliabilityData, reference: Mapping[Hashable, Any] | pd.Series
) -> np.ndarray:
    """Category codes of a reference label per unit (e.g. adjudication), -1 where none."""
    series = pd.Series(reference) if not isinstance(reference, pd.Series) else reference
    lookup = {value: i for i, value in enumerate(data.categories)}
    codes = series.map(lambda v: lookup.get(v, -1)).reindex(data.unit_ids).fillna(-1)
    return codes.to_numpy(dtype=np.int64)


def coder_agreement(
    data: ReliabilityData,
    *,
    metric: Metric = "nominal",
    weights: Weights = "identity",
    reference: Mapping[Hashable, Any] | pd.Series | None = None,
) -> list[CoderAgreement]:
    """Each coder against the pooled others (pairs weighted 1/(m-1) so each unit counts
    once), alpha without that coder, and agreement with the reference where one exists.

    All coders are done in a few vectorised passes over the values: a value's partners are
    its unit's count vector less itself, and alpha without a coder is the overall total
    with that coder's units swapped for their count vectors less the coder's value.
    """
    n_c, q = data.n_coders, data.n_categories
    w = agreement_weights(q, weights)
    patterns, units, unit_pattern = data.patterns()
    coder, value = data.coder, data.value
    pattern = unit_pattern[data.unit]
    m = patterns.sum(axis=1)[pattern]
    shared = m >= 2
    inv = np.where(shared, 1.0 / np.where(shared, m - 1.0, 1.0), 0.0)
    # Agreement of a value with its partners: Σ_k (n_k - [k = v]) w[v, k] / (m - 1).
    agree = ((patterns @ w.T)[pattern, value] - w[value, value]) * inv
    n_units = np.bincount(coder, minlength=n_c)
    n_shared = np.bincount(coder, weights=shared, minlength=n_c)
    po = _per_coder(coder, agree, n_c) / np.where(n_shared > 0, n_shared, 1.0)
    mine = _coder_value_counts(coder[shared], value[shared], n_c, q)
    # The partners' distribution: Σ over the coder's values of (unit counts - own value)/(m-1).
    by_pattern = np.bincount(
        coder * len(patterns) + pattern, weights=inv, minlength=n_c * len(patterns)
    ).reshape(n_c, len(patterns))
    partners = by_pattern @ patterns - _coder_value_counts(coder, value, n_c, q, inv)
    kappa_others = _kappas(po, mine, partners, n_shared, w)

    parts = alpha_parts(data, metric)
    overall_totals = units.astype(np.float64) @ parts.row_stats(patterns)
    overall = _finite(parts.finish(overall_totals[None, :])[0])
    without = _alpha_without_each(data, parts, overall_totals, pattern)

    ref_stats = None
    if reference is not None:
        ref = reference_codes(data, reference)[data.unit]
        both = ref >= 0
        ones = both.astype(np.float64)
        n_adj = np.bincount(coder, weights=ones, minlength=n_c)
        agree_ref = _per_coder(coder[both], w[value[both], ref[both]], n_c)
        po_ref = agree_ref / np.where(n_adj > 0, n_adj, 1.0)
        kappa_ref = _kappas(
            po_ref,
            _coder_value_counts(coder[both], value[both], n_c, q),
            _coder_value_counts(coder[both], ref[both], n_c, q),
            n_adj,
            w,
        )
        ref_stats = (n_adj, po_ref, kappa_ref)

    rows = []
    for j, name in enumerate(data.coder_ids):
        alpha_j = without[j]
        row = CoderAgreement(
            coder=str(name),
            n_units=int(n_units[j]),
            n_shared=round(float(n_shared[j])),
            agreement_with_others=float(po[j]) if n_shared[j] > 0 else None,
            kappa_vs_others=kappa_others[j],
            alpha_without=alpha_j,
            alpha_change_without=(
                None if alpha_j is None or overall is None else float(alpha_j - overall)
            ),
        )
        if ref_stats is not None:
            n_adj, po_ref, kappa_ref = ref_stats
            row.n_adjudicated = round(float(n_adj[j]))
            if n_adj[j] > 0:
                row.agreement_with_adjudicated = float(po_ref[j])
                row.kappa_vs_adjudicated = kappa_ref[j]
        rows.append(row)
    return rows


def _per_coder(coder: np.ndarray, weights: np.ndarray, n_coders: int) -> np.ndarray:
    return np.bincount(coder, weights=weights, minlength=n_coders)


def _coder_value_counts(
    coder: np.ndarray,
    value: np.ndarray,
    n_coders: int,
    q: int,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Coders × categories sums of `weights` (default 1) over (coder, value) records."""
    flat = np.bincount(coder * q + value, weights=weights, minlength=n_coders * q)
    return flat.reshape(n_coders, q).astype(np.float64)


def _kappas(
    po: np.ndarray, a: np.ndarray, b: np.ndarray, total: np.ndarray, w: np.ndarray
) -> list[float | None]:
    """Cohen-type kappa per coder from observed agreement and the two weighted category
    distributions (unnormalised; `total` is their common sum)."""
    scale = np.where(total > 0, total, 1.0)[:, None]
    pe = np.einsum("ci,ij,cj->c", a / scale, w, b / scale)
    return [
        None if total[j] <= 0 or pe[j] >= 1.0 - 1e-12 else float((po[j] - pe[j]) / (1.0 - pe[j]))
        for j in range(len(po))
    ]


def _alpha_without_each(
    data: ReliabilityData, parts: AlphaParts, totals: np.ndarray, pattern: np.ndarray
) -> list[float | None]:
    """Alpha without each coder: their units leave the totals with their full count
    vector and come back with the vector less the coder's value. Records are grouped by
    (coder, pattern, value), so the work is the number of such groups."""
    patterns = data.patterns()[0]
    n_c, n_p, q = data.n_coders, len(patterns), data.n_categories
    key = (data.coder * n_p + pattern) * q + data.value
    groups, size = np.unique(key, return_counts=True)
    coder, rest = np.divmod(groups, n_p * q)
    group_pattern, value = np.divmod(rest, q)
    before = patterns[group_pattern]
    after = before.copy()
    after[np.arange(len(groups)), value] -= 1.0
    change = (parts.row_stats(after) - parts.row_stats(before)) * size[:, None]
    per_coder = np.zeros((n_c, len(totals)))
    np.add.at(per_coder, coder, change)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = parts.finish(totals[None, :] + per_coder)
    present = np.bincount(data.coder, minlength=n_c) > 0
    overall = _finite(parts.finish(totals[None, :])[0])
    return [_finite(values[j]) if present[j] else overall for j in range(n_c)]


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def confusion_matrix(data: ReliabilityData, coder_a: Hashable, coder_b: Hashable) -> pd.DataFrame:
    """Counts of coder_a's label (rows) against coder_b's (columns) on shared units."""
    table = confusion_counts(data, data.coder_index(coder_a), data.coder_index(coder_b))
    labels = [str(c) for c in data.categories]
    return pd.DataFrame(
        table,
        index=pd.Index(labels, name=str(coder_a)),
        columns=pd.Index(labels, name=str(coder_b)),
    )


def confusion_vs_reference(
    data: ReliabilityData, coder: Hashable, reference: Mapping[Hashable, Any] | pd.Series
) -> pd.DataFrame:
    """Counts of a coder's label (rows) against the reference label (columns)."""
    q = data.n_categories
    mine = data.matrix()[:, data.coder_index(coder)]
    ref = reference_codes(data, reference)
    both = (mine >= 0) & (ref >= 0)
    table = np.bincount(mine[both] * q + ref[both], minlength=q * q).reshape(q, q)
    labels = [str(c) for c in data.categories]
    return pd.DataFrame(
        table,
        index=pd.Index(labels, name=str(coder)),
        columns=pd.Index(labels, name="adjudicated"),
    )


def unit_disagreement_table(data: ReliabilityData) -> pd.DataFrame:
    """Per unit with two or more values: disagreement and entropy, most disagreement first."""
    counts, _, unit_pattern = data.patterns()
    disagreement, entropy, m = _pattern_disagreement(counts)
    rated = unit_pattern >= 0
    idx = np.flatnonzero(rated)[m[unit_pattern[rated]] >= 2]
    of = unit_pattern[idx]
    frame = pd.DataFrame(
        {
            "unit_index": idx,
            "n_values": m[of].astype(int),
            "disagreement": disagreement[of],
            "entropy": entropy[of],
        }
    )
    return frame.sort_values(
        ["disagreement", "entropy", "unit_index"], ascending=[False, False, True], kind="stable"
    ).reset_index(drop=True)


def ranked_disagreements(data: ReliabilityData, limit: int = 50) -> list[UnitDisagreement]:
    """The `limit` statements with the most disagreement (units where all agree are left
    out), with each coder's label; ties by entropy, then by statement order.

    Disagreement and entropy depend only on a unit's count vector, so they are computed per
    pattern and only the chosen units are looked at one by one.
    """
    counts, _, unit_pattern = data.patterns()
    disagreement, entropy, m = _pattern_disagreement(counts)
    ranked = np.flatnonzero(disagreement > 0)
    ranked = ranked[np.lexsort((-entropy[ranked], -disagreement[ranked]))]
    # Equal (disagreement, entropy) share a rank, so their units keep statement order.
    rank = np.full(len(counts), -1, dtype=np.int64)
    if len(ranked):
        step = (
            np.r_[True, np.diff(disagreement[ranked]) != 0]
            | np.r_[True, np.diff(entropy[ranked]) != 0]
        )
        rank[ranked] = np.cumsum(step) - 1
    unit_rank = np.full(data.n_units, -1, dtype=np.int64)
    rated = unit_pattern >= 0
    unit_rank[rated] = rank[unit_pattern[rated]]
    candidates = np.flatnonzero(unit_rank >= 0)
    key = unit_rank[candidates] * max(data.n_units, 1) + candidates
    if len(key) > limit:
        key = np.partition(key, limit - 1)[:limit]
    chosen = np.sort(key) % max(data.n_units, 1)
    picked = np.isin(data.unit, chosen)
    units, coders, values = data.unit[picked], data.coder[picked], data.value[picked]
    rows = []
    for unit in chosen:
        mine = units == unit
        pattern = unit_pattern[unit]
        rows.append(
            UnitDisagreement(
                unit=str(data.unit_ids[unit]),
                n_values=int(m[pattern]),
                disagreement=float(disagreement[pattern]),
                entropy=float(entropy[pattern]),
                values={
                    str(data.coder_ids[c]): str(data.categories[v])
                    for c, v in sorted(zip(coders[mine], values[mine], strict=True))
                },
            )
        )
    return rows


def _pattern_disagreement(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per count vector: 1 - share of agreeing pairs, entropy in bits (0 below two values)."""
    m = counts.sum(axis=1)
    pairable = m >= 2
    c, mp = counts[pairable], m[pairable]
    agreeing = (c * (c - 1.0)).sum(axis=1) / (mp * (mp - 1.0))
    p = c / mp[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        bits = -np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0).sum(axis=1)
    disagreement, entropy = np.zeros(len(m)), np.zeros(len(m))
    disagreement[pairable] = 1.0 - agreeing
    entropy[pairable] = bits + 0.0
    return disagreement, entropy, m
