"""Backing up and restoring the database file.

A backup is taken with SQLite's online backup API, a few thousand pages at a time, so
the app keeps writing meanwhile; the copy is checked and only then renamed to its final
name, so a half-written backup never looks like a good one. A restore checks that the
file is a SourceDesk database this code can read before it replaces anything.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlite_utils import Database

from storage.dialect import BUSY_TIMEOUT_MS, PRIVATE_MODE
from storage.dialect import is_database_file as is_sqlite_file
from storage.errors import StorageError
from storage.schema import latest_version, migrations
from storage.transactions import write

__all__ = [
    "BACKUP_STEP_PAGES",
    "CHECK_SECONDS",
    "TEMP_SUFFIX",
    "BackupInfo",
    "backup",
    "inspect_backup",
    "reference_schema",
    "remove_stale_temps",
    "restore",
    "schema_of",
    "temp_beside",
]

BACKUP_STEP_PAGES = 4096
"""Pages copied per step (16 MB at the default page size); the source is unlocked between."""
MAX_RESTARTS = 3
"""A write to the source restarts a stepped copy; after this many, copy in one step."""
_SIDE_FILES = ("-wal", "-shm", "-journal")
CHECK_SECONDS = 600.0
"""Longest time the checks of a file may take (integrity of a large project included);
a query still running then is interrupted and the file refused."""
TEMP_SUFFIX = ".sourcedesk-tmp"
"""Hidden copies in progress are named `.NAME.XXXX.sourcedesk-tmp` and locked (flock) by
the process writing them; an unlocked one was left by a killed process and is removed."""


class BackupInfo:
    """What a backup file holds, as read by `inspect_backup`."""

    def __init__(self, path: Path, schema_version: int, counts: dict[str, int]) -> None:
        self.path = path
        self.schema_version = schema_version
        self.counts = counts

    def contents(self) -> str:
        parts = ", ".join(f"{n} {table}" for table, n in self.counts.items())
        return f"schema version {self.schema_version}; {parts}"

    def summary(self) -> str:
        return f"{self.path.name}: {self.contents()}"


_COUNTED = ("documents", "statements", "annotations", "annotation_revisions", "users")


class _Restarted(Exception):
    pass


def _open(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def remove_stale_temps(folder: Path) -> list[Path]:
    """Remove copies left in `folder` by a backup or restore that was killed; returns them.

    A copy in progress is locked by its writer, and the kernel drops the lock when the
    writer dies, however it dies; so an unlocked copy is stale.
    """
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for candidate in folder.glob(f".*{TEMP_SUFFIX}"):
        try:
            fd = os.open(candidate, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # its writer is alive
        finally:
            os.close(fd)
        for suffix in ("", *_SIDE_FILES):
            with contextlib.suppress(OSError):
                os.unlink(f"{candidate}{suffix}")
        removed.append(candidate)
    return removed


@contextlib.contextmanager
def temp_beside(final: Path) -> Iterator[Path]:
    """A private (0600), locked temporary file in the target's folder (same file system,
    so the final rename is atomic); removed with its side files unless renamed."""
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(final.parent)
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=TEMP_SUFFIX, dir=final.parent)
    temp = Path(name)
    try:
        os.fchmod(fd, PRIVATE_MODE)
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield temp
    finally:
        for suffix in ("", *_SIDE_FILES):
            Path(f"{temp}{suffix}").unlink(missing_ok=True)
        os.close(fd)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy(source: sqlite3.Connection, target: sqlite3.Connection, step_pages: int) -> None:
    """Copy in steps; if writers keep restarting the copy, finish it in a single step.

    A single step reads one snapshot; in WAL mode that blocks no writer, it only keeps
    the WAL from being checkpointed past it until the copy ends.
    """
    for _ in range(MAX_RESTARTS):
        lowest = [None]

        def progress(status: int, remaining: int, total: int, lowest: list = lowest) -> None:
            if lowest[0] is not None and remaining > lowest[0]:
                raise _Restarted
            lowest[0] = remaining

        try:
            source.backup(target, pages=step_pages, progress=progress)
            return
        except _Restarted:
            continue
    source.backup(target, pages=-1)


Schema = dict[tuple[str, str], str]
"""(type, name) -> the object's CREATE statement, whitespace collapsed; tables also get a
("columns", name) entry listing their columns as `pragma table_info` describes them."""


def schema_of(conn: sqlite3.Connection) -> Schema:
    """Every table, column, index, trigger and view of a database (SQL text and columns)."""
    schema: Schema = {}
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    for kind, name, table, sql in rows:
        schema[(kind, name)] = f"{table}: {' '.join((sql or '').split())}"
        if kind == "table":
            columns = conn.execute(
                'SELECT cid, name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)',
                [name],
            ).fetchall()
            schema[("columns", name)] = repr(columns)
    return schema


@functools.lru_cache(maxsize=16)
def reference_schema(applied: tuple[str, ...]) -> Schema:
    """The schema this version creates with exactly the steps in `applied` (a prefix of
    its own steps), built by migrating an empty in-memory database."""
    db = Database(memory=True)
    try:
        names = [m.name for m in migrations.pending(db)]
        stop = names[len(applied)] if len(applied) < len(names) else None
        with write(db):
            migrations.apply(db, stop_before=stop)
        return schema_of(db.conn)
    finally:
        db.close()


def _schema_problems(found: Schema, expected: Schema) -> list[str]:
    problems = []
    for key in sorted(found.keys() - expected.keys()):
        problems.append(f"unexpected {key[0]} {key[1]!r}")
    for key in sorted(expected.keys() - found.keys()):
        problems.append(f"missing {key[0]} {key[1]!r}")
    for key in sorted(found.keys() & expected.keys()):
        if found[key] != expected[key]:
            problems.append(f"changed {key[0]} {key[1]!r}")
    return problems


@contextlib.contextmanager
def _time_limit(conn: sqlite3.Connection, seconds: float) -> Iterator[None]:
    """Interrupt any query on `conn` that runs past the deadline (sqlite3 progress handler)."""
    deadline = time.monotonic() + seconds
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 1_000)
    try:
        yield
    finally:
        conn.set_progress_handler(None, 0)


def _open_checked(path: Path) -> sqlite3.Connection:
    """A read-only connection to a file under check: nothing in it runs with side effects."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    conn.execute("PRAGMA trusted_schema = OFF")
    return conn


