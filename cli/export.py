"""`sourcedesk export`, `import-labels`, `dump` and `load`: datasets out and in.

Each command imports its workflow (and the label readers) when it runs: they need
pyarrow, duckdb, the ADBC driver and openpyxl, which every other command (an import of
documents) can do without.
"""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer

from annotate.core.errors import SourceDeskError
from annotate.exports import ALL_FORMATS, SHAPES, ExportFilters, ExportOptions, format_for_path
from cli.common import DbOption, JsonOption, app, date_option, friendly_errors, open_db
from cli.filters import AnnotatorFilter, DocumentFilter

MB = 1_000_000


@app.command("export")
@friendly_errors
def export(
    out: Annotated[
        str,
        typer.Option(
            "--out",
            help="Output file, or a folder (existing, or written with a final /): the file "
            "under its default name, and a dataset's card as the folder's README.md.",
        ),
    ],
    db: DbOption = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help=f"One of {', '.join(ALL_FORMATS)} (default: from the file's extension).",
        ),
    ] = None,
    shape: Annotated[str, typer.Option(help=f"One of {', '.join(SHAPES)}.")] = "long",
    real_names: Annotated[
        bool,
        typer.Option("--real-names", help="Keep account names (default: annotator_NN)."),
    ] = False,
    all_revisions: Annotated[
        bool, typer.Option("--all-revisions", help="Every revision, not only current labels.")
    ] = False,
    document: DocumentFilter = None,
    annotator: AnnotatorFilter = None,
    since: Annotated[str | None, typer.Option(help="Labels saved on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Labels saved on or before YYYY-MM-DD.")] = None,
    aggregation: Annotated[
        str, typer.Option(help="Wide shape: majority or dawid_skene.")
    ] = "majority",
    license_id: Annotated[
        str, typer.Option("--license", help="Dataset license for the card (e.g. cc-by-4.0).")
    ] = "unknown",
    no_agreement: Annotated[
        bool, typer.Option("--no-agreement", help="Skip agreement figures in the card.")
    ] = False,
) -> None:
    """Export labels (long or wide) with a dataset card, or as Label Studio tasks, doccano
    JSONL or W3C Web Annotations. Annotators are pseudonymised unless --real-names."""
    from workflows.export import export_to

    target = Path(out)
    if out.endswith(("/", os.sep)):
        target.mkdir(parents=True, exist_ok=True)
    if target.is_dir():
        chosen = fmt or "csv"
    else:
        try:
            chosen = format_for_path(target.name, fmt)
        except ValueError as exc:
            raise typer.BadParameter(
                str(exc).removeprefix("format: "), param_hint="--format"
            ) from None
    database = open_db(db, create=False)
    filters = ExportFilters(
        document_ids=document or [],
        annotators=annotator or [],
        labelled_from=date_option(since, "--since"),
        labelled_to=date_option(until, "--until"),
    )
    options = ExportOptions.model_validate(
        {
            "format": chosen,
            "shape": shape,
            "filters": filters,
            "pseudonymise": not real_names,
            "all_revisions": all_revisions,
            "aggregation": aggregation,
            "license": license_id,
        }
    )
    with ExitStack() as stack:
        bars: list[Any] = []  # the bar starts with the first rows: a refusal prints one line

        def progress(rows: int) -> None:
            if not bars:
                bars.append(
                    stack.enter_context(
                        typer.progressbar(length=0, label="exporting", file=sys.stderr)
                    )
                )
            bar = bars[0]
            bar.update(rows - bar.pos)

        result = export_to(database, target, options, progress=progress, agreement=not no_agreement)
    unit = "task" if result.format == "labelstudio" else "row"
    typer.echo(f"wrote {result.rows:,} {unit}(s) to {result.path} ({result.seconds:.1f} s)")
    for extra in result.files[1:]:
        typer.echo(f"also wrote {extra}")


