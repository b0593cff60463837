"""Opening the database file and running write transactions that survive contention.

SQLite in WAL mode lets readers and one writer work together; writers queue on the
database lock. Every write here takes the lock up front (BEGIN IMMEDIATE) so that a
transaction never fails half-way on a lock upgrade, and retries with back-off when
another process holds it for longer than the busy timeout.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from storage.errors import StorageError

__all__ = ["Database", "connect", "default_db_path", "integrity_check", "write"]

DB_ENV_VAR = "SOURCEDESK_DB"
DEFAULT_DB_NAME = "sourcedesk.db"
BUSY_TIMEOUT_MS = 5_000
WRITE_ATTEMPTS = 8
PAGE_SIZE = 8192


def default_db_path() -> Path:
    return Path(os.environ.get(DB_ENV_VAR) or DEFAULT_DB_NAME)


def connect(path: str | Path, *, migrate: bool = True) -> Database:
    """Open (and create or upgrade) the database at `path`.

    One connection per thread: Streamlit reruns scripts on other threads, so callers open
    a connection for the work at hand instead of sharing one.
    """
    path = Path(path)
    if path.exists() and path.is_dir():
        raise StorageError(f"{path}: is a directory, not a database file")
    if path.exists() and path.stat().st_size > 0 and not is_sqlite_file(path):
        raise StorageError(f"{path}: is not a SourceDesk (SQLite) database")
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        if conn.execute("PRAGMA page_count").fetchone()[0] == 0:
            # Before the first table: an article (~2 KB) no longer fills a 4 KB page on its
            # own, which keeps a million-statement project under 1.5 GB.
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        raise StorageError(f"{path}: cannot open database ({exc})") from None
    db = Database(conn, execute_plugins=False)
    if migrate:
        from storage.schema import migrate as apply_migrations

        apply_migrations(db)
    return db


def is_sqlite_file(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(16) == b"SQLite format 3\x00"


def _is_lock_error(exc: sqlite3.OperationalError) -> bool:
    message = str(exc).lower()
    return "locked" in message or "busy" in message


@contextlib.contextmanager
def write(db: Database) -> Iterator[Database]:
    """A write transaction that takes the write lock first and retries when it is held.

    Nested use becomes a savepoint, so library functions compose into one transaction.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    for attempt in range(WRITE_ATTEMPTS):
        try:
            db.conn.execute("BEGIN IMMEDIATE")
            break
        except sqlite3.OperationalError as exc:
            if not _is_lock_error(exc) or attempt == WRITE_ATTEMPTS - 1:
                raise StorageError(
                    "the database is busy with another writer; please try again"
                ) from None
            time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")


def integrity_check(db: Database) -> str:
    return db.execute("PRAGMA integrity_check").fetchone()[0]