def _check_file(path: Path, what: str, seconds: float = CHECK_SECONDS) -> int:
    """Integrity and schema checks on a closed database file; returns its schema version."""
    if not path.exists():
        raise StorageError(f"{path}: no such file")
    if path.is_dir():
        raise StorageError(f"{path}: is a directory, not a {what}")
    if not path.is_file():
        raise StorageError(f"{path}: is not a regular file")
    if path.stat().st_size == 0 or not is_sqlite_file(path):
        raise StorageError(f"{path}: is not a SourceDesk (SQLite) {what}")
    try:
        conn = _open_checked(path)
        try:
            return _check_connection(conn, path, what, seconds)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{path}: unreadable {what} ({exc})") from None


def _check_connection(
    conn: sqlite3.Connection, path: Path, what: str, seconds: float = CHECK_SECONDS
) -> int:
    """Schema first (reading it runs no query of the file's), then integrity, in time."""
    try:
        with _time_limit(conn, seconds):
            version = _check_schema(conn, path, what)
            result = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            raise StorageError(
                f"{path}: checking the {what} took longer than {seconds:g} s; refused"
            ) from None
        raise
    if result != [("ok",)]:
        first = result[0][0] if result else "no answer"
        raise StorageError(f"{path}: the {what} is damaged (integrity check: {first})")
    return version


def _check_schema(conn: sqlite3.Connection, path: Path, what: str) -> int:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if migrations.migrations_table not in tables or "project" not in tables:
        raise StorageError(f"{path}: is a SQLite file but not a SourceDesk {what}")
    applied = tuple(
        r[0]
        for r in conn.execute(
            f"SELECT name FROM {migrations.migrations_table} WHERE migration_set = ? "
            "ORDER BY rowid",
            [migrations.name],
        )
    )
    empty = Database(memory=True)
    known = [m.name for m in migrations.pending(empty)]
    empty.close()
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise StorageError(
            f"{path}: was written by a newer SourceDesk (schema step {unknown[0]!r}); "
            "upgrade SourceDesk before restoring it"
        )
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > latest_version():
        raise StorageError(
            f"{path}: schema version {version} is newer than this SourceDesk knows "
            f"({latest_version()})"
        )
    if list(applied) != known[: len(applied)] or version != len(applied):
        raise StorageError(
            f"{path}: its schema steps ({', '.join(applied) or 'none'}) are not the ones "
            "this SourceDesk applies, in order; refused"
        )
    problems = _schema_problems(schema_of(conn), reference_schema(applied))
    if problems:
        more = f" and {len(problems) - 5} more" if len(problems) > 5 else ""
        raise StorageError(
            f"{path}: its schema is not the one this SourceDesk creates "
            f"({'; '.join(problems[:5])}{more}); refused"
        )
    return int(version)


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in _COUNTED}


