"""Everything specific to SQLite: pragmas, the write lock, upserts, partial indexes, long
texts written in place, and the import of sqlite-utils (without pandas).

The rest of storage/ writes portable SQL and asks this module for the parts that differ
between engines, so that a second backend means a second module of this shape, not a
search through every query.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

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


def _import_sqlite_utils() -> None:
    """Import sqlite-utils without the pandas it imports whenever pandas is installed.

    sqlite-utils reads pandas once, at import, for one thing: to give a column made from a
    `pandas.Timestamp` value the type TEXT when it creates a table or adds a column from
    Python values. SourceDesk creates every table and column with SQL (the migrations) and
    hands sqlite-utils no pandas value, so nothing is lost, while pandas (and the pyarrow
    it loads) would add some 80 MB to every process that opens a database, an import of
    documents included.

    A `None` in `sys.modules` makes `import pandas` raise ImportError, which sqlite-utils
    takes for "not installed". It is there only while sqlite-utils is imported, once, when
    storage is first imported: as a command starts, or as the web server loads its ASGI
    module, before any page runs (a page importing pandas at that moment would fail).
    Once pandas is loaded there is nothing to save, and it is not hidden.
    """
    if "sqlite_utils" in sys.modules or "pandas" in sys.modules:
        return
    sys.modules["pandas"] = None  # type: ignore[assignment]  # None: "not installed"
    try:
        importlib.import_module("sqlite_utils")
    finally:
        if sys.modules.get("pandas") is None:
            sys.modules.pop("pandas", None)


_import_sqlite_utils()


def open_connection(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection with the pragmas every SourceDesk connection runs under."""
    if read_only:
        return _open_read_only(path)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    if conn.execute("PRAGMA page_count").fetchone()[0] == 0:
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


SIDE_FILES = ("-wal", "-shm", "-journal")
PRIVATE_MODE = 0o600
"""Database files hold password hashes: readable and writable by their owner only."""


def create_private(path: Path) -> bool:
    """Create an empty database file with mode 0600 unless one exists; True if created.

    SQLite gives the -wal, -shm and -journal files the permissions of the database file,
    so they are private too. `os.open` with an explicit mode (and O_EXCL) needs no
    process-wide umask change, which would race with other threads.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def make_private(path: Path) -> None:
    """Take group and other permissions off an existing database and its side files
    (older versions created them 0644); files of another owner are left alone."""
    for name in (str(path), *(f"{path}{suffix}" for suffix in SIDE_FILES)):
        try:
            info = os.stat(name)
            if info.st_uid == os.geteuid() and info.st_mode & 0o077:
                os.chmod(name, info.st_mode & 0o700)
        except OSError:
            continue


def remove_database(path: Path) -> None:
    """Remove a database file and its side files (after a failed creation)."""
    for name in (str(path), *(f"{path}{suffix}" for suffix in SIDE_FILES)):
        with contextlib.suppress(OSError):
            os.unlink(name)


def _open_read_only(path: Path) -> sqlite3.Connection:
    """A connection that never writes. A WAL database needs its -shm file, which cannot be
    created in a read-only folder; when there is no write-ahead log to read either (the
    last writer closed cleanly), the file is read as immutable instead."""
    uri = path.resolve().as_uri()

    def open_uri(query: str) -> sqlite3.Connection:
        return sqlite3.connect(
            f"{uri}?{query}", uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
        )

    conn = open_uri("mode=ro")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        conn.close()
        wal = Path(f"{path}-wal")
        if (wal.exists() and wal.stat().st_size > 0) or Path(f"{path}-shm").exists():
            raise
        conn = open_uri("mode=ro&immutable=1")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def is_writable(path: Path) -> bool:
    """Whether this process may change the database file and create its side files."""
    folder = path.resolve().parent
    return os.access(path, os.W_OK) and os.access(folder, os.W_OK | os.X_OK)


def is_database_file(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(16) == MAGIC


def parameter_chunks(values: Sequence[Any], *, repeat: int = 1) -> Iterator[Sequence[Any]]:
    """`values` in chunks that stay under SQLite's limit on parameters when a query binds
    each chunk `repeat` times."""
    size = MAX_PARAMETERS // repeat
    for i in range(0, len(values), size):
        yield values[i : i + size]


def rows_in(
    db: Any, sql: str, values: Sequence[Any], *, repeat: int = 1
) -> Iterator[tuple[Any, ...]]:
    """The rows of `sql` (run by `db.execute`) for every value, asked in chunks that stay
    under SQLite's limit on parameters. `{marks}` in `sql` stands for one chunk's
    placeholders; a query that lists them `repeat` times gets that many copies of it."""
    for chunk in parameter_chunks(values, repeat=repeat):
        marks = ", ".join("?" * len(chunk))
        yield from db.execute(sql.format(marks=marks), [*chunk] * repeat)


BEGIN_WRITE = "BEGIN IMMEDIATE"  # take the write lock up front: no failed lock upgrade later
DEFER_FOREIGN_KEYS = "PRAGMA defer_foreign_keys = ON"
"""Inside a transaction: check references at its commit instead of row by row, for the
rest of the outermost transaction (a savepoint does not end it); SQLite turns it off again
when that transaction ends."""


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


def insert_with_text(
    conn: sqlite3.Connection, table: str, values: dict[str, Any], column: str, text: str
) -> int:
    """Insert a row whose `column` holds a long `text`, written into place a chunk at a
    time; returns the new row's rowid (its INTEGER PRIMARY KEY, if it has one).

    The row is inserted with a text of NULs of the right size in bytes, which the chunks
    then overwrite (SQLite's incremental blob I/O works on TEXT values too). SQLite builds
    that value and the row in memory for the moment of the INSERT; bound as one str, the
    text would in addition be encoded whole to UTF-8, a copy Python keeps with the str for
    as long as it lives, and copied again as SQLite's parameter.
    """
    size = sum(len(chunk.encode("utf-8")) for chunk in _chunks(text))
    names = ", ".join([*values, column])
    marks = "?, " * len(values)
    cursor = conn.execute(
        f"INSERT INTO {table} ({names}) VALUES ({marks}CAST(zeroblob(?) AS TEXT))",
        [*values.values(), size],
    )
    row_id = cursor.lastrowid
    assert row_id is not None  # an insert always sets it
    with conn.blobopen(table, column, row_id) as blob:
        for chunk in _chunks(text):
            blob.write(chunk.encode("utf-8"))
    return row_id


_TEXT_CHUNK = 1 << 18  # characters: at most 1 MB of UTF-8 at a time


def _chunks(text: str) -> Iterator[str]:
    for start in range(0, len(text), _TEXT_CHUNK):
        yield text[start : start + _TEXT_CHUNK]


def partial_index(name: str, table: str, columns: str, where: str) -> str:
    return f"CREATE INDEX {name} ON {table}({columns}) WHERE {where}"


def integrity_check(conn: sqlite3.Connection) -> str:
    return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
