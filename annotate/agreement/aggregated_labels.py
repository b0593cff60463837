"""The labels a project would publish per statement: adjudicated, else voted or modelled.

Built from the same frames as the agreement report so that the Agreement page and the
exports agree on what the "aggregated" label of a statement is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from annotate.agreement import ReliabilityData, confusion_vs_reference
from annotate.agreement.aggregate import dawid_skene, majority_vote, median_label
from annotate.agreement.reliability import text_ids
from annotate.agreement.report import ReportFilters, apply_filters

VARIABLES = ("source_type", "confidence")


@dataclass(frozen=True)
class AggregatedLabels:
    majority: pd.DataFrame  # per statement: label, method (adjudicated/majority/tie), votes
    dawid_skene: pd.DataFrame  # per statement: label and p_<label> posteriors
    dawid_skene_note: str | None
    median_confidence: pd.DataFrame  # per statement: lower-median rating
    # variable -> annotator -> confusion matrix (rows: annotator, columns: adjudicated label)
    vs_adjudicated: dict[str, dict[str, list[list[int]]]]
    statement_ids: list[int]
    documents: dict[int, int]  # statement -> document


def aggregated_labels(
    labels: pd.DataFrame,
    adjudications: pd.DataFrame,
    confidence_levels: Sequence[int],
    filters: ReportFilters | None = None,
) -> AggregatedLabels:
    chosen = apply_filters(labels, filters)
    adjudicated = adjudications[adjudications["statement_id"].isin(chosen["statement_id"])]
    units = chosen["statement_id"].to_numpy()
    coders = text_ids(chosen["annotator"])
    data = {
        "source_type": ReliabilityData.from_long(units, coders, chosen["source_type"]),
        "confidence": ReliabilityData.from_long(
            units, coders, chosen["confidence"].to_numpy(), levels=list(confidence_levels)
        ),
    }
    reference = {v: adjudicated.dropna(subset=[v]).set_index("statement_id")[v] for v in data}
    vs_adjudicated = {
        v: {
            str(c): confusion_vs_reference(data[v], c, reference[v]).to_numpy().tolist()
            for c in data[v].coder_ids
        }
        for v in VARIABLES
        if len(reference[v])
    }
    skene = dawid_skene(data["source_type"], reference["source_type"])
    return AggregatedLabels(
        majority=majority_vote(data["source_type"], reference["source_type"]),
        dawid_skene=skene.labels,
        dawid_skene_note=skene.explanation,
        median_confidence=median_label(data["confidence"], reference["confidence"]),
        vs_adjudicated=vs_adjudicated,
        statement_ids=[int(i) for i in chosen["statement_id"].unique()],
        documents={
            int(s): int(d)
            for s, d in zip(chosen["statement_id"], chosen["document_id"], strict=True)
        },
    )