def backup(
    db_path: str | Path,
    target_path: str | Path,
    *,
    step_pages: int = BACKUP_STEP_PAGES,
    overwrite: bool = False,
) -> BackupInfo:
    """Copy the live database at `db_path` to `target_path` while the app keeps running.

    The copy is a single self-contained file (rollback journal mode, no -wal beside it),
    integrity-checked before it takes its final name.
    """
    source_path, target = Path(db_path), Path(target_path)
    if not source_path.exists():
        raise StorageError(f"{source_path}: no such file")
    if not source_path.is_file() or not is_sqlite_file(source_path):
        raise StorageError(f"{source_path}: is not a SourceDesk (SQLite) database")
    if target.exists() and not overwrite:
        raise StorageError(f"{target}: already exists; choose another name or remove it")
    if target.resolve() == source_path.resolve():
        raise StorageError(f"{target}: is the database itself; choose another file")
    source = _open(source_path)
    try:
        with temp_beside(target) as temp:
            copy = sqlite3.connect(str(temp))
            try:
                _copy(source, copy, step_pages)
                copy.execute("PRAGMA journal_mode = DELETE")
                version = _check_connection(copy, source_path, "database")
                counts = _counts(copy)
            finally:
                copy.close()
            _fsync(temp)
            os.replace(temp, target)
    except sqlite3.Error as exc:
        raise StorageError(f"{source_path}: backup failed ({exc})") from None
    finally:
        source.close()
    return BackupInfo(target, version, counts)


def inspect_backup(backup_path: str | Path, *, seconds: float = CHECK_SECONDS) -> BackupInfo:
    """Check a backup file (schema, then integrity, within `seconds`) and count what it
    holds."""
    path = Path(backup_path)
    version = _check_file(path, "backup", seconds)
    conn = _open_checked(path)
    try:
        with _time_limit(conn, seconds):
            return BackupInfo(path, version, _counts(conn))
    except sqlite3.OperationalError as exc:
        raise StorageError(f"{path}: unreadable backup ({exc})") from None
    finally:
        conn.close()


def _holds_data(path: Path) -> bool:
    """True unless `path` is missing, empty, or a database with no project, user or document."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    if not is_sqlite_file(path):
        return True
    try:
        conn = _open(path)
        try:
            for table in ("project", "users", "documents"):
                with contextlib.suppress(sqlite3.OperationalError):  # table missing: no data
                    if conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
                        return True
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return True
    return False


def _quiesce(path: Path) -> None:
    """Fold the WAL of the database about to be replaced into it and remove the side files.

    A stale -wal left beside the restored file would be replayed onto it. If another
    connection still reads or writes the database, the checkpoint cannot finish: refuse.
    """
    if not path.exists() or not is_sqlite_file(path):
        return
    conn = _open(path)
    try:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            raise StorageError(
                f"{path}: is in use by another process; stop the app before restoring"
            )
        conn.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.OperationalError as exc:
        raise StorageError(
            f"{path}: is in use by another process; stop the app before restoring ({exc})"
        ) from None
    finally:
        conn.close()


def _keep_mode(temp: Path, target: Path) -> None:
    """The restored file is its owner's only (it holds password hashes), like a new one."""
    mode = target.stat().st_mode & PRIVATE_MODE if target.exists() else PRIVATE_MODE
    os.chmod(temp, mode)


def restore(
    backup_path: str | Path,
    db_path: str | Path,
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
    seconds: float = CHECK_SECONDS,
) -> BackupInfo:
    """Replace the database at `db_path` with the backup at `backup_path`.

    The backup is checked first; a database that already holds data is replaced only
    with `force=True`. The new file is written beside the old one and renamed over it,
    so the database is either the old one or the restored one, never a mix. The backup's
    schema must be exactly the one this version creates (no extra trigger, view, index
    or column, nothing missing), and its checks must end within `seconds`.
    """
    source_path, target = Path(backup_path), Path(db_path)
    info = inspect_backup(source_path, seconds=seconds)
    if target.exists() and target.resolve() == source_path.resolve():
        raise StorageError(f"{target}: the backup and the database are the same file")
    if target.is_dir():
        raise StorageError(f"{target}: is a directory, not a database file")
    if _holds_data(target) and not force:
        raise StorageError(
            f"{target}: already holds a project; pass --force to replace it with the backup"
        )
    source = sqlite3.connect(f"{source_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        with temp_beside(target) as temp:
            copy = sqlite3.connect(str(temp))
            try:
                source.backup(copy)
                copy.execute("PRAGMA trusted_schema = OFF")
                copy.execute("PRAGMA journal_mode = DELETE")
                _check_connection(copy, source_path, "backup", seconds)
            finally:
                copy.close()
            _fsync(temp)
            _keep_mode(temp, target)
            if progress:
                progress(f"checked {info.summary()}")
            _quiesce(target)
            for suffix in _SIDE_FILES:
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            os.replace(temp, target)
    except sqlite3.Error as exc:
        raise StorageError(f"{source_path}: restore failed ({exc})") from None
    finally:
        source.close()
    return BackupInfo(target, info.schema_version, info.counts)
