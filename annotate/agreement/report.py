"""The agreement report: one function that the Agreement page and the CLI both render.

`build_report` takes the current labels as a frame (one row per annotator and statement)
and returns a pydantic model; `model_dump(mode="json")` is the CLI's JSON output,
`annotate.agreement.table` flattens it into tables (the one flattening), and `plain_summary`
says in words what it means.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from annotate.agreement import (
    AgreementResult,
    CoderAgreement,
    Confusion,
    LabelAgreement,
    ReliabilityData,
    UnitDisagreement,
    coder_agreement,
    cohen_kappa_pairs,
    coincidence_matrix,
    confusion_counts,
    fleiss_kappa,
    gwet_ac,
    krippendorff_alpha,
    label_agreement,
    percent_agreement,
    ranked_disagreements,
    top_confusions,
)
from annotate.agreement.bootstrap import one_blas_thread
from annotate.agreement.coefficients import Bootstrap, Metric, Weights
from annotate.agreement.reliability import text_ids

LABEL_COLUMNS = (
    "statement_id",
    "annotator",
    "source_type",
    "confidence",
    "suggestion_shown",
    "document_id",
    "outlet",
    "published",
)
ADJUDICATION_COLUMNS = ("statement_id", "source_type", "confidence")

# Weights for the ordinal confidence scale. Quadratic weights make weighted kappa and AC2
# comparable with interval alpha (and with the intraclass correlation).
CONFIDENCE_WEIGHTS: Weights = "quadratic"

Reading = Literal["reliable", "tentative", "unreliable"]
# A figure over fewer statements than this says nothing a reader should act on (a kappa
# over one statement is 0 or 1 by construction): the app and the summary leave it out.
MIN_UNITS = 5


def reading_band(alpha: float | None) -> Reading | None:
    """Krippendorff's conventional reading: >= .800 reliable, >= .667 tentative."""
    if alpha is None:
        return None
    if alpha >= 0.800:
        return "reliable"
    if alpha >= 0.667:
        return "tentative"
    return "unreliable"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReportFilters(_Model):
    """Which labels enter the report; every filter left as None keeps everything."""

    document_ids: list[int] | None = None
    outlets: list[str] | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    annotators: list[str] | None = None
    suggestion_shown: bool | None = None


class VariableAgreement(_Model):
    """All coefficients and breakdowns for one labelled variable."""

    variable: str
    scale: Literal["nominal", "ordinal"]
    levels: list[str]
    n_statements: int
    n_labels: int
    n_annotators: int
    percent_agreement: AgreementResult
    alpha: dict[str, AgreementResult]
    reading: Reading | None
    reading_metric: str
    fleiss: AgreementResult
    gwet: AgreementResult
    cohen_pairs: list[AgreementResult]
    labels: list[LabelAgreement]
    annotators: list[CoderAgreement]
    confusions: list[Confusion]
    coincidences: list[list[float]]
    pair_confusions: dict[str, list[list[int]]] | None = None
    top_disagreements: list[UnitDisagreement]


class SuggestionComparison(_Model):
    """Alpha over the labels made with a suggestion shown, and over those made without."""

    variable: str
    metric: str
    with_suggestion: AgreementResult
    without_suggestion: AgreementResult


class AgreementReport(_Model):
    filters: ReportFilters
    n_boot: int
    seed: int
    level: float
    n_labels: int
    n_statements: int
    n_documents: int
    annotators: list[str]
    source_type: VariableAgreement
    confidence: VariableAgreement
    suggestions: list[SuggestionComparison] = Field(default_factory=list)


def _check_columns(frame: pd.DataFrame, required: Sequence[str], name: str) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {', '.join(missing)}")


