"""The agreement report as a flat table of figures, shared by the app and the CLI."""

from __future__ import annotations

import pandas as pd

from annotate.agreement import AgreementResult
from annotate.agreement.report import AgreementReport, VariableAgreement, reading_band

FIGURE_COLUMNS = [
    "figure",
    "variable",
    "value",
    "ci_low",
    "ci_high",
    "n_units",
    "n_pairable",
    "band",
    "explanation",
]
NO_LABELS = "No labels match these filters yet: there is no agreement to compute."


def one_annotator(annotators: list[str]) -> str:
    return (
        "Agreement needs labels from at least two annotators; these labels all come from "
        f"{annotators[0]}."
    )


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


def _figures(var: VariableAgreement) -> list[AgreementResult]:
    return [var.percent_agreement, *var.alpha.values(), var.fleiss, var.gwet, *var.cohen_pairs]


def figure_table(report: AgreementReport) -> pd.DataFrame:
    """One row per figure of both variables; undefined values stay None with the reason."""
    rows = []
    for var in (report.source_type, report.confidence):
        for result in _figures(var):
            band = None
            if result.coefficient == "krippendorff_alpha":
                band = reading_band(result.value)
            rows.append(
                {
                    "figure": figure_name(result),
                    "variable": var.variable,
                    "value": result.value,
                    "ci_low": result.ci_low,
                    "ci_high": result.ci_high,
                    "n_units": result.n_units,
                    "n_pairable": result.n_pairable,
                    "band": band,
                    "explanation": result.explanation,
                }
            )
    return pd.DataFrame(rows, columns=FIGURE_COLUMNS)
