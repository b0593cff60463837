"""`sourcedesk import`: articles and statement files into the project."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

import storage
from annotate.documents import ColumnMapping
from cli.common import DbOption, app, friendly_errors, open_db
from workflows.documents import ImportReport, import_files


@app.command("import")
@friendly_errors
def import_(
    files: Annotated[list[Path], typer.Argument(help="Articles (.txt .md .html) or .csv/.jsonl.")],
    db: DbOption = None,
    max_mb: Annotated[float, typer.Option(help="Largest file accepted, in MB.")] = 20.0,
    column: Annotated[
        list[str] | None,
        typer.Option(
            help="For CSV/JSONL: FIELD=COLUMN, e.g. text=body or document=article_id "
            f"(fields: {', '.join(ColumnMapping.model_fields)}). Repeatable."
        ),
    ] = None,
) -> None:
    """Import articles; the same text imported twice is reported, not duplicated."""
    mapping = column_mapping(column or [])
    database = open_db(db)

    def show(outcome: storage.ImportOutcome) -> None:
        if outcome.status != "added":
            word = "skipped" if outcome.status == "duplicate" else "error"
            typer.echo(f"\n{word}: {ImportReport.describe(outcome)}", err=True)

    with typer.progressbar(files, label="importing", file=sys.stderr) as progress:
        report = import_files(
            database, progress, max_bytes=int(max_mb * 1_000_000), mapping=mapping, on_outcome=show
        )
    typer.echo(report.summary())
    if report.errors:
        raise typer.Exit(1)


def column_mapping(pairs: list[str]) -> ColumnMapping:
    values: dict[str, str] = {}
    for pair in pairs:
        field, sep, name = pair.partition("=")
        if not sep or field.strip() not in ColumnMapping.model_fields or not name.strip():
            raise typer.BadParameter(
                f"{pair!r}: expected FIELD=COLUMN with FIELD one of "
                f"{', '.join(ColumnMapping.model_fields)}",
                param_hint="--column",
            )
        values[field.strip()] = name.strip()
    return ColumnMapping(**values)
