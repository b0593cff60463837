"""The agreement report as flat tables: the one flattening the app, the CLI and the dataset
card share, and its wording for people (no raw column names, no "None").

`figure_table` is one row per coefficient; `report_tables` adds the breakdowns;
`people_figures` and `for_people` turn them into what a fact-checker reads;
`disagreement_table` ranks statements by the one disagreement score that the Review
queue also sorts by (`annotate.agreement.disagreement.statement_disagreement`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from annotate.agreement import AgreementResult
from annotate.agreement.disagreement import statement_disagreement
from annotate.agreement.report import (
    MIN_UNITS,
    AgreementReport,
    VariableAgreement,
    reading_band,
)

FIGURE_COLUMNS = [
    "figure",
    "variable",
    "coefficient",
    "metric",
    "coders",
    "value",
    "ci_low",
    "ci_high",
    "level",
    "n_units",
    "n_pairable",
    "band",
    "explanation",
    "headline",
    "shown",
]
NO_LABELS = "No labels match these filters yet: there is no agreement to compute."

Namer = Callable[[str], str]


def one_annotator(annotators: list[str]) -> str:
    return (
        "Agreement needs labels from at least two annotators; these labels all come from "
        f"{annotators[0]}."
    )


def why_no_figures(report: AgreementReport) -> str | None:
    """Why a report has no agreement to show (no labels, or one annotator), or None."""
    if report.n_labels == 0:
        return NO_LABELS
    if len(report.annotators) < 2:
        return one_annotator(report.annotators)
    return None


def figure_name(result: AgreementResult) -> str:
    """A reader's name for a coefficient: "Krippendorff's alpha (ordinal)", ..."""
    weighted = result.weights not in (None, "identity")
    match result.coefficient:
        case "percent_agreement":
            name = "Percent agreement"
        case "krippendorff_alpha":
            name = f"Krippendorff's alpha ({result.metric})"
        case "fleiss_kappa":
            name = "Fleiss' kappa"
        case "gwet_ac1" | "gwet_ac2":
            name = "Gwet's " + result.coefficient[-3:].upper()
        case "cohen_kappa":
            name = "Cohen's kappa" + (f" ({result.weights} weights)" if weighted else "")
        case other:
            name = other
    if result.coefficient == "gwet_ac2" and weighted:
        name += f" ({result.weights} weights)"
    if result.coders:
        name += f" · {result.coders[0]} vs {result.coders[1]}"
    return name


def _headline(var: VariableAgreement) -> list[AgreementResult]:
    return [var.percent_agreement, *var.alpha.values(), var.fleiss, var.gwet]


def why_hidden(result: AgreementResult) -> str | None:
    """Why a figure is not worth showing (undefined, or over too few statements), or None."""
    if result.value is None:
        return result.explanation or "not enough data"
    if result.n_units < MIN_UNITS:
        return f"computed over {result.n_units} statement(s) only, fewer than {MIN_UNITS}"
    return None


def figure_table(report: AgreementReport) -> pd.DataFrame:
    """One row per figure of both variables; undefined values stay None with the reason.

    `headline` marks the figures of the dataset card (not the pairwise kappas); `shown`
    is False for figures that are undefined or rest on fewer than MIN_UNITS statements.
    """
    rows = []
    for var in (report.source_type, report.confidence):
        headline = _headline(var)
        for result in [*headline, *var.cohen_pairs]:
            band = None
            if result.coefficient == "krippendorff_alpha":
                band = reading_band(result.value)
            hidden = why_hidden(result)
            rows.append(
                {
                    "figure": figure_name(result),
                    "variable": var.variable,
                    "coefficient": result.coefficient,
                    "metric": result.metric or result.weights,
                    "coders": " vs ".join(result.coders) if result.coders else None,
                    "value": result.value,
                    "ci_low": result.ci_low,
                    "ci_high": result.ci_high,
                    "level": result.level,
                    "n_units": result.n_units,
                    "n_pairable": result.n_pairable,
                    "band": band,
                    "explanation": result.explanation if result.value is None else hidden,
                    "headline": result in headline,
                    "shown": hidden is None,
                }
            )
    return pd.DataFrame(rows, columns=FIGURE_COLUMNS)


CARD_FIELDS = (
    "variable",
    "coefficient",
    "metric",
    "value",
    "ci_low",
    "ci_high",
    "level",
    "n_units",
    "reading",
    "explanation",
)


