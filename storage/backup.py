"""Backing up and restoring the database file.

A backup is taken with SQLite's online backup API, a few thousand pages at a time, so
the app keeps writing meanwhile; the copy is checked and only then renamed to its final
name, so a half-written backup never looks like a good one. A restore checks that the
file is a SourceDesk database this code can read before it replaces anything.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from storage.dialect import BUSY_TIMEOUT_MS
from storage.dialect import is_database_file as is_sqlite_file
from storage.errors import StorageError
from storage.schema import latest_version, migrations

__all__ = ["BACKUP_STEP_PAGES", "BackupInfo", "backup", "inspect_backup", "restore"]

BACKUP_STEP_PAGES = 4096
"""Pages copied per step (16 MB at the default page size); the source is unlocked between."""
MAX_RESTARTS = 3
"""A write to the source restarts a stepped copy; after this many, copy in one step."""
_SIDE_FILES = ("-wal", "-shm", "-journal")


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


@contextlib.contextmanager
def _temp_beside(final: Path) -> Iterator[Path]:
    """A temporary file in the target's folder (same file system, so rename is atomic)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
    finally:
        for suffix in ("", *_SIDE_FILES):
            Path(f"{temp}{suffix}").unlink(missing_ok=True)


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


def _check_file(path: Path, what: str) -> int:
    """Integrity and schema checks on a closed database file; returns its schema version."""
    if not path.exists():
        raise StorageError(f"{path}: no such file")
    if path.is_dir():
        raise StorageError(f"{path}: is a directory, not a {what}")
    if path.stat().st_size == 0 or not is_sqlite_file(path):
        raise StorageError(f"{path}: is not a SourceDesk (SQLite) {what}")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return _check_connection(conn, path, what)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{path}: unreadable {what} ({exc})") from None


def _check_connection(conn: sqlite3.Connection, path: Path, what: str) -> int:
    result = conn.execute("PRAGMA integrity_check").fetchall()
    if result != [("ok",)]:
        first = result[0][0] if result else "no answer"
        raise StorageError(f"{path}: the {what} is damaged (integrity check: {first})")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if migrations.migrations_table not in tables or "project" not in tables:
        raise StorageError(f"{path}: is a SQLite file but not a SourceDesk {what}")
    applied = [
        r[0]
        for r in conn.execute(
            f"SELECT name FROM {migrations.migrations_table} WHERE migration_set = ? "
            "ORDER BY rowid",
            [migrations.name],
        )
    ]
    known = [m.name for m in migrations._migrations]
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
    return version


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
        with _temp_beside(target) as temp:
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


def inspect_backup(backup_path: str | Path) -> BackupInfo:
    """Check a backup file (integrity, schema) and count what it holds."""
    path = Path(backup_path)
    version = _check_file(path, "backup")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return BackupInfo(path, version, _counts(conn))
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
    """The restored file keeps the permissions of the one it replaces (else the umask's)."""
    if target.exists():
        mode = target.stat().st_mode & 0o777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(temp, mode)


def restore(
    backup_path: str | Path,
    db_path: str | Path,
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> BackupInfo:
    """Replace the database at `db_path` with the backup at `backup_path`.

    The backup is checked first; a database that already holds data is replaced only
    with `force=True`. The new file is written beside the old one and renamed over it,
    so the database is either the old one or the restored one, never a mix.
    """
    source_path, target = Path(backup_path), Path(db_path)
    info = inspect_backup(source_path)
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
        with _temp_beside(target) as temp:
            copy = sqlite3.connect(str(temp))
            try:
                source.backup(copy)
                copy.execute("PRAGMA journal_mode = DELETE")
                _check_connection(copy, source_path, "backup")
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
