"""`sourcedesk init` and `sourcedesk status`: create a project, report its progress."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Annotated

import typer

import storage
from annotate.accounts.passwords import hash_password
from annotate.core.taxonomy import load_taxonomy, scale_presets
from cli.common import (
    DbOption,
    JsonOption,
    app,
    db_path,
    friendly_errors,
    open_db,
    removed_on_failure,
)
from cli.sample import load_sample
from workflows.project import create_project


@app.command()
@friendly_errors
def init(
    db: DbOption = None,
    name: Annotated[str, typer.Option(help="Project name.")] = "SourceDesk project",
    taxonomy: Annotated[
        Path | None, typer.Option(help="Taxonomy file (TOML or JSON) instead of the default.")
    ] = None,
    scale: Annotated[
        str, typer.Option(help=f"Rating scale preset: {', '.join(scale_presets())}.")
    ] = "confidence5",
    k: Annotated[int, typer.Option("--k", help="Annotators needed per statement.", min=1)] = 2,
    no_suggestions: Annotated[
        bool, typer.Option("--no-suggestions", help="Do not show cue suggestions.")
    ] = False,
    sample: Annotated[
        bool, typer.Option("--sample", help="Load the sample articles and demo annotations.")
    ] = False,
    admin: Annotated[
        str | None,
        typer.Option(
            help="Also create this administrator; the password is $SOURCEDESK_PASSWORD, "
            "else a random one printed once."
        ),
    ] = None,
) -> None:
    """Create a database and its project."""
    with removed_on_failure(db_path(db)):
        database = open_db(db)
        tax = load_taxonomy(taxonomy) if taxonomy else None
        project = create_project(
            database,
            name,
            taxonomy=tax,
            scale=scale,
            annotators_per_statement=k,
            suggestions_enabled=not no_suggestions,
        )
        typer.echo(f"created project {project.name!r} in {db_path(db)}")
        if sample:
            typer.echo(load_sample(database))
        if admin:
            given = os.environ.get("SOURCEDESK_PASSWORD")
            password = given or secrets.token_urlsafe(12)
            user = storage.add_user(database, admin, "admin", hash_password(password))
            shown = "(from $SOURCEDESK_PASSWORD)" if given else password
            typer.echo(f"administrator {user.name!r} created; password: {shown}")


@app.command()
@friendly_errors
def status(
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Documents, statements, annotations and progress per annotator."""
    database = open_db(db, create=False)
    project = storage.get_project(database)
    totals = storage.totals(database)
    per_annotator = storage.annotator_counts(database)
    if as_json:
        payload = {
            "project": project.name,
            "annotators_per_statement": project.annotators_per_statement,
            **totals,
            "annotators": per_annotator.to_dict(orient="records"),
        }
        typer.echo(json.dumps(payload, default=str, ensure_ascii=False, indent=2))
        return
    typer.echo(f"project: {project.name} (k = {project.annotators_per_statement})")
    for key, value in totals.items():
        typer.echo(f"{key:>14}: {value}")
    if totals["statements"]:
        share = totals["complete"] / totals["statements"]
        typer.echo(f"{'progress':>14}: {share:.0%} of statements have k labels")
    if len(per_annotator):
        typer.echo("")
        typer.echo(per_annotator.fillna("").to_string(index=False))
