"""Building the agreement report and the aggregated labels over what the database holds.

The Agreement page and `sourcedesk agreement` call `agreement_report` (or `agreement_view`,
which adds what the page shows beside the report); the Review page takes its default final
label from `default_final_label`. The arithmetic lives in `annotate.agreement`; this module
reads the frames and puts the pieces together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

import storage
from annotate.agreement import ReliabilityData
from annotate.agreement.aggregate import majority_vote, median_label
from annotate.agreement.aggregated_labels import AggregatedLabels, aggregated_labels
from annotate.agreement.report import AgreementReport, ReportFilters, apply_filters, build_report
from annotate.agreement.table import disagreement_table
from annotate.core.models import Annotation
from annotate.core.taxonomy import scale_preset
from storage.frames import statement_texts

TOP_DISAGREEMENTS = 50


def confidence_levels(db: storage.Database) -> list[int]:
    """The ordinal values of the project's primary rating scale."""
    return list(scale_preset(storage.get_project(db).scale_preset).primary.ordinal_values)


def agreement_report(
    db: storage.Database,
    filters: ReportFilters | None = None,
    *,
    n_boot: int = 1000,
    seed: int = 42,
    pair_confusions: bool = False,
) -> AgreementReport:
    """The report over the current labels, on the project's ordinal confidence levels."""
    return build_report(
        storage.labels_frame(db),
        storage.adjudications_frame(db),
        confidence_levels=confidence_levels(db),
        n_boot=n_boot,
        seed=seed,
        filters=filters,
        pair_confusions=pair_confusions,
    )


@dataclass(frozen=True)
class AgreementView:
    """What the Agreement page shows: the report, the aggregated labels, the statements
    with the most disagreement (scored as on the Review page) and their texts."""

    report: AgreementReport
    aggregated: AggregatedLabels
    disagreements: pd.DataFrame  # annotate.agreement.table.disagreement_table
    texts: dict[int, str]


def agreement_view(
    db: storage.Database,
    filters: ReportFilters | None = None,
    *,
    n_boot: int = 1000,
    seed: int = 42,
) -> AgreementView:
    labels = storage.labels_frame(db)
    adjudications = storage.adjudications_frame(db)
    levels = confidence_levels(db)
    report = build_report(
        labels,
        adjudications,
        confidence_levels=levels,
        n_boot=n_boot,
        seed=seed,
        filters=filters,
        pair_confusions=True,
    )
    aggregated = aggregated_labels(labels, adjudications, levels, filters)
    disagreements = disagreement_table(apply_filters(labels, filters), top=TOP_DISAGREEMENTS)
    wanted = {*aggregated.statement_ids, *disagreements["statement_id"].astype(int)}
    return AgreementView(
        report=report,
        aggregated=aggregated,
        disagreements=disagreements,
        texts=statement_texts(db, sorted(wanted)),
    )


@dataclass(frozen=True)
class FinalLabelDefault:
    """What the final-label form starts from when no editor has decided yet.

    `source_type` is the majority label, or None on a tie (the tied labels are listed
    and the editor must choose). `confidence` is the lower median rating (a level some
    annotator gave, on the cautious side); `confidence_split` lists the two middle
    ratings when they differ.
    """

    source_type: str | None
    tied: list[str]
    votes: int
    n_votes: int
    confidence: int | None
    confidence_split: list[int]


def default_final_label(
    labels: Sequence[Annotation], ordinal_levels: Sequence[int]
) -> FinalLabelDefault:
    """The domain's aggregation of one statement's labels (skipped labels ignored)."""
    typed = [a for a in labels if a.source_type and not a.skipped]
    coders = [str(a.annotator_id) for a in typed]
    units = [a.statement_id for a in typed]
    source_type, tied, votes, n_votes = None, [], 0, 0
    if typed:
        data = ReliabilityData.from_long(units, coders, [a.source_type for a in typed])
        row = majority_vote(data).iloc[0]
        votes, n_votes = int(row["votes"]), int(row["n_votes"])
        if row["method"] == "tie":
            tied = [str(t) for t in row["tied_labels"]]
        else:
            source_type = str(row["label"])
    rated = [a for a in typed if a.confidence is not None and a.confidence in ordinal_levels]
    confidence, split = None, []
    if rated:
        data = ReliabilityData.from_long(
            [a.statement_id for a in rated],
            [str(a.annotator_id) for a in rated],
            [a.confidence for a in rated],
            levels=list(ordinal_levels),
        )
        row = median_label(data).iloc[0]
        confidence = int(row["label"])
        if isinstance(row["tied_labels"], list):
            split = [int(v) for v in row["tied_labels"]]
    return FinalLabelDefault(source_type, tied, votes, n_votes, confidence, split)
