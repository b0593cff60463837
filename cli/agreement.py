"""`sourcedesk agreement`: the Agreement page's figures on the command line.

The page and this command share `storage.reports.agreement_report` and
`annotate.agreement.table`, so both show the same numbers for the same filters.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import pandas as pd
import typer

from annotate.agreement.report import (
    ReportFilters,
)
from annotate.agreement.table import NO_LABELS, figure_table, one_annotator
from cli.common import DbOption, JsonOption, app, date_option, friendly_errors, open_db
from storage.reports import agreement_report


class Suggestions(StrEnum):
    all = "all"
    with_ = "with"
    without = "without"


SUGGESTION_FILTER: dict[str, bool | None] = {"all": None, "with": True, "without": False}


def _number(value: float | None) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.3f}"


def format_table(table: pd.DataFrame, level: float) -> str:
    """The figures as aligned plain text; an undefined figure shows its reason instead."""
    ci = f"{level:.0%} CI"
    header = ["figure", "variable", "value", ci, "n units", "n pairable", "band"]
    lines = []
    for row in table.itertuples(index=False):
        interval = (
            f"[{_number(row.ci_low)}, {_number(row.ci_high)}]"
            if row.ci_low is not None and not pd.isna(row.ci_low)
            else "—"
        )
        band = row.band if isinstance(row.band, str) else ""
        lines.append(
            [
                row.figure,
                row.variable,
                _number(row.value),
                interval,
                str(row.n_units),
                str(row.n_pairable),
                band,
            ]
        )
    widths = [max(len(r[i]) for r in [header, *lines]) for i in range(len(header))]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    for cells, row in zip(lines, table.itertuples(index=False), strict=True):
        out.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        if isinstance(row.explanation, str) and row.explanation:
            out.append(f"    ↳ undefined: {row.explanation}")
    return "\n".join(out)


HELP = (
    "Agreement between annotators on source type and confidence, with 95% intervals.\n\n"
    "With no labels (or none matching the filters), or labels from a single annotator, it "
    "says so and exits with code 0: there is nothing to agree on yet, which is not an error. "
    "--json always prints the whole report; undefined figures are null with an explanation."
)


@app.command("agreement", help=HELP)
@friendly_errors
def agreement(
    db: DbOption = None,
    document: Annotated[
        list[int] | None, typer.Option("--document", help="Only this document id (repeat).")
    ] = None,
    outlet: Annotated[
        list[str] | None, typer.Option("--outlet", help="Only this outlet (repeat).")
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="Articles published on or after YYYY-MM-DD.")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Articles published on or before YYYY-MM-DD.")
    ] = None,
    annotator: Annotated[
        list[str] | None, typer.Option("--annotator", help="Only this annotator (repeat).")
    ] = None,
    suggestions: Annotated[
        Suggestions,
        typer.Option(help="Labels made with a suggestion shown, without one, or all."),
    ] = Suggestions.all,
    n_boot: Annotated[
        int, typer.Option("--n-boot", min=0, help="Bootstrap resamples for the intervals.")
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 42,
    as_json: JsonOption = False,
) -> None:
    filters = ReportFilters(
        document_ids=document or None,
        outlets=outlet or None,
        date_from=date_option(date_from, "--from"),
        date_to=date_option(date_to, "--to"),
        annotators=annotator or None,
        suggestion_shown=SUGGESTION_FILTER[suggestions.value],
    )
    report = agreement_report(open_db(db), filters, n_boot=n_boot, seed=seed)
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    if report.n_labels == 0:
        typer.echo(NO_LABELS)
        return
    if len(report.annotators) < 2:
        typer.echo(one_annotator(report.annotators))
        return
    typer.echo(
        f"{report.n_labels} labels · {report.n_statements} statements · "
        f"{report.n_documents} documents · annotators: {', '.join(report.annotators)}"
    )
    typer.echo(f"bootstrap: {report.n_boot} resamples over statements, seed {report.seed}")
    typer.echo("")
    typer.echo(format_table(figure_table(report), report.level))
    typer.echo("")
    typer.echo(
        "band: Krippendorff's reading, >= .800 reliable, .667-.800 tentative, below unreliable"
    )
