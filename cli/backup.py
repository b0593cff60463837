"""`sourcedesk backup` and `sourcedesk restore`: copies of the database file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import DbOption, app, db_path, friendly_errors
from storage.backup import backup, restore


@app.command("backup")
@friendly_errors
def backup_command(
    out: Annotated[Path, typer.Argument(help="File to write the backup to (must not exist).")],
    db: DbOption = None,
) -> None:
    """Copy the database to OUT while the app keeps running; the copy is checked."""
    info = backup(db_path(db), out)
    typer.echo(f"backed up to {out}: {info.contents()}")


@app.command("restore")
@friendly_errors
def restore_command(
    backup_file: Annotated[Path, typer.Argument(metavar="IN", help="A file made by `backup`.")],
    db: DbOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that already holds a project.")
    ] = False,
) -> None:
    """Replace the database with a checked backup (stop the app first)."""
    target = db_path(db)
    info = restore(backup_file, target, force=force)
    typer.echo(f"restored {target} from {backup_file}: {info.contents()}")
