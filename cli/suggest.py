"""`sourcedesk suggest`: suggested source types for the statements of files, with the
project's adapted model when a database is given (`--db`), as the app shows them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from annotate.documents import parse_path
from cli.common import DbOption, JsonOption, app, friendly_errors, open_db
from workflows.suggest import suggest_texts, train_model


@app.command()
@friendly_errors
def suggest(
    files: Annotated[
        list[Path],
        typer.Argument(help="Articles (.txt .md .html) or a .csv/.jsonl with a text column."),
    ],
    as_json: JsonOption = False,
    all_segments: Annotated[
        bool, typer.Option("--all", help="Include headings, captions and boilerplate.")
    ] = False,
    db: DbOption = None,
    retrain: Annotated[
        bool,
        typer.Option(
            "--retrain", help="With --db: first retrain the project's model on its labels."
        ),
    ] = False,
) -> None:
    """Print each statement with its suggested source type, score, speaker and cues."""
    database = open_db(db, create=False) if db is not None else None
    if retrain:
        if database is None:
            raise typer.BadParameter("--retrain needs --db")
        info = train_model(database)
        typer.echo(
            f"model {info.version}: {info.n_labels} labels, cross-validated macro-F1 "
            f"{info.cv_macro_f1:.3f} (rules alone {info.rules_cv_macro_f1:.3f})",
            err=True,
        )
    for path in files:
        for document in parse_path(path):
            segments = [s for s in document.statements if s.kind == "statement" or all_segments]
            statements = [s for s in segments if s.kind == "statement"]
            by_start = dict(
                zip(
                    (s.start for s in statements),
                    suggest_texts(database, [s.text for s in statements], document.language),
                    strict=True,
                )
            )
            for segment in segments:
                suggestion = by_start.get(segment.start)
                if suggestion is None:  # a heading or caption asked for with --all
                    suggestion = suggest_texts(database, [segment.text], document.language)[0]
                if as_json:
                    payload = {
                        "file": document.source_name,
                        "start": segment.start,
                        "end": segment.end,
                        "text": segment.text,
                        "language": document.language,
                        "suggested_type": suggestion.suggested_type,
                        "score": round(suggestion.score, 4),
                        "secondary": [[t, round(s, 4)] for t, s in suggestion.secondary],
                        "source_span": suggestion.source_span.model_dump()
                        if suggestion.source_span
                        else None,
                        "cues": [cue.model_dump() for cue in suggestion.cues],
                        "model_version": suggestion.model_version,
                        "context_note": suggestion.context_note,
                    }
                    typer.echo(json.dumps(payload, ensure_ascii=False))
                    continue
                typer.echo(f"{suggestion.suggested_type} ({suggestion.score:.2f})\t{segment.text}")
                for cue in suggestion.cues:
                    typer.echo(f"    {cue.kind:<20} {cue.start:>4}-{cue.end:<4} {cue.text}")
                if suggestion.source_span:
                    typer.echo(f"    {'who':<20} {suggestion.source_span.text}")
                if suggestion.context_note:
                    typer.echo(f"    {'context':<20} {suggestion.context_note}")
                if suggestion.model_version:
                    typer.echo(f"    {'model':<20} {suggestion.model_version}")
