"""`sourcedesk agreement`: the Agreement page's figures on the command line.

The page and this command share `workflows.agreement` and `annotate.agreement.table`, so
both show the same numbers for the same filters. The report and its tables need pandas,
so they are imported when the command runs, not by every command as the CLI starts.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

import storage
from annotate.core.taxonomy import Taxonomy
from cli.common import DbOption, JsonOption, app, date_option, friendly_errors, open_db
from cli.filters import AnnotatorFilter, DocumentFilter

if TYPE_CHECKING:
    import pandas as pd


def type_name(taxonomy: Taxonomy, key: str) -> str:
    source_type = taxonomy.get(key)
    return source_type.name() if source_type else key


class Suggestions(StrEnum):
    all = "all"
    with_ = "with"
    without = "without"


SUGGESTION_FILTER: dict[str, bool | None] = {"all": None, "with": True, "without": False}


def _missing(value: Any) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


def _number(value: Any) -> str:
    return "—" if _missing(value) else f"{float(value):.3f}"


def format_table(table: pd.DataFrame, level: float) -> str:
    """The figures as aligned plain text; an undefined figure shows its reason instead."""
    ci = f"{level:.0%} CI"
    header = ["figure", "variable", "value", ci, "n units", "n pairable", "band"]
    records: list[dict[str, Any]] = table.to_dict("records")
    lines: list[list[str]] = []
    for row in records:
        low = row["ci_low"]
        interval = "—" if _missing(low) else f"[{_number(low)}, {_number(row['ci_high'])}]"
        band = row["band"] if isinstance(row["band"], str) else ""
        lines.append(
            [
                str(row["figure"]),
                str(row["variable"]),
                _number(row["value"]),
                interval,
                str(row["n_units"]),
                str(row["n_pairable"]),
                band,
            ]
        )
    widths = [max(len(r[i]) for r in [header, *lines]) for i in range(len(header))]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    for cells, row in zip(lines, records, strict=True):
        out.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        explanation = row["explanation"]
        if _missing(row["value"]) and isinstance(explanation, str) and explanation:
            out.append(f"    ↳ undefined: {explanation}")
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
    document: DocumentFilter = None,
    outlet: Annotated[
        list[str] | None, typer.Option("--outlet", help="Only this outlet (repeat).")
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="Articles published on or after YYYY-MM-DD.")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Articles published on or before YYYY-MM-DD.")
    ] = None,
    annotator: AnnotatorFilter = None,
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
    from annotate.agreement.report import ReportFilters, plain_summary
    from annotate.agreement.table import figure_table, why_no_figures
    from workflows.agreement import agreement_report

    filters = ReportFilters(
        document_ids=document or None,
        outlets=outlet or None,
        date_from=date_option(date_from, "--from"),
        date_to=date_option(date_to, "--to"),
        annotators=annotator or None,
        suggestion_shown=SUGGESTION_FILTER[suggestions.value],
    )
    database = open_db(db, create=False)
    report = agreement_report(database, filters, n_boot=n_boot, seed=seed)
    taxonomy = storage.get_taxonomy(database)
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    nothing = why_no_figures(report)
    if nothing:
        typer.echo(nothing)
        return
    typer.echo(
        f"{report.n_labels} labels · {report.n_statements} statements · "
        f"{report.n_documents} documents · annotators: {', '.join(report.annotators)}"
    )
    typer.echo(f"bootstrap: {report.n_boot} resamples over statements, seed {report.seed}")
    typer.echo("")
    typer.echo(plain_summary(report, lambda key: type_name(taxonomy, key)))
    typer.echo("")
    typer.echo(format_table(figure_table(report), report.level))
    typer.echo("")
    typer.echo(
        "band: Krippendorff's reading, >= .800 reliable, .667-.800 tentative, below unreliable"
    )
