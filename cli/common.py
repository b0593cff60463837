"""What every command shares: the Typer app, the --db option and error reporting."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError

import storage
from annotate.accounts.passwords import PasswordError
from annotate.core.taxonomy import TaxonomyError
from annotate.documents.ingest import IngestError

app = typer.Typer(
    name="sourcedesk",
    help="SourceDesk: label where each statement of a news article comes from.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        envvar=storage.DB_ENV_VAR,
        help="Database file (default: $SOURCEDESK_DB, else sourcedesk.db here).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

USER_ERRORS: tuple[type[Exception], ...] = (
    storage.StorageError,
    IngestError,
    TaxonomyError,
    PasswordError,
    ValidationError,
    OSError,
    ValueError,
)

F = TypeVar("F", bound=Callable[..., Any])


def date_option(value: str | None, option: str) -> dt.date | None:
    """An ISO date given on the command line; a bad one is a usage error naming the option."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


def db_path(db: Path | None) -> Path:
    return db if db is not None else storage.default_db_path()


_opened: list[storage.Database] = []


def open_db(db: Path | None) -> storage.Database:
    """Open the database for this command; `friendly_errors` closes it when the command ends,
    so no idle connection outlives the command (a restore needs the file to itself)."""
    database = storage.connect(db_path(db))
    _opened.append(database)
    return database


def _close_opened() -> None:
    while _opened:
        _opened.pop().close()


def error_line(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}"
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def friendly_errors(func: F) -> F:
    """Turn the errors a user can cause into one line on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except USER_ERRORS as exc:
            typer.echo(f"error: {error_line(exc)}", err=True)
            raise typer.Exit(1) from None
        finally:
            _close_opened()

    return wrapper  # type: ignore[return-value]