def apply_filters(labels: pd.DataFrame, filters: ReportFilters | None) -> pd.DataFrame:
    """The labels that pass every filter (dates compare on `published`; no date fails)."""
    if filters is None:
        return labels
    keep = pd.Series(True, index=labels.index)
    if filters.document_ids is not None:
        keep &= labels["document_id"].isin(filters.document_ids)
    if filters.outlets is not None:
        keep &= labels["outlet"].isin(filters.outlets)
    if filters.annotators is not None:
        keep &= text_ids(labels["annotator"]).isin(filters.annotators)
    if filters.suggestion_shown is not None:
        keep &= labels["suggestion_shown"].astype(bool) == filters.suggestion_shown
    if filters.date_from is not None or filters.date_to is not None:
        published = pd.to_datetime(labels["published"], errors="coerce").dt.date
        if filters.date_from is not None:
            keep &= published.notna() & (published >= filters.date_from)
        if filters.date_to is not None:
            keep &= published.notna() & (published <= filters.date_to)
    return labels[keep.to_numpy(dtype=bool)]


def _reference(adjudications: pd.DataFrame | None, column: str) -> pd.Series | None:
    if adjudications is None or adjudications.empty:
        return None
    ref = adjudications.dropna(subset=[column]).set_index("statement_id")[column]
    return ref if len(ref) else None


def _variable(
    data: ReliabilityData,
    variable: str,
    scale: Literal["nominal", "ordinal"],
    reference: pd.Series | None,
    boot: Bootstrap,
    *,
    pair_confusions: bool,
    top: int,
) -> VariableAgreement:
    metrics: list[Metric]
    weights: Weights
    if scale == "nominal":
        metrics = ["nominal"]
        weights = "identity"
    else:
        metrics = ["ordinal", "interval"]
        weights = CONFIDENCE_WEIGHTS
    alpha: dict[str, AgreementResult] = {m: krippendorff_alpha(data, m, **boot) for m in metrics}
    pairs = None
    if pair_confusions:
        pairs = {}
        for a in range(data.n_coders):
            for b in range(a + 1, data.n_coders):
                name = f"{data.coder_ids[a]} vs {data.coder_ids[b]}"
                pairs[name] = confusion_counts(data, a, b).tolist()
    return VariableAgreement(
        variable=variable,
        scale=scale,
        levels=[str(c) for c in data.categories],
        n_statements=int((data.values_per_unit() > 0).sum()),
        n_labels=data.n_values,
        n_annotators=int((np.bincount(data.coder, minlength=data.n_coders) > 0).sum()),
        percent_agreement=percent_agreement(data, **boot),
        alpha=alpha,
        reading=reading_band(alpha[metrics[0]].value),
        reading_metric=metrics[0],
        # Varying numbers of annotators per statement are the rule here: the generalisation
        # (Gwet; irrCAC) keeps every statement and equals Fleiss (1971) when the number is fixed.
        fleiss=fleiss_kappa(data, units="all", **boot),
        gwet=gwet_ac(data, weights, **boot),
        cohen_pairs=cohen_kappa_pairs(data, weights, **boot),
        labels=label_agreement(data),
        annotators=coder_agreement(
            data,
            metric=metrics[0],
            weights=weights,
            reference=reference,
        ),
        confusions=top_confusions(data),
        coincidences=coincidence_matrix(data).tolist(),
        pair_confusions=pairs,
        top_disagreements=ranked_disagreements(data, limit=top),
    )


