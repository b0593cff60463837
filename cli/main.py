"""`sourcedesk`: the same operations as the app, headless.

Each command opens the database, calls one workflow or library function and prints the
result. Every failure becomes one line on stderr and a non-zero exit, never a traceback.
The commands live in one module per group (project, documents, users, export, agreement,
backup, suggest); this module assembles them and holds `serve`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

import storage
from cli.common import DbOption, app, db_path, friendly_errors


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
    app_file = Path(__file__).resolve().parent.parent / "ui" / "server.py"
    env = {**os.environ, storage.DB_ENV_VAR: str(Path(database_path).resolve())}
    command = [
        sys.executable, "-m", "streamlit", "run", str(app_file),
        "--server.port", str(port), "--server.address", address,
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        # Tables' own CSV download is off: every download goes through the app's
        # neutralised CSV (annotate.exports.sanitize).
        "--client.disableDataExport", "true",
    ]  # fmt: skip
    # exec: streamlit takes this process's place, so a SIGTERM or SIGINT sent to
    # `sourcedesk serve` (by systemd, docker stop, Ctrl-C) reaches the server itself.
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, command, env)


# Each module registers its commands on `app` when imported.
from cli import agreement, backup, documents, export, project, suggest, users  # noqa: E402, F401


def main() -> None:
    app()
