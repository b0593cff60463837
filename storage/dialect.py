"""Everything specific to SQLite: pragmas, the write lock, upserts, partial indexes.

The rest of storage/ writes portable SQL and asks this module for the parts that differ
between engines, so that a second backend means a second module of this shape, not a
search through every query.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

NAME = "sqlite"
BUSY_TIMEOUT_MS = 5_000
# Before the first table: an article (~2 KB) no longer fills a 4 KB page on its own, which
# keeps a million-statement project under 1.5 GB.
PAGE_SIZE = 8192
MAGIC = b"SQLite format 3\x00"
# Host parameters per statement: SQLite's historical default limit is 999.
MAX_PARAMETERS = 900

Error = sqlite3.Error
OperationalError = sqlite3.OperationalError
IntegrityError = sqlite3.IntegrityError


def open_connection(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection with the pragmas every SourceDesk connection runs under."""
    if read_only:
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro",
            uri=True,
            timeout=BUSY_TIMEOUT_MS / 1000,
            check_same_thread=False,
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    if conn.execute("PRAGMA page_count").fetchone()[0] == 0:
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def is_database_file(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(16) == MAGIC


BEGIN_WRITE = "BEGIN IMMEDIATE"  # take the write lock up front: no failed lock upgrade later


def is_lock_error(exc: BaseException) -> bool:
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    message = str(exc).lower()
    return "locked" in message or "busy" in message


def upsert(
    table: str, columns: Sequence[str], conflict: Sequence[str], update: Sequence[str]
) -> str:
    """INSERT ... ON CONFLICT (...) DO UPDATE SET col = excluded.col for the `update` columns."""
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    sets = ", ".join(f"{c} = excluded.{c}" for c in update)
    action = f"DO UPDATE SET {sets}" if update else "DO NOTHING"
    return (
        f"INSERT INTO {table} ({names}) VALUES ({marks}) "
        f"ON CONFLICT ({', '.join(conflict)}) {action}"
    )


def partial_index(name: str, table: str, columns: str, where: str) -> str:
    return f"CREATE INDEX {name} ON {table}({columns}) WHERE {where}"


def integrity_check(conn: sqlite3.Connection) -> str:
    return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