def build_report(
    labels: pd.DataFrame,
    adjudications: pd.DataFrame | None = None,
    *,
    confidence_levels: Sequence[int] = (1, 2, 3, 4, 5),
    n_boot: int = 1000,
    seed: int = 42,
    level: float = 0.95,
    filters: ReportFilters | None = None,
    pair_confusions: bool = False,
    top: int = 50,
) -> AgreementReport:
    """Agreement on source type (nominal) and confidence (ordinal) for the filtered labels.

    Confidence values outside `confidence_levels` (e.g. "cannot be judged") count as
    missing. `pair_confusions=True` adds a confusion matrix for every annotator pair.
    """
    _check_columns(labels, LABEL_COLUMNS, "labels")
    if adjudications is not None:
        _check_columns(adjudications, ADJUDICATION_COLUMNS, "adjudications")
    chosen = apply_filters(labels, filters)
    if adjudications is not None:
        adjudications = adjudications[adjudications["statement_id"].isin(chosen["statement_id"])]
    units = chosen["statement_id"].to_numpy()
    coders = text_ids(chosen["annotator"])
    shown = chosen["suggestion_shown"].astype(bool).to_numpy()
    boot: Bootstrap = {"n_boot": n_boot, "seed": seed, "level": level}

    def one(
        variable: str, scale: Literal["nominal", "ordinal"], levels: list[int] | None
    ) -> tuple[VariableAgreement, SuggestionComparison]:
        data = ReliabilityData.from_long(units, coders, chosen[variable], levels=levels)
        reference = _reference(adjudications, variable)
        agreement = _variable(
            data, variable, scale, reference, boot, pair_confusions=pair_confusions, top=top
        )
        return agreement, _suggestion_comparison(data, shown, variable, scale, boot)

    # The two variables share nothing but the input; numpy does most of the work without
    # the GIL, so they run side by side.
    with one_blas_thread(), ThreadPoolExecutor(max_workers=2) as pool:
        type_job = pool.submit(one, "source_type", "nominal", None)
        confidence_job = pool.submit(one, "confidence", "ordinal", list(confidence_levels))
        source_type, type_suggestions = type_job.result()
        confidence, confidence_suggestions = confidence_job.result()
    suggestions = [type_suggestions, confidence_suggestions]
    return AgreementReport(
        filters=filters or ReportFilters(),
        n_boot=n_boot,
        seed=seed,
        level=level,
        n_labels=len(chosen),
        n_statements=int(chosen["statement_id"].nunique()),
        n_documents=int(chosen["document_id"].nunique()),
        annotators=sorted(str(a) for a in coders.unique()),
        source_type=source_type,
        confidence=confidence,
        suggestions=suggestions,
    )


def _suggestion_comparison(
    data: ReliabilityData,
    shown: np.ndarray,
    variable: str,
    metric: Metric,
    boot: Bootstrap,
) -> SuggestionComparison:
    # Each kept value knows its record, so the label's "suggestion shown" follows it.
    if data.record is None:  # built by from_long, which always records it
        raise ValueError("reliability data without record positions")
    with_flag = shown[data.record]
    return SuggestionComparison(
        variable=variable,
        metric=metric,
        with_suggestion=krippendorff_alpha(data.subset(with_flag), metric, **boot),
        without_suggestion=krippendorff_alpha(data.subset(~with_flag), metric, **boot),
    )


READING_WORDS: dict[Reading, str] = {
    "reliable": "annotators agree reliably on {subject} ({figure})",
    "tentative": "agreement on {subject} is tentative ({figure})",
    "unreliable": "agreement on {subject} is too low to rely on ({figure})",
}
SUBJECTS = {"source_type": "the source type", "confidence": "confidence"}


def _figure(result: AgreementResult) -> str:
    text = f"α {result.value:.3f}"
    if result.ci_low is not None and result.ci_high is not None:
        text += f", {result.level:.0%} interval {result.ci_low:.3f} to {result.ci_high:.3f}"
    return text


def plain_summary(
    report: AgreementReport, name: Callable[[str], str] = str, *, min_units: int = MIN_UNITS
) -> str:
    """What the report means, in one paragraph a fact-checker can act on.

    "Annotators agree reliably on the source type (α 0.840, ...); agreement on confidence is
    tentative (...). The most confused pair of source types is A vs B (n% of the
    disagreements)." `name` turns a source-type key into its display name. A variable
    whose alpha is undefined, or rests on fewer than `min_units` statements, is said to be
    not yet measurable.
    """
    parts = []
    for var in (report.source_type, report.confidence):
        alpha = var.alpha[var.reading_metric]
        subject = SUBJECTS.get(var.variable, var.variable)
        if alpha.value is None or var.reading is None or alpha.n_units < min_units:
            parts.append(
                f"agreement on {subject} cannot be measured yet "
                f"({alpha.n_units} statement(s) labelled by two or more annotators)"
            )
        else:
            parts.append(READING_WORDS[var.reading].format(subject=subject, figure=_figure(alpha)))
    text = "; ".join(parts)
    text = text[0].upper() + text[1:] + "."
    if report.source_type.confusions:
        top = report.source_type.confusions[0]
        text += (
            f" The most confused pair of source types is {name(top.label_a)} vs "
            f"{name(top.label_b)} ({top.share_of_disagreement:.0%} of the disagreements)."
        )
    return text
