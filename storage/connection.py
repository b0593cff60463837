"""Opening the database file: checks, pragmas (in `storage.dialect`) and migrations.

One connection per thread: Streamlit reruns scripts on other threads, so callers open a
connection for the work at hand instead of sharing one.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlite_utils import Database

from storage import dialect
from storage.errors import StorageError
from storage.schema import migrate as apply_migrations

__all__ = [
    "DB_ENV_VAR",
    "Database",
    "connect",
    "default_db_path",
    "integrity_check",
    "is_read_only_error",
    "is_writable",
    "remove_database",
]

DB_ENV_VAR = "SOURCEDESK_DB"
DEFAULT_DB_NAME = "sourcedesk.db"


def default_db_path() -> Path:
    return Path(os.environ.get(DB_ENV_VAR) or DEFAULT_DB_NAME)


def connect(
    path: str | Path, *, migrate: bool = True, create: bool = True, read_only: bool = False
) -> Database:
    """Open (and, unless told otherwise, create or upgrade) the database at `path`.

    `create=False` refuses a missing file instead of making an empty database, which is
    what a reading command or the web app wants. `read_only=True` opens the file without
    write access and applies no migration.
    """
    path = Path(path)
    if path.exists() and path.is_dir():
        raise StorageError(f"{path}: is a directory, not a database file")
    if not path.exists() and (read_only or not create):
        raise StorageError(f"{path}: no such database (create one with `sourcedesk init`)")
    if path.exists() and path.stat().st_size > 0 and not dialect.is_database_file(path):
        raise StorageError(f"{path}: is not a SourceDesk (SQLite) database")
    created = False
    if not read_only:
        try:
            created = dialect.create_private(path)
        except OSError as exc:
            raise StorageError(f"{path}: cannot create database ({exc.strerror})") from None
        dialect.make_private(path)
    try:
        conn = dialect.open_connection(path, read_only=read_only)
    except dialect.Error as exc:
        if created:
            dialect.remove_database(path)
        raise StorageError(f"{path}: cannot open database ({exc})") from None
    db = Database(conn, execute_plugins=False)
    if migrate and not read_only:
        try:
            apply_migrations(db)
        except BaseException:
            db.close()
            if created:  # a database that failed to get its schema is not left behind
                dialect.remove_database(path)
            raise
    return db


def is_writable(path: str | Path) -> bool:
    """Whether this process may write the database at `path` (file and folder)."""
    return dialect.is_writable(Path(path))


def remove_database(path: str | Path) -> None:
    """Delete a database file and its -wal, -shm and -journal files (a failed creation)."""
    dialect.remove_database(Path(path))


def is_read_only_error(exc: BaseException) -> bool:
    """A write refused because the database was opened (or is stored) read-only."""
    return isinstance(exc, dialect.OperationalError) and "readonly" in str(exc)


def integrity_check(db: Database) -> str:
    return dialect.integrity_check(db.conn)