@app.command("import-labels")
@friendly_errors
def import_labels_command(
    file: Annotated[
        Path, typer.Argument(help="Label Studio JSON/JSON-MIN/CSV or doccano JSONL/CSV export.")
    ],
    db: DbOption = None,
    statements_only: Annotated[
        bool, typer.Option("--statements-only", help="Import the statements, not the labels.")
    ] = False,
    user: Annotated[
        str | None,
        typer.Option(
            help="Who made the labels the file credits to no one (doccano's per-user exports)."
        ),
    ] = None,
    users: Annotated[
        Path | None,
        typer.Option(help="Label Studio: users listing (default: NAME.users.json beside FILE)."),
    ] = None,
    labels: Annotated[
        Path | None, typer.Option(help="doccano 1.0.x: the project's labels file (label ids).")
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="THEIRS=OURS: read their label as our source type (repeat)."),
    ] = None,
    unmapped: Annotated[
        str, typer.Option(help="Labels outside the taxonomy: error (list them) or skip.")
    ] = "error",
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="Replace people's existing labels (new revision)."),
    ] = False,
    kind: Annotated[
        str,
        typer.Option(help="auto, labelstudio, labelstudio-csv, doccano or doccano-csv."),
    ] = "auto",
    max_mb: Annotated[float, typer.Option(help="Largest file accepted, in MB.")] = 200.0,
    as_json: JsonOption = False,
) -> None:
    """Import statements and labels from Label Studio or doccano; nothing on any error.
    People named in the file who have no account get an inactive one."""
    from annotate.interchange.labels import LabelImportError, LabelMapping, parse_mapping
    from workflows.label_import import import_labels_file

    if unmapped not in ("error", "skip"):
        raise typer.BadParameter("expected error or skip", param_hint="--unmapped")
    if kind not in ("auto", "labelstudio", "labelstudio-csv", "doccano", "doccano-csv"):
        raise typer.BadParameter(f"unknown kind {kind!r}", param_hint="--kind")
    database = open_db(db)
    try:
        label_mapping = LabelMapping(
            mapping=parse_mapping(mapping or []),
            unmapped=unmapped,
        )
        summary = import_labels_file(
            database,
            file,
            kind=kind,  # type: ignore[arg-type]  # checked above
            default_user=user,
            users_file=users,
            labels_file=labels,
            mapping=label_mapping,
            with_labels=not statements_only,
            overwrite=overwrite,
            max_bytes=int(max_mb * MB),
        )
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
        f"{summary.labels} label(s) imported ({summary.labels_replaced} replaced), "
        f"{summary.final_labels} final label(s)"
        + (f", {summary.labels_unchanged} already there" if summary.labels_unchanged else "")
        + (f", {summary.labels_skipped} skipped (unmapped)" if summary.labels_skipped else "")
    )
    if summary.users_created:
        typer.echo(
            f"new inactive accounts (activate them to let them sign in): "
            f"{', '.join(summary.users_created)}"
        )


@app.command("dump")
@friendly_errors
def dump(
    out: Annotated[Path, typer.Argument(help="Output .jsonl file.")],
    db: DbOption = None,
) -> None:
    """Back up the whole project (without password hashes) as JSON lines."""
    from workflows.dump import dump_project

    counts = dump_project(open_db(db, create=False), out)
    typer.echo(f"wrote {sum(counts.values()):,} row(s) to {out}")


@app.command("load")
@friendly_errors
def load(
    file: Annotated[Path, typer.Argument(help="A dump written by `sourcedesk dump`.")],
    db: DbOption = None,
    keep_roles: Annotated[
        bool,
        typer.Option("--keep-roles", help="Keep editor and admin roles (trusted files only)."),
    ] = False,
    max_mb: Annotated[float, typer.Option(help="Largest file accepted, in MB.")] = 20_000.0,
) -> None:
    """Restore a dump into an empty database (all or nothing). Accounts come without
    passwords, as annotators unless --keep-roles; every value is checked first."""
    from workflows.dump import load_dump

    try:
        counts = load_dump(open_db(db), file, keep_roles=keep_roles, max_bytes=int(max_mb * MB))
    except SourceDeskError as exc:  # every problem of the file, each on its own line
        for line in str(exc).splitlines():
            typer.echo(f"error: {line}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"restored {sum(counts.values()):,} row(s); restored accounts have no password "
        "until an administrator sets one"
    )
