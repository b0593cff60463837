"""`sourcedesk`: the same operations as the app, headless.

Each command opens the database, makes one library call and prints the result. A
library error becomes one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

import storage
from annotate.accounts.passwords import hash_password
from annotate.core.models import ROLES
from annotate.core.taxonomy import load_taxonomy, scale_presets
from annotate.documents.ingest import ColumnMapping, IngestError, parse_path
from cli.common import DbOption, JsonOption, app, db_path, friendly_errors, open_db
from cli.sample import load_sample

users_app = typer.Typer(help="Manage local accounts and roles.", no_args_is_help=True)
app.add_typer(users_app, name="users")


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
) -> None:
    """Create a database and its project."""
    database = open_db(db)
    tax = load_taxonomy(taxonomy) if taxonomy else None
    project = storage.create_project(
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
    storage.get_project(database)
    added = duplicates = errors = statements = 0
    with typer.progressbar(files, label="importing", file=sys.stderr) as progress:
        for path in progress:
            try:
                parsed = parse_path(path, max_bytes=int(max_mb * 1_000_000), mapping=mapping)
            except IngestError as exc:
                errors += 1
                typer.echo(f"\nerror: {exc}", err=True)
                continue
            for outcome in storage.add_documents(database, parsed):
                if outcome.status == "added":
                    added += 1
                    statements += outcome.statements
                elif outcome.status == "duplicate":
                    duplicates += 1
                    typer.echo(f"\nskipped: {outcome.source_name}: {outcome.message}", err=True)
                else:
                    errors += 1
                    typer.echo(f"\nerror: {outcome.source_name}: {outcome.message}", err=True)
    typer.echo(
        f"{added} document(s) added ({statements} statements), "
        f"{duplicates} duplicate(s) skipped, {errors} error(s)"
    )
    if errors:
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


@app.command()
@friendly_errors
def status(
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Documents, statements, annotations and progress per annotator."""
    database = open_db(db)
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


PasswordOption = Annotated[
    str | None,
    typer.Option(help="Password (prompted if omitted; SOURCEDESK_PASSWORD also works)."),
]


def hashed_password(given: str | None) -> str:
    """The argon2 hash of the password given, else of $SOURCEDESK_PASSWORD, else prompted
    twice with hidden input."""
    secret = given or os.environ.get("SOURCEDESK_PASSWORD")
    if secret is None:
        secret = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return hash_password(secret)


@users_app.command("add")
@friendly_errors
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)}.")] = "annotator",
    password: PasswordOption = None,
    db: DbOption = None,
) -> None:
    """Add a local account."""
    database = open_db(db)
    user = storage.add_user(database, name, role, hashed_password(password))  # type: ignore[arg-type]
    typer.echo(f"added {user.name} ({user.role})")


@users_app.command("set-password")
@friendly_errors
def users_set_password(
    name: str,
    password: PasswordOption = None,
    db: DbOption = None,
) -> None:
    """Set a user's password (for example after `sourcedesk load`, which restores none)."""
    database = open_db(db)
    storage.set_password_hash(database, name, hashed_password(password))
    typer.echo(f"password set for {name}")


@users_app.command("list")
@friendly_errors
def users_list(db: DbOption = None) -> None:
    """List accounts and roles."""
    database = open_db(db)
    for user in storage.list_users(database):
        state = "" if user.active else " (deactivated)"
        typer.echo(f"{user.name}\t{user.role}{state}")


@users_app.command("set-role")
@friendly_errors
def users_set_role(
    name: str,
    role: Annotated[str, typer.Argument(help=f"One of {', '.join(ROLES)}.")],
    db: DbOption = None,
) -> None:
    """Change a user's role."""
    database = open_db(db)
    user = storage.set_role(database, name, role)  # type: ignore[arg-type]
    typer.echo(f"{user.name} is now {user.role}")


@app.command()
@friendly_errors
def serve(
    db: DbOption = None,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8501,
    address: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
) -> None:
    """Start the web app on this database."""
    database_path = db_path(db)
    storage.connect(database_path).close()  # create/upgrade before the app starts
    app_file = Path(__file__).resolve().parent.parent / "app.py"
    env = {**os.environ, storage.DB_ENV_VAR: str(Path(database_path).resolve())}
    command = [
        sys.executable, "-m", "streamlit", "run", str(app_file),
        "--server.port", str(port), "--server.address", address,
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    raise typer.Exit(subprocess.call(command, env=env))


# Each module registers its commands on `app` when imported.
from cli import agreement, backup, export, suggest  # noqa: E402, F401


def main() -> None:
    app()
