"""`sourcedesk suggest`: cue detection on files, without a database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from annotate.documents.ingest import parse_path
from annotate.suggest.cues import detect_cues
from cli.common import JsonOption, app, friendly_errors


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
) -> None:
    """Print each statement with its suggested source type, score and cues."""
    for path in files:
        for document in parse_path(path):
            for segment in document.statements:
                if segment.kind != "statement" and not all_segments:
                    continue
                suggestion = detect_cues(segment.text, document.language)
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
                    }
                    typer.echo(json.dumps(payload, ensure_ascii=False))
                    continue
                typer.echo(f"{suggestion.suggested_type} ({suggestion.score:.2f})\t{segment.text}")
                for cue in suggestion.cues:
                    typer.echo(f"    {cue.kind:<20} {cue.start:>4}-{cue.end:<4} {cue.text}")
                if suggestion.source_span:
                    typer.echo(f"    {'who':<20} {suggestion.source_span.text}")
