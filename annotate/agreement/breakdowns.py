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
    Metric,
    Weights,
    agreement_weights,
    krippendorff_alpha,
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
    counts = data.counts()
    m = counts.sum(axis=1)
    pairable = m >= 2
    c, w = counts[pairable], 1.0 / (m[pairable] - 1.0)
    return (c * w[:, None]).T @ c - np.diag((c * w[:, None]).sum(axis=0))


def label_agreement(data: ReliabilityData) -> list[LabelAgreement]:
    """Per category: specific agreement o_kk / n_k and alpha for that category vs the rest."""
    o = coincidence_matrix(data)
    n_k = o.sum(axis=1)
    n = n_k.sum()
    counts = data.counts()
    m = counts.sum(axis=1)
    pairable = m >= 2
    c, mp = counts[pairable], m[pairable]
    observed = (2.0 * c * (mp[:, None] - c) / (mp[:, None] - 1.0)).sum(axis=0)
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


def _kappa(a: np.ndarray, b: np.ndarray, weight: np.ndarray, w: np.ndarray) -> float | None:
    """Cohen-type kappa from paired codes with pair weights."""
    total = weight.sum()
    if total <= 0:
        return None
    q = w.shape[0]
    po = (weight * w[a, b]).sum() / total
    pa = np.bincount(a, weights=weight, minlength=q) / total
    pb = np.bincount(b, weights=weight, minlength=q) / total
    pe = pa @ w @ pb
    return None if pe >= 1.0 - 1e-12 else float((po - pe) / (1.0 - pe))


def coder_agreement(
    data: ReliabilityData,
    *,
    metric: Metric = "nominal",
    weights: Weights = "identity",
    reference: Mapping[Hashable, Any] | pd.Series | None = None,
) -> list[CoderAgreement]:
    """Each coder against the pooled others (pairs weighted 1/(m-1) so each unit counts
    once), alpha without that coder, and agreement with the reference where one exists."""
    grid = data.matrix()
    counts = data.counts()
    m = counts.sum(axis=1)
    w = agreement_weights(data.n_categories, weights)
    overall = krippendorff_alpha(data, metric, n_boot=0).value
    ref = reference_codes(data, reference) if reference is not None else None
    rows = []
    for j, coder in enumerate(data.coder_ids):
        mine = grid[:, j]
        labelled = mine >= 0
        shared = labelled & (m >= 2)
        units = np.flatnonzero(shared)
        a_codes, b_codes, pair_w = [], [], []
        # Pair this coder's value with every other value of the unit.
        others = counts[units].copy()
        others[np.arange(len(units)), mine[units]] -= 1
        for k in range(data.n_categories):
            has = others[:, k] > 0
            a_codes.append(mine[units][has])
            b_codes.append(np.full(int(has.sum()), k))
            pair_w.append(others[has, k] / (m[units][has] - 1.0))
        a = np.concatenate(a_codes) if a_codes else np.zeros(0, dtype=np.int64)
        b = np.concatenate(b_codes) if b_codes else np.zeros(0, dtype=np.int64)
        pw = np.concatenate(pair_w) if pair_w else np.zeros(0)
        agree = float((pw * w[a, b]).sum() / len(units)) if len(units) else None
        without = krippendorff_alpha(data.without_coder(j), metric, n_boot=0).value
        row = CoderAgreement(
            coder=str(coder),
            n_units=int(labelled.sum()),
            n_shared=len(units),
            agreement_with_others=agree,
            kappa_vs_others=_kappa(a, b, pw, w),
            alpha_without=without,
            alpha_change_without=(
                None if without is None or overall is None else float(without - overall)
            ),
        )
        if ref is not None:
            both = labelled & (ref >= 0)
            ones = np.ones(int(both.sum()))
            row.n_adjudicated = int(both.sum())
            if both.any():
                row.agreement_with_adjudicated = float(w[mine[both], ref[both]].mean())
                row.kappa_vs_adjudicated = _kappa(mine[both], ref[both], ones, w)
        rows.append(row)
    return rows


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
    counts = data.counts()
    m = counts.sum(axis=1)
    idx = np.flatnonzero(m >= 2)
    c, mp = counts[idx], m[idx]
    agreeing = (c * (c - 1.0)).sum(axis=1) / (mp * (mp - 1.0))
    p = c / mp[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0).sum(axis=1)
    frame = pd.DataFrame(
        {
            "unit_index": idx,
            "n_values": mp.astype(int),
            "disagreement": 1.0 - agreeing,
            "entropy": entropy + 0.0,
        }
    )
    return frame.sort_values(
        ["disagreement", "entropy", "unit_index"], ascending=[False, False, True], kind="stable"
    ).reset_index(drop=True)


def ranked_disagreements(data: ReliabilityData, limit: int = 50) -> list[UnitDisagreement]:
    """The `limit` statements with the most disagreement (units where all agree are left
    out), with each coder's label."""
    table = unit_disagreement_table(data)
    table = table[table["disagreement"] > 0].head(limit)
    grid = data.matrix()
    rows = []
    for rec in table.itertuples(index=False):
        codes = grid[rec.unit_index]
        values = {
            str(data.coder_ids[j]): str(data.categories[codes[j]])
            for j in np.flatnonzero(codes >= 0)
        }
        rows.append(
            UnitDisagreement(
                unit=str(data.unit_ids[rec.unit_index]),
                n_values=int(rec.n_values),
                disagreement=float(rec.disagreement),
                entropy=float(rec.entropy),
                values=values,
            )
        )
    return rows
