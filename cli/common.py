"""What every command shares: the Typer app, the --db option and error reporting."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import typer
from pydantic import ValidationError
from typer.exceptions import TyperException

import storage
from annotate.core.errors import USER_ERRORS, SourceDeskError, one_line
from storage.connection import is_read_only_error, is_writable, remove_database

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

log = logging.getLogger("sourcedesk.cli")

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


def open_db(db: Path | None, *, create: bool = True) -> storage.Database:
    """Open the database for this command; `friendly_errors` closes it when the command ends,
    so no idle connection outlives the command (a restore needs the file to itself).
    A database this process may not write is opened read-only: reading commands work,
    writing ones fail with one line. Reading commands pass `create=False`: a missing
    database is an error, never a new empty file."""
    path = db_path(db)
    read_only = path.exists() and not is_writable(path)
    database = storage.connect(path, read_only=read_only, create=create)
    _opened.append(database)
    return database


@contextlib.contextmanager
def removed_on_failure(path: Path) -> Iterator[None]:
    """If `path` does not exist yet and the block fails (a full disk, a bad option), the
    database it was creating is removed: nothing half-created is left behind."""
    fresh = not path.exists()
    try:
        yield
    except BaseException:
        if fresh:
            _close_opened()
            remove_database(path)
        raise


def _close_opened() -> None:
    while _opened:
        _opened.pop().close()


def error_line(exc: BaseException) -> str:
    """What the user reads: the message of a user error, the file and reason of an OS
    error, and for anything else (a bug, a corrupt database, no memory) its kind."""
    if isinstance(exc, USER_ERRORS):
        return one_line(exc)
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or one_line(exc)}"
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to read"
    if is_read_only_error(exc):
        return "the database is read-only for this user: reading commands only"
    if isinstance(exc, MemoryError):
        return "out of memory: the input is too large for this machine"
    return f"internal error ({type(exc).__name__}: {one_line(exc)}); nothing was changed"


def friendly_errors(func: F) -> F:
    """Every failure is one line on stderr and a non-zero exit, never a traceback.

    User errors and OS errors exit 1; anything else is a bug or a broken environment: it is
    logged with its traceback (at debug level, `SOURCEDESK_DEBUG=1` shows it) and exits 2.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, TyperException):
            raise  # Typer's own usage errors and exits: it prints them itself
        except (SourceDeskError, ValidationError, OSError) as exc:
            typer.echo(f"error: {error_line(exc)}", err=True)
            raise typer.Exit(1) from None
        except Exception as exc:  # the last line of defence: no traceback reaches the user
            log.debug("command failed", exc_info=True)
            typer.echo(f"error: {error_line(exc)}", err=True)
            raise typer.Exit(2) from None
        finally:
            _close_opened()

    return cast(F, wrapper)