def headline_records(report: AgreementReport) -> list[dict[str, object]]:
    """The headline figures (no pairwise kappas) as plain records with CARD_FIELDS, for
    the dataset card: `reading` is the band of the alpha each variable is read by."""
    reading_metric = {
        var.variable: var.reading_metric for var in (report.source_type, report.confidence)
    }
    table = figure_table(report)
    records = []
    for row in table[table["headline"]].to_dict("records"):
        is_reading = (
            row["coefficient"] == "krippendorff_alpha"
            and row["metric"] == reading_metric[str(row["variable"])]
        )
        explanation = row["explanation"]
        records.append(
            {
                "variable": row["variable"],
                "coefficient": row["coefficient"],
                "metric": row["metric"],
                "value": None if pd.isna(row["value"]) else float(row["value"]),
                "ci_low": None if pd.isna(row["ci_low"]) else float(row["ci_low"]),
                "ci_high": None if pd.isna(row["ci_high"]) else float(row["ci_high"]),
                "level": float(row["level"]),
                "n_units": int(row["n_units"]),
                "reading": row["band"] if is_reading and isinstance(row["band"], str) else None,
                "explanation": explanation if isinstance(explanation, str) else None,
            }
        )
    return records


def number(value: object, decimals: int = 2) -> str:
    """A figure for people: "0.62"; missing values are an empty cell, never "None"."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    return f"{float(value):.{decimals}f}"  # type: ignore[arg-type]  # numbers only reach here


def interval(low: object, high: object, decimals: int = 3) -> str:
    lo, hi = number(low, decimals), number(high, decimals)
    return f"{lo} to {hi}" if lo and hi else ""


def people_figures(figures: pd.DataFrame) -> pd.DataFrame:
    """The shown figures of `figure_table` as a fact-checker reads them."""
    shown = figures[figures["shown"]]
    level = float(figures["level"].iloc[0]) if len(figures) else 0.95
    return pd.DataFrame(
        {
            "Figure": shown["figure"],
            "Value": [number(v, 3) for v in shown["value"]],
            f"{level:.0%} interval": [
                interval(lo, hi) for lo, hi in zip(shown["ci_low"], shown["ci_high"], strict=True)
            ],
            "Statements": shown["n_units"].astype(int),
            "Reading": [b if isinstance(b, str) else "" for b in shown["band"]],
        }
    ).reset_index(drop=True)


def hidden_line(figures: pd.DataFrame) -> str | None:
    """One line naming the figures left out and why, or None when all are shown."""
    hidden = figures[~figures["shown"]]
    if hidden.empty:
        return None
    reasons: dict[str, list[str]] = {}
    for name, why in zip(hidden["figure"], hidden["explanation"], strict=True):
        reasons.setdefault(str(why or "not enough data"), []).append(str(name))
    parts = [f"{', '.join(names)} ({why})" for why, names in reasons.items()]
    return f"{len(hidden)} figure(s) not shown: " + "; ".join(parts) + "."


def for_people(
    frame: pd.DataFrame,
    columns: Mapping[str, str],
    *,
    decimals: Mapping[str, int] | None = None,
    names: Mapping[str, Namer] | None = None,
) -> pd.DataFrame:
    """Keep and rename `columns` ({raw: reader's name}); numbers in `decimals` become
    text with that many decimals, `names` map keys to display names, missing cells are
    empty text."""
    decimals = decimals or {}
    names = names or {}
    out = pd.DataFrame(index=frame.index)
    for raw, title in columns.items():
        values = frame[raw]
        if raw in decimals:
            out[title] = [number(v, decimals[raw]) for v in values]
        elif raw in names:
            out[title] = [names[raw](str(v)) if isinstance(v, str) and v else "" for v in values]
        elif values.dtype == object:
            out[title] = ["" if v is None else v for v in values]
        else:
            out[title] = values
    return out.reset_index(drop=True)


def pooled_pair_counts(var: VariableAgreement) -> list[list[int]]:
    """Pairs of annotators on the same statement, by the two labels they gave (integers).

    Cell (a, b) counts the annotator pairs where one gave a and the other b; the diagonal
    counts agreeing pairs. Needs the report's pair confusions.
    """
    q = len(var.levels)
    total = np.zeros((q, q), dtype=int)
    for matrix in (var.pair_confusions or {}).values():
        total += np.asarray(matrix, dtype=int)
    pooled = total + total.T
    np.fill_diagonal(pooled, np.diag(total))
    return [[int(x) for x in row] for row in pooled]


def confused_pairs(var: VariableAgreement, name: Namer = str) -> pd.DataFrame:
    """The most confused pairs of labels, with integer counts of annotator pairs."""
    pooled = pooled_pair_counts(var)
    index = {level: i for i, level in enumerate(var.levels)}
    rows = [
        {
            "Label": name(c.label_a),
            "Confused with": name(c.label_b),
            "Annotator pairs split between them": pooled[index[c.label_a]][index[c.label_b]]
            if c.label_a in index and c.label_b in index
            else 0,
            "Share of all disagreement": f"{c.share_of_disagreement:.0%}",
        }
        for c in var.confusions
    ]
    return pd.DataFrame(
        rows,
        columns=["Label", "Confused with", "Annotator pairs split between them",
                 "Share of all disagreement"],
    )  # fmt: skip


def report_tables(report: AgreementReport) -> dict[str, pd.DataFrame]:
    """Flat tables: figures, labels, annotators, confusions, disagreements, suggestions."""
    label_rows, coder_rows, confusion_rows, disagreement_rows = [], [], [], []
    for var in (report.source_type, report.confidence):
        label_rows += [{"variable": var.variable, **r.model_dump()} for r in var.labels]
        coder_rows += [{"variable": var.variable, **r.model_dump()} for r in var.annotators]
        confusion_rows += [{"variable": var.variable, **r.model_dump()} for r in var.confusions]
        for rank, r in enumerate(var.top_disagreements, start=1):
            values = "; ".join(f"{k}={v}" for k, v in r.values.items())
            row = {"variable": var.variable, "rank": rank, **r.model_dump(), "values": values}
            disagreement_rows.append(row)
    return {
        "figures": figure_table(report),
        "labels": pd.DataFrame(label_rows),
        "annotators": pd.DataFrame(coder_rows),
        "confusions": pd.DataFrame(confusion_rows),
        "disagreements": pd.DataFrame(disagreement_rows),
        "suggestions": suggestion_table(report),
    }


def suggestion_table(report: AgreementReport) -> pd.DataFrame:
    """Alpha with and without a suggestion shown, one row per variable and side."""
    rows = []
    for comp in report.suggestions:
        for shown, result in ((True, comp.with_suggestion), (False, comp.without_suggestion)):
            rows.append(
                {
                    "variable": comp.variable,
                    "metric": comp.metric,
                    "suggestion_shown": shown,
                    "alpha": result.value,
                    "ci_low": result.ci_low,
                    "ci_high": result.ci_high,
                    "n_units": result.n_units,
                    "n_pairable": result.n_pairable,
                    "explanation": result.explanation,
                    "shown": why_hidden(result) is None,
                    "why_hidden": why_hidden(result),
                }
            )
    return pd.DataFrame(
        rows,
        columns=["variable", "metric", "suggestion_shown", "alpha", "ci_low", "ci_high",
                 "n_units", "n_pairable", "explanation", "shown", "why_hidden"],
    )  # fmt: skip


DISAGREEMENT_COLUMNS = ["statement_id", "document_id", "n_labels", "disagreement", "labels"]


def disagreement_table(labels: pd.DataFrame, *, top: int | None = None) -> pd.DataFrame:
    """Statements with two or more labels and some disagreement, most first.

    `labels` has one row per label (statement_id, annotator, source_type, confidence,
    document_id). The score is `statement_disagreement`, the one the Review queue sorts
    by, so a statement shows the same number on both pages. `labels` holds
    {annotator: (source type, confidence)}.
    """
    rows = []
    typed = labels[labels["source_type"].notna()]
    for _, group in typed.groupby("statement_id", sort=True):
        if len(group) < 2:
            continue
        confidences = [None if pd.isna(c) else int(c) for c in group["confidence"]]
        score = statement_disagreement(list(group["source_type"]), confidences)
        if score <= 0:
            continue
        rows.append(
            {
                "statement_id": int(group["statement_id"].iloc[0]),
                "document_id": int(group["document_id"].iloc[0]),
                "n_labels": len(group),
                "disagreement": score,
                "labels": {
                    str(a): (str(t), c)
                    for a, t, c in zip(
                        group["annotator"], group["source_type"], confidences, strict=True
                    )
                },
            }
        )
    frame = pd.DataFrame(rows, columns=DISAGREEMENT_COLUMNS)
    frame = frame.sort_values(
        ["disagreement", "statement_id"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)
    return frame.head(top) if top is not None else frame
