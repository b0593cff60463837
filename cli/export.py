"""`sourcedesk export`, `import-labels`, `dump` and `load`: datasets out and in."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

import storage
from annotate.core.taxonomy import scale_preset
from annotate.exports import FORMATS, SHAPES, ExportFilters, ExportOptions
from annotate.interchange.doccano import parse_doccano
from annotate.interchange.dump import DumpError
from annotate.interchange.labels import LabelImportError
from annotate.interchange.labelstudio import parse_labelstudio
from cli.common import DbOption, JsonOption, app, date_option, friendly_errors, open_db
from storage.exports import dump_project, export_dataset, export_labelstudio
from storage.restore import import_labels, load_dump


@app.command("export")
@friendly_errors
def export(
    out: Annotated[Path, typer.Option("--out", help="Output file, or a directory.")],
    db: DbOption = None,
    fmt: Annotated[
        str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}, labelstudio.")
    ] = "csv",
    shape: Annotated[str, typer.Option(help=f"One of {', '.join(SHAPES)}.")] = "long",
    pseudonymise: Annotated[
        bool, typer.Option("--pseudonymise", help="Replace names by annotator_NN.")
    ] = False,
    all_revisions: Annotated[
        bool, typer.Option("--all-revisions", help="Every revision, not only current labels.")
    ] = False,
    document: Annotated[
        list[int] | None, typer.Option("--document", help="Only this document id (repeat).")
    ] = None,
    annotator: Annotated[
        list[str] | None, typer.Option("--annotator", help="Only this annotator (repeat).")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Labels saved on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Labels saved on or before YYYY-MM-DD.")] = None,
    aggregation: Annotated[
        str, typer.Option(help="Wide shape: majority or dawid_skene.")
    ] = "majority",
    no_agreement: Annotated[
        bool, typer.Option("--no-agreement", help="Skip agreement figures in the card.")
    ] = False,
) -> None:
    """Export labels (long or wide) with a dataset card, or Label Studio tasks."""
    database = open_db(db)
    filters = ExportFilters(
        document_ids=document or [],
        annotators=annotator or [],
        labelled_from=date_option(since, "--since"),
        labelled_to=date_option(until, "--until"),
    )
    if fmt == "labelstudio":
        result = export_labelstudio(database, out, filters, pseudonymise=pseudonymise)
        typer.echo(f"wrote {result.rows} task(s) to {result.path}")
        return
    options = ExportOptions.model_validate(
        {
            "format": fmt,
            "shape": shape,
            "filters": filters,
            "pseudonymise": pseudonymise,
            "all_revisions": all_revisions,
            "aggregation": aggregation,
        }
    )
    with typer.progressbar(length=0, label="exporting", file=sys.stderr) as bar:
        seen = [0]

        def progress(rows: int) -> None:
            bar.update(rows - seen[0])
            seen[0] = rows

        result = export_dataset(
            database, out, options, progress=progress, agreement=not no_agreement
        )
    typer.echo(f"wrote {result.rows} row(s) to {result.path} ({result.seconds:.1f} s)")
    typer.echo(f"card: {result.card_md}")


@app.command("import-labels")
@friendly_errors
def import_labels_command(
    file: Annotated[Path, typer.Argument(help="Label Studio JSON or doccano JSONL export.")],
    db: DbOption = None,
    statements_only: Annotated[
        bool, typer.Option("--statements-only", help="Import the statements, not the labels.")
    ] = False,
    user: Annotated[
        str, typer.Option(help="doccano: who labelled, when lines name no user.")
    ] = "doccano",
    as_json: JsonOption = False,
) -> None:
    """Import statements and labels from Label Studio or doccano; nothing on any error."""
    database = open_db(db)
    project = storage.get_project(database)
    taxonomy = storage.get_taxonomy(database)
    scale = scale_preset(project.scale_preset).primary
    text = file.read_text(encoding="utf-8")
    if file.suffix == ".jsonl" or not text.lstrip().startswith(("[", '{"id"', '{"data"')):
        plan = parse_doccano(text, taxonomy, scale, default_user=user, source=file.name)
    else:
        plan = parse_labelstudio(text, taxonomy, scale, source=file.name)
    try:
        summary = import_labels(database, plan, with_labels=not statements_only)
    except LabelImportError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        typer.echo(f"{len(exc.problems)} problem(s); nothing was imported", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(summary.model_dump_json(indent=2))
        return
    typer.echo(
        f"{summary.documents_created} document(s) and {summary.statements_created} "
        f"statement(s) created, {summary.statements_matched} matched, "
        f"{summary.labels} label(s) imported"
        + (f"; new users: {', '.join(summary.users_created)}" if summary.users_created else "")
    )


@app.command("dump")
@friendly_errors
def dump(
    out: Annotated[Path, typer.Argument(help="Output .jsonl file.")],
    db: DbOption = None,
) -> None:
    """Back up the whole project (without password hashes) as JSON lines."""
    counts = dump_project(open_db(db), out)
    typer.echo(f"wrote {sum(counts.values())} row(s) to {out}")


@app.command("load")
@friendly_errors
def load(
    file: Annotated[Path, typer.Argument(help="A dump written by `sourcedesk dump`.")],
    db: DbOption = None,
) -> None:
    """Restore a dump into an empty database (all or nothing); users need new passwords."""
    try:
        counts = load_dump(open_db(db), file)
    except (DumpError, storage.StorageError) as exc:
        for line in str(exc).splitlines():
            typer.echo(f"error: {line}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"restored {sum(counts.values())} row(s); restored accounts have no password "
        "until an administrator sets one"
    )
